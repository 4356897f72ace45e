/**
 * The validation harness: hand an image (registry ref, docker-archive tar or OCI layout) to real,
 * independent consumers and collect each one's verdict. A consumer failing is a verdict, never a
 * throw, so negative tests can assert who rejected an image and with which message.
 *
 *   const report = await validateImage({ kind: "registry", ref }, { run: { cmd: ["python3", "-c", "print(42)"], stdout: "42" } });
 *   assert.ok(report.ok, JSON.stringify(report.verdicts, null, 2));
 *
 * Negative checks must start from empty stores (facts.md): docker and containerd stores are wiped or
 * fresh for every call; skopeo's blob-info cache only matters when pushing a broken image, so call
 * clearSkopeoBlobInfoCache() before such a push.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerdConsumer } from "./containerd-consumer.js";
import { dockerConsumer } from "./docker-consumer.js";
import { podmanConsumer } from "./podman-consumer.js";
import { skopeoAndUmoci } from "./skopeo-umoci-consumer.js";
import type { ConsumerContext, ConsumerName, ImageSource, ValidateOptions, ValidationReport, Verdict } from "./types.js";

export type * from "./types.js";
export { wipeDocker } from "./docker-consumer.js";
export { wipeContainerd } from "./containerd-consumer.js";

export const DEFAULT_CONSUMERS: ConsumerName[] = ["skopeo", "umoci", "docker", "containerd"];

/** skopeo/podman/buildah (as root) remember where blobs live; a stale entry hides broken pushes. */
export const SKOPEO_BLOB_INFO_CACHE = "/var/lib/containers/cache/blob-info-cache-v1.boltdb";

export async function clearSkopeoBlobInfoCache(): Promise<void> {
  await rm(SKOPEO_BLOB_INFO_CACHE, { force: true });
}

export async function validateImage(source: ImageSource, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const consumers = opts.consumers ?? DEFAULT_CONSUMERS;
  const work = await mkdtemp(join(tmpdir(), "mb-val-"));
  const ctx: ConsumerContext = { source, opts, work, timeoutMs: opts.timeoutMs ?? 120_000 };
  const want = (c: ConsumerName) => consumers.includes(c);

  // Independent chains run side by side; umoci reads skopeo's copy for non-layout sources.
  const [su, docker, containerd, podman] = await Promise.all([
    want("skopeo") || want("umoci") ? skopeoAndUmoci(ctx, { umoci: want("umoci") }) : undefined,
    want("docker") ? dockerConsumer(ctx) : undefined,
    want("containerd") ? containerdConsumer(ctx) : undefined,
    want("podman") ? podmanConsumer(ctx) : undefined,
  ]);
  const byName: Partial<Record<ConsumerName, Verdict>> = { skopeo: su?.skopeo, umoci: su?.umoci, docker, containerd, podman };
  const verdicts = consumers.map((c) => byName[c]).filter((v): v is Verdict => v !== undefined);

  const rootfs = su?.rootfs;
  if (!rootfs) await rm(work, { recursive: true, force: true });
  return {
    verdicts,
    ok: verdicts.every((v) => v.ok),
    verdict: (c) => verdicts.find((v) => v.consumer === c),
    rejectedBy: verdicts.filter((v) => !v.ok).map((v) => v.consumer),
    ...(rootfs ? { rootfs } : {}),
    cleanup: () => rm(work, { recursive: true, force: true }),
  };
}

/** One line per consumer, for assertion messages. */
export function formatVerdicts(verdicts: readonly Verdict[]): string {
  return verdicts.map((v) => `${v.ok ? "ok  " : "FAIL"} ${v.consumer}: ${v.detail}`).join("\n");
}
