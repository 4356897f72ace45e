/**
 * Challenge-driven auth (distribution token spec): anonymous until a 401 names a scheme, then Basic
 * from the keychain or a Bearer token fetched from the realm for the request's scopes, cached per
 * (registry, scope set) until it expires and refreshed once on a 401.
 */
import { MapBuildError } from "../errors.js";
import type { Credential, Keychain } from "./credentials-types.js";
import { hintsFor } from "./host-hints.js";
import { redactUrl } from "./redact.js";
import { parseErrorBody } from "./registry-error.js";
import { parseWwwAuthenticate } from "./www-authenticate.js";

interface KnownChallenge {
  scheme: "basic" | "bearer";
  realm?: string;
  service?: string;
}

interface CachedToken {
  token: string;
  /** ms since epoch; refreshed a little early so a token does not expire in flight. */
  expiresAt: number;
}

export interface TokenHttpResponse {
  status: number;
  text: string;
}

/** A plain request without auth or redirects (the transport's retrying fetch). */
export type TokenFetch = (
  url: string,
  init: { method: "GET" | "POST"; headers: Record<string, string>; body?: string; registry: string },
) => Promise<TokenHttpResponse>;

/** What a 401 told us, so the caller can decide to retry and which error to raise. */
export interface UnauthorizedVerdict {
  retry: boolean;
  insufficientScope: boolean;
}

/** Spec: when a token server omits expires_in the token lasts 60 s. */
const DEFAULT_TOKEN_SECONDS = 60;
const EARLY_REFRESH_MS = 10_000;

export class Authenticator {
  private readonly challenges = new Map<string, KnownChallenge>();
  private readonly tokens = new Map<string, CachedToken | Promise<CachedToken>>();
  private readonly credentials = new Map<string, Promise<Credential | undefined>>();

  constructor(
    private readonly keychain: Keychain | undefined,
    private readonly fetchToken: TokenFetch,
  ) {}

  /** The Authorization header for a request, or undefined to go anonymous. */
  async authorization(registry: string, scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    const cred = await this.credential(registry);
    // A keychain token is a bearer token for this registry as is; no challenge needed.
    if (cred?.registryToken) return `Bearer ${cred.registryToken}`;
    const ch = this.challenges.get(registry);
    if (!ch) return undefined;
    if (ch.scheme === "basic") return basicHeader(cred);
    const token = await this.token(registry, ch, scopes, cred, signal);
    return token ? `Bearer ${token}` : undefined;
  }

  /**
   * Learn from a 401 and say whether to try again. `alreadyRetried`: this request already got a
   * 401 and a fresh token, so this one is final.
   */
  async onUnauthorized(registry: string, scopes: string[], header: string | undefined, alreadyRetried: boolean): Promise<UnauthorizedVerdict> {
    const parsed = parseWwwAuthenticate(header ?? "");
    const bearer = parsed.find((c) => c.scheme.toLowerCase() === "bearer");
    const basic = parsed.find((c) => c.scheme.toLowerCase() === "basic");
    const insufficientScope = bearer?.params.error === "insufficient_scope";
    this.tokens.delete(tokenKey(registry, scopes));
    if (alreadyRetried) return { retry: false, insufficientScope };
    if (bearer?.params.realm) {
      this.challenges.set(registry, { scheme: "bearer", realm: bearer.params.realm, service: bearer.params.service });
      const cred = await this.credential(registry);
      if (cred?.registryToken) return { retry: false, insufficientScope };
      // Once: the challenge may be new to us, or the cached token expired early or lacked a scope.
      return { retry: true, insufficientScope };
    }
    if (basic) {
      const hadBasic = this.challenges.get(registry)?.scheme === "basic";
      this.challenges.set(registry, { scheme: "basic" });
      const cred = await this.credential(registry);
      return { retry: !hadBasic && basicHeader(cred) !== undefined, insufficientScope: false };
    }
    return { retry: false, insufficientScope };
  }

  private credential(registry: string): Promise<Credential | undefined> {
    let p = this.credentials.get(registry);
    if (!p) {
      p = this.keychain ? this.keychain.resolve(registry) : Promise.resolve(undefined);
      this.credentials.set(registry, p);
    }
    return p;
  }

  private async token(registry: string, ch: KnownChallenge, scopes: string[], cred: Credential | undefined, signal?: AbortSignal): Promise<string> {
    const key = tokenKey(registry, scopes);
    const cached = this.tokens.get(key);
    if (cached && !(cached instanceof Promise) && cached.expiresAt > Date.now()) return cached.token;
    if (cached instanceof Promise) return (await cached).token;
    // Share one token request between parallel blob uploads asking for the same scopes.
    const pending = this.requestToken(registry, ch, scopes, cred, signal);
    this.tokens.set(key, pending);
    try {
      const t = await pending;
      this.tokens.set(key, t);
      return t.token;
    } catch (err) {
      this.tokens.delete(key);
      throw err;
    }
  }

  private async requestToken(registry: string, ch: KnownChallenge, scopes: string[], cred: Credential | undefined, _signal?: AbortSignal): Promise<CachedToken> {
    const realm = new URL(ch.realm!); // keeps the realm's own query string
    let res: TokenHttpResponse;
    if (cred?.identityToken) {
      // OAuth2 refresh-token grant, as docker does with an `identitytoken` from config.json.
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: cred.identityToken, client_id: "map-build" });
      if (ch.service) form.set("service", ch.service);
      if (scopes.length) form.set("scope", scopes.join(" "));
      res = await this.fetchToken(realm.toString(), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        registry,
      });
    } else {
      if (ch.service) realm.searchParams.set("service", ch.service);
      for (const s of scopes) realm.searchParams.append("scope", s);
      const headers: Record<string, string> = {};
      const basic = basicHeader(cred);
      if (basic) headers.authorization = basic;
      res = await this.fetchToken(realm.toString(), { method: "GET", headers, registry });
    }
    if (res.status !== 200) {
      const theirs = parseErrorBody(res.text)[0];
      const code = res.status === 401 ? "E_UNAUTHORIZED" : res.status === 403 ? "E_DENIED" : "E_REGISTRY";
      throw new MapBuildError(code, `token request for ${registry} failed with ${res.status}${theirs ? `: ${theirs.code}` : ""} (${redactUrl(realm)})`, {
        hint: code === "E_REGISTRY" ? "the registry's token service failed; retry later" : hintsFor(registry).unauthorized,
      });
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch (cause) {
      throw new MapBuildError("E_REGISTRY", `token service of ${registry} answered with invalid JSON`, { cause });
    }
    const token = typeof body.token === "string" && body.token ? body.token : typeof body.access_token === "string" ? body.access_token : "";
    if (!token) throw new MapBuildError("E_REGISTRY", `token service of ${registry} returned no token`);
    const seconds = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    const issued = typeof body.issued_at === "string" ? Date.parse(body.issued_at) : NaN;
    // Trust our clock over a skewed issued_at that lies in the future.
    const start = Number.isNaN(issued) ? Date.now() : Math.min(issued, Date.now());
    return { token, expiresAt: start + seconds * 1000 - Math.min(EARLY_REFRESH_MS, (seconds * 1000) / 2) };
  }
}

function tokenKey(registry: string, scopes: string[]): string {
  return `${registry} ${[...scopes].sort().join(" ")}`;
}

function basicHeader(cred: Credential | undefined): string | undefined {
  if (!cred?.username || cred.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`;
}
