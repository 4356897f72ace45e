/**
 * Where wheels come from: a wheelhouse / find-links directory, a PEP 503/691 simple index over
 * undici (basic auth, proxies from the environment), or the files a pylock.toml names. A source
 * only lists and fetches; choosing is select.ts's job.
 */
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { EnvHttpProxyAgent, fetch, type Dispatcher } from "undici";
import { MapBuildError } from "../errors.js";
import { normalizeName } from "./names.js";
import type { LockedPackage } from "./pylock.js";
import { parseSimpleHtml, parseSimpleJson, type IndexFile } from "./simple-index.js";
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
  /** A local path to the verified wheel. */
  fetch(): Promise<string>;
}

export interface PackageListing {
  wheels: WheelCandidate[];
  /** Source distributions seen (filenames): reported when no wheel fits. */
  sdists: string[];
}

export interface WheelSource {
  readonly description: string;
  list(name: string): Promise<PackageListing>;
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
        hint: "check --wheelhouse / --find-links", cause: e,
      });
    }
    const byName = new Map<string, PackageListing>();
    const slot = (n: string) => byName.get(n) ?? (byName.set(n, { wheels: [], sdists: [] }), byName.get(n)!);
    for (const f of names.sort()) {
      const w = parseWheelFilename(f);
      if (w) {
        const path = join(abs, f);
        slot(w.name).wheels.push({ wheel: w, origin: abs, fetch: async () => path });
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
  /** Downloaded wheels land here, by sha256. */
  cacheDir: string;
  /** Defaults to an EnvHttpProxyAgent (HTTP_PROXY/HTTPS_PROXY/NO_PROXY). */
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
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
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === "AbortError") return new MapBuildError("E_INTERRUPTED", "interrupted", { cause: e });
  const detail = err?.cause?.code ?? err?.cause?.message ?? err?.message;
  return new MapBuildError("E_NETWORK", `${what}: cannot reach ${url} (${detail})`, { hint: "check the index URL, the network and HTTP(S)_PROXY / NO_PROXY", cause: e });
}

/** A PEP 503 / PEP 691 simple repository. */
export function simpleIndexSource(indexUrl: string, opts: IndexSourceOptions): WheelSource {
  const base = new URL(indexUrl.endsWith("/") ? indexUrl : `${indexUrl}/`);
  const user = opts.username ?? decodeURIComponent(base.username);
  const pass = opts.password ?? decodeURIComponent(base.password);
  base.username = "";
  base.password = "";
  const auth = user || pass ? `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` : undefined;
  const dispatcher = opts.dispatcher ?? new EnvHttpProxyAgent();
  const cache = new WheelCache(opts.cacheDir);
  const shown = redact(base);

  // Credentials go only to the index's own origin (files on a CDN must not receive them).
  const headersFor = (u: URL, accept?: string): Record<string, string> => {
    const h: Record<string, string> = { "user-agent": "map-build" };
    if (accept) h["accept"] = accept;
    if (auth && u.origin === base.origin) h["authorization"] = auth;
    return h;
  };
  const get = async (u: URL, what: string, accept?: string) => {
    try {
      const init: Parameters<typeof fetch>[1] = { headers: headersFor(u, accept), dispatcher, redirect: "follow" };
      if (opts.signal) init.signal = opts.signal;
      return await fetch(u, init);
    } catch (e) {
      throw networkError(e, what, redact(u));
    }
  };

  const download = async (f: IndexFile): Promise<string> => {
    if (f.sha256) {
      const hit = await cache.get(f.sha256);
      if (hit) return hit;
    }
    const u = new URL(f.url);
    const res = await get(u, `download ${f.filename}`);
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw httpError(res.status, `download ${f.filename}`, redact(u));
    }
    let stored: Awaited<ReturnType<WheelCache["put"]>>;
    try {
      stored = await cache.put(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream));
    } catch (e) {
      throw networkError(e, `download ${f.filename}`, redact(u));
    }
    if (f.sha256 && stored.sha256 !== f.sha256) {
      await cache.discard(stored.path);
      throw new MapBuildError("E_DIGEST_MISMATCH", `${f.filename} from ${redact(u)} has sha256 ${stored.sha256}, the index says ${f.sha256}`, {
        hint: "the index or a proxy serves corrupted or substituted files; retry, or check the index",
      });
    }
    return stored.path;
  };

  return {
    description: shown,
    async list(name) {
      const page = new URL(`${normalizeName(name)}/`, base);
      const res = await get(page, `list ${name}`, "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01");
      if (res.status === 404) {
        await res.body?.cancel();
        return { wheels: [], sdists: [] };
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw httpError(res.status, `list ${name}`, redact(page));
      }
      const body = await res.text();
      const ctype = res.headers.get("content-type") ?? "";
      const pageUrl = redact(new URL(res.url || page.toString()));
      const files = /json/.test(ctype) ? parseSimpleJson(body, pageUrl) : parseSimpleHtml(body, pageUrl);
      const out: PackageListing = { wheels: [], sdists: [] };
      for (const f of files) {
        const w = parseWheelFilename(f.filename);
        if (!w) {
          if (SDIST.test(f.filename)) out.sdists.push(f.filename);
          continue;
        }
        if (w.name !== normalizeName(name)) continue;
        const c: WheelCandidate = { wheel: w, origin: shown, yanked: f.yanked, fetch: () => download(f) };
        if (f.sha256) c.sha256 = f.sha256;
        if (f.requiresPython) c.requiresPython = f.requiresPython;
        out.wheels.push(c);
      }
      return out;
    },
  };
}

