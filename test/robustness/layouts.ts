/**
 * Hand-built OCI image layouts, valid and broken, for bad-base cases: small enough to write in
 * milliseconds, every blob named by its real sha256 so only the intended defect is wrong.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A one-file tar (ustar, 512-byte blocks), enough for a layer whose diffId is checked. */
function tinyTar(): Buffer {
  const header = Buffer.alloc(512);
  const body = Buffer.from("hello\n");
  header.write("etc/hello", 0, "utf8");
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(body.length.toString(8).padStart(11, "0") + "\0", 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const data = Buffer.concat([body, Buffer.alloc(512 - body.length)]);
  return Buffer.concat([header, data, Buffer.alloc(1024)]);
}

export interface LayoutDefects {
  /** The manifest blob's bytes are not JSON. */
  manifestNotJson?: boolean;
  /** The manifest (and its descriptor) use a media type nobody knows. */
  unknownManifestMediaType?: boolean;
  /** The config has no rootfs. */
  configWithoutRootfs?: boolean;
  /** Wrap the manifest in an index that only offers this architecture. */
  onlyArch?: string;
}

/** Write an OCI layout at `dir` with one image tagged `tag`, carrying the requested defects. */
export async function writeLayout(dir: string, tag: string, defects: LayoutDefects = {}): Promise<void> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const put = async (b: Buffer) => {
    const d = sha(b);
    await writeFile(join(dir, "blobs", "sha256", d.slice(7)), b);
    return d;
  };
  const tar = tinyTar();
  const layer = gzipSync(tar);
  const arch = defects.onlyArch ?? "amd64";
  const config: Record<string, unknown> = {
    architecture: arch,
    os: "linux",
    config: { Env: ["PATH=/usr/local/bin:/usr/bin:/bin"] },
    rootfs: { type: "layers", diff_ids: [sha(tar)] },
    history: [{ created_by: "hand-built" }],
  };
  if (defects.configWithoutRootfs) delete config.rootfs;
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifestType = defects.unknownManifestMediaType ? "application/vnd.example.unknown.v1+json" : OCI_MANIFEST;
  const manifest = {
    schemaVersion: 2,
    mediaType: manifestType,
    config: { mediaType: OCI_CONFIG, digest: await put(configBytes), size: configBytes.length },
    layers: [{ mediaType: OCI_LAYER_GZIP, digest: await put(layer), size: layer.length }],
  };
  const manifestBytes = defects.manifestNotJson ? Buffer.from('{"schemaVersion": 2, "config": {') : Buffer.from(JSON.stringify(manifest));
  let top: Desc = { mediaType: manifestType, digest: await put(manifestBytes), size: manifestBytes.length };
  if (defects.onlyArch) {
    const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...top, platform: { architecture: arch, os: "linux" } }] };
    const indexBytes = Buffer.from(JSON.stringify(index));
    top = { mediaType: OCI_INDEX, digest: await put(indexBytes), size: indexBytes.length };
  }
  top.annotations = { "org.opencontainers.image.ref.name": tag };
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [top] }));
}
