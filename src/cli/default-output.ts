/**
 * With no output flag, do what the original packager's users expect: the MAP ends up in the local
 * Docker engine when one runs; otherwise a tarball in the current folder (never a silent no-op).
 */
import { join } from "node:path";
import type { PackageOutputs } from "../build/options.js";
import type { CliIO } from "./io.js";
import { defaultTarballName } from "./run-package.js";

export async function chooseDefaultOutput(tag: string, io: Pick<CliIO, "env" | "cwd">): Promise<PackageOutputs> {
  const { pingEngine } = await import("../sinks/engine-load.js");
  if (await pingEngine(io.env.DOCKER_HOST, 2000)) return { load: true };
  return { tarball: join(io.cwd, defaultTarballName(tag)) };
}
