/**
 * The SDK's PEP 440 version as the semver string written to `sdk-version` and `LABEL sdk_version`
 * (map-format.md §1.6; SDK monai/deploy/utils/version.py): `<release>[-<pre_l>.<pre_n>][+<local>]`,
 * post and dev parts dropped, pre-release letters kept as written (`rc`, `a`, `alpha`, …).
 */
import { MapBuildError, optionName } from "../errors.js";

/** PEP 440 appendix B, as the SDK compiled it (verbose, case-insensitive). */
const PEP440 = new RegExp(
  "^\\s*v?(?:(?:([0-9]+)!)?" + // epoch
    "([0-9]+(?:\\.[0-9]+)*)" + // release
    "([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?([0-9]+)?)?" + // pre
    "((?:-([0-9]+))|(?:[-_.]?(post|rev|r)[-_.]?([0-9]+)?))?" + // post
    "([-_.]?(dev)[-_.]?([0-9]+)?)?)" + // dev
    "(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$", // local
  "i",
);

const SEMVER =
  /^\s*(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\s*$/;

/** True for a semver 2.0 string (used to validate `--version` and `--sdk-version`). */
export function isSemver(v: string): boolean {
  return SEMVER.test(v);
}

/**
 * `0.5.1`→`0.5.1`, `0.1.0rc2`→`0.1.0-rc.2`, `0.1.0a1+0.g84.dirty`→`0.1.0-a.1+0.g84.dirty`,
 * `1.0.0a2.dev456`→`1.0.0-a.2`. Like the SDK, a result that is not semver (e.g. a two-part release
 * `1.0`, or a local part with `_`) is an error rather than a guess.
 */
export function pep440ToSemver(version: string): string {
  const m = PEP440.exec(version);
  if (!m) {
    throw new MapBuildError("E_USAGE", `invalid SDK version ${JSON.stringify(version)}: not a PEP 440 version`, {
      hint: `pass ${optionName("sdkVersion")} with a version like 0.5.1`,
    });
  }
  const release = m[2] ?? "";
  const preL = m[4];
  const preN = m[5];
  const local = m[13];
  const semver = `${release}${preL && preN ? `-${preL}.${preN}` : ""}${local ? `+${local}` : ""}`;
  if (!isSemver(semver)) {
    throw new MapBuildError("E_USAGE", `SDK version ${JSON.stringify(version)} gives ${JSON.stringify(semver)}, which is not semver`, {
      hint: `pass ${optionName("sdkVersion")} with an X.Y.Z version`,
    });
  }
  return semver;
}
