/** In-test image makers: tar layers from a file list, as files on disk wrapped in a verified Layer. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pack as tarPack } from "tar-stream";
import { sha256Digest } from "../../src/digest.js";
import { fileLayer } from "../../src/image/file-layer.js";
import { layerMediaType, type ManifestFamily } from "../../src/image/media-types.js";
import type { Layer } from "../../src/image/image.js";

export interface TarFile {
  name: string;
  data?: Buffer | string;
  mode?: number;
  type?: "file" | "directory" | "symlink";
  linkname?: string;
}

export async function tarBytes(files: TarFile[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((res, rej) => pack.on("end", res).on("error", rej));
  for (const f of files) {
    const type = f.type ?? "file";
    const data = f.data === undefined ? undefined : Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data);
    const header = {
      name: f.name,
      type,
      mode: f.mode ?? (type === "directory" ? 0o755 : 0o644),
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      ...(f.linkname ? { linkname: f.linkname } : {}),
      ...(type === "file" ? { size: data?.length ?? 0 } : {}),
    };
    await new Promise<void>((res, rej) => {
      if (type === "file") pack.entry(header, data ?? Buffer.alloc(0), (e) => (e ? rej(e) : res()));
      else pack.entry(header, (e) => (e ? rej(e) : res()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let counter = 0;

/** A layer stored in `dir`; gzip level 1 keeps tests fast; gzip header mtime is 0 in node:zlib. */
export async function makeLayer(dir: string, files: TarFile[], opts: { gzip: boolean; family?: ManifestFamily }): Promise<Layer> {
  const tar = await tarBytes(files);
  const blob = opts.gzip ? gzipSync(tar, { level: 1 }) : tar;
  const file = join(dir, `layer-${process.pid}-${counter++}`);
  await writeFile(file, blob);
  return fileLayer({
    file,
    size: blob.length,
    mediaType: layerMediaType(opts.family ?? "oci", opts.gzip ? "gzip" : "none"),
    digest: sha256Digest(blob),
    diffId: sha256Digest(tar),
  });
}
