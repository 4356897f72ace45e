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
    if (isMapBuildError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EACCES" || code === "EROFS" || code === "EDQUOT") {
      throw new MapBuildError("E_OUTPUT", `cannot write ${target}: ${(e as Error).message}`, {
        hint: code === "ENOSPC" ? "free some disk space" : "check the permissions of the output directory",
        cause: e,
      });
    }
    throw e;
  }
}
