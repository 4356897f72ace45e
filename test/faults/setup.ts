/**
 * Shared pieces of the fault suites: a real registry with the python base, a fault proxy in front
 * of it, and `map-build package` runs of the example app through the proxy with millisecond retry
 * delays (the test-only MAP_BUILD_RETRY_* variables).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runCliInProcess, type CliResult } from "../helpers/cli.js";
import { pythonBaseLayout } from "../helpers/python-base.js";
import { runOk } from "../helpers/run.js";
import { EXAMPLE_APP, EXAMPLE_MODEL } from "../package/fixtures.js";
import type { ProxiedRequest } from "./fault-proxy.js";

/** Small, bounded retries: 4 tries, 20 ms doubling backoff capped at 200 ms. */
export const FAST_RETRY_ENV = {
  MAP_BUILD_RETRY_ATTEMPTS: "4",
  MAP_BUILD_RETRY_MIN_DELAY_MS: "20",
  MAP_BUILD_RETRY_MAX_DELAY_MS: "200",
};

export function buildEnv(tmp: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    MAP_BUILD_CACHE_DIR: join(tmp, "cache"),
    SOURCE_DATE_EPOCH: undefined,
    MONAI_BASEIMAGE: undefined,
    DOCKER_HOST: undefined,
    MAP_BUILD_REGISTRY_TIMEOUT: undefined,
    ...FAST_RETRY_ENV,
    ...extra,
  };
}

export interface PackageRun {
  base: string;
  tag: string;
  /** Output flags, e.g. ["--push"] or ["--tarball", file]. */
  output: string[];
  env: NodeJS.ProcessEnv;
  version?: string;
  /** Sent on stdin (with --username … --password-stdin in extraArgs). */
  input?: string;
  extraArgs?: string[];
}

/** `map-build package examples/word_score_app -m model -b BASE -t TAG --no-sdk OUTPUT…` in-process. */
export function packageExample(r: PackageRun): Promise<CliResult> {
  const args = ["package", EXAMPLE_APP, "-m", EXAMPLE_MODEL, "-b", r.base, "-t", r.tag, "--no-sdk", ...(r.version ? ["--version", r.version] : []), ...(r.extraArgs ?? []), ...r.output];
  return runCliInProcess(args, { env: r.env, ...(r.input !== undefined ? { input: r.input } : {}) });
}

/** The python base's manifest, config and layer digests, read from its OCI layout. */
export async function baseBlobs(): Promise<{ layout: string; manifest: string; config: string; layers: { digest: string; size: number }[] }> {
  const layout = await pythonBaseLayout();
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const manifest = index.manifests[0]!.digest;
  const m = JSON.parse(await readFile(blobFile(layout, manifest), "utf8")) as { config: { digest: string }; layers: { digest: string; size: number }[] };
  return { layout, manifest, config: m.config.digest, layers: m.layers };
}

export function blobFile(layout: string, digest: string): string {
  return join(layout, "blobs", ...digest.split(":"));
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha256:${h.digest("hex")}`;
}

/** `skopeo inspect --raw` of a pushed image: its manifest digest (sha256 of the raw bytes) and layers. */
export async function inspectPushed(ref: string, creds?: string): Promise<{ digest: string; layers: string[]; config: string }> {
  const args = ["inspect", "--raw", "--tls-verify=false", ...(creds ? ["--creds", creds] : []), `docker://${ref}`];
  const raw = await runOk("skopeo", args);
  const m = JSON.parse(raw) as { config: { digest: string }; layers: { digest: string }[] };
  return { digest: `sha256:${createHash("sha256").update(raw).digest("hex")}`, layers: m.layers.map((l) => l.digest), config: m.config.digest };
}

/** Every blob of a pushed image fetched by skopeo copy (which verifies each digest) into a fresh layout. */
export async function copyVerified(ref: string, dir: string, creds?: string): Promise<void> {
  await runOk("skopeo", ["copy", "--quiet", "--src-tls-verify=false", ...(creds ? ["--src-creds", creds] : []), `docker://${ref}`, `oci:${dir}:x`]);
}

export const requestsTo = (log: ProxiedRequest[], method: string, path: RegExp) => log.filter((e) => e.method === method && path.test(e.path));

/** The error and hint lines of a failed run, which must be exactly two lines. */
export function errorLines(stderr: string): { error: string; hint: string } {
  const lines = stderr.trim().split("\n").filter((l) => /^(error|hint): /.test(l));
  return { error: lines.find((l) => l.startsWith("error: ")) ?? "", hint: lines.find((l) => l.startsWith("hint: ")) ?? "" };
}
