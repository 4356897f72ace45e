/**
 * The provenance's external parameters: the build options a user chose, as given, and nothing
 * that can carry a secret. Credentials, keychains and environment are never read here; URLs lose
 * their userinfo and query values.
 */
import type { PackageMapOptions } from "../builder/index.js";
import { redactUrl } from "../redact-url.js";

const KEYS = [
  "appPath", "tag", "base", "model", "platform", "workingDir", "inputDir", "outputDir", "modelsDir", "timeout", "version",
  "requirements", "cpu", "gpu", "memory", "sdkVersion", "noSdk", "sdkWheel", "wheelhouse", "findLinks", "indexUrl",
  "extraIndexUrls", "pythonVersion", "compression", "compressionLevel",
] as const satisfies readonly (keyof PackageMapOptions)[];

/** The package options that are parameters of the build (no credentials, no callbacks). */
export type BuildParameters = Pick<PackageMapOptions, (typeof KEYS)[number]>;

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
