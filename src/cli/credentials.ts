/** The keychain for a CLI run: --username/--password-stdin first, then env, then docker config. */
import { text } from "node:stream/consumers";
import { MapBuildError } from "../errors.js";
import { parseReference } from "../reference/index.js";
import { defaultKeychain } from "../registry/keychain/index.js";
import type { Keychain } from "../registry/credentials-types.js";
import type { CliIO } from "./io.js";

export async function buildKeychain(flags: { username?: string; passwordStdin?: boolean; tag: string }, io: Pick<CliIO, "env" | "stdin">): Promise<Keychain> {
  if (!flags.username) return defaultKeychain({ env: io.env });
  if (!flags.passwordStdin) {
    throw new MapBuildError("E_USAGE", "--username needs --password-stdin", {
      hint: "pipe the password in: echo \"$PASSWORD\" | map-build package … --username USER --password-stdin",
    });
  }
  const password = (await text(io.stdin)).replace(/\r?\n$/, "");
  if (!password) throw new MapBuildError("E_USAGE", "--password-stdin read an empty password", { hint: "pipe the password into map-build's standard input" });
  // explicit credentials are for the registry we push to (the --tag's registry)
  const registry = parseReference(flags.tag).registry;
  return defaultKeychain({ env: io.env, explicit: { registry, credential: { username: flags.username, password }, source: "--username/--password-stdin" } });
}
