/** What a keychain hands the transport for one registry. Never logged, never put in errors. */
export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker config `identitytoken`), exchanged at the token realm. */
  identityToken?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
}

/** One source of credentials; `resolve` returns undefined when it has none for `registry`. */
export interface Keychain {
  resolve(registry: string): Promise<Credential | undefined>;
}
