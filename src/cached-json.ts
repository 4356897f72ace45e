/**
 * A value computed once and kept as JSON in `file`, validated with zod when read back. The file is
 * an optimization only: missing, unreadable or malformed means recompute; failing to store it
 * costs the next caller a recompute, never an error.
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { z } from "zod";
import { writeFileAtomic } from "./atomic-file.js";

export async function cachedJson<T>(file: string | undefined, schema: z.ZodType<T>, compute: () => Promise<T>): Promise<T> {
  if (file) {
    const hit = await readFile(file, "utf8").then((t) => schema.safeParse(JSON.parse(t))).catch(() => undefined);
    if (hit?.success) return hit.data;
  }
  const value = await compute();
  if (file) {
    await mkdir(dirname(file), { recursive: true })
      .then(() => writeFileAtomic(file, JSON.stringify(value)))
      .catch(() => {});
  }
  return value;
}
