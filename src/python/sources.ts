/**
 * Where wheels come from: a wheelhouse / find-links directory, a PEP 503/691 simple index over
 * the one HTTP client (basic auth, proxies from the environment), or the files a pylock.toml names.
 * A source only lists and fetches; choosing is select.ts's job. `close()` ends its connections.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Dispatcher } from "undici";
import { MapBuildError, optionName } from "../errors.js";
import { createHttpAgent } from "../http-client.js";
import { normalizeName } from "./names.js";
import type { LockedPackage } from "./pylock.js";
import { parseSimpleHtml, parseSimpleJson, type IndexFile, type MetadataFileRef } from "./simple-index.js";
import { cappedSink, httpGet, memorySink, type GetOptions } from "./http-get.js";
import { WheelCache } from "./wheel-cache.js";
import { parseWheelFilename, type WheelFilename } from "./wheel-tags.js";

export interface WheelCandidate {
  wheel: WheelFilename;
  /** Known digest (index fragment, PEP 691 hashes, lock); verified by fetch(). */
  sha256?: string;
  requiresPython?: string;
  yanked?: boolean;
  /** Where it was listed, for messages (directory or redacted URL). */
  origin: string;
  /** Where it is, for a lock file: an absolute path or a URL without credentials. */
  location?: string;
  /** A local path to the verified wheel. */
  fetch(): Promise<string>;
  /** fetch() itself checks the file against `sha256` (downloads, cache hits), so nobody needs to read it again. */
  fetchVerifies?: boolean;
  /** PEP 658: the index serves the wheel's METADATA alone (index pages over HTTP(S) only). */
  metadataFile?: MetadataFile;
}

/** A wheel's metadata file as announced; metadata-file.ts checks and parses what `fetch` returns. */
export interface MetadataFile extends MetadataFileRef {
  /** `<wheel URL>.metadata` without credentials, for messages. */
  url: string;
  /** Its bytes, unchecked. */
  fetch(): Promise<Buffer>;
}

export interface PackageListing {
  wheels: WheelCandidate[];
  /** Source distributions seen (filenames): reported when no wheel fits. */
  sdists: string[];
}

export interface WheelSource {
  readonly description: string;
  list(name: string): Promise<PackageListing>;
  /** Close the connections it opened (keep-alive sockets would hold the process open). */
  close?(): Promise<void>;
}

const SDIST = /\.(tar\.gz|tar\.bz2|tar\.xz|zip|tgz|tar)$/i;

/** The project name of an sdist filename (`Name-1.0.tar.gz` → `name`), best effort. */
function sdistName(filename: string): string | undefined {
  const stem = filename.replace(SDIST, "");
  const m = /^(.+?)-\d/.exec(stem);
  return m ? normalizeName(m[1]!) : undefined;
}

/** A local directory of wheels (`pip download -d DIR`, `--find-links DIR`). Read once. */
export function directorySource(dir: string): WheelSource {
  const abs = resolve(dir);
  let listing: Promise<Map<string, PackageListing>> | undefined;
  const load = async () => {
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (e) {
      throw new MapBuildError("E_PYTHON_DEPS", `cannot read wheel directory ${abs}: ${(e as Error).message}`, {
        hint: `check the ${optionName("wheelhouse")} / ${optionName("findLinks")} folders`, cause: e,
      });
    }
    const byName = new Map<string, PackageListing>();
    const slot = (n: string) => byName.get(n) ?? (byName.set(n, { wheels: [], sdists: [] }), byName.get(n)!);
    for (const f of names.sort()) {
      const w = parseWheelFilename(f);
      if (w) {
        const path = join(abs, f);
        slot(w.name).wheels.push({ wheel: w, origin: abs, location: path, fetch: async () => path });
      } else if (SDIST.test(f)) {
        const n = sdistName(f);
        if (n) slot(n).sdists.push(f);
      }
    }
    return byName;
  };
  return {
    description: abs,
    async list(name) {
      listing ??= load();
      return (await listing).get(normalizeName(name)) ?? { wheels: [], sdists: [] };
    },
  };
}

