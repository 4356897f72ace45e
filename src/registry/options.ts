/**
 * Every tunable of the registry client in one place, each default with its reason
 * (after go-containerregistry's pkg/v1/remote/options.go).
 */
import type { Keychain } from "./credentials-types.js";
import type { Logger } from "../progress.js";
import type { Clock, RetryPolicy } from "../retry.js";

/** Tries per request and backoff bounds (the one retry primitive's policy, src/retry.ts). */
export type RetryOptions = RetryPolicy;

export interface RegistryClientOptions {
  /** Credentials sources tried in order; none means anonymous (tokens for public pulls still work). */
  keychain?: Keychain;
  /** Registries (host[:port]) reached over plain HTTP; loopback always is. */
  insecureRegistries?: string[];
  /**
   * Time to wait for response headers. undici's 300 s default is too short when a registry
   * assembles a multi-GB blob before answering the final PUT.
   */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks (not the whole transfer), so multi-GB blobs are fine. */
  bodyTimeoutMs?: number;
  /** TCP/TLS connect timeout. */
  connectTimeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Waits between retries run on this clock (tests inject one that does not wait). */
  clock?: Clock;
  /** Named in E_TIMEOUT hints so the user knows what to raise (the CLI passes its flag names). */
  timeoutSettingNames?: { headers: string; body: string };
  userAgent?: string;
  logger?: Logger;
  /** Overrides HTTP(S)_PROXY / NO_PROXY from the environment (undici EnvHttpProxyAgent). */
  proxy?: { httpProxy?: string; httpsProxy?: string; noProxy?: string };
  /**
   * Keep every manifest fetched for the client's life, so a command that reads one image several
   * ways (inspect: the index's platforms, then the image) fetches it once and sees one version of
   * a tag. Off for builds, which read each manifest once.
   */
  rememberManifests?: boolean;
}

/** The knobs a caller of packageMap() may turn: retries and timeouts (not auth, proxy or logging). */
export type RegistryTuning = Pick<RegistryClientOptions, "retry" | "headersTimeoutMs" | "bodyTimeoutMs" | "connectTimeoutMs" | "timeoutSettingNames">;

export interface ResolvedOptions {
  keychain: Keychain | undefined;
  insecureRegistries: string[];
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  connectTimeoutMs: number;
  retry: RetryOptions;
  clock: Clock | undefined;
  timeoutSettingNames: { headers: string; body: string };
  userAgent: string;
  logger: Logger | undefined;
  proxy: RegistryClientOptions["proxy"];
  rememberManifests: boolean;
}

/** 5 tries ride out a registry restart or a short 503 storm. */
export const DEFAULT_RETRY: RetryOptions = { attempts: 5, minDelayMs: 500, maxDelayMs: 30_000 };

export function resolveOptions(o: RegistryClientOptions = {}): ResolvedOptions {
  return {
    keychain: o.keychain,
    insecureRegistries: o.insecureRegistries ?? [],
    // 15 min: a registry may verify a multi-GB upload before it answers the closing PUT.
    headersTimeoutMs: o.headersTimeoutMs ?? 15 * 60_000,
    // 5 min of silence on a body is a dead connection; the blob reader then resumes with Range.
    bodyTimeoutMs: o.bodyTimeoutMs ?? 5 * 60_000,
    connectTimeoutMs: o.connectTimeoutMs ?? 30_000,
    retry: { ...DEFAULT_RETRY, ...o.retry },
    clock: o.clock,
    timeoutSettingNames: o.timeoutSettingNames ?? { headers: "headersTimeoutMs", body: "bodyTimeoutMs" },
    userAgent: o.userAgent ?? "map-build/0.1.0",
    logger: o.logger,
    proxy: o.proxy,
    rememberManifests: o.rememberManifests ?? false,
  };
}
