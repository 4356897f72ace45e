/**
 * Deliberately broken copies of an OCI layout, for negative tests of validators and of map-build's
 * own checks. The edit is made in one JSON blob and the digests above it are fixed up (config →
 * manifest → index.json), so the breakage is exactly the one named and everything else is consistent.
 */
import { createHash } from "node:crypto";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export type Breakage =
  /** config rootfs.diff_ids[0] names other content than the layer holds */
  | "diff-id"
  /** manifest layers[0].size is one byte more than the blob */
  | "layer-size"
  /** manifest config.size is one byte more than the blob */
  | "config-size";

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

const blobPath = (layout: string, digest: string) => join(layout, "blobs", "sha256", digest.replace(/^sha256:/, ""));

/** Write JSON as a new blob; returns its digest and size. */
async function putJson(layout: string, value: unknown): Promise<{ digest: string; size: number }> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  await writeFile(blobPath(layout, digest), bytes);
  return { digest, size: bytes.length };
}

/**
 * Copy `layout` to `out` and break the image tagged `tag` there (the tag keeps its name).
 * Returns the new manifest digest.
 */
export async function corruptLayout(layout: string, tag: string, out: string, breakage: Breakage): Promise<string> {
  await cp(layout, out, { recursive: true });
  const indexPath = join(out, "index.json");
  const index = JSON.parse(await readFile(indexPath, "utf8")) as { manifests: Descriptor[] };
  const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (!entry) throw new Error(`no manifest tagged ${tag} in ${layout}`);
  const manifest = JSON.parse(await readFile(blobPath(out, entry.digest), "utf8")) as {
    config: Descriptor;
    layers: Descriptor[];
  };
  const layer = manifest.layers[0];
  if (!layer) throw new Error("image has no layers");

  switch (breakage) {
    case "diff-id": {
      const config = JSON.parse(await readFile(blobPath(out, manifest.config.digest), "utf8")) as {
        rootfs: { diff_ids: string[] };
      };
      config.rootfs.diff_ids[0] = `sha256:${createHash("sha256").update("not the layer").digest("hex")}`;
      const written = await putJson(out, config);
      manifest.config = { ...manifest.config, ...written };
      break;
    }
    case "layer-size":
      layer.size += 1;
      break;
    case "config-size":
      manifest.config.size += 1;
      break;
  }
  const written = await putJson(out, manifest);
  Object.assign(entry, written);
  await writeFile(indexPath, JSON.stringify(index));
  return written.digest;
}
