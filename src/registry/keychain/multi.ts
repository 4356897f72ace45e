import type { Credential, Keychain } from "../credentials-types.js";
import { dockerConfigKeychain } from "./docker-config.js";
import { envKeychain } from "./env.js";
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
}

/** explicit options → environment → docker config.json, the order docker-like tools use. */
export function defaultKeychain(opts: DefaultKeychainOptions): Keychain {
  const chain: Keychain[] = [];
  if (opts.explicit) {
    chain.push("resolve" in opts.explicit ? opts.explicit : explicitKeychain(opts.explicit.registry, opts.explicit.credential, opts.explicit.source));
  }
  chain.push(envKeychain(opts.env), dockerConfigKeychain({ env: opts.env }));
  return multiKeychain(...chain);
}
