/**
 * Blob push: cross-repository mount or HEAD-skip, else POST + one streaming PATCH + PUT `?digest=`,
 * with a monolithic PUT when a registry refuses PATCH and a restart from POST after a failure
 * (a failed session is dead on registry 2.8: test-environment.md §7.15).
 */
import type { Readable } from "node:stream";
import { RegistryError, isMapBuildError, type MapBuildError } from "../errors.js";
import type { Digest } from "../digest.js";
import type { BlobSource } from "../image/index.js";
import { blobExists, type RepositoryRef } from "./blobs.js";
import { withRetry } from "../retry.js";
import { scopeFor } from "./www-authenticate.js";
import { discard, header, retryableWithNewToken, type RegistryResponse, type Transport } from "./transport.js";
import { digestMismatch, VerifyStream } from "../verify-stream.js";

export interface BlobToPush {
  digest: Digest;
  size: number;
  /** A fresh stream of exactly the blob's bytes; they are hashed on the way out. */
  open(): Promise<Readable>;
  /** False for a single-pass source: then a failed upload is not restarted. Default true. */
  reopenable?: boolean;
  /** Where the blob already lives; a mount is tried when it is on the target's registry. */
  source?: BlobSource | undefined;
}

export type PushAction = "exists" | "mounted" | "uploaded";

export interface PushBlobOptions {
  signal?: AbortSignal | undefined;
  /** Bytes sent so far in the current upload attempt. */
  onBytes?: ((sent: number) => void) | undefined;
}

/** Statuses with which a registry says "no PATCH uploads here": switch to one monolithic PUT. */
const PATCH_REFUSED = new Set([400, 405, 415, 416, 501]);

export async function pushBlob(t: Transport, target: RepositoryRef, blob: BlobToPush, opts: PushBlobOptions = {}): Promise<PushAction> {
  const state: UploadState = { session: undefined, monolithic: false, tokenRenewed: false, singlePass: blob.reopenable === false };
  const src = blob.source;
  if (src && src.registry === target.registry && src.repository !== target.repository) {
    // Mount first, no HEAD: a mount from a repository that holds the blob succeeds whether or not
    // the target has it already, so a base of N layers costs N requests, not 2N (issue 20).
    const mounted = await tryMount(t, target, blob.digest, src.repository, opts.signal);
    if (mounted === true) return "mounted";
    state.session = mounted;
  }
  // An offered session that goes unused expires on its own (registry 2.8: after a week at most).
  if (await blobExists(t, target, blob.digest, opts.signal)) return "exists";
  // This loop is the only one that retries the upload's requests: a failed session is dead, so every
  // try starts over from POST (and a single-pass source gets one try).
  const retry = t.retryOptions(opts.signal);
  if (state.singlePass) retry.policy = { ...retry.policy, attempts: 1 };
  await withRetry(() => uploadOnce(t, target, blob, opts, state), retry);
  return "uploaded";
}

interface UploadState {
  /** A session offered by a refused mount, used by the first try only. */
  session: URL | undefined;
  /** The registry refused a streamed PATCH: send the blob in the closing PUT. */
  monolithic: boolean;
  /** The token was renewed once after it lapsed mid-upload. */
  tokenRenewed: boolean;
  /** The source cannot be opened twice. */
  singlePass: boolean;
}

/** One try. Two answers restart it at once (not a failure): PATCH refused, and a token that lapsed while streaming. */
async function uploadOnce(t: Transport, target: RepositoryRef, blob: BlobToPush, opts: PushBlobOptions, state: UploadState): Promise<void> {
  for (;;) {
    // A single-pass upload has no outer retry, so its POST (no body yet) may be retried by send().
    const session = state.session ?? (await startUpload(t, target, opts.signal, state.singlePass));
    state.session = undefined;
    try {
      if (state.monolithic) await putWhole(t, target, session, blob, opts);
      else await patchThenPut(t, target, session, blob, opts);
      return;
    } catch (err) {
      if (state.singlePass || opts.signal?.aborted) throw err;
      if (retryableWithNewToken(err) && !state.tokenRenewed) {
        t.options.logger?.debug(`${target.registry} refused the upload's token (401); restarting it with a new token`);
        state.tokenRenewed = true;
        continue;
      }
      if (!state.monolithic && err instanceof RegistryError && err.status !== undefined && PATCH_REFUSED.has(err.status) && err.code !== "E_DIGEST_MISMATCH") {
        t.options.logger?.debug(`${target.registry} refused a streamed PATCH (${err.status}); using a monolithic PUT`);
        state.monolithic = true;
        continue;
      }
      throw err;
    }
  }
}

