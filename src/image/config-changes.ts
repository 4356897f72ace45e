/**
 * Dockerfile-like changes to an image config (ENV, ENTRYPOINT, CMD, WORKDIR, USER, LABEL), applied
 * to a copy: the base config is never mutated and every field we do not know is carried over.
 */
import type { History, ImageConfig } from "./schemas.js";

export interface ConfigChanges {
  /** Ordered; values may reference `$VAR`/`${VAR}` (base Env and earlier entries); unset → "". */
  env?: [string, string][];
  /** Setting it clears an inherited Cmd, as docker does for ENTRYPOINT. */
  entrypoint?: string[];
  cmd?: string[] | null;
  workingDir?: string;
  user?: string;
  labels?: Record<string, string>;
}

/** What the runtime uses when the image has no PATH (moby's oci.DefaultPathEnv for Linux). */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

type ContainerConfig = NonNullable<ImageConfig["config"]>;

/**
 * A new config with `changes` applied and `history` (config-only steps) appended with
 * `empty_layer: true`. An existing key keeps its position; new keys go at the end.
 */
export function applyConfigChanges(config: ImageConfig, changes: ConfigChanges = {}, history: History[] = []): ImageConfig {
  const out = structuredClone(config);
  const c: ContainerConfig = out.config ?? {};
  if (changes.env?.length) c.Env = applyEnv(c.Env ?? [], changes.env);
  if (changes.entrypoint !== undefined) {
    c.Entrypoint = [...changes.entrypoint];
    // docker: an ENTRYPOINT resets the CMD inherited from the base
    if (changes.cmd === undefined && c.Cmd !== undefined) c.Cmd = null;
  }
  if (changes.cmd !== undefined) c.Cmd = changes.cmd === null ? null : [...changes.cmd];
  if (changes.workingDir !== undefined) c.WorkingDir = changes.workingDir;
  if (changes.user !== undefined) c.User = changes.user;
  if (changes.labels && Object.keys(changes.labels).length) {
    const labels: Record<string, string> = { ...(c.Labels ?? {}) };
    for (const [k, v] of Object.entries(changes.labels)) labels[k] = v;
    c.Labels = labels;
  }
  out.config = c;
  if (history.length) out.history = [...(out.history ?? []), ...history.map((h) => ({ ...h, empty_layer: true }))];
  return out;
}

function applyEnv(base: string[], changes: [string, string][]): string[] {
  const order: string[] = [];
  const values = new Map<string, string>();
  for (const kv of base) {
    const i = kv.indexOf("=");
    const key = i < 0 ? kv : kv.slice(0, i);
    if (!values.has(key)) order.push(key);
    values.set(key, i < 0 ? "" : kv.slice(i + 1));
  }
  const lookup = (name: string): string => values.get(name) ?? (name === "PATH" ? DEFAULT_PATH : "");
  for (const [key, raw] of changes) {
    const value = expandVars(raw, lookup);
    if (!values.has(key)) order.push(key);
    values.set(key, value);
  }
  return order.map((k) => `${k}=${values.get(k) ?? ""}`);
}

/** `$VAR` and `${VAR}` as in a Dockerfile ENV; `\$` is a literal dollar. */
export function expandVars(s: string, lookup: (name: string) => string): string {
  return s.replace(/\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, braced?: string, bare?: string) =>
    m === "\\$" ? "$" : lookup((braced ?? bare)!),
  );
}
