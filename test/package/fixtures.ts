/**
 * Shared pieces of the `map-build package` acceptance tests: the example app, its expected output,
 * and a reader for the OCI layouts the builds write (manifest, config and the files of the layers
 * map-build added, read straight from the blobs with tar-stream; no tool in between to hide a fault).
 */
import { createReadStream } from "node:fs";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { REPO_ROOT } from "../helpers/cli.js";
import { COLORFMT, GREET, writeWheel, type WheelSpec } from "../python/wheel-factory.js";

export const EXAMPLE_APP = join(REPO_ROOT, "examples/word_score_app");
export const EXAMPLE_APP_FILE = join(EXAMPLE_APP, "app.py");
export const EXAMPLE_MODEL = join(REPO_ROOT, "examples/models/word_weights.tsv");
export const EXAMPLE_INPUT = join(REPO_ROOT, "examples/input");
/** What the example writes for examples/input (a.txt 3.00, b.txt -4.00). */
export const EXPECTED_SCORES = "file,words,score\na.txt,6,3.00\nb.txt,7,-4.00\n";

/**
 * A copy of the example app in `dir`/app that requires greet==1.0 (pure Python), and a wheelhouse in
 * `dir`/wheelhouse with greet, its dependency colorfmt and any `extra` wheels.
 */
export async function exampleAppWithWheels(dir: string, extra: readonly WheelSpec[] = []): Promise<{ app: string; wheelhouse: string }> {
  const app = join(dir, "app");
  await cp(EXAMPLE_APP, app, { recursive: true });
  await writeFile(join(app, "requirements.txt"), "greet==1.0\n");
  const wheelhouse = join(dir, "wheelhouse");
  await mkdir(wheelhouse);
  for (const w of [GREET, COLORFMT, ...extra]) await writeWheel(wheelhouse, w);
  return { app, wheelhouse };
}

export interface LayoutFile {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname?: string;
  data: Buffer;
}

export interface ImageConfigJson {
  config?: {
    Env?: string[];
    Labels?: Record<string, string>;
    WorkingDir?: string;
    User?: string;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
  };
  rootfs: { diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean }[];
  created?: string;
}

export interface LayoutImage {
  manifestDigest: string;
  manifest: { config: { digest: string }; layers: { digest: string; mediaType: string; size: number }[] };
  config: ImageConfigJson;
  /** Files of the layers not in `skipLayers` (the base's), keyed by absolute path, later layers win. */
  files: Map<string, LayoutFile>;
  env: Record<string, string>;
  labels: Record<string, string>;
  appJson: Record<string, unknown>;
  pkgJson: Record<string, unknown>;
  text(path: string): string;
}

const blobPath = (dir: string, digest: string) => join(dir, "blobs", ...digest.split(":"));

async function readLayer(path: string, mediaType: string, into: Map<string, LayoutFile>): Promise<void> {
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const h = entry.header;
      const p = `/${h.name.replace(/^\.?\//, "").replace(/\/$/, "")}`;
      into.set(p, {
        type: h.type ?? "file",
        mode: h.mode ?? 0,
        uid: h.uid ?? -1,
        gid: h.gid ?? -1,
        mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : -1,
        ...(h.linkname ? { linkname: h.linkname } : {}),
        data: Buffer.concat(chunks),
      });
    }
  })();
  const src = createReadStream(path);
  if (mediaType.endsWith("gzip")) await pipeline(src, createGunzip(), ex);
  else await pipeline(src, ex);
  await done;
}

/** Read the first image of an OCI layout; layers whose digest is in skipLayers are not unpacked. */
export async function readLayout(dir: string, skipLayers: ReadonlySet<string> = new Set()): Promise<LayoutImage> {
  const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const manifestDigest = index.manifests[0]!.digest;
  const manifest = JSON.parse(await readFile(blobPath(dir, manifestDigest), "utf8")) as LayoutImage["manifest"];
  const config = JSON.parse(await readFile(blobPath(dir, manifest.config.digest), "utf8")) as ImageConfigJson;
  const files = new Map<string, LayoutFile>();
  for (const l of manifest.layers) {
    if (!skipLayers.has(l.digest)) await readLayer(blobPath(dir, l.digest), l.mediaType, files);
  }
  const env: Record<string, string> = {};
  for (const kv of config.config?.Env ?? []) {
    const eq = kv.indexOf("=");
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const text = (p: string) => {
    const f = files.get(p);
    if (!f) throw new Error(`${p} is not in the image's added layers (have: ${[...files.keys()].filter((k) => !k.startsWith("/root/.local/lib")).join(", ")})`);
    return f.data.toString("utf8");
  };
  return {
    manifestDigest,
    manifest,
    config,
    files,
    env,
    labels: config.config?.Labels ?? {},
    // a MAP 1.0 keeps them in /etc/holoscan
    appJson: JSON.parse(text(files.has("/etc/holoscan/app.json") ? "/etc/holoscan/app.json" : "/etc/monai/app.json")) as Record<string, unknown>,
    pkgJson: JSON.parse(text(files.has("/etc/holoscan/pkg.json") ? "/etc/holoscan/pkg.json" : "/etc/monai/pkg.json")) as Record<string, unknown>,
    text,
  };
}

/** Digests of the base layout's layers (to skip them when reading a MAP built on it). */
export async function layoutLayerDigests(dir: string): Promise<Set<string>> {
  const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const digests = new Set<string>();
  for (const m of index.manifests) {
    const manifest = JSON.parse(await readFile(blobPath(dir, m.digest), "utf8")) as { layers?: { digest: string }[]; manifests?: { digest: string }[] };
    for (const l of manifest.layers ?? []) digests.add(l.digest);
  }
  return digests;
}
