/**
 * Walk host paths into layer entries with normalised metadata, so the layer depends on content
 * only: not on umask, host owners or mtimes. Nothing is read here except directory listings and
 * metadata; file contents are read when the layer is written (sizes are checked again then).
 *
 * Names: directory listings are read as raw bytes. Names that are not valid UTF-8 are refused
 * (E_LAYER_INPUT): the pax `path` record is UTF-8 by definition and the `hdrcharset=BINARY`
 * escape hatch is not honoured by all image tools. Any valid UTF-8 name is kept, newlines and
 * other control characters included: the tar writer stores it in a length-prefixed pax record.
 */
import { lstat, readdir, readlink, realpath, stat } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import { MapBuildError } from "../errors.js";
import { InputFileError, identityOf, openRegularFile } from "../open-regular.js";
import { runBounded } from "../run-bounded.js";
import type { FileEntry, HardlinkEntry, LayerEntry } from "./entry.js";
import { DEFAULT_OMIT_PARENT_DIRS } from "./normalize-entries.js";

export interface DiskMapping {
  /** Host path: a file (one entry at `target`) or a directory (its contents under `target`). */
  source: string;
  /** Absolute image path. */
  target: string;
}

export interface PlanOptions {
  /** Return true to leave a path out; `relPath` is POSIX, relative to the mapping's source. A skipped directory is not entered. */
  ignore?: (relPath: string, isDir: boolean) => boolean;
  /** Owner of every entry; default 0. */
  uid?: number;
  gid?: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** lstat/open calls in flight per directory: enough to hide syscall latency, few file handles. */
const STAT_CONCURRENCY = 32;

type Child =
  | { kind: "skip" }
  | { kind: "dir"; hostPath: string; childRel: string; imagePath: string }
  | { kind: "file"; hostPath: string; imagePath: string; st: BigIntStats }
  | { kind: "symlink"; imagePath: string; linkTarget: string };

export async function planFromDisk(mappings: readonly DiskMapping[], opts: PlanOptions = {}): Promise<LayerEntry[]> {
  const ids = { uid: opts.uid ?? 0, gid: opts.gid ?? 0 };
  const out: LayerEntry[] = [];
  /** dev:ino → files sharing it, to turn repeats into hardlinks. */
  const inodes = new Map<string, FileEntry[]>();

  const addFile = (hostPath: string, target: string, st: BigIntStats): void => {
    const entry: FileEntry = { type: "file", path: target, mode: fileMode(st), ...ids, size: Number(st.size), source: { kind: "file", path: hostPath, identity: identityOf(st) } };
    out.push(entry);
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const group = inodes.get(key);
      if (group) group.push(entry);
      else inodes.set(key, [entry]);
    }
  };

  for (const m of mappings) {
    const target = normalizeTarget(m.target);
    // The mapping's own source is followed if it is a symlink: the user named it explicitly.
    const st = await stat(m.source, { bigint: true }).catch((err: unknown) => {
      throw inputError(`cannot read ${m.source}: ${(err as Error).message}`, "check that the path exists and is readable", err);
    });
    if (st.isFile()) {
      // read through its real path, so the file is later opened without following a symlink
      const hostPath = await realpath(m.source);
      await checkReadable(hostPath, st);
      addFile(hostPath, target, st);
      continue;
    }
    if (!st.isDirectory()) throw specialFile(m.source, st);

    // The target folder itself carries the chosen owner; base-owned folders keep their metadata.
    if (!DEFAULT_OMIT_PARENT_DIRS.includes(target)) out.push({ type: "dir", path: target, mode: 0o755, ...ids });
    const root = await realpath(m.source);

    const walk = async (hostDir: string, rel: string, imageDir: string): Promise<void> => {
      let names: Buffer[];
      try {
        names = await readdir(hostDir, { encoding: "buffer" });
      } catch (err) {
        throw inputError(`cannot list ${hostDir}: ${(err as Error).message}`, `make ${hostDir} readable (chmod a+rx) or exclude it`, err);
      }
      names.sort(Buffer.compare);
      // Metadata of one directory's children is read concurrently (a site-packages tree has tens
      // of thousands of files); results are used in name order so the first error is stable.
      const children = await runBounded(names, (raw) => classifyChild(raw, { hostDir, rel, imageDir, root }, opts), { limit: STAT_CONCURRENCY });
      for (const c of children) {
        if (c.kind === "dir") {
          out.push({ type: "dir", path: c.imagePath, mode: 0o755, ...ids });
          await walk(c.hostPath, c.childRel, c.imagePath);
        } else if (c.kind === "file") {
          addFile(c.hostPath, c.imagePath, c.st);
        } else if (c.kind === "symlink") {
          out.push({ type: "symlink", path: c.imagePath, mode: 0o777, ...ids, target: c.linkTarget });
        }
      }
    };
    await walk(m.source, "", target);
  }

  return withHardlinks(out, inodes);
}

