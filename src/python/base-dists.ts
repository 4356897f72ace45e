/**
 * The distributions a base image's Python already has, as pip sees them: `*.dist-info/METADATA`
 * and `*.egg-info` (a file, or a folder with PKG-INFO and requires.txt) in the site directories of
 * the interpreter the MAP runs, user site first (sys.path order: the first copy of a name wins).
 * Pure functions over file paths and contents; reading the layers is the caller's job.
 */
import { normalizeName } from "./names.js";
import { parseHeaders } from "./wheel-metadata.js";

export interface BaseDist {
  /** Normalised name. */
  name: string;
  version: string;
  /** Requires-Dist lines (markers kept, extras as `extra == "x"` markers). */
  requires: string[];
  /** The site directory it lives in. */
  location: string;
}

const SITE = /^(\/(?:usr|usr\/local|opt\/conda|root\/\.local)\/lib\/python3(?:\.\d+)?\/(?:site|dist)-packages)\/([^/]+)$/;
const META = /^(\/(?:usr|usr\/local|opt\/conda|root\/\.local)\/lib\/python3(?:\.\d+)?\/(?:site|dist)-packages)\/([^/]+\.(?:dist-info|egg-info))\/(METADATA|PKG-INFO|requires\.txt)$/;

/** Files whose contents the scan needs (metadata of distributions in any candidate site directory). */
export function isDistMetadataFile(path: string): boolean {
  if (META.test(path)) return true;
  const m = SITE.exec(path);
  return Boolean(m && m[2]!.endsWith(".egg-info"));
}

/** Interpreter binaries, in the order the image's PATH usually finds them. */
const PY_BIN = /^\/(opt\/conda\/bin|usr\/local\/bin|usr\/bin|bin)\/python(3\.\d+)$/;
const BIN_ORDER = ["opt/conda/bin", "usr/local/bin", "usr/bin", "bin"];

export function isPythonBinary(path: string): boolean {
  return PY_BIN.test(path);
}

/** The interpreter `python3` most likely means: conda first, then /usr/local, then the system one. */
export function pickInterpreter(paths: Iterable<string>): { path: string; version: string } | undefined {
  const found = [...paths].map((p) => PY_BIN.exec(p)).filter((m): m is RegExpExecArray => m !== null);
  found.sort((a, b) => BIN_ORDER.indexOf(a[1]!) - BIN_ORDER.indexOf(b[1]!) || compareMinor(b[2]!, a[2]!));
  const best = found[0];
  return best ? { path: best[0], version: best[2]! } : undefined;
}

function compareMinor(a: string, b: string): number {
  return Number(a.split(".")[1]) - Number(b.split(".")[1]);
}

/** sys.path's site directories for an interpreter at `bin` (python3.X), user site first. */
export function siteDirsFor(bin: string, pyXY: string): string[] {
  const user = `/root/.local/lib/python${pyXY}/site-packages`;
  if (bin.startsWith("/opt/conda/")) return [user, `/opt/conda/lib/python${pyXY}/site-packages`];
  if (bin.startsWith("/usr/local/")) return [user, `/usr/local/lib/python${pyXY}/site-packages`];
  // Debian/Ubuntu's system python: /usr/local/…/dist-packages (pip), then /usr/lib/python3/dist-packages (apt)
  return [user, `/usr/local/lib/python${pyXY}/dist-packages`, "/usr/lib/python3/dist-packages",
    `/usr/lib/python${pyXY}/dist-packages`, `/usr/lib/python${pyXY}/site-packages`, `/usr/local/lib/python${pyXY}/site-packages`];
}

/** `[extra:marker]` sections of an egg-info requires.txt as Requires-Dist lines. */
export function eggRequires(text: string): string[] {
  const out: string[] = [];
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const s = /^\[(.*)\]$/.exec(line);
    if (s) { section = s[1]!.trim(); continue; }
    const [extra, marker] = section.includes(":") ? [section.slice(0, section.indexOf(":")), section.slice(section.indexOf(":") + 1)] : [section, ""];
    const parts = [marker.trim() ? `(${marker.trim()})` : "", extra.trim() ? `extra == "${extra.trim()}"` : ""].filter(Boolean);
    out.push(parts.length ? `${line} ; ${parts.join(" and ")}` : line);
  }
  return out;
}

/** Only the header block of METADATA/PKG-INFO is kept (the long description can be large). */
export function headerBlock(text: string): string {
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end + 1);
}

/**
 * Distributions from the metadata files present in the merged filesystem (`files`: path →
 * content), restricted to `siteDirs` in that order; the first copy of a name wins, as in Python.
 */
export function baseDistributions(files: ReadonlyMap<string, string>, siteDirs: readonly string[]): Map<string, BaseDist> {
  const bySite = new Map<string, Map<string, { meta?: string; requires?: string; version?: string }>>();
  for (const [path, text] of files) {
    let site: string, dir: string, file: string;
    const m = META.exec(path);
    if (m) [site, dir, file] = [m[1]!, m[2]!, m[3]!];
    else {
      const s = SITE.exec(path);
      if (!s || !s[2]!.endsWith(".egg-info")) continue;
      [site, dir, file] = [s[1]!, s[2]!, "PKG-INFO"];
    }
    const dists = bySite.get(site) ?? bySite.set(site, new Map()).get(site)!;
    const d = dists.get(dir) ?? dists.set(dir, {}).get(dir)!;
    if (file === "requires.txt") d.requires = text;
    else d.meta = text;
  }
  const out = new Map<string, BaseDist>();
  for (const site of siteDirs) {
    for (const [dir, d] of [...(bySite.get(site) ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const dist = fromMetadata(dir, d.meta ?? "", d.requires, site);
      if (dist && !out.has(dist.name)) out.set(dist.name, dist);
    }
  }
  return out;
}

function fromMetadata(dir: string, meta: string, requiresTxt: string | undefined, location: string): BaseDist | undefined {
  const h = parseHeaders(meta);
  const one = (k: string) => h.find(([n]) => n === k)?.[1];
  // the folder name (`name-version[-pyX.Y].{dist,egg}-info`) when the metadata file is missing
  const stem = /^([^-]+)-([^-]+?)(?:-py\d(?:\.\d+)?)?\.(?:dist|egg)-info$/.exec(dir);
  const name = one("name") ?? stem?.[1];
  const version = one("version") ?? stem?.[2];
  if (!name || !version) return undefined;
  const requires = dir.endsWith(".egg-info")
    ? eggRequires(requiresTxt ?? "")
    : h.filter(([n]) => n === "requires-dist").map(([, v]) => v);
  return { name: normalizeName(name), version, requires, location };
}
