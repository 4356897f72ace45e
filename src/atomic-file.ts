/**
 * The one atomic file writer: write next to the target (same directory, so same filesystem), then
 * rename. rename(2) is atomic on POSIX filesystems, so a reader (another build sharing the cache, a
 * user loading a tarball) sees the old file or the new one, never half of one, and a failed or
 * interrupted write leaves nothing behind. jib's cache writer and umoci's store do the same.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** A unique sibling temp name; the leading dot keeps it out of listings of finished files. */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/** What to write: bytes, a stream to copy, or a function that fills the file's stream and resolves once it is done. */
export type AtomicContent = string | Uint8Array | Readable | ((out: WriteStream) => Promise<void>);

/** Write `content` to `path` through a sibling temp file and a rename (replaces an existing file). */
export async function writeFileAtomic(path: string, content: AtomicContent): Promise<void> {
  const tmp = tempSibling(path);
  const out = createWriteStream(tmp, { flags: "wx", mode: 0o644 });
  try {
    if (typeof content === "function") {
      await content(out);
      if (!out.closed) await new Promise<void>((res, rej) => out.once("close", () => res()).once("error", rej));
    } else {
      await pipeline(typeof content === "string" || content instanceof Uint8Array ? Readable.from([content]) : content, out);
    }
    await rename(tmp, path);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}
