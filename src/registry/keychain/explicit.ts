import { MapBuildError } from "../../errors.js";
import type { Credential, Keychain } from "../credentials-types.js";
import { hasSecret, registryKey, sealCredential } from "./credential.js";

/** Credentials given on the command line (`--username` + `--password-stdin`), for one registry only. */
export function explicitKeychain(registry: string, credential: Credential): Keychain {
  const sealed = sealCredential(credential);
  if (!hasSecret(sealed)) {
    throw new MapBuildError("E_USAGE", `no password given for ${registryKey(registry)}`, {
      hint: "pipe the password or token into --password-stdin",
    });
  }
  const key = registryKey(registry);
  return {
    resolve: (r) => Promise.resolve(registryKey(r) === key ? sealed : undefined),
  };
}
