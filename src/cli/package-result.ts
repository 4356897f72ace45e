/**
 * What `package` prints and writes when it is done: the output contract CI tools expect of crane,
 * ko and kaniko. stdout is `registry/repo:tag@sha256:…` per pushed name (the bare digest when
 * nothing was pushed), or the JSON result; `--digest-file` and `--metadata-file` get the digest and
 * the JSON result; with `--json`, a failure is one JSON error object on stdout as well.
 */
import type { PackageMapResult } from "../builder/index.js";
import { toMapBuildError } from "../errors.js";
import { expectOutputFile } from "../sinks/index.js";
import { writeFileAtomic } from "../atomic-file.js";
import { exitCodeFor } from "./exit-codes.js";
import type { CliIO } from "./io.js";

export interface ResultFiles {
  digestFile?: string | undefined;
  metadataFile?: string | undefined;
}

/** Before the build: a typo in a result file's folder costs a second, not a build. */
export async function checkResultFiles(files: ResultFiles): Promise<void> {
  if (files.digestFile) await expectOutputFile("--digest-file", files.digestFile, "digest.txt");
  if (files.metadataFile) await expectOutputFile("--metadata-file", files.metadataFile, "build.json");
}

export function resultJson(result: PackageMapResult): string {
  // the manifests as objects, not JSON-in-a-string: `jq .appJson.command` works
  const manifests = { appJson: JSON.parse(result.appJson) as unknown, pkgJson: JSON.parse(result.pkgJson) as unknown };
  return `${JSON.stringify({ ...result, ...manifests }, null, 2)}\n`;
}

/** The lines for stdout without --json. */
export function stdoutLines(result: PackageMapResult): string[] {
  const pushed = result.outputs.filter((o) => o.kind === "push");
  return pushed.length ? pushed.map((o) => `${o.target}@${o.digest ?? result.digest}`) : [result.digest];
}

export async function writeResultFiles(result: PackageMapResult, files: ResultFiles): Promise<void> {
  // the digest alone, without a newline, as kaniko writes it
  if (files.digestFile) await writeFileAtomic(files.digestFile, result.digest);
  if (files.metadataFile) await writeFileAtomic(files.metadataFile, resultJson(result));
}

/** With --json a failure is one JSON object on stdout too, so a pipeline that parses stdout sees why. */
export function writeJsonError(io: Pick<CliIO, "stdout">, e: unknown): void {
  const err = toMapBuildError(e);
  const object = { error: { code: err.code, message: err.message, hint: err.hint ?? null, exitCode: exitCodeFor(err.code) } };
  io.stdout.write(`${JSON.stringify(object)}\n`);
}
