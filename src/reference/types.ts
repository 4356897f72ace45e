/** A parsed image reference (docker grammar). Produced by parseReference() in ./parse.ts. */
export interface ImageReference {
  /**
   * Registry as the user names it, normalised: `docker.io` for Docker Hub (also when the input said
   * `index.docker.io` or nothing), otherwise host[:port] lower-cased, e.g. `nvcr.io`, `127.0.0.1:5000`, `[::1]:5000`.
   * Credentials are looked up under this name.
   */
  readonly registry: string;
  /** Host[:port] to send API requests to: `registry-1.docker.io` for Docker Hub, else `registry`. */
  readonly apiHost: string;
  /** Path inside the registry, with `library/` added for single-component Docker Hub names. */
  readonly repository: string;
  /** Tag; `latest` when neither tag nor digest was given. Undefined for digest-only references. */
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /**
   * Tag or digest to use in `/v2/<repo>/manifests/<ref>`: the digest when present, else the tag, else
   * `latest` (also when parsed with `defaultTag: false`, where `tag` stays undefined).
   */
  readonly identifier: string;
  /** Fully qualified `registry/repository[:tag][@digest]`; JSON.stringify gives the same string. */
  toString(): string;
}

export interface ParseReferenceOptions {
  /** Fill in `latest` when there is neither tag nor digest (default true). */
  defaultTag?: boolean;
}
