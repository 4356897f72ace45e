/**
 * `package -c app.yaml …`: the MAP 1.0 command line of holoscan-cli 4.2.0 (`holoscan package` /
 * `monai-deploy package` of App SDK ≥ 0.6), flag for flag, plus map-build's own build options.
 * Chosen instead of the legacy `package` when `-c/--config` or `--format 1.0` is on the command line.
 */
import { Command, Option } from "commander";
import { MapBuildError } from "../errors.js";
import { PLATFORM_NAMES } from "../map1/index.js";
import { addBuildOptions, type BuildFlags } from "./package-command.js";
import { repeatable } from "./validate-flags.js";

export interface Package1Flags extends BuildFlags {
  config: string;
  platform: string;
  platformConfig?: string;
  models?: string;
  docs?: string;
  timeout?: number;
  version?: string;
  add?: string[];
  cuda?: string;
  baseImage?: string;
  buildImage?: string;
  buildCache?: string;
  cmakeArgs?: string;
  holoscanSdkFile?: string;
  monaiDeploySdkFile?: string;
  includes?: string[];
  inputData?: string;
  sdk?: "holoscan" | "monai-deploy";
  sdkVersion?: string;
  source?: string;
  addHost?: string[];
  output?: string;
  username: string;
  uid: number;
  gid: number;
  // map-build's own
  format?: string;
  exactTag?: boolean;
  holoscanVersion?: string;
}

/** Whether a `package` command line asks for MAP 1.0: `-c/--config FILE` or `--format 1.0`. */
export function wantsMap1(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === "-c" || a === "--config" || a.startsWith("--config=") || /^-c./.test(a) || (a === "--format" && argv[i + 1] === "1.0") || a === "--format=1.0");
}

function int(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new MapBuildError("E_USAGE", `${flag} must be a whole number, got "${v}"`, { hint: `pass ${flag} 1000` });
    return Number(v);
  };
}

const EXAMPLES = `
Examples:
  # exactly as App SDK >= 0.6 (holoscan-cli <= 4.2.0) users type it
  monai-deploy package my_app -c my_app/app.yaml -t my_app --platform x86_64 -m models --base-image python:3.12-slim

  # map-build's own outputs: push next to the base, keep the tag as given
  map-build package my_app --format 1.0 -c app.yaml --platform x86_64 -t registry.example.com/apps/my_app:1.0 \\
      --exact-tag --base-image registry.example.com/base/pytorch:25.08-py3 --push \\
      --cache-repo registry.example.com/apps/map-build-cache    # layers shared between CI runners

The image is tagged <name>-<platform>-<config>-<linux-arch>:<tag or app version> as holoscan-cli
did, unless --exact-tag. Nothing is built or run: C++ apps must be prebuilt (pass the binary).
`;

export function package1Command(name = "package"): Command {
  const cmd = new Command(name)
    .description("Build a MAP 1.0 (Holoscan / MONAI Deploy App SDK >= 0.6) from an app and app.yaml, without a Docker daemon")
    .argument("<application>", "a Python folder with __main__.py, a .py file, or an executable")
    .option("-c, --config <app.yaml>", "application configuration (app.yaml)")
    .option("--platform <name,...>", `target platform(s): ${PLATFORM_NAMES.join(", ")}; several (comma-separated) build one multi-platform image (index)`)
    .addOption(new Option("--platform-config <config>", "igpu or dgpu, for the pre-3.0 igx-orin-devkit platform name").choices(["igpu", "dgpu"]))
    .option("-t, --tag <name[:tag]>", "image name and optional tag")
    .option("-m, --models <path>", "a model file, or a folder of models (one per sub-folder)")
    .option("-d, --docs <dir>", "documentation and licenses, copied to /opt/holoscan/docs")
    .option("--timeout <seconds>", "application timeout", int("--timeout"))
    .option("--version <version>", "application version (tag and OCI label; the manifests keep app.yaml's)")
    .addOption(repeatable("--add <dir>", "extra libraries merged into /opt/holoscan/lib"))
    .addOption(new Option("--cuda <major>", "CUDA major version of upstream's default base images").choices(["12", "13"]))
    .option("--base-image <image>", "base image: registry reference, oci:DIR[:tag], oci-archive:FILE[:tag] or docker-archive:FILE[:tag]; needs python3 for Python apps")
    .option("--build-image <image>", "not supported: prebuild C++ apps and pass the binary folder")
    .option("--build-cache <dir>", "accepted for compatibility; map-build's own layer cache is --cache-dir")
    .option("--cmake-args <args>", "not supported: prebuild C++ apps and pass the binary folder")
    .option("--holoscan-sdk-file <wheel>", "Holoscan SDK wheel to install (--sdk holoscan)")
    .option("--monai-deploy-sdk-file <wheel>", "MONAI Deploy App SDK wheel to install")
    .option("--includes [features...]", "not supported (debug, holoviz, torch, onnx need apt): use a base that has them")
    .option("--input-data <dir>", "sample input copied into /var/holoscan/input")
    .option("-n, --no-cache", "do not use map-build's cache: nothing is read from it or written to it")
    .addOption(new Option("--sdk <sdk>", "SDK of the app (default: the command's name, monai-deploy for map-build)").choices(["holoscan", "monai-deploy"]))
    .option("--sdk-version <version>", "SDK version (App SDK for monai-deploy, Holoscan for holoscan); default: the installed wheel's")
    .option("--source <file|url>", "accepted for compatibility; base images are given with --base-image")
    .addOption(repeatable("--add-host <host:ip>", "accepted for compatibility; nothing is built in a container"))
    .option("-o, --output <dir>", "write the image as <dir>/<image tag>.tar (':' as '-'), as holoscan-cli did")
    .option("--username <name>", "user created in the image", "holoscan")
    .option("--uid <uid>", "uid of that user", int("--uid"), 1000)
    .option("--gid <gid>", "gid of that user", int("--gid"), 1000)
    .addOption(new Option("--format <format>", "MAP format (selected by -c as well)").choices(["1.0"]))
    .option("--exact-tag", "tag the image exactly as --tag says, not <name>-<platform>-<config>-<arch>:<tag>")
    .option("--holoscan-version <version>", "Holoscan SDK version for HOLOSCAN_VERSION and the label when no holoscan wheel is installed");
  return addBuildOptions(cmd)
    .addHelpText("after", EXAMPLES)
    .hook("preAction", (c) => {
      const f = c.opts<Partial<Package1Flags>>();
      const missing = !f.config ? "-c, --config <app.yaml>" : !f.platform ? "--platform <name>" : !f.tag ? "-t, --tag <name[:tag]>" : undefined;
      if (missing) throw new MapBuildError("E_USAGE", `required option '${missing}' not specified`, { hint: `run \`${c.parent?.name() ?? "map-build"} package --help\` for usage` });
    });
}
