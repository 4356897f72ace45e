/**
 * Opening an input file that was planned earlier (issue 13 item 4). Between planning and reading,
 * the file may be swapped: a FIFO would block a libuv worker forever (and with it the exit on
 * SIGTERM), a symlink would pull in a file from outside the input. So: open without blocking and,
 * when asked, without following a final symlink; then fstat the open descriptor and require a
 * regular file, and the very file that was planned when its identity is known.
 */
import { constants } from "node:fs";
import { open, realpath, type FileHandle } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";

/** dev and ino as decimal strings (bigint stats, JSON-safe). */
export interface FileIdentity {
  dev: string;
  ino: string;
}

export interface OpenRegularOptions {
  /** Refuse a symlink as the last path component (the path was planned from lstat). */
  noFollow?: boolean;
  /** The file planning saw: anything else at the path is refused. */
  expect?: FileIdentity;
}

/** Why a path could not be read as the planned regular file; `cause` is the system error if any. */
export class InputFileError extends Error {
  constructor(readonly path: string, readonly reason: string, options?: { cause: unknown }) {
    super(`${path} ${reason}`, options);
    this.name = "InputFileError";
  }
}

export function identityOf(st: { dev: bigint | number; ino: bigint | number }): FileIdentity {
  return { dev: String(st.dev), ino: String(st.ino) };
}

function kindOf(st: import("node:fs").BigIntStats): string {
  if (st.isFIFO()) return "a fifo";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isDirectory()) return "a folder";
  return "not a regular file";
}

/**
 * The open file, or a InputFileError for a FIFO/device/socket/folder, a symlink (with
 * `noFollow`) or a different file than `expect`. System errors (ENOENT, EACCES) are thrown as they are.
 */
export async function openRegularFile(path: string, opts: OpenRegularOptions = {}): Promise<FileHandle> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0);
  let fh: FileHandle;
  try {
    fh = await open(path, flags);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP" && opts.noFollow) {
      throw new InputFileError(path, "became a symlink after it was read", { cause: e });
    }
    throw e;
  }
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) throw new InputFileError(path, `is ${kindOf(st)}`);
    if (opts.expect && (String(st.dev) !== opts.expect.dev || String(st.ino) !== opts.expect.ino)) {
      throw new InputFileError(path, "was replaced by another file after it was read");
    }
    return fh;
  } catch (e) {
    await fh.close().catch(() => {});
    throw e;
  }
}

/** A small regular file in memory; refused (InputFileError) when larger than `limit` bytes. */
export async function readRegularFile(path: string, limit: number, opts: OpenRegularOptions = {}): Promise<Buffer> {
  const fh = await openRegularFile(path, opts);
  try {
    const { size } = await fh.stat();
    if (size > limit) throw new InputFileError(path, `is ${size} bytes, more than ${limit}`);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/**
 * `path` resolved through symlinks when that lies inside `root` (also resolved), else undefined.
 * A path that does not exist yet is judged as written.
 */
export async function realPathInside(path: string, root: string): Promise<string | undefined> {
  const realRoot = await realpath(root).catch(() => resolve(root));
  const real = await realpath(path).catch(() => resolve(path));
  const rel = relative(realRoot, real);
  return rel === ".." || rel.startsWith("../") || isAbsolute(rel) ? undefined : real;
}
