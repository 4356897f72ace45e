/**
 * Start the real distribution registry (Debian docker-registry 2.8) on loopback for one test file,
 * through scripts/start-registry.sh. Always call stop() in `after`.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { freePort } from "./ports.js";
import { makeTempDir } from "./tmp.js";
import { runOk } from "./run.js";

export const SCRIPTS = resolve(import.meta.dirname, "../../scripts");

export interface RegistryOptions {
  /** Basic auth with one user, `user:password`. */
  user?: string;
  /** Bearer token auth: realm URL, service, issuer, PEM bundle of signing certs. */
  token?: { realm: string; service: string; issuer: string; certBundle: string };
}

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  port: number;
  dir: string;
  /** The registry's error and warning lines so far, without HEAD misses (for a failure message: the registry's side). */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const { dir, cleanup } = await makeTempDir("mb-reg-");
  const port = await freePort();
  const args = [join(SCRIPTS, "start-registry.sh"), join(dir, "reg"), String(port)];
  if (opts.user) args.push("--user", opts.user);
  if (opts.token) args.push("--token", opts.token.realm, opts.token.service, opts.token.issuer, opts.token.certBundle);
  await runOk("bash", args);
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    async errorLog() {
      const log = await readFile(join(dir, "reg", "registry.log"), "utf8").catch(() => "");
      // HEAD misses (blob/manifest unknown) are how a push asks what is there: not errors worth showing
      return log.split("\n").filter((l) => /level=(error|warn)/.test(l) && !/err\.code="(blob|manifest) unknown"/.test(l)).slice(-30).join("\n");
    },
    async stop() {
      try {
        await runOk("bash", [join(SCRIPTS, "start-registry.sh"), "--stop", join(dir, "reg")]);
      } finally {
        await cleanup();
      }
    },
  };
}
