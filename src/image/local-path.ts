/**
 * A local image named by its bare path (`my.tar`, `./layout`, `/data/base`) instead of skopeo's
 * `oci:`/`docker-archive:` syntax. Read as a registry reference, such a path fails after network
 * retries or with a parser message about "empty path components"; recognising it first lets us
 * open what is there, or say which transport to write.
 */
import { stat } from "node:fs/promises";
import { MapBuildError } from "../errors.js";
import { isLayoutArchive } from "./layout-store.js";
import { indexTar, type TarIndexReader } from "./tar-index.js";
import type { BaseSpec } from "./base-spec.js";

/** Written like a path: no registry reference starts with these or ends in an archive suffix. */
export function looksLikePath(s: string): boolean {
  return /^(\/|\.\.?(\/|$)|~\/)/.test(s) || /\.(tar|tar\.gz|tgz)$/i.test(s) || s.includes("\\");
}

const TRANSPORTS_HINT = "name a local image as oci:DIR[:tag], oci-archive:FILE[:tag] or docker-archive:FILE[:tag]";

async function sniffFile(path: string, readIndex: TarIndexReader): Promise<BaseSpec> {
  const members = await readIndex(path, "archive");
  if (isLayoutArchive(members)) return { kind: "oci-archive", path };
  if (members.has("manifest.json")) return { kind: "docker-archive", path };
  throw new MapBuildError("E_INPUT_FORMAT", `${path} is a tar archive but neither an OCI layout nor a docker-archive (no oci-layout, no manifest.json)`, {
    hint: "give a file written by docker save, podman save, or skopeo copy … docker-archive: / oci-archive:",
  });
}

/**
 * The local image at `s`, when `s` is a path-like string or an existing OCI layout / archive;
 * undefined for a registry reference. A path-like string that does not exist is an error, not a
 * registry lookup. `readIndex`: how an archive's member list is read (default: read it here).
 */
export async function detectLocalImage(s: string, readIndex: TarIndexReader = indexTar): Promise<BaseSpec | undefined> {
  const pathLike = looksLikePath(s);
  if (!pathLike && /[:@]/.test(s)) return undefined;
  const st = await stat(s).catch(() => undefined);
  if (!st) {
    if (!pathLike) return undefined;
    throw new MapBuildError("E_INVALID_REFERENCE", `${s} looks like a local path, but no such file or directory exists`, { hint: `check the path; ${TRANSPORTS_HINT}` });
  }
  if (st.isDirectory()) {
    const layout = await stat(`${s}/oci-layout`).catch(() => undefined);
    if (layout?.isFile()) return { kind: "oci", path: s };
    if (!pathLike) return undefined;
    throw new MapBuildError("E_INPUT_FORMAT", `${s} is a directory but not an OCI image layout (no oci-layout file)`, {
      hint: `write one with skopeo copy docker://IMAGE oci:${s}:TAG, or ${TRANSPORTS_HINT}`,
    });
  }
  if (!st.isFile()) {
    if (!pathLike) return undefined;
    throw new MapBuildError("E_INPUT_FORMAT", `${s} is neither a regular file nor a directory`, { hint: TRANSPORTS_HINT });
  }
  try {
    return await sniffFile(s, readIndex);
  } catch (e) {
    if (pathLike) throw e;
    return undefined; // a stray file named like an image: the user meant the registry
  }
}

/** The skopeo-style spelling of a detected local image, for labels and messages. */
export function formatBaseSpec(spec: BaseSpec): string {
  return spec.kind === "registry" ? spec.ref : `${spec.kind}:${spec.path}${spec.ref ? `:${spec.ref}` : ""}`;
}