/** The wheels a pylock.toml names (local paths, or URLs fetched through `index`). */
export function lockSource(pkgs: readonly LockedPackage[], opts: Omit<IndexSourceOptions, "username" | "password">): WheelSource {
  const byName = new Map<string, PackageListing>();
  const cache = new WheelCache(opts.cacheDir);
  for (const p of pkgs) {
    const l = byName.get(p.name) ?? { wheels: [], sdists: [] };
    for (const lw of p.wheels) {
      const w = parseWheelFilename(lw.filename);
      if (!w) continue;
      const c: WheelCandidate = {
        wheel: w, sha256: lw.sha256, origin: "pylock.toml",
        fetch: async () => {
          if (lw.path) return lw.path; // hash checked by select.ts like any local wheel
          const hit = await cache.get(lw.sha256);
          if (hit) return hit;
          return downloadUrl(lw.url!, lw.filename, lw.sha256, opts, cache);
        },
      };
      l.wheels.push(c);
    }
    if (p.sourceOnly) l.sdists.push(`${p.name}-${p.version} (sdist/vcs/directory in the lock)`);
    byName.set(p.name, l);
  }
  return { description: "pylock.toml", list: async (name) => byName.get(normalizeName(name)) ?? { wheels: [], sdists: [] } };
}

async function downloadUrl(url: string, filename: string, sha256: string, opts: Omit<IndexSourceOptions, "username" | "password">, cache: WheelCache): Promise<string> {
  const u = new URL(url);
  const dispatcher = opts.dispatcher ?? new EnvHttpProxyAgent();
  let res;
  try {
    res = await fetch(u, { dispatcher, headers: { "user-agent": "map-build" }, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (e) {
    throw networkError(e, `download ${filename}`, redact(u));
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw httpError(res.status, `download ${filename}`, redact(u));
  }
  const stored = await cache.put(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream));
  if (stored.sha256 !== sha256) {
    await cache.discard(stored.path);
    throw new MapBuildError("E_DIGEST_MISMATCH", `${filename} from ${redact(u)} has sha256 ${stored.sha256}, pylock.toml says ${sha256}`, {
      hint: "the server serves a different file than the lock recorded; regenerate the lock or check the server",
    });
  }
  return stored.path;
}
