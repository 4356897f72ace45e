/**
 * The provenance's external parameters: the build options a user chose, as given, and nothing
 * that can carry a secret. Credentials, keychains and environment are never read here; URLs lose
 * their userinfo and query values.
 */
import { redactUrl } from "../registry/redact.js";

/** The subset of package options that are parameters of the build (no credentials, no callbacks). */
export interface BuildParameters {
  appPath: string;
  tag: string;
  base: string;
  model?: string;
  platform?: string;
  workingDir?: string;
  inputDir?: string;
  outputDir?: string;
  modelsDir?: string;
  timeout?: number;
  version?: string;
  requirements?: string;
  cpu?: number;
  gpu?: number;
  memory?: string;
  sdkVersion?: string;
  noSdk?: boolean;
  sdkWheel?: string;
  wheelhouse?: string[];
  findLinks?: string[];
  indexUrl?: string;
  extraIndexUrls?: string[];
  pythonVersion?: string;
  compression?: string;
  compressionLevel?: number;
}

const KEYS: readonly (keyof BuildParameters)[] = [
  "appPath", "tag", "base", "model", "platform", "workingDir", "inputDir", "outputDir", "modelsDir", "timeout", "version",
  "requirements", "cpu", "gpu", "memory", "sdkVersion", "noSdk", "sdkWheel", "wheelhouse", "findLinks", "indexUrl",
  "extraIndexUrls", "pythonVersion", "compression", "compressionLevel",
];

const URL_KEYS = new Set<keyof BuildParameters>(["indexUrl", "extraIndexUrls", "findLinks", "wheelhouse"]);

function clean(key: keyof BuildParameters, v: unknown): unknown {
  if (!URL_KEYS.has(key)) return v;
  const one = (s: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? redactUrl(s) : s);
  return Array.isArray(v) ? v.map((s) => one(String(s))) : one(String(v));
}

/** Only the keys above, in that order, undefined and empty lists left out. */
export function externalParameters(opts: BuildParameters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) {
    const v = opts[k];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = clean(k, v);
  }
  return out;
}
