/**
 * `package` — shared by `map-build package` and `monai-deploy package`. Declares every flag of
 * the original packager (same short forms and defaults) plus map-build's own, and turns them into
 * PackageMapOptions. No build logic here.
 */
import { Command, Option } from "commander";
import { MapBuildError } from "../errors.js";
import { DEFAULT_BASE_IMAGE, DEFAULT_INPUT_DIR, DEFAULT_OUTPUT_DIR } from "../defaults.js";
import { DEFAULT_MODELS_DIR, DEFAULT_WORKING_DIR } from "../map/index.js";
import {
  collect,
  parseAbsoluteDir,
  parseCompressionLevel,
  parseDataDir,
  parseNonNegativeNumber,
  parseTimeout,
  parseVersion,
  repeatable,
} from "./validate-flags.js";
import { parseByteSize } from "./units.js";

/** The flags addBuildOptions declares. */
export interface BuildFlags {
  tag: string;
  /** Further -t names (package only): pushed too. */
  alsoTag?: string[];
  cache: boolean;
  push?: boolean;
  tarball?: string;
  ociLayout?: string;
  ociArchive?: string;
  load?: boolean;
  wheelhouse?: string[];
  findLinks?: string[];
  indexUrl?: string;
  extraIndexUrl?: string[];
  pythonVersion?: string;
  trustedHost?: string[];
  pre?: boolean;
  lockFile?: string;
  locked?: string;
  strictLibs?: boolean;
  compression: "gzip" | "none";
  compressionLevel?: number;
  cacheDir?: string;
  cacheMaxSize?: number;
  cacheRepo?: string;
  cacheRepoReadonly?: boolean;
  json?: boolean;
  digestFile?: string;
  metadataFile?: string;
  insecureRegistry?: string[];
  label?: string[];
  annotation?: string[];
  sbom?: string;
  sbomFormat: "cyclonedx" | "spdx";
  provenance?: string;
  sbomInImage?: string | boolean;
  attach: boolean;
}

export interface PackageFlags extends BuildFlags {
  model?: string;
  base?: string;
  inputDir: string;
  outputDir: string;
  modelsDir: string;
  workingDir: string;
  requirements?: string;
  timeout: number;
  version?: string;
  // map-build's own (legacy format only)
  platform?: string;
  cpu?: number;
  gpu?: number;
  memory?: string;
  sdkVersion?: string;
  sdkWheel?: string;
  sdk: boolean;
  username?: string;
  passwordStdin?: boolean;
  authfile?: string;
}

/** Where `--sbom-in-image` puts the SBOM when no path is given (beside the app, outside /etc/monai). */
export const DEFAULT_SBOM_IN_IMAGE = "/opt/monai/sbom.cdx.json";
/** The same for a MAP 1.0 (outside /etc/holoscan). */
export const DEFAULT_SBOM_IN_IMAGE_MAP1 = "/opt/holoscan/sbom.cdx.json";

const EXAMPLES = `
Examples:
  # build onto a base in a registry and push the MAP next to it
  map-build package my_app -t registry.example.com/apps/my_app:1.0 -m model.ts --push

  # air-gapped: base from an OCI layout, result as a docker-loadable tarball
  map-build package my_app -t my_app:1.0 -b oci:/data/pytorch-layout:21.07-py3 --tarball my_app.tar

  # CI runners with an empty local cache: share layers through a registry repository
  map-build package my_app -t registry.example.com/apps/my_app:1.0 -m model.ts --push \
      --cache-repo registry.example.com/apps/map-build-cache

  # the original packager's command line works unchanged
  monai-deploy package my_app --tag my_app:1.0 --model model.ts -l DEBUG

Outputs: --push, --tarball FILE, --oci-layout DIR, --oci-archive FILE and --load can be
combined. With none of them the MAP is loaded into the Docker engine at DOCKER_HOST (or
/var/run/docker.sock) when one answers, and otherwise written to ./<name>-<tag>.tar.
`;

