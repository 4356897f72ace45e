/**
 * One pass over a base's layers for every part of a build that reads the base's files (a MAP 1.0's
 * run-as user needs the account files, the Python step the interpreters, installed distributions
 * and libraries). Reading a base means downloading and gunzipping every layer, so a build does it
 * once: each part's result is cached by the base's layer digests under its own kind, and the first
 * part that misses its cache computes every part of the scanner in one readMergedFiles pass.
 */
import type { z } from "zod";
import { MapBuildError } from "../errors.js";
import { readMergedFiles, type Image, type MergedFiles } from "../image/index.js";
import { cachedByLayers } from "./layer-keyed-cache.js";

export interface BaseScanPart<T> {
  /** The cache folder of this part's results (`cacheDir/<kind>/`). */
  kind: string;
  schema: z.ZodType<T>;
  /** Paths whose metadata the part needs. */
  relevant(path: string): boolean;
  /** Paths whose contents the part needs (relevant ones). */
  capture(path: string): boolean;
  /** The part's result from the merged view of its own paths. */
  derive(merged: MergedFiles): T;
}

export class BaseScanner {
  readonly #image: Image;
  readonly #cacheDir: string | undefined;
  readonly #parts: readonly BaseScanPart<unknown>[];
  #pass: Promise<Map<BaseScanPart<unknown>, unknown>> | undefined;

  /** `parts`: everything this build will ask for, so that one pass serves them all. */
  constructor(image: Image, cacheDir: string | undefined, parts: readonly BaseScanPart<unknown>[]) {
    this.#image = image;
    this.#cacheDir = cacheDir;
    this.#parts = parts;
  }

  /** One part's result, from its cache or the shared pass. */
  get<T>(part: BaseScanPart<T>): Promise<T> {
    if (!this.#parts.includes(part as BaseScanPart<unknown>)) throw new MapBuildError("E_INTERNAL", `base scan part ${part.kind} was not announced`);
    return cachedByLayers(this.#image, this.#cacheDir, part.kind, part.schema, async () => (await this.#scan()).get(part as BaseScanPart<unknown>) as T);
  }

  #scan(): Promise<Map<BaseScanPart<unknown>, unknown>> {
    this.#pass ??= (async () => {
      const parts = this.#parts;
      const merged = await readMergedFiles(this.#image, (p) => parts.some((x) => x.relevant(p)), (p) => parts.some((x) => x.capture(p)));
      // derived at once: the merged view (every part's paths) is not kept for a later get()
      return new Map(parts.map((part) => [part, part.derive(restrict(merged, part))]));
    })();
    return this.#pass;
  }
}

/** The merged view as a scan of `part` alone would have seen it. */
function restrict(merged: MergedFiles, part: BaseScanPart<unknown>): MergedFiles {
  return {
    files: new Map([...merged.files].filter(([p]) => part.relevant(p))),
    contents: new Map([...merged.contents].filter(([p]) => part.capture(p))),
  };
}
