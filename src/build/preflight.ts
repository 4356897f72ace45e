/**
 * Checks that fail a build before any work is done (or before layers are written), so a typo in an
 * output path or a base for the wrong platform costs seconds, not a full build.
 */
import { stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { MapBuildError } from "../errors.js";
import { formatPlatform, type PlatformSpec } from "../image/index.js";
import type { ImageConfig } from "../image/schemas.js";
import type { PackageOutputs } from "./options.js";

async function kindOf(path: string): Promise<"file" | "dir" | "other" | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  return st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
}

async function parentMustExist(flag: string, path: string): Promise<void> {
  const parent = dirname(resolve(path));
  if ((await kindOf(parent)) !== "dir") {
    // --tarball and --oci-layout alike: a missing folder is more often a typo than a wish
    throw new MapBuildError("E_OUTPUT", `${flag} ${path}: folder ${parent} does not exist`, {
      hint: `create it first (mkdir -p ${parent}) or pass a path in an existing folder`,
    });
  }
}

/** --tarball FILE and --oci-layout DIR: the folder exists and the path is of the right kind. */
export async function preflightOutputs(o: PackageOutputs): Promise<void> {
  if (o.tarball) {
    await parentMustExist("--tarball", o.tarball);
    const k = await kindOf(o.tarball);
    if (k === "dir" || k === "other") {
      throw new MapBuildError("E_OUTPUT", `--tarball ${o.tarball} is ${k === "dir" ? "a directory" : "not a regular file"}`, {
        hint: "pass a file name for the tarball, e.g. --tarball my_app.tar",
      });
    }
  }
  if (o.ociLayout) {
    await parentMustExist("--oci-layout", o.ociLayout);
    const k = await kindOf(o.ociLayout);
    if (k === "file" || k === "other") {
      throw new MapBuildError("E_OUTPUT", `--oci-layout ${o.ociLayout} exists and is not a directory`, {
        hint: "pass a new or existing OCI layout folder",
      });
    }
  }
}

/**
 * A single-platform base (no index to choose from) must still be for the platform asked for with
 * --platform. Without --platform any base is accepted: MAPs are routinely built on one machine
 * kind for another, and nothing from the base runs here.
 */
export function checkBasePlatform(config: ImageConfig, want: PlatformSpec, baseLabel: string): void {
  const os = config.os;
  const architecture = config.architecture;
  if (!os || !architecture) return; // nothing to compare (non-conforming but harmless)
  const have: PlatformSpec = config.variant ? { os, architecture, variant: config.variant } : { os, architecture };
  const variantOk = !want.variant || !have.variant || want.variant === have.variant;
  if (have.os !== want.os || have.architecture !== want.architecture || !variantOk) {
    throw new MapBuildError("E_PLATFORM_NOT_FOUND", `base ${baseLabel} is for ${formatPlatform(have)} only, not ${formatPlatform(want)}`, {
      hint: `drop --platform to build for ${formatPlatform(have)}, or use a base image built for ${formatPlatform(want)}`,
    });
  }
}
