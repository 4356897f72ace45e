/**
 * A base image with many layers, as NGC bases have (30–60), written as an OCI layout and pushed
 * to a registry with skopeo. Layers are uncompressed tars of random bytes (one file each), so a
 * big base costs no compression to make.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Digest } from "../../src/digest.js";
import { tarBytes } from "../image/fixtures.js";
import { runOk } from "./run.js";

export interface LayeredBase {
  /** `oci:DIR:TAG` */
  layout: string;
  /** Layer digests, base order. */
  layers: string[];
  /** Sum of the layer sizes. */
  bytes: number;
}

async function blob(dir: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256Digest(data);
  await writeFile(join(dir, "blobs", "sha256", digest.slice(7)), data);
  return { digest, size: data.length };
}

/** An OCI layout at `dir` holding one linux/amd64 image of `count` layers of about `layerBytes` each. */
export async function writeLayeredBase(dir: string, count: number, layerBytes: number, tag = "base"): Promise<LayeredBase> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const layers: { digest: string; size: number }[] = [];
  for (let i = 0; i < count; i++) {
    const tar = await tarBytes([{ name: "layers/", type: "directory" }, { name: `layers/${String(i).padStart(3, "0")}.bin`, data: randomBytes(layerBytes) }]);
    layers.push(await blob(dir, tar));
  }
  const diffIds = layers.map((l) => l.digest);
  const config = await blob(dir, Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Env: ["PATH=/usr/bin:/bin"] }, rootfs: { type: "layers", diff_ids: diffIds } })));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", ...l })),
  }));
  const m = await blob(dir, manifest);
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...m, annotations: { "org.opencontainers.image.ref.name": tag } }] }));
  return { layout: `oci:${dir}:${tag}`, layers: diffIds, bytes: layers.reduce((n, l) => n + l.size, 0) };
}

/** Copy a layout image to `host/repo:tag` (plain HTTP, loopback). */
export async function pushLayout(layout: string, ref: string): Promise<void> {
  await runOk("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", layout, `docker://${ref}`]);
}
