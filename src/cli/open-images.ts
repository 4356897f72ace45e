/**
 * Opening the images `inspect` and `diff` read: local paths and transports, or a registry with
 * the CLI's credentials (--username/--password-stdin for the first registry image named, then the
 * environment and docker's config), insecure hosts and timeouts. One client per command run.
 */
import { parseBaseSpec, type PlatformSpec } from "../image/index.js";
import { openBaseImage, type OpenedBase } from "../build/base-image.js";
import { RegistryClient } from "../registry/index.js";
import { buildKeychain } from "./credentials.js";
import { registryTuningFromEnv } from "./registry-tuning.js";
import type { CliIO } from "./io.js";

export interface RegistryFlags {
  insecureRegistry?: string[];
  username?: string;
  passwordStdin?: boolean;
}

export interface ImageOpener {
  open(spec: string): Promise<OpenedBase>;
  close(): Promise<void>;
}

export async function imageOpener(images: readonly string[], platform: PlatformSpec, flags: RegistryFlags, io: CliIO): Promise<ImageOpener> {
  const registryImage = images.find((i) => parseBaseSpec(i).kind === "registry") ?? images[0]!;
  const keychain = await buildKeychain({ ...flags, tag: registryImage }, io);
  let client: RegistryClient | undefined;
  const getClient = () => (client ??= new RegistryClient({ ...registryTuningFromEnv(io.env), keychain, insecureRegistries: flags.insecureRegistry ?? [] }));
  return {
    open: (spec) => openBaseImage(spec, platform, getClient, io.signal),
    close: async () => {
      await client?.close().catch(() => {});
    },
  };
}
