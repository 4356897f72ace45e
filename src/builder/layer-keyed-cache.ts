/**
 * Results computed from a base's layers (a scan of its files), kept in `cacheDir/<kind>/` under the
 * sha256 of its layer digests: the same base is read once per machine, not once per build.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import type { z } from "zod";
import { writeFileAtomic } from "../atomic-file.js";
import type { Image } from "../image/index.js";

export async function cachedByLayers<T>(image: Image, cacheDir: string | undefined, kind: string, schema: z.ZodType<T>, compute: () => Promise<T>): Promise<T> {
  const digests = await Promise.all((await image.layers()).map((l) => l.digest()));
  const key = createHash("sha256").update(JSON.stringify(digests)).digest("hex");
  const file = cacheDir ? join(cacheDir, kind, `${key}.json`) : undefined;
  if (file) {
    const hit = await readFile(file, "utf8").then((t) => schema.safeParse(JSON.parse(t))).catch(() => undefined);
    if (hit?.success) return hit.data;
  }
  const value = await compute();
  if (file) {
    await mkdir(posix.dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify(value));
  }
  return value;
}