export interface IndexSourceOptions {
  /** Overrides credentials in the URL. */
  username?: string;
  password?: string;
  /** The cache directory: downloaded wheels land in its blob store, by sha256. */
  cacheDir: string;
  /** That cache's size limit (default DEFAULT_CACHE_MAX_BYTES). */
  cacheMaxBytes?: number;
  /** Defaults to an EnvHttpProxyAgent (HTTP_PROXY/HTTPS_PROXY/NO_PROXY). */
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  /** Skip TLS verification for this index (pip's trusted-host). */
  trusted?: boolean;
  /** Tries per request (default 4) and the first backoff delay. */
  attempts?: number;
  minDelayMs?: number;
  onRetry?: (attempt: number, why: string) => void;
  /** sha256 (hex) of a cached wheel file; default: read and hash it on every hit. */
  digestFile?: (path: string) => Promise<string>;
}

function redact(u: URL): string {
  const c = new URL(u.toString());
  c.username = "";
  c.password = "";
  return c.toString();
}

/** Fail a fetch with a code the CLI maps (network vs auth vs other). */
function httpError(status: number, what: string, url: string): MapBuildError {
  if (status === 401) return new MapBuildError("E_UNAUTHORIZED", `${what}: 401 from ${url}`, { hint: "give the index credentials in the URL (https://user:token@host/simple) or the index options" });
  if (status === 403) return new MapBuildError("E_DENIED", `${what}: 403 from ${url}`, { hint: "check that the credentials may read this index" });
  return new MapBuildError("E_PYTHON_DEPS", `${what}: HTTP ${status} from ${url}`, { hint: "check the index URL (it should end with /simple/)" });
}

function networkError(e: unknown, what: string, url: string): MapBuildError {
  if (e instanceof MapBuildError) return e;
  const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "AbortError") return new MapBuildError("E_INTERRUPTED", "interrupted", { cause: e });
  const detail = err?.code ?? err?.cause?.code ?? err?.cause?.message ?? err?.message;
  return new MapBuildError("E_NETWORK", `${what}: cannot reach ${url} (${detail})`, { hint: "check the index URL, the network and HTTP(S)_PROXY / NO_PROXY", cause: e });
}

/** The caller's dispatcher (the caller closes it), else an agent of our own that `close` ends. */
function dispatcherFor(opts: Pick<IndexSourceOptions, "dispatcher" | "trusted">): { dispatcher: Dispatcher; close(): Promise<void> } {
  if (opts.dispatcher) return { dispatcher: opts.dispatcher, close: async () => {} };
  const dispatcher = createHttpAgent({ insecureTls: opts.trusted });
  return { dispatcher, close: () => dispatcher.close() };
}

/** Download `u` into the cache, verifying `expected` before anything is kept. */
async function downloadTo(cache: WheelCache, u: URL, filename: string, expected: string | undefined, get: Omit<GetOptions, "signal">, signal: AbortSignal | undefined, claimedBy: string): Promise<string> {
  if (expected) {
    const hit = await cache.get(expected);
    if (hit) return hit;
  }
  const what = `download ${filename}`;
  if (u.protocol === "file:") {
    const path = fileURLToPath(u);
    const sha256 = await cache.digest(path).catch((e: unknown) => { throw new MapBuildError("E_PYTHON_DEPS", `${what}: cannot read ${path}: ${(e as Error).message}`, { hint: "check the file:// index", cause: e }); });
    if (expected && sha256 !== expected) throw mismatch(filename, u, sha256, expected, claimedBy);
    return path;
  }
  const stored = await cache.fill(expected, async (put) => {
    let status: number;
    try {
      status = (await httpGet(u, { ...get, ...(signal ? { signal } : {}) }, cappedSink(put))).status;
    } catch (e) {
      throw networkError(e, what, redact(u));
    }
    if (status < 200 || status >= 300) throw httpError(status, what, redact(u));
    if (put.failure !== undefined) throw new MapBuildError("E_OUTPUT", `${what}: cannot write it into the cache: ${(put.failure as Error).message}`, { hint: "check the free space and permissions of the cache folder", cause: put.failure });
  });
  if (!stored.path) throw mismatch(filename, u, stored.sha256, expected!, claimedBy);
  return stored.path;
}