/** map-build's own options both package formats take, in help order: outputs, wheel sources, layers, registries, metadata. */
function buildOptions(): Option[] {
  const flag = (flags: string, help: string) => new Option(flags, help);
  return [
    flag("--push", "push the MAP to the registry named by --tag"),
    flag("--tarball <file>", "write a docker-loadable tarball (docker/podman load, ctr import)"),
    flag("--oci-layout <dir>", "write an OCI image layout directory"),
    flag("--oci-archive <file>", "write an oci-archive tar (skopeo/podman oci-archive:FILE)"),
    flag("--load", "load the MAP into the running Docker engine (DOCKER_HOST)"),
    repeatable("--wheelhouse <dir>", "folder of wheels for requirements"),
    repeatable("--find-links <dir|url>", "like pip --find-links: a folder of wheels or an http(s) page linking them"),
    flag("--index-url <url>", "PEP 503/691 simple index for wheels"),
    repeatable("--extra-index-url <url>", "additional simple index"),
    flag("--python-version <X.Y>", "python version of the base image (default: detected)"),
    repeatable("--trusted-host <host>", "like pip --trusted-host: no TLS verification for this index host"),
    flag("--pre", "let pre-release versions satisfy requirements, like pip --pre"),
    flag("--lock-file <file>", "write the resolved Python packages (versions, wheel sha256) to FILE as pylock.toml"),
    flag("--locked <file>", "install exactly the packages of a pylock.toml written by --lock-file; refuse anything else"),
    flag("--strict-libs", "fail when an extension module needs a shared library neither its wheel nor the base has"),
    flag("--compression <kind>", "compression of new layers").choices(["gzip", "none"]).default("gzip"),
    flag("--compression-level <0-9>", "gzip level for new layers").argParser(parseCompressionLevel),
    flag("--cache-dir <dir>", "layer cache folder (default: $XDG_CACHE_HOME/map-build)"),
    flag("--cache-max-size <size>", "layer cache size limit, least recently used layers pruned first, e.g. 50GiB (default: $MAP_BUILD_CACHE_MAX_SIZE, else 20GiB)").argParser((v: string) => parseByteSize(v, "--cache-max-size")),
    flag("--cache-repo <registry/repo>", "share the layer cache through this registry repository: reuse layers found there, record the ones built (default: $MAP_BUILD_CACHE_REPO)"),
    flag("--cache-repo-readonly", "reuse layers from --cache-repo but write nothing there (for untrusted jobs)"),
    flag("--json", "print one JSON result object on stdout and nothing else (a failure: one JSON error object)"),
    flag("--digest-file <file>", "write the image digest to FILE"),
    flag("--metadata-file <file>", "write the --json result object to FILE"),
    repeatable("--insecure-registry <host>", "use plain HTTP for this registry (loopback is always allowed)"),
    repeatable("--label <key=value>", "add a label to the image config"),
    repeatable("--annotation <key=value>", "add an annotation to the manifest, e.g. org.opencontainers.image.source=URL"),
    flag("--sbom <file>", "write the MAP's SBOM to this file (several platforms: one file each, the platform before the extension)"),
    flag("--sbom-format <format>", "SBOM format: CycloneDX 1.6 JSON or SPDX 2.3 JSON").choices(["cyclonedx", "spdx"]).default("cyclonedx"),
    flag("--provenance <file>", "write the build provenance (in-toto statement, SLSA v1 predicate) to this file (one per platform, like --sbom)"),
    flag("--sbom-in-image [path]", `also put the SBOM into the image (default path ${DEFAULT_SBOM_IN_IMAGE}, MAP 1.0: ${DEFAULT_SBOM_IN_IMAGE_MAP1}; changes the digest)`),
    flag("--no-attach", "do not attach the SBOM and provenance to the pushed image, OCI layout or tarballs"),
  ];
}

