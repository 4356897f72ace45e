/**
 * Tag naming and version strings of holoscan-cli 4.2.0 (packager/parameters.py): the image is
 * tagged `<name>-<platform>-<config>-<os-arch>:<tag or app version>` with every `/` turned into
 * `-`. One deliberate difference: a registry host in the name is kept (upstream only builds into
 * the local daemon, map-build also pushes, and a push needs the host).
 */
import { clean, explain } from "@renovatebot/pep440";
import { MapBuildError } from "../errors.js";
import type { HoloscanPlatform } from "./platforms.js";

/** `[host/]path[:tag]`; the host is the first component when it has a dot or a port, or is localhost. */
function splitName(tag: string): { host?: string; path: string; tag?: string } {
  const slash = tag.lastIndexOf("/");
  const colon = tag.lastIndexOf(":");
  const hasTag = colon > slash;
  const name = hasTag ? tag.slice(0, colon) : tag;
  const first = name.split("/")[0]!;
  const hasHost = name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return {
    ...(hasHost ? { host: first } : {}),
    path: hasHost ? name.slice(first.length + 1) : name,
    ...(hasTag ? { tag: tag.slice(colon + 1) } : {}),
  };
}

/** A `name[:tag]` as holoscan-cli accepts it (no digest, a valid tag). */
function checkedName(tag: string): ReturnType<typeof splitName> {
  if (tag.includes("@")) throw new MapBuildError("E_USAGE", `"${tag}" is not a tag: a MAP is named name[:tag]`, { hint: "drop the @digest part" });
  const parts = splitName(tag);
  if (parts.path === "" || (parts.tag !== undefined && !/^[\w.-]{1,127}$/.test(parts.tag))) {
    throw new MapBuildError("E_USAGE", `'${tag}' is not a valid Docker tag. Format: name[:tag]`, { hint: "pass a name such as my_app or my_app:1.0" });
  }
  return parts;
}

/** The tag holoscan-cli gives the image for one platform. */
export function holoscanTag(tag: string, platform: HoloscanPlatform, appVersion: string): string {
  const { host, path, tag: given } = checkedName(tag);
  const version = given ?? appVersion;
  const named = `${path}-${platform.tagName}-${platform.config}-${platform.oci}:${version}`.replace(/\//g, "-");
  return host ? `${host}/${named}` : named;
}

/**
 * The name of a multi-platform MAP 1.0's image index: the name as given, tagged with the tag given
 * or the app version (holoscan-cli built one image per platform; each keeps its holoscanTag where
 * a name holds one image).
 */
export function holoscanIndexTag(tag: string, appVersion: string): string {
  const { host, path, tag: given } = checkedName(tag);
  const named = `${path}:${given ?? appVersion}`;
  return host ? `${host}/${named}` : named;
}

/** `str(packaging.version.Version(v))`: what `--version` turns into (e.g. 1.0.0-rc1 → 1.0.0rc1). */
export function normalizePep440(v: string, what: string): string {
  const n = clean(v);
  if (n === null) throw new MapBuildError("E_USAGE", `invalid ${what} "${v}": not a PEP 440 version`, { hint: "use a version such as 1.0.0 or 1.0.0rc1" });
  return n;
}

/** `Version(v).base_version`: how upstream records an SDK version (1.0.0rc1 → 1.0.0). */
export function pep440BaseVersion(v: string): string {
  const e = explain(v);
  if (e === null) throw new MapBuildError("E_USAGE", `invalid SDK version "${v}": not a PEP 440 version`, { hint: "use a version such as 3.0.0" });
  return e.base_version;
}

/**
 * detect_holoscan_version() of an installed Holoscan: the release padded to three parts, or cut to
 * three when it has four (3.1 → 3.1.0, 3.1.0.1 → 3.1.0).
 */
export function holoscanReleaseVersion(v: string): string {
  const e = explain(v);
  if (e === null) return v;
  const r = e.release;
  if (r.length === 1) return `${r[0]}.0.0`;
  if (r.length === 2) return `${r[0]}.${r[1]}.0`;
  if (r.length === 4) return r.slice(0, 3).join(".");
  return r.join(".");
}
