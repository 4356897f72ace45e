/** What a keychain hands the transport for one registry. Never logged, never put in errors. */
export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker config `identitytoken`), exchanged at the token realm. */
  identityToken?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
  /** Where it came from, for messages ("MAP_BUILD_REGISTRY_USER/PASSWORD", a config file's auths…). Not secret. */
  readonly source?: string;
}

/** One source of credentials; `resolve` returns undefined when it has none for `registry`. */
export interface Keychain {
  resolve(registry: string): Promise<Credential | undefined>;
  /** Where it looks for `registry`'s credentials, named for a "no credentials found" message. */
  describe?(registry: string): string[];
}
