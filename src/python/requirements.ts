/**
 * requirements.txt as pip reads it, restricted to what a host-side installer can honour: pins,
 * specifiers, extras, markers, hashes, `-r`/`-c` includes and index options. Editable installs,
 * URLs, VCS and local paths are refused (they need a build step or a network fetch pip would do).
 */
import { dirname, resolve } from "node:path";
import { MAX_REQUIREMENTS_BYTES } from "../defaults.js";
import { MapBuildError, optionName } from "../errors.js";
import { InputFileError, readRegularFile, realPathInside } from "../open-regular.js";
import { parseRequirement, type Requirement } from "./requirement.js";

export interface RequirementsSet {
  requirements: Requirement[];
  /** From `-c FILE`: limit versions, never add packages. */
  constraints: Requirement[];
  indexUrls: string[];
  extraIndexUrls: string[];
  /** Absolute for local dirs (relative to the file that names them), or URLs as written. */
  findLinks: string[];
  /** `--pre` seen: pre-releases may satisfy ranges. */
  pre: boolean;
  /** Every file read, in order. */
  files: string[];
}

export function emptyRequirementsSet(): RequirementsSet {
  return { requirements: [], constraints: [], indexUrls: [], extraIndexUrls: [], findLinks: [], pre: false, files: [] };
}

function fail(origin: string, message: string, hint: string): never {
  throw new MapBuildError("E_PYTHON_DEPS", `${origin}: ${message}`, { hint });
}

const PREBUILT_HINT = `build or download wheels first (pip wheel / pip download -d wheelhouse …), pass that folder as ${optionName("wheelhouse")} and pin name==version`;
/** Options that change nothing for a wheel-only, host-side install. */
const IGNORED = new Set(["--prefer-binary", "--require-hashes", "--trusted-host", "--only-binary", "--no-binary", "--use-feature", "--progress-bar"]);
const TAKES_VALUE = new Set(["--trusted-host", "--only-binary", "--no-binary", "--use-feature", "--progress-bar"]);

/** Joins `\` continuations and strips comments (`#` at line start or after whitespace), keeping line numbers. */
function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const raw = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const start = i;
    let cur = raw[i]!;
    while (/\\$/.test(cur) && i + 1 < raw.length) cur = cur.slice(0, -1) + " " + raw[++i];
    if (/\\$/.test(cur)) cur = cur.slice(0, -1);
    cur = cur.replace(/(^|\s)#.*$/, "").trim();
    if (cur) out.push({ line: start + 1, text: cur });
  }
  return out;
}

/** Split option tokens (`--opt=value`, `--opt value`, `-r value`, `-rvalue`) from a line. */
function tokens(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}

export interface ParseRequirementsOptions {
  /** Name used in messages, usually the file path. */
  origin: string;
  /** Directory that relative `-r`, `-c` and `--find-links` paths are resolved against. */
  baseDir: string;
  /** Files being read (include-cycle detection). */
  stack?: string[];
  /**
   * An app's own requirements: `-r`/`-c` includes and local `--find-links` must stay inside this
   * folder, as they did when pip ran inside the image (explicit `--requirements` files are not confined).
   */
  confineTo?: string;
}

const CONFINED_HINT = `an app's requirements.txt may only name files inside the app folder; pass other files as ${optionName("requirements")}`;

/** `path` (resolved through symlinks) when it is inside `root`; fails naming only what the line wrote. */
async function confinedPath(path: string, root: string, origin: string, written: string): Promise<string> {
  return (await realPathInside(path, root)) ?? fail(origin, `"${written}" is outside the app folder`, CONFINED_HINT);
}

/** Parse requirements text into `into` (or a new set). */
export async function parseRequirementsText(text: string, opts: ParseRequirementsOptions, into = emptyRequirementsSet()): Promise<RequirementsSet> {
  for (const { line, text: l } of logicalLines(text)) {
    const origin = `${opts.origin}:${line}`;
    const toks = tokens(l);
    const first = toks[0]!;
    if (first.startsWith("-")) {
      await parseOptionLine(toks, origin, opts, into);
      continue;
    }
    if (/^(-e|--editable)\b/.test(l)) fail(origin, "editable installs (-e) are not supported", PREBUILT_HINT);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(first) || /^(git|hg|svn|bzr)\+/.test(first) || /^file:/.test(first)) {
      fail(origin, `URL or VCS requirement "${first}" is not supported`, PREBUILT_HINT);
    }
    if (/^(\.{1,2}\/|\/)/.test(first) || /\.(whl|zip|tar\.gz|tgz)$/i.test(first) || first === ".") {
      fail(origin, `local path requirement "${first}" is not supported`, `put the wheel in a directory, pass it as ${optionName("wheelhouse")} and pin name==version`);
    }
    // Per-requirement options: only --hash matters; it may follow the requirement on the same logical line.
    const hashAt = l.search(/\s--hash[=\s]/);
    const reqText = hashAt >= 0 ? l.slice(0, hashAt) : l;
    const req = parseRequirement(reqText, origin);
    if (hashAt >= 0) req.hashes = parseHashes(tokens(l.slice(hashAt)), origin);
    into.requirements.push(req);
  }
  return into;
}

