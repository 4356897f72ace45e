/** `[console_scripts]` / `[gui_scripts]` from entry_points.txt, and pip-style launchers for them. */
import { MapBuildError } from "../errors.js";

export interface EntryPoint {
  name: string;
  module: string;
  /** Dotted attribute path, e.g. `main` or `cli.main`. */
  attr: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Script entry points; names and targets are validated because they end up in generated code and paths. */
export function parseScriptEntryPoints(text: string, origin: string): EntryPoint[] {
  const out: EntryPoint[] = [];
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) { section = sec[1]!.trim(); continue; }
    if (section !== "console_scripts" && section !== "gui_scripts") continue;
    const m = /^([^=]+?)\s*=\s*([^:\s]+)\s*:\s*([^\s[]+)\s*(\[.*\])?$/.exec(line);
    if (!m || !/^[A-Za-z0-9_.+-]+$/.test(m[1]!) || m[1]!.startsWith(".") || !IDENT.test(m[2]!) || !IDENT.test(m[3]!)) {
      throw new MapBuildError("E_PYTHON_DEPS", `${origin}: invalid entry point "${line}"`, { hint: "entry points look like name = package.module:function" });
    }
    out.push({ name: m[1]!, module: m[2]!, attr: m[3]! });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The launcher pip writes (pip/_internal/operations/install/wheel.py via distlib's script template). */
export function launcherScript(ep: EntryPoint, pythonPath: string): string {
  const importName = ep.attr.split(".")[0]!;
  return [
    `#!${pythonPath}`,
    "# -*- coding: utf-8 -*-",
    "import re",
    "import sys",
    `from ${ep.module} import ${importName}`,
    "if __name__ == '__main__':",
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])",
    `    sys.exit(${ep.attr}())`,
    "",
  ].join("\n");
}