function mismatch(filename: string, u: URL, got: string, expected: string, claimedBy: string): MapBuildError {
  return new MapBuildError("E_DIGEST_MISMATCH", `${filename} from ${redact(u)} has sha256 ${got}, ${claimedBy} says ${expected}`, {
    hint: claimedBy === "pylock.toml" ? "the server serves a different file than the lock recorded; regenerate the lock or check the server" : "the index or a proxy serves corrupted or substituted files; retry, or check the index",
  });
}

/** One HTTP(S) origin that lists wheels on pages: credentials from the URL, one agent, one GET setup. */
function pageClient(url: string, opts: IndexSourceOptions, accept: string) {
  const base = new URL(url);
  const user = opts.username ?? decodeURIComponent(base.username);
  const pass = opts.password ?? decodeURIComponent(base.password);
  base.username = "";
  base.password = "";
  const auth = user || pass ? `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` : undefined;
  const agent = dispatcherFor(opts);
  const get: Omit<GetOptions, "signal"> = {
    dispatcher: agent.dispatcher,
    // Credentials go only to the page's own origin (files on a CDN must not receive them).
    headers: (u) => ({ "user-agent": "map-build", accept, ...(auth && u.origin === base.origin ? { authorization: auth } : {}) }),
    ...(opts.attempts ? { attempts: opts.attempts } : {}),
    ...(opts.minDelayMs !== undefined ? { minDelayMs: opts.minDelayMs } : {}),
    ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
  };
  /** The body at `u` held in memory (undefined on 404), with the response's headers and final URL. */
  const body = async (u: URL, what: string): Promise<{ bytes: Buffer; headers: Record<string, string>; url: string } | undefined> => {
    const sink = memorySink();
    let r;
    try {
      r = await httpGet(u, { ...get, ...(opts.signal ? { signal: opts.signal } : {}) }, sink);
    } catch (e) {
      throw networkError(e, what, redact(u));
    }
    if (r.status === 404) return undefined;
    if (r.status < 200 || r.status >= 300) throw httpError(r.status, what, redact(u));
    return { bytes: sink.bytes(), headers: r.headers, url: r.url };
  };
  /** The page at `u` (undefined on 404), its body, and whether it is PEP 691 JSON. */
  const page = async (u: URL, what: string): Promise<{ body: string; json: boolean; url: string } | undefined> => {
    const b = await body(u, what);
    return b && { body: b.bytes.toString("utf8"), json: /json/.test(b.headers["content-type"] ?? ""), url: redact(new URL(b.url)) };
  };
  return { base, get, body, page, close: agent.close, cache: new WheelCache(opts.cacheDir, opts.digestFile, opts.cacheMaxBytes) };
}

/**
 * `name`'s wheels and sdists among a page's links. On a project page every sdist is the project's
 * (`projectPage`); a find-links page lists every project, so its sdists are matched by name.
 */
function listingOf(files: readonly IndexFile[], name: string, origin: string, projectPage: boolean, fetchFile: (f: IndexFile) => Promise<string>,
  fetchMetadata?: (u: URL) => Promise<Buffer>): PackageListing {
  const out: PackageListing = { wheels: [], sdists: [] };
  for (const f of files) {
    const w = parseWheelFilename(f.filename);
    if (!w) {
      if (SDIST.test(f.filename) && (projectPage || sdistName(f.filename) === normalizeName(name))) out.sdists.push(f.filename);
      continue;
    }
    if (w.name !== normalizeName(name)) continue;
    const c: WheelCandidate = { wheel: w, origin, yanked: f.yanked, location: f.url, fetch: () => fetchFile(f) };
    if (f.sha256) Object.assign(c, { sha256: f.sha256, fetchVerifies: true });
    if (f.requiresPython) c.requiresPython = f.requiresPython;
    // a file:// wheel is read in place (no download to spare), so its metadata file is not used
    if (f.metadata && fetchMetadata && /^https?:/.test(f.url)) {
      const u = new URL(`${f.url}.metadata`);
      c.metadataFile = { ...f.metadata, url: redact(u), fetch: () => fetchMetadata(u) };
    }
    out.wheels.push(c);
  }
  return out;
}