/** Declare map-build's own options (buildOptions) on a package command. */
export function addBuildOptions(cmd: Command): Command {
  for (const o of buildOptions()) cmd.addOption(o);
  return cmd;
}

export function packageCommand(name = "package"): Command {
  return addBuildOptions(new Command(name))
    .description("Build a MONAI Application Package (MAP) from an app and its models, without a Docker daemon")
    .argument("<app_path>", "a .py file, or a folder holding __main__.py")
    .option("-t, --tag <tag>", "image name, [registry/]repository[:tag] (required; repeatable: --push pushes every tag)", collect)
    .option("-m, --model <path>", "model file, or folder of models")
    .option("-b, --base <image>", `base image: registry reference, oci:DIR[:tag], oci-archive:FILE[:tag] or docker-archive:FILE[:tag] (default: $MONAI_BASEIMAGE, else ${DEFAULT_BASE_IMAGE})`)
    .option("-i, --input-dir <dir>", "input folder, relative to the working dir", parseDataDir("--input-dir"), DEFAULT_INPUT_DIR)
    .option("-o, --output-dir <dir>", "output folder, relative to the working dir", parseDataDir("--output-dir"), DEFAULT_OUTPUT_DIR)
    .option("--models-dir <dir>", "where models go in the image", parseAbsoluteDir("--models-dir"), DEFAULT_MODELS_DIR)
    .option("-w, --working-dir <dir>", "working directory of the app in the image", parseAbsoluteDir("--working-dir"), DEFAULT_WORKING_DIR)
    .option("-n, --no-cache", "do not use map-build's cache: nothing is read from it or written to it")
    .option("-r, --requirements <file>", "pip requirements file: replaces the list derived from the app")
    .option("--timeout <seconds>", "app timeout in seconds (0: none)", parseTimeout, 0)
    .option("--version <version>", "app version (default: the app's `version` attribute, else 0.0.0)", parseVersion)
    .option("--platform <os/arch,...>", "platform(s) to build, e.g. linux/amd64,linux/arm64, or all the base offers; several give one multi-platform image (index) (default: this machine's)")
    .option("--cpu <n>", "override the app's @resource cpu", parseNonNegativeNumber("--cpu"))
    .option("--gpu <n>", "override the app's @resource gpu", parseNonNegativeNumber("--gpu"))
    .option("--memory <size>", "override the app's @resource memory, e.g. 7Gi")
    .option("--sdk-version <version>", "sdk-version for the manifests (default: from the SDK wheel, else 0.5.1)")
    .option("--sdk-wheel <file>", "monai-deploy-app-sdk wheel to install in the image")
    .option("--no-sdk", "install no SDK (for apps that do not import monai.deploy at run time)")
    .option("--username <user>", "registry user for the push target (with --password-stdin)")
    .option("--password-stdin", "read the registry password from stdin")
    .option("--authfile <file>", "containers auth file (auth.json) to read credentials from, before REGISTRY_AUTH_FILE and the default ones")
    .addHelpText("after", EXAMPLES)
    // checked here rather than as a commander requiredOption: commander checks required options
    // before arguments, so `package` alone complained about --tag before the missing app path
    .hook("preAction", (cmd) => {
      // the first -t names the image (labels, archives); the others are pushed too
      const tags = cmd.opts<{ tag?: string[] }>().tag ?? [];
      cmd.setOptionValue("tag", tags[0]);
      cmd.setOptionValue("alsoTag", tags.slice(1));
      if (!cmd.opts<Partial<PackageFlags>>().tag) {
        throw new MapBuildError("E_USAGE", "required option '-t, --tag <tag>' not specified", { hint: `name the image: ${[cmd.parent?.name(), cmd.name()].filter(Boolean).join(" ")} APP_PATH --tag NAME[:TAG]` });
      }
    });
}

export { DEFAULT_BASE_IMAGE };
