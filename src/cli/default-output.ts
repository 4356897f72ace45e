/**
 * The sinks for `package`, from its output flags, in a fixed order: local files first (they need no
 * network, and a push failure should not lose them), then the engine, then the registry.
 * With no output flag, do what the original packager's users expect: the MAP ends up in the local
 * Docker engine when one runs; otherwise a tarball in the current folder (never a silent no-op).
 */
import { basename, join } from "node:path";
import { dockerTarballSink, engineLoadSink, ociArchiveSink, ociLayoutSink, pingEngine, pushSink, type Sink } from "../sinks/index.js";
import type { CliIO } from "./io.js";
import type { BuildFlags } from "./package-command.js";

export interface ChosenSinks {
  sinks: Sink[];
  /** Set when no output flag was given: what was chosen instead, for the log. */
  defaulted?: string;
}

/** `resolvePath` turns a path as typed into one the core can open. */
export async function outputSinks(flags: BuildFlags, io: Pick<CliIO, "env" | "cwd">, resolvePath: (p: string) => string, allowDefault = true): Promise<ChosenSinks> {
  const dockerHost = io.env.DOCKER_HOST;
  const sinks: Sink[] = [];
  if (flags.tarball) sinks.push(dockerTarballSink(resolvePath(flags.tarball), { option: "--tarball", alsoNames: flags.alsoTag }));
  if (flags.ociLayout) sinks.push(ociLayoutSink(resolvePath(flags.ociLayout), { option: "--oci-layout", alsoNames: flags.alsoTag }));
  if (flags.ociArchive) sinks.push(ociArchiveSink(resolvePath(flags.ociArchive), { option: "--oci-archive", alsoNames: flags.alsoTag }));
  if (flags.load) sinks.push(engineLoadSink(dockerHost, { alsoNames: flags.alsoTag }));
  if (flags.push) sinks.push(pushSink(), ...(flags.alsoTag ?? []).map((name) => pushSink({ name })));
  if (sinks.length > 0 || !allowDefault) return { sinks };
  if (await pingEngine(dockerHost, 2000)) {
    return { sinks: [engineLoadSink(dockerHost)], defaulted: "no output flag given: loading into the Docker engine" };
  }
  const tarball = join(io.cwd, defaultTarballName(flags.tag));
  return { sinks: [dockerTarballSink(tarball, { option: "--tarball" })], defaulted: `no output flag given and no Docker engine answered: writing ${tarball}` };
}

/** `name-tag.tar` from a reference, for the default tarball path. */
function defaultTarballName(tag: string): string {
  const noDigest = tag.split("@")[0]!;
  const lastSlash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const hasTag = colon > lastSlash;
  const repo = basename(hasTag ? noDigest.slice(0, colon) : noDigest);
  const t = hasTag ? noDigest.slice(colon + 1) : "latest";
  return `${repo}-${t}.tar`;
}
