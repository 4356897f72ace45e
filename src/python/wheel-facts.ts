/**
 * Facts read from a wheel (its core metadata, the libraries its extension modules need), kept in
 * `<dir>/<kind>/<sha256>.json`. A wheel's bytes never change under its digest, so a rebuild with
 * the same wheels answers from these files and does not open a wheel at all. A missing, unreadable
 * or malformed entry is a miss (recomputed), never an error.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { cachedJson } from "../cached-json.js";
import { sha256HexForPath } from "../digest.js";
import type { CoreMetadata } from "./wheel-metadata.js";

const factsFile = (dir: string, kind: string, wheel: { sha256: string; filename: string }) =>
  join(dir, kind, `${sha256HexForPath(wheel.sha256, wheel.filename, "E_PYTHON_DEPS")}.json`);

export function cachedForWheel<T>(dir: string | undefined, kind: string, wheel: { sha256: string; filename: string }, schema: z.ZodType<T>, compute: () => Promise<T>): Promise<T> {
  return cachedJson(dir ? factsFile(dir, kind, wheel) : undefined, schema, compute);
}

/** Drop a kept fact that turned out wrong (a metadata file the wheel contradicts), so the next run asks again. */
export async function forgetForWheel(dir: string | undefined, kind: string, wheel: { sha256: string; filename: string }): Promise<void> {
  if (dir) await rm(factsFile(dir, kind, wheel), { force: true });
}

export const CoreMetadataSchema: z.ZodType<CoreMetadata> = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  requiresDist: z.array(z.string()),
  requiresPython: z.string().optional(),
  license: z.object({
    expression: z.string().optional(),
    text: z.string().optional(),
    classifiers: z.array(z.string()),
    files: z.array(z.string()),
  }).optional(),
});