/** A PEP 503 / PEP 691 simple repository, over HTTP(S) or a file:// directory tree. */
export function simpleIndexSource(indexUrl: string, opts: IndexSourceOptions): WheelSource {
  const client = pageClient(indexUrl.endsWith("/") ? indexUrl : `${indexUrl}/`, opts,
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01");
  const shown = redact(client.base);
  const fetchMetadata = async (u: URL) => {
    const b = await client.body(u, `read ${u.pathname.split("/").pop()}`);
    if (!b) {
      throw new MapBuildError("E_PYTHON_DEPS", `${redact(u)}: the index announces this metadata file (PEP 658) but answers 404`, {
        hint: "the index is inconsistent; report it to its operator, or use a find-links page or a wheel folder instead",
      });
    }
    return b.bytes;
  };
  const page = async (name: string) => {
    const u = new URL(`${normalizeName(name)}/`, client.base);
    if (u.protocol !== "file:") return client.page(u, `list ${name}`);
    // pip reads a file:// project directory's index.html
    const body = await readFile(join(fileURLToPath(u), "index.html"), "utf8").catch(() => undefined);
    return body === undefined ? undefined : { body, json: false, url: u.toString() };
  };
  return {
    description: shown,
    close: client.close,
    async list(name) {
      const p = await page(name);
      if (!p) return { wheels: [], sdists: [] };
      const files = p.json ? parseSimpleJson(p.body, p.url) : parseSimpleHtml(p.body, p.url);
      return listingOf(files, name, shown, true, (f) => downloadTo(client.cache, new URL(f.url), f.filename, f.sha256, client.get, opts.signal, "the index"), fetchMetadata);
    },
  };
}

/**
 * pip's `--find-links URL`: one HTML page (a `python3 -m http.server` directory listing, a CDN
 * page) whose links name wheels of any project. Fetched once per build; a missing page is an error
 * rather than an empty source, since the user named it.
 */
export function findLinksPageSource(url: string, opts: IndexSourceOptions): WheelSource {
  const client = pageClient(url, opts, "text/html");
  const shown = redact(client.base);
  let files: Promise<IndexFile[]> | undefined;
  const load = async () => {
    const p = await client.page(client.base, "read find-links page");
    if (!p) {
      throw new MapBuildError("E_PYTHON_DEPS", `find-links page ${shown} not found (HTTP 404)`, {
        hint: "check the find-links URL: it names a page whose links are wheel files (e.g. a directory served over HTTP)",
      });
    }
    return parseSimpleHtml(p.body, p.url);
  };
  return {
    description: shown,
    close: client.close,
    async list(name) {
      files ??= load();
      return listingOf(await files, name, shown, false, (f) => downloadTo(client.cache, new URL(f.url), f.filename, f.sha256, client.get, opts.signal, "the find-links page"));
    },
  };
}

/** The wheels a pylock.toml names (local paths, or URLs fetched through `index`). */
export function lockSource(pkgs: readonly LockedPackage[], opts: Omit<IndexSourceOptions, "username" | "password">): WheelSource {
  const byName = new Map<string, PackageListing>();
  const cache = new WheelCache(opts.cacheDir, opts.digestFile, opts.cacheMaxBytes);
  const agent = dispatcherFor(opts);
  const get: Omit<GetOptions, "signal"> = { dispatcher: agent.dispatcher, headers: () => ({ "user-agent": "map-build" }), ...(opts.attempts ? { attempts: opts.attempts } : {}) };
  for (const p of pkgs) {
    const l = byName.get(p.name) ?? { wheels: [], sdists: [] };
    for (const lw of p.wheels) {
      const w = parseWheelFilename(lw.filename);
      if (!w) continue;
      const c: WheelCandidate = {
        wheel: w, sha256: lw.sha256, origin: "pylock.toml", location: lw.url ?? lw.path!,
        // a local path's hash is checked by the resolver like any local wheel; a download is checked here
        fetch: async () => lw.path ?? downloadTo(cache, new URL(lw.url!), lw.filename, lw.sha256, get, opts.signal, "pylock.toml"),
        fetchVerifies: lw.path === undefined,
      };
      l.wheels.push(c);
    }
    if (p.sourceOnly) l.sdists.push(`${p.name}-${p.version} (sdist/vcs/directory in the lock)`);
    byName.set(p.name, l);
  }
  return { description: "pylock.toml", close: agent.close, list: async (name) => byName.get(normalizeName(name)) ?? { wheels: [], sdists: [] } };
}
