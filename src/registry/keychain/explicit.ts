import { MapBuildError, optionName } from "../../errors.js";
import type { Credential, Keychain } from "../credentials-types.js";
import { hasSecret, registryKey, sealCredential } from "./credential.js";

/**
 * Credentials given by the caller (the CLI's username and password options), for one registry only.
 * `source` names them in messages; the caller knows what its options are called.
 */
export function explicitKeychain(registry: string, credential: Credential, source = "the credentials given"): Keychain {
  const sealed = sealCredential(credential, source);
  if (!hasSecret(sealed)) {
    throw new MapBuildError("E_USAGE", `no password given for ${registryKey(registry)}`, {
      hint: `pipe the password or token into ${optionName("passwordStdin")}`,
    });
  }
  const key = registryKey(registry);
  return {
    resolve: (r) => Promise.resolve(registryKey(r) === key ? sealed : undefined),
    describe: (r) => (registryKey(r) === key ? [source] : []),
  };
}
