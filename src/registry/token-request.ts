/**
 * One token request to a Bearer realm (distribution token spec): a GET with Basic credentials, or
 * the OAuth2 refresh-token POST docker does with an `identitytoken`. Refuses a plain-HTTP realm on a
 * host that is neither loopback nor listed as insecure: whatever is sent there crosses the network
 * in the clear.
 */
import { MapBuildError } from "../errors.js";
import type { Credential } from "./credentials-types.js";
import { isInsecureRegistry, splitHostPort } from "./insecure.js";
import { redactUrl } from "../redact-url.js";
import { parseErrorBody } from "./registry-error.js";

export interface TokenHttpResponse {
  status: number;
  text: string;
}

/** A plain request without auth or redirects (the transport's retrying fetch). */
export type TokenFetch = (
  url: string,
  init: { method: "GET" | "POST"; headers: Record<string, string>; body?: string; registry: string; signal?: AbortSignal | undefined },
) => Promise<TokenHttpResponse>;

export interface BearerChallenge {
  realm: string;
  service?: string | undefined;
}

export interface IssuedToken {
  token: string;
  /** ms since epoch; a little before the real expiry, so a token does not lapse in flight. */
  expiresAt: number;
}

export interface TokenRequestContext {
  registry: string;
  scopes: string[];
  cred: Credential | undefined;
  fetch: TokenFetch;
  signal?: AbortSignal | undefined;
  insecureRegistries: readonly string[];
  now: () => number;
  /** Builds the error for a 401 from the realm (it knows whether credentials were sent). */
  refused: () => MapBuildError;
}

/** Spec: when a token server omits expires_in the token lasts 60 s. */
const DEFAULT_TOKEN_SECONDS = 60;
const EARLY_REFRESH_MS = 10_000;

export function checkRealm(registry: string, realm: URL, insecureRegistries: readonly string[]): void {
  if (realm.protocol === "https:") return;
  const sameInsecureHost = splitHostPort(registry).host === realm.hostname.replace(/^\[|\]$/g, "") && isInsecureRegistry(registry, insecureRegistries);
  if (realm.protocol === "http:" && (isInsecureRegistry(realm.host, insecureRegistries) || sameInsecureHost)) return;
  throw new MapBuildError("E_REGISTRY", `the token service of ${registry} is not HTTPS (${redactUrl(realm)}); refusing to send credentials to it`, {
    hint: `only loopback hosts and registries listed as insecure may use plain HTTP; list ${realm.host} as an insecure registry if this network is trusted`,
  });
}

export async function requestToken(ch: BearerChallenge, ctx: TokenRequestContext): Promise<IssuedToken> {
  const realm = new URL(ch.realm); // keeps the realm's own query string
  checkRealm(ctx.registry, realm, ctx.insecureRegistries);
  const { cred, scopes, registry } = ctx;
  let res: TokenHttpResponse;
  if (cred?.identityToken) {
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: cred.identityToken, client_id: "map-build" });
    if (ch.service) form.set("service", ch.service);
    if (scopes.length) form.set("scope", scopes.join(" "));
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    res = await ctx.fetch(realm.toString(), { method: "POST", headers, body: form.toString(), registry, signal: ctx.signal });
  } else {
    if (ch.service) realm.searchParams.set("service", ch.service);
    for (const s of scopes) realm.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    const basic = basicHeader(cred);
    if (basic) headers.authorization = basic;
    res = await ctx.fetch(realm.toString(), { method: "GET", headers, registry, signal: ctx.signal });
  }
  if (res.status === 401) throw ctx.refused();
  if (res.status !== 200) {
    const theirs = parseErrorBody(res.text)[0];
    const denied = res.status === 403;
    throw new MapBuildError(denied ? "E_DENIED" : "E_REGISTRY", `token request for ${registry} failed with ${res.status}${theirs ? `: ${theirs.code}` : ""} (${redactUrl(realm)})`, {
      hint: denied ? `the credentials for ${registry} lack access to ${scopes.join(" ")}` : "the registry's token service failed; retry later",
    });
  }
  return parseTokenResponse(registry, res.text, ctx.now());
}

function parseTokenResponse(registry: string, text: string, now: number): IssuedToken {
  let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch (cause) {
    throw new MapBuildError("E_REGISTRY", `token service of ${registry} answered with invalid JSON`, { cause });
  }
  const token = typeof body.token === "string" && body.token ? body.token : typeof body.access_token === "string" ? body.access_token : "";
  if (!token) throw new MapBuildError("E_REGISTRY", `token service of ${registry} returned no token`);
  const seconds = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
  const issued = typeof body.issued_at === "string" ? Date.parse(body.issued_at) : NaN;
  // Trust our clock over a skewed issued_at that lies in the future.
  const start = Number.isNaN(issued) ? now : Math.min(issued, now);
  return { token, expiresAt: start + seconds * 1000 - Math.min(EARLY_REFRESH_MS, (seconds * 1000) / 2) };
}

export function basicHeader(cred: Credential | undefined): string | undefined {
  if (!cred?.username || cred.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`;
}
