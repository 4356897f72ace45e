/**
 * Results computed from a base's layers (a scan of its files), kept in `cacheDir/<kind>/` under the
 * sha256 of its layer digests: the same base is read once per machine, not once per build.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { z } from "zod";
import { cachedJson } from "../cached-json.js";
import type { Image } from "../image/index.js";

export async function cachedByLayers<T>(image: Image, cacheDir: string | undefined, kind: string, schema: z.ZodType<T>, compute: () => Promise<T>): Promise<T> {
  const digests = await Promise.all((await image.layers()).map((l) => l.digest()));
  const key = createHash("sha256").update(JSON.stringify(digests)).digest("hex");
  return cachedJson(cacheDir ? join(cacheDir, kind, `${key}.json`) : undefined, schema, compute);
}
