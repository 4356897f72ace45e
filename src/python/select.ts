/**
 * Choosing one wheel per project for the target, like pip's resolver: for each project the newest
 * version that satisfies every requirement on it (a satisfying copy in the base first, as pip's
 * only-if-needed strategy keeps it), across all sources; a choice whose dependencies conflict with
 * earlier ones is undone and the next version tried (depth-first backtracking, in pip's order of
 * preference: pinned first, then by depth, then as requested). Markers and Requires-Python are
 * evaluated for the target; pre-releases only when asked, written in a specifier, or the only match.
 * Constraints (pip's `-c` files and `constraint` setting) only narrow the versions of projects that
 * something requires; they never add a project.
 */
import { Resolver } from "./resolver.js";
import type { Requirement } from "./requirement.js";
import type { WheelSource } from "./sources.js";
import type { TargetEnv } from "./target.js";
import type { CoreMetadata } from "./wheel-metadata.js";

export interface SelectedWheel {
  name: string;
  version: string;
  filename: string;
  /** Local path of the verified wheel. */
  file: string;
  sha256: string;
  /** Its core metadata (license for the SBOM, Requires-Dist). */
  metadata: CoreMetadata;
  /** Where it came from (absolute path or URL without credentials), for lock files. */
  location?: string;
  /** Extras whose dependencies were included. */
  extras: string[];
  /** Origins of the requirements that pulled it in. */
  requestedBy: string[];
}

/** A distribution the base already has. */
export interface InstalledDist {
  version: string;
  /** Its Requires-Dist (checked like a wheel's). */
  requires?: readonly string[];
}

export interface SelectOptions {
  requirements: readonly Requirement[];
  constraints?: readonly Requirement[];
  /** Asked in order; listings are merged (first source wins for a duplicate filename). */
  sources: readonly WheelSource[];
  target: TargetEnv;
  /** Distributions already in the base (normalised name → dist): satisfying ones are kept. */
  installed?: ReadonlyMap<string, InstalledDist>;
  /** Allow pre-releases to satisfy ranges (`--pre`). */
  pre?: boolean;
  /** Give up after this many candidate tries (pip's resolver has a similar bound). Default 20000. */
  maxRounds?: number;
  /** sha256 (hex) of a local wheel; default: read and hash it. A stat-indexed digest spares re-reading unchanged wheels. */
  digestFile?: (path: string) => Promise<string>;
  /** Core metadata of wheels is kept here by wheel sha256, so unchanged wheels are not opened again. */
  factsCacheDir?: string;
}

export interface SelectResult {
  wheels: SelectedWheel[];
  /** Requirements satisfied by the base. */
  skipped: { name: string; version: string; requirement: string }[];
  /** Base distributions that do not satisfy a requirement and are shadowed by an installed wheel. */
  replaced: { name: string; baseVersion: string; requirement: string; version: string }[];
  warnings: string[];
}

export function selectWheels(opts: SelectOptions): Promise<SelectResult> {
  return new Resolver(opts).run();
}
