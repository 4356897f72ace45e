/**
 * One request to a registry: auth from the challenge, manual redirects (Authorization dropped when
 * the origin changes, plain HTTP refused for hosts that are not insecure), retries with backoff for
 * idempotent requests (src/retry.ts), and every failure mapped to a RegistryError. Connections come
 * from the one HTTP client (src/http-client.ts), so HTTP(S)_PROXY / NO_PROXY are honoured.
 */
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { MapBuildError, RegistryError, isMapBuildError, optionName } from "../errors.js";
import { createHttpAgent, undici } from "../http-client.js";
import { Authenticator, type TokenFetch, type UnauthorizedVerdict } from "./auth.js";
import { resolveOptions, type RegistryClientOptions, type ResolvedOptions } from "./options.js";
import { redactUrl } from "../redact-url.js";
import { readLimited, toRegistryError, type Subject } from "./registry-error.js";
import { abortError, isRetryableStatus, parseRetryAfter, RetryableStatusError, withRetry, type WithRetryOptions } from "../retry.js";
import { isInsecureRegistry, registryScheme } from "./insecure.js";
import type { FetchedManifest } from "./manifests.js";

export interface Endpoint {
  /** `ImageReference.registry`: the key for credentials, hints and tokens. */
  registry: string;
  /** Where requests go: `ImageReference.apiHost`. */
  apiHost: string;
}

export interface RequestSpec extends Endpoint {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A path below the registry root (`/v2/…`) or an absolute URL (an upload `Location`). */
  url: string;
  headers?: Record<string, string>;
  /** A Buffer/string is resent on retry; a stream is single-use, so such a request is never retried. */
  body?: Buffer | string | Readable;
  /** Token scopes, e.g. `repository:base/python:pull`. */
  scopes: string[];
  repository?: string;
  subject: Subject;
  /** Statuses that count as success; anything else becomes a RegistryError. */
  expect: number[];
  /** False: a 401 is final (no new credential or token is tried), for requests whose failure is harmless. */
  authRetry?: boolean;
  /** Default: true for GET/HEAD/PUT with a replayable body. POST/PATCH only when the caller says so. */
  idempotent?: boolean;
  /** False: one try even when idempotent, because the caller's own loop retries the whole exchange (an upload restarts from POST). */
  retry?: boolean;
  signal?: AbortSignal | undefined;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
  /** The URL that answered, after redirects. */
  url: URL;
}

const MAX_REDIRECTS = 10;

const RETRY_WITH_NEW_TOKEN = Symbol("retryWithNewToken");

/**
 * A 401 on a request whose streamed body could not be re-sent, after which the authenticator
 * dropped the stale token: sending the request again with a fresh body is expected to work
 * (a token that expired or was revoked during a long upload).
 */
export function retryableWithNewToken(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[RETRY_WITH_NEW_TOKEN] === true;
}

export class Transport {
  readonly options: ResolvedOptions;
  readonly dispatcher: Dispatcher;
  /** Manifests fetched so far, by registry, repository and tag or digest (with `rememberManifests`). */
  readonly manifests: Map<string, Promise<FetchedManifest>> | undefined;
  private readonly auth: Authenticator;

