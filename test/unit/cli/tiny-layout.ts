/** A hand-written OCI layout of tiny one-layer images, for CLI tests that need no real base. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Digest } from "../../../src/digest.js";
import { tarBytes } from "../../image/fixtures.js";

/** `data` as a blob of the layout in `dir`. */
export async function writeBlob(dir: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256Digest(data);
  await writeFile(join(dir, "blobs", "sha256", digest.slice(7)), data);
  return { digest, size: data.length };
}

/** One image per tag in `dir`, each holding /hello.txt with the tag as content. */
export async function writeTinyLayout(dir: string, tags: string[]): Promise<string> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const manifests = [];
  for (const tag of tags) {
    const tar = await tarBytes([{ name: "hello.txt", data: tag }]);
    const layer = await writeBlob(dir, tar);
    const config = await writeBlob(dir, Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Env: [`TAG=${tag}`] }, rootfs: { type: "layers", diff_ids: [layer.digest] } })));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
    }));
    manifests.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", ...(await writeBlob(dir, manifest)), annotations: { "org.opencontainers.image.ref.name": tag } });
  }
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
  return dir;
}