/** One directory entry: what it becomes in the layer (or skip), after the checks every input passes. */
async function classifyChild(raw: Buffer, at: { hostDir: string; rel: string; imageDir: string; root: string }, opts: PlanOptions): Promise<Child> {
  const { hostDir, rel, imageDir, root } = at;
  let name: string;
  try {
    name = utf8.decode(raw);
  } catch {
    const shown = join(hostDir, raw.toString("latin1"));
    throw inputError(`file name is not valid UTF-8: ${JSON.stringify(shown)}`, "rename the file to a UTF-8 name (e.g. with convmv) or exclude it");
  }
  const hostPath = join(hostDir, name);
  const childRel = rel === "" ? name : `${rel}/${name}`;
  const imagePath = imageDir === "/" ? `/${name}` : `${imageDir}/${name}`;
  const cst = await lstat(hostPath, { bigint: true }).catch((err: unknown) => {
    throw inputError(`cannot read ${hostPath}: ${(err as Error).message}`, "check that the input is not being changed during the build", err);
  });
  if (opts.ignore?.(childRel, cst.isDirectory())) return { kind: "skip" };
  if (cst.isDirectory()) return { kind: "dir", hostPath, childRel, imagePath };
  if (cst.isFile()) {
    await checkReadable(hostPath, cst);
    return { kind: "file", hostPath, imagePath, st: cst };
  }
  if (cst.isSymbolicLink()) {
    const linkTarget = await readlink(hostPath);
    await checkSymlink(hostPath, childRel, linkTarget, root);
    return { kind: "symlink", imagePath, linkTarget };
  }
  throw specialFile(hostPath, cst);
}

/**
 * Same dev+ino seen more than once: the first path in byte order stays a file, the others
 * become hardlinks to it (the layer writer sorts the same way, so the file comes first).
 */
function withHardlinks(out: LayerEntry[], inodes: Map<string, FileEntry[]>): LayerEntry[] {
  const replace = new Map<FileEntry, HardlinkEntry>();
  for (const group of inodes.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    const first = group[0]!;
    for (const e of group.slice(1)) {
      replace.set(e, { type: "hardlink", path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, target: first.path });
    }
  }
  return out.map((e) => (e.type === "file" ? (replace.get(e) ?? e) : e));
}

/** 0755 when any execute bit is set on the host, else 0644: independent of umask and owner. */
function fileMode(st: BigIntStats): number {
  return (Number(st.mode) & 0o111) !== 0 ? 0o755 : 0o644;
}

function normalizeTarget(t: string): string {
  const n = posix.normalize(t);
  if (!n.startsWith("/") || n.includes("\u0000")) {
    throw new MapBuildError("E_LAYER_INPUT", `image path ${JSON.stringify(t)} is not absolute`, {
      hint: "give image paths as absolute POSIX paths, e.g. /opt/monai/app",
    });
  }
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

/**
 * Kept only when the link stays inside the mapping's source root, both by its text (relative,
 * no climbing out with `..`) and, when it resolves on the host, by its real path (a chain through
 * another link could leave). Absolute targets are refused: they would point at a different place
 * once the folder is mapped to another path in the image.
 */
async function checkSymlink(hostPath: string, rel: string, linkTarget: string, root: string): Promise<void> {
  const hint = "make the link relative and pointing inside the mapped folder, copy its target in instead, or exclude it";
  if (posix.isAbsolute(linkTarget)) {
    throw inputError(`symlink ${hostPath} -> ${linkTarget} is absolute`, hint);
  }
  const lexical = posix.normalize(posix.join(posix.dirname(rel), linkTarget));
  if (lexical === ".." || lexical.startsWith("../")) {
    throw inputError(`symlink ${hostPath} -> ${linkTarget} points outside ${root}`, hint);
  }
  let real: string;
  try {
    real = await realpath(hostPath);
  } catch {
    return; // dangling inside the tree: kept as is, as `cp -a` and docker do
  }
  const r = relative(root, real);
  if (r === ".." || r.startsWith(`..${sep}`) || posix.isAbsolute(r)) {
    throw inputError(`symlink ${hostPath} -> ${linkTarget} resolves to ${real}, outside ${root}`, hint);
  }
}

/** Open and close: catches EACCES at plan time instead of halfway through a layer. */
async function checkReadable(hostPath: string, st: BigIntStats): Promise<void> {
  try {
    const fh = await openRegularFile(hostPath, { noFollow: true, expect: identityOf(st) });
    await fh.close();
  } catch (err) {
    if (err instanceof InputFileError) throw inputError(err.message, "do not change the input files during the build, then run it again", err);
    throw inputError(`cannot read ${hostPath}: ${(err as Error).message}`, `make it readable by this user (chmod a+r ${hostPath}) or exclude it`, err);
  }
}

function specialFile(hostPath: string, st: BigIntStats): MapBuildError {
  const kind = st.isFIFO() ? "a fifo" : st.isSocket() ? "a socket" : st.isCharacterDevice() ? "a character device" : st.isBlockDevice() ? "a block device" : "a special file";
  return inputError(`${hostPath} is ${kind}, which cannot go into an image layer`, "remove it from the input folder or exclude it");
}

function inputError(message: string, hint: string, cause?: unknown): MapBuildError {
  return new MapBuildError("E_LAYER_INPUT", message, { hint, cause });
}
