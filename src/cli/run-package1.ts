/** Turns parsed MAP 1.0 `package -c …` flags into a packageMap({ format: "1.0" }) call. */
import { MapBuildError } from "../errors.js";
import type { PackageMap1Options } from "../builder/index.js";
import type { CliIO, Verbosity } from "./io.js";
import type { Package1Flags } from "./package1-command.js";
import { buildAndReport, cliContext, sharedBuildOptions, supplyChainOptions, type PackageDeps } from "./run-package.js";
import { DEFAULT_SBOM_IN_IMAGE_MAP1 } from "./package-command.js";
import { parseKeyValues } from "./validate-flags.js";

/** The labels a MAP 1.0 sets itself (`--label` may not replace them). */
const MAP1_LABELS = ["base", "tag", "org.opencontainers.image.title", "org.opencontainers.image.version", "org.nvidia.holoscan", "org.monai.deploy.app-sdk"];

const NEEDS_COMPILER = "not supported: prebuild and pass the binary folder";

function refuseUnsupported(flags: Package1Flags): void {
  if (flags.buildImage !== undefined) throw new MapBuildError("E_USAGE", `--build-image is ${NEEDS_COMPILER}`, { hint: "build the C++ app with the Holoscan build image yourself, then package the executable" });
  if (flags.cmakeArgs !== undefined) throw new MapBuildError("E_USAGE", `--cmake-args is ${NEEDS_COMPILER}`, { hint: "build the C++ app with CMake yourself, then package the executable" });
  const includes = Array.isArray(flags.includes) ? flags.includes : [];
  if (includes.length) {
    throw new MapBuildError("E_USAGE", `--includes ${includes.join(" ")} is not supported: it installs system packages with apt, and map-build runs nothing in the image`, {
      hint: "use a base image that already has them (e.g. an NGC pytorch image for torch)",
    });
  }
  if (flags.holoscanSdkFile && flags.monaiDeploySdkFile) {
    throw new MapBuildError("E_USAGE", "--holoscan-sdk-file and --monai-deploy-sdk-file name two SDK wheels", { hint: "pass the one of the app's SDK (--sdk)" });
  }
}

export async function runPackage1(appPath: string, flags: Package1Flags, io: CliIO, verbosity: Verbosity, deps: PackageDeps, command: string): Promise<number> {
  refuseUnsupported(flags);
  const ctx = cliContext(io, verbosity);
  const { here } = ctx.paths;
  for (const [flag, given] of [["--build-cache", flags.buildCache], ["--source", flags.source], ["--add-host", flags.addHost], ["--cuda", flags.cuda]] as const) {
    if (given !== undefined) ctx.logger.info(`${flag} is accepted for compatibility and has no effect: nothing is built in a container`);
  }
  const sdk = flags.sdk ?? (command === "holoscan" ? "holoscan" : "monai-deploy");
  const sdkWheel = sdk === "holoscan" ? flags.holoscanSdkFile : (flags.monaiDeploySdkFile ?? flags.holoscanSdkFile);
  const shared = await sharedBuildOptions(flags, ctx, {}, flags.output === undefined);
  const options: PackageMap1Options = {
    format: "1.0",
    appPath: here(appPath),
    configPath: here(flags.config),
    platform: flags.platform,
    platformConfig: flags.platformConfig,
    tag: flags.tag,
    exactTag: flags.exactTag,
    base: flags.baseImage ?? "",
    models: here(flags.models),
    docs: here(flags.docs),
    timeout: flags.timeout,
    version: flags.version,
    addLibs: flags.add?.map((d) => here(d)),
    inputData: here(flags.inputData),
    sdk,
    sdkVersion: flags.sdkVersion,
    sdkWheel: here(sdkWheel),
    holoscanVersion: flags.holoscanVersion,
    tarballDir: here(flags.output),
    username: flags.username,
    uid: flags.uid,
    gid: flags.gid,
    labels: parseKeyValues("--label", flags.label, MAP1_LABELS),
    annotations: parseKeyValues("--annotation", flags.annotation),
    supplyChain: supplyChainOptions(flags, here, DEFAULT_SBOM_IN_IMAGE_MAP1),
    ...shared,
  };
  return buildAndReport(options, flags, ctx, deps);
}
