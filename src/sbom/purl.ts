/** Package URLs (purl spec) for the components map-build knows. */
import { normalizeName } from "../python/index.js";

const enc = (s: string) => encodeURIComponent(s);

/** `pkg:pypi/<name>@<version>`: the name lowercased with `_`, `.`, runs of `-` as one `-` (purl PyPI rules). */
export function pypiPurl(name: string, version: string): string {
  return `pkg:pypi/${enc(normalizeName(name))}@${enc(version)}`;
}

/** `pkg:oci/<last path segment>@<digest>?repository_url=<registry/repo>` (purl OCI rules). */
export function ociPurl(repository: string, digest: string, tag?: string): string {
  const last = repository.slice(repository.lastIndexOf("/") + 1).toLowerCase();
  const q = [`repository_url=${enc(repository)}`, ...(tag ? [`tag=${enc(tag)}`] : [])].join("&");
  return `pkg:oci/${enc(last)}@${enc(digest)}?${q}`;
}
