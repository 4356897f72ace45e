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

const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const INDEX = "application/vnd.oci.image.index.v1+json";

/**
 * An OCI layout at `dir` holding one image of `count` layers of about `layerBytes` each. With
 * more than one of `architectures` (linux), the tag names an image index of one such image per
 * architecture (their layers differ).
 */
export async function writeLayeredBase(dir: string, count: number, layerBytes: number, tag = "base", architectures: readonly string[] = ["amd64"]): Promise<LayeredBase> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const images: { digest: string; size: number; architecture: string }[] = [];
  const diffIds: string[] = [];
  let bytes = 0;
  for (const architecture of architectures) {
    const layers: { digest: string; size: number }[] = [];
    for (let i = 0; i < count; i++) {
      const tar = await tarBytes([{ name: "layers/", type: "directory" }, { name: `layers/${String(i).padStart(3, "0")}.bin`, data: randomBytes(layerBytes) }]);
      layers.push(await blob(dir, tar));
    }
    diffIds.push(...layers.map((l) => l.digest));
    bytes += layers.reduce((n, l) => n + l.size, 0);
    const config = await blob(dir, Buffer.from(JSON.stringify({ architecture, os: "linux", config: { Env: ["PATH=/usr/bin:/bin"] }, rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) } })));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", ...l })),
    }));
    images.push({ ...(await blob(dir, manifest)), architecture });
  }
  const top =
    images.length === 1
      ? { mediaType: MANIFEST, digest: images[0]!.digest, size: images[0]!.size }
      : { mediaType: INDEX, ...(await blob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: images.map((i) => ({ mediaType: MANIFEST, digest: i.digest, size: i.size, platform: { architecture: i.architecture, os: "linux" } })) })))) };
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ ...top, annotations: { "org.opencontainers.image.ref.name": tag } }] }));
  return { layout: `oci:${dir}:${tag}`, layers: diffIds, bytes };
}

/** Copy a layout image to `host/repo:tag` (plain HTTP, loopback). */
export async function pushLayout(layout: string, ref: string): Promise<void> {
  await runOk("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", layout, `docker://${ref}`]);
}
