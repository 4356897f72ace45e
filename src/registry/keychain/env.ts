/**
 * Credentials from environment variables, for CI where no docker config exists:
 * - `NGC_API_KEY` (or the NGC CLI's `NGC_CLI_API_KEY`) for nvcr.io, as user `$oauthtoken`, which is
 *   how NGC expects API keys (https://docs.nvidia.com/ngc/gpu-cloud/ngc-user-guide/).
 * - `MAP_BUILD_REGISTRY_USER` + `MAP_BUILD_REGISTRY_PASSWORD` for any registry, or only for the
 *   comma-separated registries in `MAP_BUILD_REGISTRY_HOST` when that is set.
 */
import { MapBuildError } from "../../errors.js";
import type { Credential, Keychain } from "../credentials-types.js";
import { registryKey, sealCredential } from "./credential.js";

export const NGC_REGISTRY = "nvcr.io";
/** NGC's fixed user name for API-key logins. */
export const NGC_USERNAME = "$oauthtoken";

const GENERIC_SOURCE = "MAP_BUILD_REGISTRY_USER/PASSWORD";

export function envKeychain(env: NodeJS.ProcessEnv): Keychain {
  const ngcKey = env.NGC_API_KEY || env.NGC_CLI_API_KEY || undefined;
  const ngc = ngcKey ? sealCredential({ username: NGC_USERNAME, password: ngcKey }, env.NGC_API_KEY ? "NGC_API_KEY" : "NGC_CLI_API_KEY") : undefined;

  const user = env.MAP_BUILD_REGISTRY_USER || undefined;
  const password = env.MAP_BUILD_REGISTRY_PASSWORD || undefined;
  const hosts = (env.MAP_BUILD_REGISTRY_HOST ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "")
    .map(registryKey);
  if ((user === undefined) !== (password === undefined)) {
    const [set, unset] = user ? ["MAP_BUILD_REGISTRY_USER", "MAP_BUILD_REGISTRY_PASSWORD"] : ["MAP_BUILD_REGISTRY_PASSWORD", "MAP_BUILD_REGISTRY_USER"];
    throw new MapBuildError("E_USAGE", `${set} is set but ${unset} is not`, {
      hint: "set both MAP_BUILD_REGISTRY_USER and MAP_BUILD_REGISTRY_PASSWORD, or neither",
    });
  }
  if (hosts.length > 0 && user === undefined) {
    throw new MapBuildError("E_USAGE", "MAP_BUILD_REGISTRY_HOST is set but MAP_BUILD_REGISTRY_USER and MAP_BUILD_REGISTRY_PASSWORD are not", {
      hint: "set the user and password too, or unset MAP_BUILD_REGISTRY_HOST",
    });
  }
  const generic: Credential | undefined = user && password ? sealCredential({ username: user, password }, GENERIC_SOURCE) : undefined;

  return {
    resolve(registry) {
      const key = registryKey(registry);
      // Most specific first: generic creds scoped to this host, then NGC's key, then unscoped generic creds.
      if (generic && hosts.includes(key)) return Promise.resolve(generic);
      if (ngc && key === NGC_REGISTRY) return Promise.resolve(ngc);
      if (generic && hosts.length === 0) return Promise.resolve(generic);
      return Promise.resolve(undefined);
    },
    describe(registry) {
      return registryKey(registry) === NGC_REGISTRY ? ["NGC_API_KEY", GENERIC_SOURCE] : [GENERIC_SOURCE];
    },
  };
}
