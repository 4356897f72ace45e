/**
 * Credentials from containers' auth files, where skopeo, podman and buildah keep them
 * (containers-auth.json(5)): the given file, else `REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`
 * and `~/.config/containers/auth.json`. Same `auths` format as docker's config.json; only read.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { Keychain } from "../credentials-types.js";
import { dockerConfigKeychain } from "./docker-config.js";

export interface ContainersAuthOptions {
  env: NodeJS.ProcessEnv;
}

/** The files skopeo/podman would read, in their order. */
export function containersAuthFiles(opts: ContainersAuthOptions): string[] {
  const { env } = opts;
  const files = [env.REGISTRY_AUTH_FILE, env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "containers", "auth.json") : undefined, join(env.HOME || homedir(), ".config", "containers", "auth.json")];
  return [...new Set(files.filter((f): f is string => Boolean(f)))];
}

/** One keychain per auth file (an auth file the caller names is read the same way: authFileKeychain). */
export function containersAuthKeychains(opts: ContainersAuthOptions): Keychain[] {
  return containersAuthFiles(opts).map((file) => authFileKeychain(opts.env, file));
}

export function authFileKeychain(env: NodeJS.ProcessEnv, file: string): Keychain {
  return dockerConfigKeychain({ env, file });
}
