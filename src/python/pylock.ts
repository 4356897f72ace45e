/**
 * PEP 751 `pylock.toml`: a lock lists every package with its exact version, marker and wheel files
 * (url or path, size, hashes), so no resolution is needed: evaluate markers, pick a compatible wheel.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse as parseToml, stringify as toToml } from "smol-toml";
import { sha256HexForPath } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { parseMarker } from "./markers.js";
import { normalizeName } from "./names.js";
import type { Requirement } from "./requirement.js";

export interface LockedWheel {
  /** Wheel filename (from `name`, else the last segment of url/path). */
  filename: string;
  url?: string;
  /** Absolute local path (relative paths resolve against the lock file's directory). */
  path?: string;
  size?: number;
  sha256: string;
}

export interface LockedPackage {
  name: string;
  version: string;
  marker?: string;
  /** Index URL the wheels came from, if recorded. */
  index?: string;
  wheels: LockedWheel[];
  /** True when the package has only an sdist/vcs/directory/archive source (refused later with a message). */
  sourceOnly: boolean;
}

function fail(origin: string, message: string): never {
  throw new MapBuildError("E_PYTHON_DEPS", `${origin}: ${message}`, {
    hint: "regenerate the lock with a PEP 751 tool (e.g. pip lock, uv export --format pylock.toml)",
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parse pylock.toml text. `baseDir` resolves relative wheel paths. */
export function parsePylock(text: string, origin: string, baseDir: string): LockedPackage[] {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    fail(origin, `not valid TOML: ${(e as Error).message.split("\n")[0]}`);
  }
  const lv = doc["lock-version"];
  if (typeof lv !== "string" || !/^1(\.\d+)?$/.test(lv)) fail(origin, `unsupported lock-version ${JSON.stringify(lv)} (need 1.x)`);
  const pkgs = doc["packages"];
  if (!Array.isArray(pkgs)) fail(origin, "no [[packages]] array");
  return pkgs.map((p, i): LockedPackage => {
    const where = `${origin}: packages[${i}]`;
    if (!isObj(p) || typeof p["name"] !== "string") fail(where, "missing name");
    const name = p["name"];
    const version = p["version"];
    if (typeof version !== "string") fail(`${where} (${name})`, "missing version; map-build installs exact versions only");
    const marker = typeof p["marker"] === "string" ? p["marker"] : undefined;
    if (marker) parseMarker(marker);
    const wheelsRaw = Array.isArray(p["wheels"]) ? p["wheels"] : [];
    const wheels = wheelsRaw.map((w, j): LockedWheel => {
      const ww = `${where} (${name}) wheels[${j}]`;
      if (!isObj(w)) fail(ww, "not a table");
      const url = typeof w["url"] === "string" ? w["url"] : undefined;
      const rawPath = typeof w["path"] === "string" ? w["path"] : undefined;
      if (!url && !rawPath) fail(ww, "has neither url nor path");
      const hashes = w["hashes"];
      const sha256 = isObj(hashes) && typeof hashes["sha256"] === "string" ? hashes["sha256"].toLowerCase() : undefined;
      if (!sha256) fail(ww, "has no sha256 hash");
      sha256HexForPath(sha256, ww, "E_PYTHON_DEPS");
      const filename = typeof w["name"] === "string" ? w["name"] : decodeURIComponent((url ?? rawPath)!.split(/[?#]/)[0]!.split("/").pop()!);
      const lw: LockedWheel = { filename, sha256 };
      if (url) lw.url = url;
      if (rawPath) lw.path = resolve(baseDir, rawPath);
      if (typeof w["size"] === "number" || typeof w["size"] === "bigint") lw.size = Number(w["size"]);
      return lw;
    });
    const lp: LockedPackage = { name: normalizeName(name), version, wheels, sourceOnly: wheels.length === 0 };
    if (marker) lp.marker = marker;
    if (typeof p["index"] === "string") lp.index = p["index"];
    return lp;
  });
}

export async function readPylock(path: string): Promise<LockedPackage[]> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, "utf8");
  } catch (e) {
    throw new MapBuildError("E_PYTHON_DEPS", `cannot read lock file ${abs}: ${(e as Error).message}`, { cause: e, hint: "check the pylock.toml path" });
  }
  return parsePylock(text, abs, dirname(abs));
}

/** Each locked package as a pinned, hash-checked requirement (hashes: every wheel the lock lists). */
export function pylockRequirements(pkgs: readonly LockedPackage[], origin = "pylock.toml"): Requirement[] {
  return pkgs.map((p) => {
    const r: Requirement = {
      name: p.name, displayName: p.name, extras: [], specifier: `==${p.version}`,
      hashes: p.wheels.map((w) => w.sha256), origin: `${origin} (${p.name})`,
    };
    if (p.marker) r.marker = p.marker;
    return r;
  });
}

/** One installed wheel as a lock records it. */
export interface LockEntry {
  name: string;
  version: string;
  filename: string;
  sha256: string;
  /** URL (no credentials) or absolute path. */
  location?: string;
}

/** PEP 751 text for a resolved set (sorted by name: the same set always gives the same bytes). */
export function formatPylock(entries: readonly LockEntry[]): string {
  const packages = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => {
    const isUrl = e.location !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(e.location);
    const wheel: Record<string, unknown> = { name: e.filename };
    if (e.location !== undefined) wheel[isUrl ? "url" : "path"] = e.location;
    wheel["hashes"] = { sha256: e.sha256 };
    return { name: e.name, version: e.version, wheels: [wheel] };
  });
  return `${toToml({ "lock-version": "1.0", "created-by": "map-build", packages })}\n`;
}
