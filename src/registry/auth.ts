/**
 * Challenge-driven auth (distribution token spec), shared by every concurrent request:
 * - the first request to a registry goes alone; the others wait until its answer has taught us the
 *   registry's challenge, so parallel requests go out with credentials instead of each collecting a
 *   401 of its own;
 * - Basic: the keychain's credential on every request; Bearer: one token per (registry, scope set),
 *   fetched once for all waiters and cached until it expires;
 * - a 401 is judged by the credential its request carried: a token is dropped only by requests that
 *   sent the current one, so a revoked token is refreshed once however many requests saw it fail.
 */
import { MapBuildError } from "../errors.js";
import type { Credential, Keychain } from "./credentials-types.js";
import { hintsFor } from "./host-hints.js";
import { hasSecret } from "./keychain/credential.js";
import { basicHeader, requestToken, type BearerChallenge, type IssuedToken, type TokenFetch } from "./token-request.js";
import { parseWwwAuthenticate } from "./www-authenticate.js";

export type { TokenFetch, TokenHttpResponse } from "./token-request.js";

type KnownChallenge = { scheme: "basic" } | ({ scheme: "bearer" } & BearerChallenge);

export interface AuthRequest {
  registry: string;
  scopes: string[];
  /** Ends a token request (and its retry waits) on Ctrl-C. */
  signal?: AbortSignal | undefined;
}

export interface Authorization {
  /** The Authorization header to send, or undefined to go anonymous. */
  header: string | undefined;
  /**
   * Call once the response was handled (after onUnauthorized for a 401), or with `failed` when no
   * response came: the first request to a registry holds the others until then.
   */
  done(failed?: boolean): void;
}

/** Why a request finally failed for want of (good) credentials; replaces the registry's bare 401. */
export interface AuthFailure {
  code: "E_UNAUTHORIZED";
  message: string;
  hint: string;
}

/** What a 401 told us, so the caller can decide to retry and which error to raise. */
export interface UnauthorizedVerdict {
  retry: boolean;
  insufficientScope: boolean;
  failure?: AuthFailure | undefined;
}

export interface AuthenticatorOptions {
  keychain: Keychain | undefined;
  fetchToken: TokenFetch;
  insecureRegistries?: readonly string[];
  /** Injected clock (ms since epoch) for token expiry. */
  now?: () => number;
}

export class Authenticator {
  private readonly challenges = new Map<string, KnownChallenge>();
  /** Per registry: settled once the first request's answer was handled. */
  private readonly firsts = new Map<string, Promise<void>>();
  private readonly tokens = new Map<string, IssuedToken | Promise<IssuedToken>>();
  private readonly credentials = new Map<string, Promise<Credential | undefined>>();
  private readonly now: () => number;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The Authorization for a request; the first to an unknown registry goes alone (see `done`). */
  async authorize(req: AuthRequest): Promise<Authorization> {
    const cred = await this.credential(req.registry);
    // A keychain token is a bearer token for this registry as is; no challenge needed.
    if (cred?.registryToken) return { header: `Bearer ${cred.registryToken}`, done: noop };
    const first = this.firsts.get(req.registry);
    if (first) await first;
    else if (!this.challenges.has(req.registry)) return { header: undefined, done: this.goFirst(req.registry) };
    const ch = this.challenges.get(req.registry);
    if (!ch) return { header: undefined, done: noop };
    if (ch.scheme === "basic") return { header: basicHeader(cred), done: noop };
    return { header: `Bearer ${await this.token(req, ch, cred)}`, done: noop };
  }

  /** The header alone, for callers that do not take part in the first-request gate. */
  async authorization(req: AuthRequest): Promise<string | undefined> {
    const a = await this.authorize(req);
    a.done();
    return a.header;
  }

  private goFirst(registry: string): (failed?: boolean) => void {
    let release!: () => void;
    this.firsts.set(registry, new Promise<void>((r) => (release = r)));
    let called = false;
    return (failed) => {
      if (called) return;
      called = true;
      // No answer taught us nothing: let the next request try first.
      if (failed) this.firsts.delete(registry);
      release();
    };
  }