function parseHashes(toks: string[], origin: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    let t = toks[i]!;
    if (t === "--hash") t = `--hash=${toks[++i] ?? ""}`;
    const m = /^--hash=([a-z0-9]+):([0-9a-fA-F]+)$/.exec(t);
    if (!m) fail(origin, `unexpected "${t}" after the requirement`, "only --hash=sha256:<hex> may follow a requirement");
    if (m[1] !== "sha256") fail(origin, `hash algorithm ${m[1]} is not supported`, "use --hash=sha256:<hex> (pip-compile --generate-hashes writes sha256)");
    if (m[2]!.length !== 64) fail(origin, `sha256 hash "${m[2]}" must be 64 hex digits`, "copy the hash from pip hash or pip-compile --generate-hashes");
    out.push(m[2]!.toLowerCase());
  }
  return out;
}

async function parseOptionLine(toks: string[], origin: string, opts: ParseRequirementsOptions, into: RequirementsSet): Promise<void> {
  let i = 0;
  const valueOf = (flag: string, t: string): string => {
    if (t.includes("=")) return t.slice(t.indexOf("=") + 1);
    if (flag.length === 2 && t.length > 2 && !t.startsWith("--")) return t.slice(2); // -rfile
    const v = toks[++i];
    if (v === undefined) fail(origin, `${flag} needs a value`, `write ${flag} VALUE`);
    return v;
  };
  for (; i < toks.length; i++) {
    const t = toks[i]!;
    const flag = t.startsWith("--") ? t.split("=")[0]! : t.slice(0, 2);
    switch (flag) {
      case "-r": case "--requirement": case "-c": case "--constraint": {
        const written = valueOf(flag, t);
        const path = resolve(opts.baseDir, written);
        if (opts.confineTo) await confinedPath(path, opts.confineTo, origin, written);
        const sub = await readRequirementsFile(path, opts.stack ?? [], emptyRequirementsSet(), opts.confineTo);
        const target = flag === "-c" || flag === "--constraint" ? into.constraints : into.requirements;
        target.push(...sub.requirements);
        into.constraints.push(...sub.constraints);
        into.indexUrls.push(...sub.indexUrls);
        into.extraIndexUrls.push(...sub.extraIndexUrls);
        into.findLinks.push(...sub.findLinks);
        into.pre ||= sub.pre;
        into.files.push(...sub.files);
        break;
      }
      case "-i": case "--index-url": into.indexUrls.push(valueOf(flag, t)); break;
      case "--extra-index-url": into.extraIndexUrls.push(valueOf(flag, t)); break;
      case "-f": case "--find-links": {
        const v = valueOf(flag, t);
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) into.findLinks.push(v);
        else {
          const dir = resolve(opts.baseDir, v.replace(/^file:(\/\/)?/, ""));
          into.findLinks.push(opts.confineTo ? await confinedPath(dir, opts.confineTo, origin, v) : dir);
        }
        break;
      }
      case "--pre": into.pre = true; break;
      case "-e": case "--editable":
        fail(origin, "editable installs (-e) are not supported", PREBUILT_HINT);
        break;
      case "--hash":
        fail(origin, "--hash must follow a requirement on the same (continued) line", "write name==1.2.3 --hash=sha256:<hex>");
        break;
      default:
        if (IGNORED.has(flag)) {
          if (TAKES_VALUE.has(flag) && !t.includes("=")) i++;
          break;
        }
        fail(origin, `unsupported option "${t}"`, "remove it; map-build understands -r, -c, --hash, --index-url, --extra-index-url, --find-links and --pre");
    }
  }
}

/**
 * Read a requirements file and its includes (relative to the including file). With `confineTo`
 * (an app's own file) the file and everything it names must be inside that folder.
 */
export async function readRequirementsFile(path: string, stack: string[] = [], into = emptyRequirementsSet(), confineTo?: string): Promise<RequirementsSet> {
  const abs = resolve(path);
  if (stack.includes(abs)) {
    fail(abs, `requirements include cycle: ${[...stack, abs].join(" → ")}`, "remove the -r line that points back");
  }
  // confined: read the checked real path without following a symlink swapped in since
  const readPath = confineTo ? await confinedPath(abs, confineTo, abs, abs) : abs;
  let text: string;
  try {
    text = (await readRegularFile(readPath, MAX_REQUIREMENTS_BYTES, { noFollow: Boolean(confineTo) })).toString("utf8");
  } catch (e) {
    const why = e instanceof InputFileError ? `it ${e.reason}` : (e as Error).message;
    throw new MapBuildError("E_PYTHON_DEPS", `cannot read requirements file ${abs}: ${why}`, {
      hint: `check the path (given as ${optionName("requirements")}, in a -r or -c line, or in pip's constraint setting)`, cause: e,
    });
  }
  into.files.push(abs);
  const opts: ParseRequirementsOptions = { origin: abs, baseDir: dirname(abs), stack: [...stack, abs] };
  if (confineTo) opts.confineTo = confineTo;
  return parseRequirementsText(text, opts, into);
}

/**
 * The `@env(pip_packages=[…])` list: each entry `strip().lower()`-ed and de-duplicated keeping the
 * first, as the legacy packager did (map-format.md §1.6).
 */
export function parsePipPackages(entries: readonly string[], origin = "@env(pip_packages)"): Requirement[] {
  const seen = new Set<string>();
  const out: Requirement[] = [];
  entries.forEach((e, i) => {
    const s = e.trim().toLowerCase();
    if (!s || seen.has(s)) return;
    seen.add(s);
    if (/^(-e|--editable)\b/.test(s) || /:\/\//.test(s)) fail(`${origin}[${i}]`, `"${e}" is not a plain requirement`, PREBUILT_HINT);
    out.push(parseRequirement(s, `${origin}[${i}]`));
  });
  return out;
}