/** true when mounted; an upload session URL when the registry offered one instead; undefined on any failure. */
async function tryMount(t: Transport, target: RepositoryRef, digest: Digest, from: string, signal?: AbortSignal): Promise<true | URL | undefined> {
  try {
    const res = await t.send({
      ...target,
      method: "POST",
      url: `/v2/${target.repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
      // One token must carry both, or registry 2.8 answers 401 instead of falling back to 202.
      scopes: [scopeFor(target.repository, ["pull", "push"]), scopeFor(from, ["pull"])],
      repository: target.repository,
      subject: "upload",
      expect: [201, 202],
      idempotent: true,
      signal,
    });
    discard(res.body);
    if (res.status === 201) return true;
    return locationOf(res);
  } catch (err) {
    if (signal?.aborted) throw err;
    // Any mount failure (401 insufficient_scope included) just means "upload it".
    t.options.logger?.debug(`mount of ${digest} from ${from} failed, uploading: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * Prove that a push to `target` will be accepted before any work is done: the registry answers,
 * the credentials are accepted and carry push rights (a Bearer token is asked for `pull,push`).
 * Opens an upload session and cancels it; a registry that cannot cancel just lets it expire.
 */
export async function checkPushAccess(t: Transport, target: RepositoryRef, signal?: AbortSignal): Promise<void> {
  const session = await startUpload(t, target, signal);
  try {
    // DELETE needs the `delete` action, which push-only accounts lack: one try, a refusal is fine.
    const scopes = [scopeFor(target.repository, ["delete"])];
    const res = await t.send({ ...target, method: "DELETE", url: session.toString(), scopes, repository: target.repository, subject: "upload", expect: [200, 202, 204, 404, 405], idempotent: true, authRetry: false, signal });
    discard(res.body);
  } catch (err) {
    if (signal?.aborted) throw err;
    t.options.logger?.debug(`cancelling the trial upload on ${target.registry} failed (it expires on its own): ${(err as Error).message}`);
  }
}

async function startUpload(t: Transport, target: RepositoryRef, signal?: AbortSignal, retry = true): Promise<URL> {
  const res = await t.send({
    ...target,
    method: "POST",
    url: `/v2/${target.repository}/blobs/uploads/`,
    scopes: [scopeFor(target.repository, ["pull", "push"])],
    subject: "upload",
    expect: [202],
    idempotent: true, // an unused session is harmless, so starting one may be retried
    retry,
    signal,
  });
  discard(res.body);
  return locationOf(res);
}

async function patchThenPut(t: Transport, target: RepositoryRef, session: URL, blob: BlobToPush, opts: PushBlobOptions): Promise<void> {
  const res = await sendBody(t, target, "PATCH", session, blob, opts, [202, 204]);
  discard(res.body);
  // The PATCH answer names where to continue (registry 2.8 rotates `_state`).
  const next = header(res.headers, "location") ? locationOf(res) : session;
  await finish(t, target, withDigest(next, blob.digest), undefined, blob, opts);
}

async function putWhole(t: Transport, target: RepositoryRef, session: URL, blob: BlobToPush, opts: PushBlobOptions): Promise<void> {
  await finish(t, target, withDigest(session, blob.digest), "body", blob, opts);
}

async function finish(t: Transport, target: RepositoryRef, url: URL, withBody: "body" | undefined, blob: BlobToPush, opts: PushBlobOptions): Promise<void> {
  const res = withBody
    ? await sendBody(t, target, "PUT", url, blob, opts, [201, 204])
    : await t.send({ ...target, method: "PUT", url: url.toString(), scopes: pushScopes(target), repository: target.repository, subject: "upload", expect: [201, 204], idempotent: false, signal: opts.signal });
  discard(res.body);
  const claimed = header(res.headers, "docker-content-digest");
  if (claimed && claimed !== blob.digest) throw digestMismatch(`blob uploaded to ${target.registry}/${target.repository}`, blob.digest, claimed);
}

/** Stream the blob as a request body, hashing it on the way: a source that lies fails locally. */
async function sendBody(t: Transport, target: RepositoryRef, method: "PATCH" | "PUT", url: URL, blob: BlobToPush, opts: PushBlobOptions, expect: number[]): Promise<RegistryResponse> {
  const source = await blob.open();
  const verify = new VerifyStream(blob.digest, blob.size, `blob ${blob.digest}`, { onBytes: opts.onBytes });
  // Not stream.pipeline: undici may destroy the body once the server has answered, which pipeline
  // would report as a premature close of a request that succeeded. Only real errors are kept.
  let local: unknown;
  source.on("error", (err) => verify.destroy(err));
  verify.on("error", (err) => {
    local ??= err;
    source.destroy();
  });
  source.pipe(verify);
  try {
    const res = await t.send({
      ...target,
      method,
      url: url.toString(),
      headers: { "content-type": "application/octet-stream", "content-length": String(blob.size) },
      body: verify,
      scopes: pushScopes(target),
      repository: target.repository,
      subject: "upload",
      expect,
      signal: opts.signal,
    });
    if (local) {
      discard(res.body);
      throw local;
    }
    return res;
  } catch (err) {
    source.destroy();
    verify.destroy();
    // Our own verification failure is the real story, not the aborted request it caused.
    throw isMapBuildError(local) ? local : (findMapBuildError(err) ?? err);
  }
}

function findMapBuildError(err: unknown): MapBuildError | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if (isMapBuildError(e) && e.code !== "E_NETWORK") return e;
    e = (e as { cause?: unknown }).cause;
  }
  return isMapBuildError(err) ? err : undefined;
}

function pushScopes(target: RepositoryRef): string[] {
  return [scopeFor(target.repository, ["pull", "push"])];
}

function locationOf(res: RegistryResponse): URL {
  const loc = header(res.headers, "location");
  if (!loc) throw new RegistryError("E_REGISTRY", `upload response ${res.status} has no Location header`, { status: res.status });
  return new URL(loc, res.url); // may be relative
}

/** Append `digest=` keeping the session's own query (`_state`) byte for byte. */
export function withDigest(session: URL, digest: Digest): URL {
  const sep = session.search ? "&" : "?";
  return new URL(`${session.href}${sep}digest=${encodeURIComponent(digest)}`);
}
