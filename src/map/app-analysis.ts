/**
 * Static replacement for the SDK's `get_package_info` (map-format.md §1.6): find the Application
 * subclass, its module (→ the command), `version`, `@resource` and `@env` — without importing the
 * app (bug B14). Values that are not literals are reported in `unresolved` with the options that supply them.
 */
import { stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { MAX_REQUIREMENTS_BYTES } from "../defaults.js";
import { MapBuildError } from "../errors.js";
import { safeAppFileName } from "./app-file-name.js";
import { InputFileError, readRegularFile, realPathInside } from "../open-regular.js";
import type { PyFloat } from "./python-json.js";
import { evalLiteral, splitCallArgs, type CallArg } from "./python-literal.js";
import { PythonSyntaxError, tokenize, type LogicalLine, type Token } from "./python-tokens.js";
import { parseMemoryBytes } from "./size.js";

export const MAP_APP_COMMAND_PREFIX = "python3 -u /opt/monai/app/";

/** The builder options that override what the analysis reads. */
export type AppOption = "version" | "cpu" | "gpu" | "memory" | "requirements";

export interface Unresolved {
  field: "version" | "resources" | "pip_packages" | "app_class";
  /** The builder options that supply the value (the caller names them: `optionName`). */
  options: AppOption[];
  reason: string;
}

export interface AppInfo {
  kind: "file" | "folder";
  /** Absolute folder of the app (a file app: the file's directory). */
  root: string;
  /** File the command runs, relative to /opt/monai/app (e.g. `app.py`). */
  mainModuleFile: string;
  command: string;
  appClass?: string;
  /** Literal `version` class attribute. */
  version?: string;
  /** As written: a Python float (`cpu=1.0`) stays a PyFloat so pkg.json prints `1.0` like upstream. */
  resources: { cpu?: number | PyFloat; gpu?: number | PyFloat; memory?: string | number };
  /** `@env(pip_packages=…)` of the App class: strip().lower(), first occurrence kept. */
  pipPackages: string[];
  warnings: string[];
  unresolved: Unresolved[];
}

export interface AnalyzeOptions {
  /** Where a string `pip_packages` (a requirements path) is resolved, as the SDK used the process cwd. */
  cwd?: string;
}

interface ClassDef {
  name: string;
  bases: string[];
  decorators: { name: string; tokens: Token[] }[];
  body: LogicalLine[];
}

function appInvalid(message: string, hint: string, cause?: unknown): MapBuildError {
  return new MapBuildError("E_APP_INVALID", message, { hint, cause });
}

/** `a . b . c` starting at tokens[i] → ["a.b.c", next index]. */
function dottedName(tokens: readonly Token[], i: number): [string, number] {
  let name = "";
  while (tokens[i]?.type === "name") {
    name += (tokens[i] as Token).text;
    if (tokens[i + 1]?.text === "." && tokens[i + 2]?.type === "name") {
      name += ".";
      i += 2;
    } else return [name, i + 1];
  }
  return [name, i];
}

function lastPart(name: string): string {
  return name.slice(name.lastIndexOf(".") + 1);
}

/** Far beyond any hand-written module; a bigger .py is generated data, not something to scan. */
const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

async function parseFile(path: string): Promise<LogicalLine[]> {
  let src: string;
  try {
    src = (await readRegularFile(path, MAX_SOURCE_BYTES)).toString("utf8");
  } catch (e) {
    if (e instanceof InputFileError) throw appInvalid(e.message, "the app's Python files must be regular files of sane size", e);
    // EACCES (unreadable), EISDIR, EIO…: the user's file, not a bug in map-build
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw appInvalid(`cannot read ${path} (${code})`, "make the app's files readable by the user running map-build", e);
  }
  try {
    return tokenize(src);
  } catch (e) {
    if (e instanceof PythonSyntaxError) throw appInvalid(`${path}: ${e.message}`, "fix the Python syntax error in the app", e);
    throw e;
  }
}

/** Class definitions with their decorators and body lines, at any indentation. */
function findClasses(lines: readonly LogicalLine[]): ClassDef[] {
  const out: ClassDef[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as LogicalLine;
    const t = l.tokens;
    if (t[0]?.text !== "class" || t[1]?.type !== "name") continue;
    const bases: string[] = [];
    if (t[2]?.text === "(") {
      const call = splitCallArgs(t, 2);
      for (const a of call?.args ?? []) {
        const [n, end] = dottedName(t, a.from);
        if (a.name === undefined && end === a.to) bases.push(n);
      }
    }
    const decorators: ClassDef["decorators"] = [];
    for (let j = i - 1; j >= 0 && lines[j]?.tokens[0]?.text === "@" && lines[j]?.indent === l.indent; j--) {
      const dt = (lines[j] as LogicalLine).tokens;
      decorators.unshift({ name: dottedName(dt, 1)[0], tokens: dt });
    }
    const body: LogicalLine[] = [];
    for (let j = i + 1; j < lines.length && (lines[j] as LogicalLine).indent > l.indent; j++) body.push(lines[j] as LogicalLine);
    out.push({ name: t[1].text, bases, decorators, body });
  }
  return out;
}

const isApplicationClass = (c: ClassDef) => c.bases.some((b) => lastPart(b) === "Application");

/** `from X import A, B as C` / `from .X import (A)` / `from X import *` in file order. */
function findFromImports(lines: readonly LogicalLine[]): { module: string; names: string[] }[] {
  const out: { module: string; names: string[] }[] = [];
  for (const l of lines) {
    const t = l.tokens;
    if (t[0]?.text !== "from") continue;
    let i = 1;
    while (t[i]?.text === "." || t[i]?.text === "...") i++;
    const [module, next] = dottedName(t, i);
    if (t[next]?.text !== "import" || module === "") continue;
    const names: string[] = [];
    for (let k = next + 1; k < t.length; k++) {
      const tok = t[k] as Token;
      if (tok.type === "name" && t[k - 1]?.text !== "as" && tok.text !== "as") names.push(tok.text);
      else if (tok.text === "*") names.push("*");
    }
    out.push({ module, names });
  }
  return out;
}

async function isRegularFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

function hasMainGuard(lines: readonly LogicalLine[]): boolean {
  return lines.some((l) => {
    const s = l.tokens.map((t) => t.str ?? t.text).join(" ");
    return l.tokens[0]?.text === "if" && s.includes("__name__") && s.includes("__main__");
  });
}

function literalArg(tokens: Token[], a: CallArg) {
  return evalLiteral(tokens, a.from, a.to);
}

async function readDecorators(cls: ClassDef, info: AppInfo, cwd: string): Promise<void> {
  for (const d of cls.decorators) {
    const kind = lastPart(d.name);
    if (kind !== "resource" && kind !== "env") continue;
    const openAt = d.tokens.findIndex((t, k) => k > 0 && t.text === "(");
    const call = openAt > 0 ? splitCallArgs(d.tokens, openAt) : undefined;
    if (!call) continue;
    if (kind === "resource") {
      const positional = ["cpu", "memory", "gpu"]; // resource(cpu, memory, gpu) in the SDK
      call.args.forEach((a, idx) => {
        const key = a.name ?? positional[idx];
        if (key !== "cpu" && key !== "gpu" && key !== "memory") {
          info.unresolved.push({ field: "resources", options: ["cpu", "gpu", "memory"], reason: `@resource argument ${a.name ?? idx} is not understood` });
          return;
        }
        const v = literalArg(d.tokens, a);
        if (!v.ok || v.value === null) {
          if (v.ok) return; // None means unset
          info.unresolved.push({ field: "resources", options: [key], reason: `@resource(${key}=…) of ${cls.name} is not a literal` });
          return;
        }
        if (key === "memory") {
          const m = v.value;
          const valid = (typeof m === "string" || typeof m === "number") && (() => {
            try { parseMemoryBytes(m); return true; } catch { return false; }
          })();
          if (valid) info.resources.memory = m as string | number;
          else info.unresolved.push({ field: "resources", options: ["memory"], reason: `@resource(memory=${JSON.stringify(m)}) of ${cls.name} is not a valid size` });
        } else if (typeof v.value === "number" || (typeof v.value === "object" && v.value !== null && "value" in v.value)) {
          info.resources[key] = v.value as number | PyFloat;
        } else {
          info.unresolved.push({ field: "resources", options: [key], reason: `@resource(${key}=…) of ${cls.name} is not a number` });
        }
      });
    } else {
      const a = call.args.find((x) => x.name === "pip_packages") ?? call.args.find((x) => x.name === undefined);
      if (!a) continue;
      const v = literalArg(d.tokens, a);
      let pkgs: string[] | undefined;
      if (v.ok && Array.isArray(v.value) && v.value.every((p) => typeof p === "string")) pkgs = v.value as string[];
      else if (v.ok && v.value === null) pkgs = [];
      else if (v.ok && typeof v.value === "string") {
        // BaseEnv: a str is a requirements path, read relative to the packaging process's cwd.
        const reqPath = resolve(cwd, v.value);
        // the app names this file: only its own folder or the working folder, never any host file
        const inside = (await realPathInside(reqPath, info.root)) ?? (await realPathInside(reqPath, cwd));
        if (!inside) {
          info.unresolved.push({ field: "pip_packages", options: ["requirements"], reason: `@env requirements file ${reqPath} is outside the app folder and the working folder` });
          continue;
        }
        const text = await readRegularFile(inside, MAX_REQUIREMENTS_BYTES, { noFollow: true }).then((b) => b.toString("utf8"), () => undefined);
        if (text === undefined) {
          info.unresolved.push({ field: "pip_packages", options: ["requirements"], reason: `@env requirements file ${reqPath} does not exist` });
          continue;
        }
        pkgs = text.trim().split(/\r\n|\r|\n/);
      }
      if (!pkgs) {
        info.unresolved.push({ field: "pip_packages", options: ["requirements"], reason: `@env(pip_packages=…) of ${cls.name} is not a literal list` });
        continue;
      }
      for (const p of pkgs.map((s) => s.trim().toLowerCase())) if (!info.pipPackages.includes(p)) info.pipPackages.push(p);
    }
  }
}

function readVersion(cls: ClassDef, info: AppInfo): void {
  const bodyIndent = cls.body[0]?.indent;
  for (const l of cls.body) {
    if (l.indent !== bodyIndent || l.tokens[0]?.text !== "version") continue;
    const t = l.tokens;
    let eq = 1;
    if (t[1]?.text === ":") eq = t.findIndex((x, k) => k > 1 && x.text === "=");
    if (eq < 0 || t[eq]?.text !== "=") continue;
    const v = evalLiteral(t, eq + 1);
    if (v.ok && typeof v.value === "string") info.version = v.value;
    else info.unresolved.push({ field: "version", options: ["version"], reason: `${cls.name}.version is not a string literal` });
  }
}

/** Analyse APP_PATH (a .py file or a folder with __main__.py) without running it. */
export async function analyzeApp(appPath: string, opts: AnalyzeOptions = {}): Promise<AppInfo> {
  const abs = resolve(appPath);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw appInvalid(`application path ${appPath} does not exist`, "pass a .py file or a folder that contains __main__.py");
  const cwd = opts.cwd ?? process.cwd();
  let kind: AppInfo["kind"];
  let root: string;
  let entry: string;
  if (st.isDirectory()) {
    kind = "folder";
    root = abs;
    entry = join(abs, "__main__.py");
    if (!(await isRegularFile(entry))) {
      throw appInvalid(`application folder ${appPath} has no __main__.py`,
        "add a __main__.py that imports your Application subclass and runs it, e.g. `from app import App` then `App(do_run=True)`");
    }
  } else if (st.isFile()) {
    if (!abs.endsWith(".py")) throw appInvalid(`application file ${appPath} is not a .py file`, "pass the app's .py file or its folder");
    kind = "file";
    root = dirname(abs);
    entry = abs;
  } else {
    throw appInvalid(`application path ${appPath} is not a regular file or folder`, "pass a .py file or a folder that contains __main__.py");
  }

  const info: AppInfo = { kind, root, mainModuleFile: basename(entry), command: "", resources: {}, pipPackages: [], warnings: [], unresolved: [] };
  const entryLines = await parseFile(entry);
  let found: { cls: ClassDef; lines: LogicalLine[]; file: string } | undefined;
  const local = findClasses(entryLines).find(isApplicationClass);
  if (local) {
    found = { cls: local, lines: entryLines, file: entry };
    if (kind === "folder") {
      info.warnings.push(`${local.name} is defined in __main__.py: the command runs __main__.py (SDK 0.5.1 wrote a non-existent file name here, bug B9)`);
    }
  } else if (kind === "folder") {
    for (const imp of findFromImports(entryLines)) {
      const rel = imp.module.split(".");
      const candidates = [join(root, ...rel) + ".py", join(root, ...rel, "__init__.py")];
      for (const file of candidates) {
        if (!(await isRegularFile(file))) continue;
        const lines = await parseFile(file);
        const cls = findClasses(lines).find((c) => isApplicationClass(c) && (imp.names.includes(c.name) || imp.names.includes("*")));
        if (cls) found = { cls, lines, file };
        break;
      }
      if (found) break;
    }
  }

  if (found) {
    info.appClass = found.cls.name;
    info.mainModuleFile = found.file.slice(root.length + 1);
    await readDecorators(found.cls, info, cwd);
    readVersion(found.cls, info);
    if (!hasMainGuard(found.lines)) {
      info.warnings.push(`${info.mainModuleFile} has no \`if __name__ == "__main__":\` block; the runner executes that file directly, so the app may not start`);
    }
  } else {
    info.warnings.push(`no Application subclass found statically in ${basename(entry)}${kind === "folder" ? " or the modules it imports" : ""}; the command runs ${info.mainModuleFile}`);
    info.unresolved.push({
      field: "app_class",
      options: ["version", "cpu", "gpu", "memory", "requirements"],
      reason: "the Application subclass could not be found, so its version, resources and pip packages are unknown",
    });
  }
  info.command = MAP_APP_COMMAND_PREFIX + safeAppFileName(info.mainModuleFile);
  return info;
}