  constructor(opts: RegistryClientOptions = {}) {
    this.options = resolveOptions(opts);
    this.manifests = this.options.rememberManifests ? new Map() : undefined;
    this.dispatcher = createHttpAgent({
      headersTimeoutMs: this.options.headersTimeoutMs,
      bodyTimeoutMs: this.options.bodyTimeoutMs,
      connectTimeoutMs: this.options.connectTimeoutMs,
      proxy: this.options.proxy,
    });
    this.auth = new Authenticator({ keychain: this.options.keychain, fetchToken: this.tokenFetch, insecureRegistries: this.options.insecureRegistries });
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  baseUrl(ep: Endpoint): string {
    return `${registryScheme(ep.apiHost, this.options.insecureRegistries)}://${ep.apiHost}`;
  }

  resolveUrl(ep: Endpoint, url: string): URL {
    return new URL(url, this.baseUrl(ep) + "/");
  }

  /** Send a request; resolves only with a status in `spec.expect` (the caller consumes the body). */
  async send(spec: RequestSpec): Promise<RegistryResponse> {
    const replayable = spec.body === undefined || typeof spec.body === "string" || Buffer.isBuffer(spec.body);
    const idempotent = replayable && (spec.idempotent ?? (spec.method === "GET" || spec.method === "HEAD" || spec.method === "PUT"));
    const attempts = idempotent && spec.retry !== false ? Math.max(1, this.options.retry.attempts) : 1;
    return withRetry(() => this.sendAuthorized(spec, replayable), {
      ...this.retryOptions(spec.signal),
      policy: { ...this.options.retry, attempts },
      onRetry: ({ error, delayMs }) => this.options.logger?.debug(`retrying ${spec.method} ${redactUrl(this.resolveUrl(spec, spec.url))} in ${delayMs} ms: ${(error as Error).message}`),
    });
  }

  /** The client's retry policy for a loop of the caller's own (uploads, resumed downloads). */
  retryOptions(signal: AbortSignal | undefined, retryable?: (err: unknown) => boolean): WithRetryOptions {
    return { policy: this.options.retry, signal, ...(retryable ? { retryable } : {}), ...(this.options.clock ? { clock: this.options.clock } : {}) };
  }

  /** One attempt, plus at most one re-send after a 401 taught us how to authenticate. */
  private async sendAuthorized(spec: RequestSpec, replayable: boolean): Promise<RegistryResponse> {
    const req = { registry: spec.registry, scopes: spec.scopes, signal: spec.signal };
    for (let authRetried = spec.authRetry === false; ; authRetried = true) {
      const auth = await this.auth.authorize(req);
      let res: RegistryResponse;
      try {
        res = await this.dispatch(spec, auth.header);
      } catch (err) {
        auth.done(true);
        throw err;
      }
      let verdict: UnauthorizedVerdict | undefined;
      let text = "";
      try {
        if (res.status === 401) {
          text = await readLimited(res.body);
          verdict = await this.auth.onUnauthorized(req, header(res.headers, "www-authenticate"), auth.header, authRetried);
        }
      } finally {
        auth.done();
      }
      if (verdict) {
        if (verdict.retry && replayable) continue;
        throw this.unauthorized(spec, res.url, text, verdict);
      }
      if (spec.expect.includes(res.status)) return res;
      text = spec.method === "HEAD" ? "" : await readLimited(res.body);
      if (spec.method === "HEAD") discard(res.body);
      const err = toRegistryError(res.status, text, this.errorContext(spec, res.url, false));
      if (isRetryableStatus(res.status)) {
        Object.assign(err, { retryAfterMs: parseRetryAfter(header(res.headers, "retry-after"), this.options.retry.maxDelayMs) });
      }
      throw err;
    }
  }

  /** The final 401: the authenticator's "no credentials"/"rejected" when it has one, else the registry's own words. */
  private unauthorized(spec: RequestSpec, url: URL, text: string, verdict: UnauthorizedVerdict): RegistryError {
    const err = toRegistryError(401, text, this.errorContext(spec, url, verdict.insufficientScope));
    const f = verdict.failure;
    const failed = f ? new RegistryError(f.code, f.message, { status: 401, method: spec.method, url: redactUrl(url), registryErrors: err.registryErrors, hint: f.hint }) : err;
    // A streamed body is spent, but a fresh token is now due: the caller may rebuild the request.
    if (verdict.retry) Object.assign(failed, { [RETRY_WITH_NEW_TOKEN]: true });
    return failed;
  }

  /**
   * Issue the request, following redirects by hand: Authorization goes only to the origin (scheme,
   * host and port) it was meant for, and a redirect to plain HTTP is refused unless that host may
   * be spoken to in the clear (loopback or listed as insecure).
   */
  private async dispatch(spec: RequestSpec, authorization: string | undefined): Promise<RegistryResponse> {
    let url = this.resolveUrl(spec, spec.url);
    const origin = url.origin;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { "user-agent": this.options.userAgent, ...spec.headers };
      if (authorization && url.origin === origin) headers.authorization = authorization;
      let res: Dispatcher.ResponseData;
      try {
        res = await undici().request(url, {
          dispatcher: this.dispatcher,
          method: spec.method,
          headers,
          body: spec.body ?? null,
          signal: spec.signal,
        });
      } catch (err) {
        throw this.networkError(err, url, spec);
      }
      const location = header(res.headers, "location");
      const redirect = [301, 302, 303, 307, 308].includes(res.statusCode) && location && (spec.method === "GET" || spec.method === "HEAD");
      if (!redirect || spec.expect.includes(res.statusCode)) {
        return { status: res.statusCode, headers: res.headers, body: res.body, url };
      }
      discard(res.body);
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryError("E_REGISTRY", `too many redirects from ${spec.registry}`, { method: spec.method, url: redactUrl(url) });
      }
      url = new URL(location, url);
      this.checkRedirect(spec, url);
    }
  }

  private checkRedirect(spec: RequestSpec, to: URL): void {
    if (to.protocol === "https:") return;
    if (to.protocol === "http:" && isInsecureRegistry(to.host, this.options.insecureRegistries)) return;
    throw new RegistryError("E_REGISTRY", `${spec.registry} redirected ${spec.method} ${spec.subject} to ${redactUrl(to)}, which is not HTTPS; refusing to follow`, {
      method: spec.method,
      url: redactUrl(to),
      hint: `only loopback hosts and registries listed as insecure may be reached over plain HTTP; list ${to.host} as an insecure registry if this network is trusted`,
    });
  }

  /** A thrown network/timeout/abort error → E_NETWORK / E_TIMEOUT / E_INTERRUPTED naming the host. */
  networkError(err: unknown, url: URL, spec: { method: string; registry: string; signal?: AbortSignal | undefined }): MapBuildError {
    if (isMapBuildError(err)) return err;
    if (spec.signal?.aborted) return abortError(spec.signal);
    const code = errorCode(err);
    const names = this.options.timeoutSettingNames;
    const target = `${spec.method} ${redactUrl(url)}`;
    if (code === "UND_ERR_HEADERS_TIMEOUT") {
      return new RegistryError("E_TIMEOUT", `${url.host} sent no response headers within ${this.options.headersTimeoutMs / 1000} s (${target})`, {
        method: spec.method, url: redactUrl(url), cause: err, hint: `raise ${names.headers} if the registry is slow, or check the network`,
      });
    }
    if (code === "UND_ERR_BODY_TIMEOUT") {
      return new RegistryError("E_TIMEOUT", `${url.host} sent no data for ${this.options.bodyTimeoutMs / 1000} s (${target})`, {
        method: spec.method, url: redactUrl(url), cause: err, hint: `raise ${names.body} on slow links, or check the network`,
      });
    }
    if (code === "UND_ERR_CONNECT_TIMEOUT") {
      return new RegistryError("E_TIMEOUT", `connecting to ${url.host} timed out after ${this.options.connectTimeoutMs / 1000} s`, {
        method: spec.method, url: redactUrl(url), cause: err, hint: "check the registry address, the network and HTTPS_PROXY/NO_PROXY",
      });
    }
    const why = code ?? (err instanceof Error ? err.message : String(err));
    return new RegistryError("E_NETWORK", `cannot talk to ${url.host}: ${why} (${target})`, {
      method: spec.method, url: redactUrl(url), cause: err,
      hint: `check that ${spec.registry} is reachable (network, HTTPS_PROXY/NO_PROXY, ${optionName("insecureRegistries")} for plain HTTP)`,
    });
  }

  private errorContext(spec: RequestSpec, url: URL, insufficientScope: boolean) {
    return {
      method: spec.method,
      url: redactUrl(url),
      registry: spec.registry,
      repository: spec.repository,
      subject: spec.subject,
      insufficientScope,
    };
  }

  /** Token requests: no auth challenge handling, no redirects beyond undici's, but retried (and abortable). */
  private readonly tokenFetch: TokenFetch = (url, init) => {
    const u = new URL(url);
    const spec = { method: init.method, registry: init.registry, signal: init.signal };
    const { attempts, maxDelayMs } = this.options.retry;
    return withRetry(async (attempt) => {
      let status: number;
      let text: string;
      let retryAfter: string | undefined;
      try {
        const res = await undici().request(u, {
          dispatcher: this.dispatcher,
          method: init.method,
          headers: { "user-agent": this.options.userAgent, ...init.headers },
          body: init.body ?? null,
          signal: init.signal,
        });
        ({ statusCode: status } = res);
        retryAfter = header(res.headers, "retry-after");
        text = await readLimited(res.body);
      } catch (err) {
        throw this.networkError(err, u, spec);
      }
      // The last try's answer is returned as it is: the token request reports the realm's own words.
      if (isRetryableStatus(status) && attempt < attempts) throw new RetryableStatusError(status, parseRetryAfter(retryAfter, maxDelayMs));
      return { status, text };
    }, this.retryOptions(init.signal));
  };
}

/**
 * Drop a response body we do not need. Small bodies are drained so the connection is reused; an
 * error listener keeps undici's "Request aborted" from surfacing as an uncaught exception.
 */
export function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => {});
  body.dump({ limit: 64 * 1024 }).catch(() => {});
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