  /**
   * Learn from a 401 on a request that carried `sent`, and say whether to try again.
   * `alreadyRetried`: this request already got a 401 and a fresh credential, so this one is final.
   */
  async onUnauthorized(req: AuthRequest, header: string | undefined, sent: string | undefined, alreadyRetried: boolean): Promise<UnauthorizedVerdict> {
    const parsed = parseWwwAuthenticate(header ?? "");
    const bearer = parsed.find((c) => c.scheme === "bearer");
    const basic = parsed.find((c) => c.scheme === "basic");
    const insufficientScope = bearer?.params.error === "insufficient_scope";
    const cred = await this.credential(req.registry);
    if (bearer?.params.realm) {
      this.challenges.set(req.registry, { scheme: "bearer", realm: bearer.params.realm, service: bearer.params.service });
      if (sent?.startsWith("Bearer ")) this.dropToken(tokenKey(req.registry, req.scopes), sent.slice(7));
      // Once: the challenge may be new to us, or the token expired early, was revoked or lacked a scope.
      if (!alreadyRetried && !cred?.registryToken) return { retry: true, insufficientScope };
      return { retry: false, insufficientScope, failure: insufficientScope && hasSecret(cred ?? {}) ? undefined : this.failure(req.registry, cred) };
    }
    if (basic) {
      this.challenges.set(req.registry, { scheme: "basic" });
      const mine = basicHeader(cred);
      if (mine && sent !== mine && !alreadyRetried) return { retry: true, insufficientScope: false };
      return { retry: false, insufficientScope: false, failure: this.failure(req.registry, cred) };
    }
    return { retry: false, insufficientScope };
  }

  /** "no credentials found" when the keychain had none, else "rejected", naming where they came from. */
  failure(registry: string, cred: Credential | undefined): AuthFailure {
    if (!cred || !hasSecret(cred)) {
      const places = this.opts.keychain?.describe?.(registry) ?? [];
      return {
        code: "E_UNAUTHORIZED",
        message: `no credentials found for ${registry} (looked in: ${places.length ? places.join(", ") : "nowhere, no credential sources were given"})`,
        hint: hintsFor(registry).unauthorized,
      };
    }
    const from = cred.source ?? "the keychain";
    return {
      code: "E_UNAUTHORIZED",
      message: `credentials for ${registry} were rejected (from: ${from})`,
      hint: `check the user name and password or token in ${from} (they may be wrong or expired)`,
    };
  }

  private credential(registry: string): Promise<Credential | undefined> {
    let p = this.credentials.get(registry);
    if (!p) {
      p = this.opts.keychain ? this.opts.keychain.resolve(registry) : Promise.resolve(undefined);
      this.credentials.set(registry, p);
    }
    return p;
  }

  /** Forget a token only if it is still the one that failed (another request may have replaced it). */
  private dropToken(key: string, failed: string): void {
    const cached = this.tokens.get(key);
    if (cached && !(cached instanceof Promise) && cached.token === failed) this.tokens.delete(key);
  }

  private async token({ registry, scopes, signal }: AuthRequest, ch: BearerChallenge, cred: Credential | undefined): Promise<string> {
    const key = tokenKey(registry, scopes);
    const cached = this.tokens.get(key);
    if (cached instanceof Promise) return (await cached).token;
    if (cached && cached.expiresAt > this.now()) return cached.token;
    // One token request for every request that needs these scopes now (set before any await).
    const pending = requestToken(ch, {
      registry,
      scopes,
      cred,
      fetch: this.opts.fetchToken,
      signal,
      insecureRegistries: this.opts.insecureRegistries ?? [],
      now: this.now,
      refused: () => {
        const f = this.failure(registry, cred);
        return new MapBuildError(f.code, f.message, { hint: f.hint });
      },
    });
    this.tokens.set(key, pending);
    try {
      const t = await pending;
      if (this.tokens.get(key) === pending) this.tokens.set(key, t);
      return t.token;
    } catch (err) {
      if (this.tokens.get(key) === pending) this.tokens.delete(key);
      throw err;
    }
  }
}

const noop = () => {};

function tokenKey(registry: string, scopes: string[]): string {
  return `${registry} ${[...scopes].sort().join(" ")}`;
}
