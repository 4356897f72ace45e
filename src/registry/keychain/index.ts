export type { Credential, Keychain } from "../credentials-types.js";
export { explicitKeychain } from "./explicit.js";
export { envKeychain, NGC_REGISTRY, NGC_USERNAME } from "./env.js";
export {
  dockerConfigKeychain,
  dockerConfigPath,
  readDockerConfig,
  DOCKER_HUB_AUTH_KEY,
  type DockerConfig,
  type DockerConfigKeychainOptions,
} from "./docker-config.js";
export { credentialFromHelper, DEFAULT_HELPER_TIMEOUT_MS, type HelperOptions } from "./cred-helper.js";
export { multiKeychain, defaultKeychain, type DefaultKeychainOptions } from "./multi.js";
export { containersAuthFiles, containersAuthKeychains, authFileKeychain } from "./containers-auth.js";
export { sealCredential, hasSecret, registryKey } from "./credential.js";
