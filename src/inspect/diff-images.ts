/**
 * `diff`: what differs between two images, as a person reviewing a rebuild wants it: manifest
 * values, Env, labels, the runtime config, and per layer which files were added, removed or
 * changed. Layers are paired by position; equal digests are not read, so two MAPs on one base
 * cost only their own layers.
 */
import type { Image, ImageConfig } from "../image/index.js";
import type { ProgressSink } from "../progress.js";
import { listLayerFiles, type TarFileInfo } from "../image/index.js";

export interface ValueChange {
  key: string;
  /** Absent when the key is only in the other image. */
  a?: unknown;
  b?: unknown;
}

export interface FileChange {
  path: string;
  change: "added" | "removed" | "modified";
  a?: FileFacts;
  b?: FileFacts;
}

export interface FileFacts {
  type: string;
  size: number;
  mode: number;
  sha256?: string;
  linkname?: string;
}

export interface LayerDiff {
  index: number;
  /** The history's created_by, which names map-build's layers (app, model, deps). */
  createdBy?: string;
  a?: string;
  b?: string;
  status: "same" | "changed" | "added" | "removed";
  files: FileChange[];
}

export interface ImageDiff {
  a: string;
  b: string;
  identical: boolean;
  manifests: ValueChange[];
  env: ValueChange[];
  labels: ValueChange[];
  config: ValueChange[];
  layers: LayerDiff[];
}

const MANIFEST_RE = /^\/etc\/(monai|holoscan)\/[^/]+\.json$/;

function compareMaps(a: Map<string, unknown>, b: Map<string, unknown>): ValueChange[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: ValueChange[] = [];
  for (const key of keys) {
    const [va, vb] = [a.get(key), b.get(key)];
    if (JSON.stringify(va) === JSON.stringify(vb)) continue;
    const change: ValueChange = { key };
    if (a.has(key)) change.a = va;
    if (b.has(key)) change.b = vb;
    out.push(change);
  }
  return out;
}

function envMap(config: ImageConfig): Map<string, unknown> {
  return new Map((config.config?.Env ?? []).map((e) => (e.includes("=") ? [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)] : [e, ""])));
}

/** `{"a": {"b": 1}}` → `a.b` = 1; arrays are compared whole. */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
  return out;
}

function facts(f: TarFileInfo): FileFacts {
  const out: FileFacts = { type: f.type, size: f.size, mode: f.mode };
  if (f.sha256) out.sha256 = f.sha256;
  if (f.linkname) out.linkname = f.linkname;
  return out;
}

function compareFiles(a: readonly TarFileInfo[], b: readonly TarFileInfo[]): FileChange[] {
  const ma = new Map(a.map((f) => [f.path, f]));
  const mb = new Map(b.map((f) => [f.path, f]));
  const out: FileChange[] = [];
  for (const path of [...new Set([...ma.keys(), ...mb.keys()])].sort()) {
    const [fa, fb] = [ma.get(path), mb.get(path)];
    if (fa && !fb) out.push({ path, change: "removed", a: facts(fa) });
    else if (!fa && fb) out.push({ path, change: "added", b: facts(fb) });
    else if (fa && fb && JSON.stringify(facts(fa)) !== JSON.stringify(facts(fb))) out.push({ path, change: "modified", a: facts(fa), b: facts(fb) });
  }
  return out;
}

function createdByPerLayer(config: ImageConfig, count: number): (string | undefined)[] {
  const h = (config.history ?? []).filter((x) => !x.empty_layer);
  return h.length === count ? h.map((x) => x.created_by) : [];
}

export interface DiffOptions {
  progress?: ProgressSink;
}

export async function diffImages(a: Image, b: Image, opts: DiffOptions = {}): Promise<ImageDiff> {
  const [ca, cb] = [await a.config(), await b.config()];
  const [la, lb] = [await a.layers(), await b.layers()];
  const [ha, hb] = [createdByPerLayer(ca, la.length), createdByPerLayer(cb, lb.length)];
  const manifestsA = new Map<string, unknown>();
  const manifestsB = new Map<string, unknown>();
  const layers: LayerDiff[] = [];
  const read = async (layer: (typeof la)[number], side: string, i: number, into: Map<string, unknown>) => {
    const listing = await listLayerFiles(layer, (p) => MANIFEST_RE.test(p), { hashFiles: true, id: `${side} layer ${i}`, progress: opts.progress });
    for (const [path, buf] of listing.contents) {
      try {
        for (const [k, v] of flatten(JSON.parse(buf.toString("utf8")), "", new Map())) into.set(`${path} ${k}`, v);
      } catch {
        into.set(path, buf.toString("utf8"));
      }
    }
    return listing.files;
  };
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    const [x, y] = [la[i], lb[i]];
    const entry: LayerDiff = { index: i, status: "same", files: [] };
    const createdBy = hb[i] ?? ha[i];
    if (createdBy) entry.createdBy = createdBy;
    if (x) entry.a = await x.digest();
    if (y) entry.b = await y.digest();
    if (x && y && entry.a === entry.b) {
      layers.push(entry);
      continue;
    }
    entry.status = !x ? "added" : !y ? "removed" : "changed";
    const fa = x ? await read(x, "a", i, manifestsA) : [];
    const fb = y ? await read(y, "b", i, manifestsB) : [];
    entry.files = compareFiles(fa, fb);
    layers.push(entry);
  }
  const runtime = (c: ImageConfig) =>
    new Map<string, unknown>([
      ["Entrypoint", c.config?.Entrypoint ?? null],
      ["Cmd", c.config?.Cmd ?? null],
      ["WorkingDir", c.config?.WorkingDir ?? ""],
      ["User", c.config?.User ?? ""],
      ["platform", [c.os, c.architecture, c.variant].filter(Boolean).join("/")],
    ]);
  const diff: ImageDiff = {
    a: await a.digest(),
    b: await b.digest(),
    identical: false,
    manifests: compareMaps(manifestsA, manifestsB),
    env: compareMaps(envMap(ca), envMap(cb)),
    labels: compareMaps(new Map(Object.entries(ca.config?.Labels ?? {})), new Map(Object.entries(cb.config?.Labels ?? {}))),
    config: compareMaps(runtime(ca), runtime(cb)),
    layers,
  };
  diff.identical = diff.a === diff.b;
  return diff;
}
