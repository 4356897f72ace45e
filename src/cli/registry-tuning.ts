/**
 * Registry retries and timeouts from the environment, so no user flag grows for them:
 *
 * - MAP_BUILD_REGISTRY_TIMEOUT (seconds, decimals allowed): the longest wait for a registry's
 *   response headers and the longest silence inside a body. Raise it on slow links; E_TIMEOUT hints
 *   name it.
 * - MAP_BUILD_RETRY_ATTEMPTS, MAP_BUILD_RETRY_MIN_DELAY_MS, MAP_BUILD_RETRY_MAX_DELAY_MS: for tests
 *   only (fault-injection suites need millisecond backoff to stay fast); users keep the defaults.
 */
import { MapBuildError } from "../errors.js";
import type { RegistryTuning, RetryOptions } from "../registry/index.js";

export const REGISTRY_TIMEOUT_ENV = "MAP_BUILD_REGISTRY_TIMEOUT";

const RETRY_ENV: Record<keyof RetryOptions, string> = {
  attempts: "MAP_BUILD_RETRY_ATTEMPTS",
  minDelayMs: "MAP_BUILD_RETRY_MIN_DELAY_MS",
  maxDelayMs: "MAP_BUILD_RETRY_MAX_DELAY_MS",
};

export function registryTuningFromEnv(env: NodeJS.ProcessEnv): RegistryTuning {
  const setting = `${REGISTRY_TIMEOUT_ENV} (seconds)`;
  const tuning: RegistryTuning = { timeoutSettingNames: { headers: setting, body: setting } };
  const timeout = number(env, REGISTRY_TIMEOUT_ENV, false);
  if (timeout !== undefined) {
    tuning.headersTimeoutMs = Math.round(timeout * 1000);
    tuning.bodyTimeoutMs = Math.round(timeout * 1000);
  }
  const retry: Partial<RetryOptions> = {};
  for (const [key, name] of Object.entries(RETRY_ENV) as [keyof RetryOptions, string][]) {
    const v = number(env, name, true);
    if (v !== undefined) retry[key] = v;
  }
  if (Object.keys(retry).length > 0) tuning.retry = retry;
  return tuning;
}

function number(env: NodeJS.ProcessEnv, name: string, integer: boolean): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new MapBuildError("E_USAGE", `invalid ${name}="${raw}": not a positive ${integer ? "whole " : ""}number`, {
      hint: `unset ${name} or set it to a positive ${integer ? "integer" : "number"}`,
    });
  }
  return v;
}
