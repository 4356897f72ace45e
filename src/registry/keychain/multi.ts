import type { Credential, Keychain } from "../credentials-types.js";
import { dockerConfigKeychain } from "./docker-config.js";
import { envKeychain } from "./env.js";
import { authFileKeychain, containersAuthKeychains } from "./containers-auth.js";
import { explicitKeychain } from "./explicit.js";

/** Ask each keychain in order; the first that has credentials wins. Errors are not swallowed. */
export function multiKeychain(...keychains: Keychain[]): Keychain {
  return {
    async resolve(registry) {
      for (const k of keychains) {
        const c = await k.resolve(registry);
        if (c !== undefined) return c;
      }
      return undefined;
    },
    describe: (registry) => keychains.flatMap((k) => k.describe?.(registry) ?? []),
  };
}

export interface DefaultKeychainOptions {
  env: NodeJS.ProcessEnv;
  /** Credentials the caller was given: a keychain, or the registry they are for, the credential and what to call it. */
  explicit?: Keychain | { registry: string; credential: Credential; source?: string };
  /** An auth file (containers' auth.json format) the caller names, read before the environment. */
  authfile?: string | undefined;
}

/**
 * explicit credentials → a named auth file → environment → containers' auth files → docker's
 * config.json: what the caller says first, then what CI sets, then where skopeo/podman and docker
 * keep logins.
 */
export function defaultKeychain(opts: DefaultKeychainOptions): Keychain {
  const chain: Keychain[] = [];
  if (opts.explicit) {
    chain.push("resolve" in opts.explicit ? opts.explicit : explicitKeychain(opts.explicit.registry, opts.explicit.credential, opts.explicit.source));
  }
  if (opts.authfile) chain.push(authFileKeychain(opts.env, opts.authfile));
  chain.push(envKeychain(opts.env), ...containersAuthKeychains({ env: opts.env }), dockerConfigKeychain({ env: opts.env }));
  return multiKeychain(...chain);
}
