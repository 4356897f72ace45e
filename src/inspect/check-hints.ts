/**
 * What to do when an item of the legacy MAP checklist fails (docs/checklist.md). Most failures mean
 * the image was not built by map-build or the SDK's packager, or was changed afterwards.
 */
import { optionName } from "../errors.js";

const REBUILD = "rebuild the MAP with map-build package (or monai-deploy package)";

export const LEGACY_HINTS: Record<number, string> = {
  1: `${REBUILD}; a later layer must not remove or replace /etc/monai/app.json or pkg.json`,
  2: `${REBUILD}; do not edit app.json by hand`,
  3: `${REBUILD}; MONAI_WORKDIR and app.json working-directory both come from ${optionName("workingDir")}`,
  4: `${REBUILD}; input and output come from ${optionName("inputDir")} and ${optionName("outputDir")}`,
  5: `${REBUILD} with ${optionName("timeout")} SECONDS (a whole number)`,
  6: "check that the app's entry file is packaged: a .py file, or a folder with __main__.py",
  7: `${REBUILD}; do not edit pkg.json by hand`,
  8: `set the resources with @resource(cpu=…, gpu=…, memory=…) in the app, or ${optionName("cpu")}/${optionName("gpu")}/${optionName("memory")}`,
  9: `${REBUILD}: model names carry the sha256 of the model files as packaged`,
  10: `pass the model with ${optionName("model")} and keep ${optionName("modelsDir")} absolute`,
  11: `${REBUILD} with one ${optionName("version")} and ${optionName("sdkVersion")}`,
  12: `${REBUILD}; the manifests must be written as json.dumps(sort_keys=True, indent=4)`,
  13: `${REBUILD}; labels base, tag, version and sdk_version are set by the build`,
  14: `${REBUILD}; a later layer or tool must not change the MONAI_* variables`,
  15: `${REBUILD} against the same base (PATH is /root/.local/bin plus the base's PATH)`,
  16: `${REBUILD}; do not override ENTRYPOINT, CMD or USER afterwards`,
  17: `${REBUILD} with ${optionName("workingDir")}`,
  18: `${REBUILD}; /opt/monai/executor/monai-exec must stay an executable owned by root`,
  19: `${REBUILD}; the app, models, input and output folders are created by the build`,
  20: `add the missing packages to the app's @env(pip_packages=[…]) or to ${optionName("requirements")}`,
  21: `pass ${optionName("sdkWheel")} FILE (or an index that has monai-deploy-app-sdk), or build with ${optionName("noSdk")} if the app does not import monai.deploy; remove __pycache__ from the app folder`,
  22: `${REBUILD}; layers must be written deterministically (owner 0:0, SOURCE_DATE_EPOCH mtimes, sorted)`,
  23: `rebuild onto the base named by the \`base\` label, or pass the right one with ${optionName("base")}; the image may be corrupt`,
};
