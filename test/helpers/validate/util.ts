/** Small helpers shared by the harness's consumers. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunResult } from "../run.js";
import { run } from "../run.js";
import type { ConsumerName, RunCheck, Verdict } from "./types.js";

/** Thrown inside a consumer to end it with a failed verdict carrying the tool's message. */
export class StepFailed extends Error {}

/** The last part of a tool's stderr (or stdout), enough to hold its error message. */
export function message(r: RunResult): string {
  const text = (r.stderr.trim() || r.stdout.trim()).replace(/\s+$/, "");
  const msg = text.length > 1500 ? `…${text.slice(-1500)}` : text;
  return r.signal ? `killed by ${r.signal} (timeout?) ${msg}` : msg;
}

/** Run one step; a non-zero exit becomes StepFailed("STEP: message"). */
export async function step(
  name: string,
  cmd: string,
  args: string[],
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; input?: string },
): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new StepFailed(`${name}: ${message(r)}`);
  return r;
}

/** Compare a container's stdout with the expectation; throws StepFailed on a mismatch. */
export function checkStdout(who: string, check: RunCheck, stdout: string): string {
  const want = check.stdout;
  if (want === undefined) return stdout.trim();
  const ok = typeof want === "string" ? stdout.trim() === want.trim() : want.test(stdout);
  if (!ok) throw new StepFailed(`${who}: stdout ${JSON.stringify(stdout.trim())} does not match ${String(want)}`);
  return stdout.trim();
}

/** Run a consumer body, turning any failure into a verdict instead of a throw. */
export async function verdictOf(consumer: ConsumerName, body: () => Promise<string>): Promise<Verdict> {
  try {
    return { consumer, ok: true, detail: await body() };
  } catch (err) {
    const detail = err instanceof StepFailed ? err.message : `harness error: ${err instanceof Error ? err.stack : String(err)}`;
    return { consumer, ok: false, detail };
  }
}

/**
 * Make a hybrid tar (the OCI layout plus a docker manifest.json for `tag`) that docker load,
 * podman load and ctr import all read. The blobs are not copied: tar reads them from the layout.
 * The full `name` goes into RepoTags and both index annotations (see facts.md, Tarball outputs).
 */
export async function hybridTar(layout: string, tag: string, name: string, work: string, timeoutMs: number): Promise<string> {
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as {
    manifests?: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry = index.manifests?.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (!entry) throw new StepFailed(`layout: no manifest tagged ${JSON.stringify(tag)} in ${layout}/index.json`);
  const blob = (d: string) => `blobs/sha256/${d.replace(/^sha256:/, "")}`;
  let manifest: { config: { digest: string }; layers: { digest: string }[] };
  try {
    manifest = JSON.parse(await readFile(join(layout, blob(entry.digest)), "utf8")) as typeof manifest;
  } catch (err) {
    throw new StepFailed(`layout: cannot read manifest ${entry.digest}: ${String(err)}`);
  }
  const stage = join(work, "hybrid-stage");
  await mkdir(stage, { recursive: true });
  const annotated = {
    ...entry,
    annotations: { ...entry.annotations, "org.opencontainers.image.ref.name": name, "io.containerd.image.name": name },
  };
  await writeFile(join(stage, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [annotated] }));
  const dockerManifest = [
    { Config: blob(manifest.config.digest), RepoTags: [name], Layers: manifest.layers.map((l) => blob(l.digest)) },
  ];
  await writeFile(join(stage, "manifest.json"), JSON.stringify(dockerManifest));
  const out = join(work, "hybrid.tar");
  await step("tar", "tar", ["-cf", out, "-C", layout, "oci-layout", "blobs", "-C", stage, "index.json", "manifest.json"], {
    timeoutMs,
  });
  return out;
}
