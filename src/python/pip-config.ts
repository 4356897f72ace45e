/**
 * Where pip would look for packages, read the way pip reads it: configuration files (global
 * /etc/xdg/pip/pip.conf and /etc/pip.conf, user ~/.pip/pip.conf and ~/.config/pip/pip.conf unless
 * PIP_CONFIG_FILE names an existing file, then PIP_CONFIG_FILE itself; `PIP_CONFIG_FILE=/dev/null`
 * loads none), `[install]` over `[global]`, later files over earlier ones, then `PIP_*` variables.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** pip's default index, used when nothing else names one. */
export const PUBLIC_INDEX_URL = "https://pypi.org/simple/";

export interface PipConfig {
  indexUrl?: string;
  extraIndexUrls: string[];
  /** Directories, file:// or http(s) URLs. */
  findLinks: string[];
  trustedHosts: string[];
  /** Constraint files (`constraint`, PIP_CONSTRAINT): they limit versions, never add requirements. */
  constraints: string[];
  noIndex: boolean;
  pre: boolean;
  /** Configuration files that were read, for the debug log. */
  files: string[];
}

const KEYS = ["index-url", "extra-index-url", "find-links", "trusted-host", "constraint", "no-index", "pre"] as const;
type Key = (typeof KEYS)[number];

/** pip.conf is Python configparser INI: `key = value`, indented lines continue the value. */
export function parsePipIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let last: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || !raw.trim()) continue;
    const head = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (head) {
      section = sections.get(head[1]!.trim()) ?? sections.set(head[1]!.trim(), new Map()).get(head[1]!.trim())!;
      last = undefined;
      continue;
    }
    if (/^\s/.test(raw) && section && last) {
      section.set(last, `${section.get(last)}\n${raw.trim()}`);
      continue;
    }
    const kv = /^([^=:]+)[=:](.*)$/.exec(raw);
    if (kv && section) {
      last = kv[1]!.trim().toLowerCase().replace(/_/g, "-");
      section.set(last, kv[2]!.trim());
    }
  }
  return sections;
}

const words = (v: string) => v.split(/\s+/).filter(Boolean);
const truthy = (v: string) => /^(1|yes|true|on)$/i.test(v.trim());

async function exists(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** The configuration files pip reads, in override order (later wins). */
export async function pipConfigFiles(env: NodeJS.ProcessEnv, home: string): Promise<string[]> {
  const envFile = env["PIP_CONFIG_FILE"];
  if (envFile === "/dev/null") return [];
  const xdgDirs = (env["XDG_CONFIG_DIRS"] || "/etc/xdg").split(":").filter(Boolean);
  const global = [...xdgDirs.map((d) => join(d, "pip", "pip.conf")), "/etc/pip.conf"];
  const userConfig = env["XDG_CONFIG_HOME"] || join(home, ".config");
  const user = envFile && (await exists(envFile)) ? [] : [join(home, ".pip", "pip.conf"), join(userConfig, "pip", "pip.conf")];
  const all = [...global, ...user, ...(envFile ? [envFile] : [])];
  const found: string[] = [];
  for (const f of all) if (await exists(f)) found.push(f);
  return found;
}

export async function readPipConfig(env: NodeJS.ProcessEnv, home: string): Promise<PipConfig> {
  const values = new Map<Key, string>();
  const files = await pipConfigFiles(env, home);
  for (const f of files) {
    const ini = parsePipIni(await readFile(f, "utf8"));
    for (const section of ["global", "install"]) {
      for (const k of KEYS) {
        const v = ini.get(section)?.get(k);
        if (v !== undefined) values.set(k, v);
      }
    }
  }
  for (const k of KEYS) {
    const v = env[`PIP_${k.toUpperCase().replace(/-/g, "_")}`];
    if (v !== undefined && v !== "") values.set(k, v);
  }
  const cfg: PipConfig = {
    extraIndexUrls: words(values.get("extra-index-url") ?? ""),
    findLinks: words(values.get("find-links") ?? ""),
    trustedHosts: words(values.get("trusted-host") ?? ""),
    constraints: words(values.get("constraint") ?? ""),
    noIndex: truthy(values.get("no-index") ?? ""),
    pre: truthy(values.get("pre") ?? ""),
    files,
  };
  const index = values.get("index-url")?.trim();
  if (index) cfg.indexUrl = index;
  return cfg;
}
