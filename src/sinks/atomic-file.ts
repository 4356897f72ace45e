/**
 * Write a file through a temp file in the same directory, renamed into place only on success, so
 * a failed or interrupted build never leaves a half-written output (jib's cache writer does the same).
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { MapBuildError, isMapBuildError } from "../errors.js";

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

export async function checkOutputFile(file: string): Promise<void> {
  const dir = dirname(resolve(file));
  const d = await stat(dir).catch(() => undefined);
  if (!d?.isDirectory()) {
    throw new MapBuildError("E_OUTPUT", `cannot write ${file}: directory ${dir} does not exist`, { hint: "create the directory first" });
  }
  const f = await stat(file).catch(() => undefined);
  if (f?.isDirectory()) throw new MapBuildError("E_OUTPUT", `cannot write ${file}: it is a directory`, { hint: "give a file name" });
}

/** `write` fills the stream and resolves once it has finished; the temp file is removed on any failure. */
export async function writeFileAtomic(target: string, write: (out: WriteStream) => Promise<void>): Promise<void> {
  await checkOutputFile(target);
  const tmp = tempPathFor(target);
  const out = createWriteStream(tmp, { flags: "wx", mode: 0o644 });
  try {
    await write(out);
    if (!out.closed) await new Promise<void>((res, rej) => (out.closed ? res() : out.once("close", () => res()).once("error", rej)));
    await rename(tmp, target);
  } catch (e) {
    out.destroy();
    await rm(tmp, { force: true });
    throw asOutputError(target, e);
  }
}

/** The errno code of `e` or of a cause it wraps (stream errors arrive wrapped as E_INTERNAL). */
function errnoOf(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

const OUTPUT_ERRNOS = new Set(["ENOSPC", "EDQUOT", "EFBIG", "EACCES", "EPERM", "EROFS", "EIO"]);

/**
 * A failure while writing `target`: file-system errors (disk full, read-only, permissions) become
 * E_OUTPUT naming the target; MapBuildErrors other than E_INTERNAL and anything else pass through.
 */
export function asOutputError(target: string, e: unknown): unknown {
  if (isMapBuildError(e) && e.code !== "E_INTERNAL") return e;
  const code = errnoOf(e);
  if (code === undefined || !OUTPUT_ERRNOS.has(code)) return e;
  const why = code === "ENOSPC" || code === "EDQUOT" ? "no space left on device" : code === "EFBIG" ? "file too large for the file system" : code === "EIO" ? "I/O error" : "permission denied";
  return new MapBuildError("E_OUTPUT", `cannot write ${target}: ${why} (${code})`, {
    hint: code === "ENOSPC" || code === "EDQUOT" ? "free some disk space or write the output to another file system" : code === "EIO" ? "check the disk" : "check the permissions of the output directory",
    cause: e,
  });
}
