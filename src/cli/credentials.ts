/** The keychain for a CLI run: --username/--password-stdin, --authfile, env, containers' auth files, docker config. */
import { stat } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { MapBuildError } from "../errors.js";
import { parseReference } from "../reference/index.js";
import { defaultKeychain } from "../registry/keychain/index.js";
import type { Keychain } from "../registry/index.js";
import type { CliIO } from "./io.js";

export async function buildKeychain(flags: { username?: string; passwordStdin?: boolean; tag: string; authfile?: string | undefined }, io: Pick<CliIO, "env" | "stdin">): Promise<Keychain> {
  const authfile = flags.authfile;
  if (authfile && !(await stat(authfile).catch(() => undefined))?.isFile()) {
    throw new MapBuildError("E_USAGE", `--authfile ${authfile} does not exist or is not a file`, { hint: "pass the auth.json written by podman/skopeo login (or docker's config.json)" });
  }
  if (!flags.username) return defaultKeychain({ env: io.env, authfile });
  if (!flags.passwordStdin) {
    throw new MapBuildError("E_USAGE", "--username needs --password-stdin", {
      hint: "pipe the password in: echo \"$PASSWORD\" | map-build package … --username USER --password-stdin",
    });
  }
  const password = (await text(io.stdin)).replace(/\r?\n$/, "");
  if (!password) throw new MapBuildError("E_USAGE", "--password-stdin read an empty password", { hint: "pipe the password into map-build's standard input" });
  // explicit credentials are for the registry we push to (the --tag's registry)
  const registry = parseReference(flags.tag).registry;
  return defaultKeychain({ env: io.env, authfile, explicit: { registry, credential: { username: flags.username, password }, source: "--username/--password-stdin" } });
}
