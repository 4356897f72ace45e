/**
 * Opening the images `inspect` and `diff` read: local paths and transports, or a registry with
 * the CLI's credentials (--username/--password-stdin for the first registry image named, then the
 * environment and docker's config), insecure hosts and timeouts. One client per command run.
 */
import { indexTar, parseBaseSpec, tarIndexOnce, type Platform, type PlatformSpec, type TarIndexReader } from "../image/index.js";
import { basePlatforms, indexPlatforms } from "../builder/index.js";
import { openBaseImage, type OpenedBase } from "../source/index.js";
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
  /** The image `spec` names, for `platform` when it is an index (default: the opener's platform). */
  open(spec: string, platform?: PlatformSpec): Promise<OpenedBase>;
  /** The platforms an image offers (an index's entries, else its config's platform). */
  platforms(spec: string): Promise<Platform[]>;
  /** The platforms of an index; undefined for a single image. */
  indexPlatforms(spec: string): Promise<Platform[] | undefined>;
  /** The command's registry client (opened on first use). */
  client(): RegistryClient;
  /** The command's archive reader: each local archive's headers are read once, however often it is opened. */
  tarIndex: TarIndexReader;
  close(): Promise<void>;
}

/** `readTarIndex`: how an archive's headers are read (tests count reads through it); each archive's once per opener. */
export async function imageOpener(images: readonly string[], platform: PlatformSpec, flags: RegistryFlags, io: CliIO, readTarIndex: TarIndexReader = indexTar): Promise<ImageOpener> {
  const registryImage = images.find((i) => parseBaseSpec(i).kind === "registry") ?? images[0]!;
  const keychain = await buildKeychain({ ...flags, tag: registryImage }, io);
  let client: RegistryClient | undefined;
  // one command reads an image several ways (an index's platforms, then the image): each manifest is fetched once
  const getClient = () => (client ??= new RegistryClient({ ...registryTuningFromEnv(io.env), keychain, insecureRegistries: flags.insecureRegistry ?? [], rememberManifests: true }));
  // and each archive's headers are read once (inspect opens an archive for its platforms, then each platform)
  const tarIndex = tarIndexOnce(readTarIndex);
  return {
    open: (spec, p) => openBaseImage(spec, p ?? platform, getClient, io.signal, { tarIndex }),
    client: getClient,
    tarIndex,
    platforms: (spec) => basePlatforms(spec, getClient, io.signal, { tarIndex }),
    indexPlatforms: (spec) => indexPlatforms(spec, getClient, io.signal, { tarIndex }),
    close: async () => {
      await client?.close().catch(() => {});
    },
  };
}
