/**
 * Credentials from docker's config.json, looked up the way the docker CLI does
 * (docker/cli cli/config/configfile/file.go, GetCredentialsStore / GetAuthConfig):
 * `credHelpers[registry]`, else `credsStore`, via docker-credential-* helpers; then `auths[registry]`
 * (`auth` = base64 "user:password", or `username`/`password`, plus `identitytoken`).
 * Docker Hub lives under `https://index.docker.io/v1/`; keys written as URLs or with a path match
 * their host. The file is only ever read.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { MapBuildError } from "../../errors.js";
import type { Credential, Keychain } from "../credentials-types.js";
import { credentialFromHelper } from "./cred-helper.js";
import { hasSecret, registryKey, sealCredential } from "./credential.js";

/** The key `docker login` writes for Docker Hub, and the server URL helpers know it by. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

const AuthEntrySchema = z.looseObject({
  auth: z.string().nullish(),
  username: z.string().nullish(),
  password: z.string().nullish(),
  identitytoken: z.string().nullish(),
  registrytoken: z.string().nullish(),
});
const DockerConfigSchema = z.looseObject({
  auths: z.record(z.string(), AuthEntrySchema).nullish(),
  credsStore: z.string().nullish(),
  credHelpers: z.record(z.string(), z.string()).nullish(),
});
export type DockerConfig = z.infer<typeof DockerConfigSchema>;
type AuthEntry = z.infer<typeof AuthEntrySchema>;

export interface DockerConfigKeychainOptions {
  /** Used for DOCKER_CONFIG, HOME and the PATH that credential helpers are found on. */
  env: NodeJS.ProcessEnv;
  /** Overrides DOCKER_CONFIG / ~/.docker. */
  configDir?: string;
  /** A file of the same format read instead (containers' auth.json). */
  file?: string;
  helperTimeoutMs?: number;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv, configDir?: string): string {
  const dir = configDir ?? (env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker"));
  return join(dir, "config.json");
}

function malformed(file: string, problem: string): MapBuildError {
  return new MapBuildError("E_USAGE", `docker config ${file} is malformed: ${problem}`, {
    hint: "fix the file (docker login rewrites it), or set DOCKER_CONFIG to another directory",
  });
}

/** Read and validate config.json; undefined when it does not exist. Messages name paths, never values. */
export async function readDockerConfig(file: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new MapBuildError("E_USAGE", `cannot read docker config ${file} (${code ?? "error"})`, {
      hint: "check the file's permissions, or set DOCKER_CONFIG to another directory",
    });
  }
  if (text.trim() === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // No cause and no parser message: V8 quotes the surrounding text, which may be a secret.
    throw malformed(file, "not valid JSON");
  }
  const parsed = DockerConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `[${JSON.stringify(String(p))}]`)).join("") : "";
    const what = issue?.code === "invalid_type" ? `expected ${issue.expected}` : "invalid value";
    throw malformed(file, `${where === "" ? "top level" : where.replace(/^\["([^"]+)"\]/, "$1")}: ${what}`);
  }
  return parsed.data;
}

/** The entry of `record` for `key`: the exact spelling first, then any key naming the same host. */
function lookup<T>(record: Record<string, T> | null | undefined, key: string, exact: string): [string, T] | undefined {
  if (!record) return undefined;
  if (Object.hasOwn(record, exact)) return [exact, record[exact]!];
  const names = Object.keys(record).sort();
  for (const name of names) if (registryKey(name) === key) return [name, record[name]!];
  return undefined;
}

function decodeEntry(file: string, name: string, entry: AuthEntry): Credential | undefined {
  let username = entry.username ?? undefined;
  let password = entry.password ?? undefined;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw malformed(file, `auths["${name}"].auth is not base64 of "user:password"`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const c = sealCredential({
    username,
    password,
    identityToken: entry.identitytoken ?? undefined,
    registryToken: entry.registrytoken ?? undefined,
    source: `auths in ${file}`,
  });
  return hasSecret(c) ? c : undefined;
}

export function dockerConfigKeychain(opts: DockerConfigKeychainOptions): Keychain {
  const file = opts.file ?? dockerConfigPath(opts.env, opts.configDir);
  let config: Promise<DockerConfig | undefined> | undefined;
  const cache = new Map<string, Promise<Credential | undefined>>();

  async function find(key: string): Promise<Credential | undefined> {
    config ??= readDockerConfig(file);
    const cfg = await config;
    if (!cfg) return undefined;
    const exact = key === "docker.io" ? DOCKER_HUB_AUTH_KEY : key;
    const helper = lookup(cfg.credHelpers, key, exact)?.[1] || cfg.credsStore || undefined;
    const entry = lookup(cfg.auths, key, exact);
    if (helper) {
      // `docker login https://host` leaves a `{}` placeholder in auths under the spelling it gave the
      // helper; ask under that spelling too when the canonical one is unknown to the helper.
      const urls = entry && entry[0] !== exact ? [exact, entry[0]] : [exact];
      for (const url of urls) {
        const c = await credentialFromHelper(helper, url, { env: opts.env, timeoutMs: opts.helperTimeoutMs });
        if (c) return sealCredential(c, `credential helper docker-credential-${helper} (${file})`);
      }
      // docker stops here; we still look at auths, which only helps when the helper knows nothing.
    }
    return entry ? decodeEntry(file, entry[0], entry[1]) : undefined;
  }

  return {
    resolve(registry) {
      const key = registryKey(registry);
      let p = cache.get(key);
      if (!p) {
        p = find(key);
        cache.set(key, p);
        p.catch(() => cache.delete(key)); // a failure (e.g. a locked keyring) may be retried
      }
      return p;
    },
    describe: () => [file],
  };
}
