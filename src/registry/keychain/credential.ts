/** Helpers shared by the keychains: credentials that refuse to print themselves, registry keys. */
import { inspect } from "node:util";
import { normalizeRegistry } from "../../reference/index.js";
import type { Credential } from "../credentials-types.js";

const REDACTED = "[redacted]";

/**
 * A copy of `c` that prints as `[redacted]` fields through console.log, util.inspect and
 * JSON.stringify, so a stray debug line cannot leak it. The fields stay readable for the transport.
 */
export function sealCredential(c: Credential, source = c.source): Credential {
  const out: Credential = {};
  if (c.username !== undefined && c.username !== "") out.username = c.username;
  if (c.password !== undefined && c.password !== "") out.password = c.password;
  if (c.identityToken !== undefined && c.identityToken !== "") out.identityToken = c.identityToken;
  if (c.registryToken !== undefined && c.registryToken !== "") out.registryToken = c.registryToken;
  const shown = () => Object.fromEntries(Object.keys(out).map((k) => [k, k === "username" ? out.username : REDACTED]));
  // not enumerable: a credential compares and copies by its secret fields only
  if (source !== undefined) Object.defineProperty(out, "source", { value: source, enumerable: false });
  Object.defineProperty(out, "toJSON", { value: shown, enumerable: false });
  Object.defineProperty(out, inspect.custom, { value: () => `Credential ${inspect(shown())}`, enumerable: false });
  return out;
}

/** True when the credential carries anything to authenticate with. */
export function hasSecret(c: Credential): boolean {
  return Boolean(c.password || c.identityToken || c.registryToken);
}

/** The key every keychain compares on: `docker.io` for Docker Hub, else lower-case host[:port]. */
export function registryKey(registry: string): string {
  return normalizeRegistry(registry);
}
