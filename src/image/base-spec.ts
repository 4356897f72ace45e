/**
 * Where a base image comes from: `oci:DIR[:ref]`, `oci-archive:FILE[:ref]`, `docker-archive:FILE[:tag]`
 * (skopeo's transport syntax: the path ends at the first colon), else a registry reference.
 */
import { MapBuildError } from "../errors.js";

export type BaseSpec =
  | { kind: "oci"; path: string; ref?: string }
  | { kind: "oci-archive"; path: string; ref?: string }
  | { kind: "docker-archive"; path: string; ref?: string }
  | { kind: "registry"; ref: string };

const LOCAL = ["oci", "oci-archive", "docker-archive"] as const;

export function parseBaseSpec(s: string): BaseSpec {
  for (const kind of LOCAL) {
    const prefix = `${kind}:`;
    if (!s.startsWith(prefix)) continue;
    const rest = s.slice(prefix.length);
    const colon = rest.indexOf(":");
    const path = colon < 0 ? rest : rest.slice(0, colon);
    const ref = colon < 0 ? undefined : rest.slice(colon + 1);
    if (!path) throw new MapBuildError("E_INVALID_REFERENCE", `"${s}" names no path`, { hint: `use ${kind}:PATH[:tag]` });
    if (ref === "") throw new MapBuildError("E_INVALID_REFERENCE", `"${s}" has an empty tag`, { hint: `use ${kind}:PATH or ${kind}:PATH:TAG` });
    return ref === undefined ? { kind, path } : { kind, path, ref };
  }
  return { kind: "registry", ref: s.replace(/^docker:\/\//, "") };
}
