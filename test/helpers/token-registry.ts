/**
 * A loopback registry with bearer-token auth plus its token server (test/token-server.ts), for one
 * test file. stop() stops both and removes their temp dirs.
 */
import { startTokenServer, type TokenServer, type TokenServerOptions } from "./token-server.js";
import { startRegistry, type TestRegistry } from "./registry.js";

export interface TokenRegistry {
  /** host:port of the registry, e.g. 127.0.0.1:41234 */
  host: string;
  registry: TestRegistry;
  tokenServer: TokenServer;
  stop(): Promise<void>;
}

/** Default users: alice (every action) and puller (pull only), both with password "s3cret". */
export const DEFAULT_TOKEN_USERS: TokenServerOptions["users"] = {
  alice: { password: "s3cret" },
  puller: { password: "s3cret", actions: ["pull"] },
};

export async function startTokenRegistry(opts: Partial<TokenServerOptions> = {}): Promise<TokenRegistry> {
  const tokenServer = await startTokenServer({ ...opts, users: opts.users ?? DEFAULT_TOKEN_USERS });
  let registry: TestRegistry;
  try {
    registry = await startRegistry({ token: tokenServer });
  } catch (err) {
    await tokenServer.stop();
    throw err;
  }
  return {
    host: registry.host,
    registry,
    tokenServer,
    async stop() {
      await registry.stop();
      await tokenServer.stop();
    },
  };
}
