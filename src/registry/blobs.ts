/** Blob reads: HEAD for existence, GET as a verified stream that resumes with `Range` after a drop. */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { RegistryError, isMapBuildError } from "../errors.js";
import { digestAlgorithm, type Digest } from "../digest.js";
import { Retrier } from "../retry.js";
import { scopeFor } from "./www-authenticate.js";
import { discard, header, type Endpoint, type Transport } from "./transport.js";
import { digestMismatch, sizeMismatch } from "../verify-stream.js";

export interface RepositoryRef extends Endpoint {
  repository: string;
}

export interface FetchBlobOptions {
  /** Expected size (from the descriptor); checked against Content-Length before reading and at EOF. */
  size?: number;
  signal?: AbortSignal;
  /** Called with the running byte count. */
  onBytes?: (total: number) => void;
  /**
   * Called with the first answer's Content-Length (undefined when not sent) before a byte is
   * read, so the caller can refuse the blob in its own words (a throw ends the stream with it).
   */
  onLength?: (length: number | undefined) => void;
}

export async function blobExists(t: Transport, repo: RepositoryRef, digest: Digest, signal?: AbortSignal): Promise<boolean> {
  return (await headBlob(t, repo, digest, signal)) !== undefined;
}

/** HEAD of a blob: undefined when the repository does not hold it, else its Content-Length (when sent). */
export async function headBlob(t: Transport, repo: RepositoryRef, digest: Digest, signal?: AbortSignal): Promise<{ size: number | undefined } | undefined> {
  const res = await t.send({
    ...repo,
    method: "HEAD",
    url: `/v2/${repo.repository}/blobs/${digest}`,
    scopes: [scopeFor(repo.repository, ["pull"])],
    subject: "blob",
    expect: [200, 404],
    signal,
  });
  discard(res.body);
  if (res.status !== 200) return undefined;
  const length = header(res.headers, "content-length");
  return { size: length === undefined ? undefined : Number(length) };
}

/** A stream of the blob's bytes; errors with E_SIZE_MISMATCH / E_DIGEST_MISMATCH instead of ending on bad content. */
export function fetchBlob(t: Transport, repo: RepositoryRef, digest: Digest, opts: FetchBlobOptions = {}): Readable {
  return Readable.from(verifiedChunks(t, repo, digest, opts), { objectMode: false });
}

async function* verifiedChunks(t: Transport, repo: RepositoryRef, digest: Digest, opts: FetchBlobOptions): AsyncGenerator<Buffer> {
  const what = `blob ${digest} from ${repo.registry}/${repo.repository}`;
  const hash = createHash(digestAlgorithm(digest));
  const { size, signal } = opts;
  let offset = 0;
  // Resumes after a broken body; send() retries the request itself.
  const resumes = new Retrier({
    ...t.retryOptions(signal, (err) => isMapBuildError(err) && (err.code === "E_NETWORK" || err.code === "E_TIMEOUT")),
    onRetry: ({ error }) => t.options.logger?.debug(`${what}: resuming at byte ${offset} (${(error as Error).message})`),
  });
  for (;;) {
    const res = await t.send({
      ...repo,
      method: "GET",
      url: `/v2/${repo.repository}/blobs/${digest}`,
      // Resume where the dropped connection left off; CDNs behind redirects honour it too.
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      scopes: [scopeFor(repo.repository, ["pull"])],
      subject: "blob",
      expect: [200, 206],
      signal,
    });
    let skip = 0;
    const length = header(res.headers, "content-length");
    if (offset === 0 && opts.onLength) {
      try {
        opts.onLength(length === undefined ? undefined : Number(length));
      } catch (err) {
        discard(res.body);
        throw err;
      }
    }
    if (offset > 0 && res.status === 206) {
      const start = /^bytes (\d+)-/.exec(header(res.headers, "content-range") ?? "")?.[1];
      if (Number(start) !== offset) {
        discard(res.body);
        throw new RegistryError("E_REGISTRY", `${what}: resumed at byte ${offset} but the registry answered from ${start ?? "?"}`, { status: 206 });
      }
    } else if (offset > 0) {
      skip = offset; // the server ignored Range and starts over: drop what we already have
    } else if (size !== undefined && length !== undefined && Number(length) !== size) {
      discard(res.body);
      throw sizeMismatch(what, size, Number(length));
    }
    try {
      for await (const raw of res.body) {
        let chunk = raw as Buffer;
        if (skip > 0) {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
          if (chunk.length === 0) continue;
        }
        offset += chunk.length;
        if (size !== undefined && offset > size) throw sizeMismatch(what, size, offset, true);
        hash.update(chunk);
        opts.onBytes?.(offset);
        yield chunk;
      }
      // A connection closed without framing looks like a clean end: resume if bytes are missing.
      if (size === undefined || offset >= size) break;
      throw new RegistryError("E_NETWORK", `${what}: connection ended after ${offset} of ${size} bytes`);
    } catch (err) {
      const mapped = isMapBuildError(err) ? err : t.networkError(err, res.url, { method: "GET", registry: repo.registry, signal });
      await resumes.failed(mapped);
    }
  }
  if (size !== undefined && offset !== size) throw sizeMismatch(what, size, offset);
  const got = `${digestAlgorithm(digest)}:${hash.digest("hex")}`;
  if (got !== digest) throw digestMismatch(what, digest, got);
}

