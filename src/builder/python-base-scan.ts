/**
 * One pass over the base's layers for what the Python step needs: interpreter binaries, the
 * metadata files of installed distributions (headers only) and the shared libraries in the usual
 * library directories. Whiteouts and opaque directories are honoured (merged-files.ts), only the
 * wanted files are captured, and the result is cached by the base's layer digests. A part of the
 * build's one base scan (base-scan.ts).
 */
import { posix } from "node:path";
import { z } from "zod";
import type { MergedFiles } from "../image/index.js";
import { headerBlock, isDistMetadataFile, isPythonBinary } from "../python/index.js";
import type { BaseScanPart } from "./base-scan.js";

export interface BaseScan {
  /** Python interpreter binaries (`/usr/bin/python3.11`, …). */
  bins: string[];
  /** Metadata file path → its text (header block for METADATA/PKG-INFO). */
  metadata: Record<string, string>;
  /** File names of shared libraries in the base's library directories. */
  libs: string[];
}

const ScanSchema = z.object({ v: z.literal(1), bins: z.array(z.string()), metadata: z.record(z.string(), z.string()), libs: z.array(z.string()) });

const LIB_DIR = /^\/(?:usr\/)?(?:local\/)?lib(?:64|32)?(?:\/[a-z0-9_]+-linux-gnu[a-z]*)?\/[^/]+\.so(?:\.[0-9.]+)?$|^\/opt\/conda\/lib\/[^/]+\.so(?:\.[0-9.]+)?$|^\/usr\/local\/cuda[^/]*\/(?:lib64|targets\/[^/]+\/lib)\/[^/]+\.so(?:\.[0-9.]+)?$/;

function relevant(path: string): boolean {
  return isDistMetadataFile(path) || isPythonBinary(path) || LIB_DIR.test(path);
}

function fromMerged(merged: MergedFiles): BaseScan {
  const present = merged.files;
  const contents = new Map<string, string>();
  for (const [path, buf] of merged.contents) {
    const text = buf.toString("utf8");
    contents.set(path, path.endsWith("requires.txt") ? text : headerBlock(text));
  }
  const bins: string[] = [], libs = new Set<string>();
  for (const [path, f] of present) {
    if (f.type === "dir") continue;
    if (isPythonBinary(path)) bins.push(path);
    else if (LIB_DIR.test(path)) libs.add(posix.basename(path));
  }
  const metadata: Record<string, string> = {};
  for (const p of [...contents.keys()].sort()) metadata[p] = contents.get(p)!;
  return { bins: bins.sort(), metadata, libs: [...libs].sort() };
}

/** The Python part of a base scan, cached in `cacheDir/python-base/`. */
export const PYTHON_BASE_SCAN: BaseScanPart<BaseScan & { v: 1 }> = {
  kind: "python-base",
  schema: ScanSchema,
  relevant,
  capture: isDistMetadataFile,
  derive: (merged) => ({ v: 1, ...fromMerged(merged) }),
};
