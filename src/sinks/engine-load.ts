/**
 * Load an image into a running Docker Engine: stream the hybrid tarball straight into
 * `POST /images/load` over the engine's unix socket (no temp file). The engine is optional for
 * map-build; this sink is used only when asked for, and says clearly when none is reachable.
 */
import { PassThrough } from "node:stream";
import type { Dispatcher } from "undici";
import { undici } from "../http-client.js";
import { MapBuildError, isMapBuildError, toMapBuildError, optionName } from "../errors.js";
import type { ProgressSink } from "../progress.js";
import type { Image } from "../image/index.js";
import { streamImageTar } from "./image-tar.js";
import { findPlatformImage } from "../image/index.js";
import { formatPlatform, type PlatformSpec } from "../image/index.js";
import { z } from "zod";
import { allNames, type Sink, type SinkNaming } from "./sink.js";

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

export interface EngineLoadOptions {
  /** Full names written as RepoTags. */
  tags: string[];
  /** DOCKER_HOST form: `unix:///path/docker.sock` or `tcp://host:port` (plain HTTP); default the standard socket. */
  dockerHost?: string;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export interface EngineLoadResult {
  /** The engine's own lines, e.g. "Loaded image: name:tag". */
  messages: string[];
}

interface Endpoint {
  origin: string;
  dispatcher: Dispatcher;
  where: string;
}

function engineEndpoint(dockerHost: string | undefined): Endpoint {
  const host = dockerHost || `unix://${DEFAULT_DOCKER_SOCKET}`;
  // A load of several GB takes minutes before the engine answers: no header/body timeouts; cancel with the signal.
  const timeouts = { headersTimeout: 0, bodyTimeout: 0 };
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    return { origin: "http://docker", dispatcher: new (undici().Agent)({ ...timeouts, connect: { socketPath } }), where: host };
  }
  if (host.startsWith("tcp://") || host.startsWith("http://")) {
    return { origin: `http://${host.replace(/^\w+:\/\//, "")}`, dispatcher: new (undici().Agent)(timeouts), where: host };
  }
  throw new MapBuildError("E_USAGE", `unsupported DOCKER_HOST "${host}"`, { hint: "use unix:///path/to/docker.sock or tcp://host:port" });
}

function unreachable(where: string, cause: unknown): MapBuildError {
  return new MapBuildError("E_ENGINE", `no Docker engine reachable at ${where}`, {
    hint: `start Docker or set DOCKER_HOST to its socket; or write a tarball (${optionName("tarball")}) and load it later`,
    cause,
  });
}

/** Parse the engine's JSON-lines reply; `{"error": …}` lines are failures even under HTTP 200. */
function readEngineLines(text: string): { messages: string[]; errors: string[] } {
  const messages: string[] = [];
  const errors: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const j = JSON.parse(line) as { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } };
      if (j.error || j.errorDetail) errors.push(j.errorDetail?.message ?? j.error ?? "unknown error");
      else if (j.stream ?? j.status) messages.push((j.stream ?? j.status)!.trim());
    } catch {
      messages.push(line.trim());
    }
  }
  return { messages, errors };
}

async function ping(ep: Endpoint, timeoutMs: number): Promise<void> {
  const res = await undici().request(`${ep.origin}/_ping`, { dispatcher: ep.dispatcher, signal: AbortSignal.timeout(timeoutMs) });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`/_ping answered ${res.statusCode}`);
}

/** Does an engine answer at `dockerHost` (DOCKER_HOST form)? Never throws; used to pick a default output. */
export async function pingEngine(dockerHost: string | undefined, timeoutMs = 2000): Promise<boolean> {
  let ep: Endpoint;
  try {
    ep = engineEndpoint(dockerHost);
  } catch {
    return false;
  }
  try {
    await ping(ep, timeoutMs);
    return true;
  } catch {
    return false;
  } finally {
    await ep.dispatcher.close().catch(() => {});
  }
}

export async function loadIntoEngine(image: Image, opts: EngineLoadOptions): Promise<EngineLoadResult> {
  const ep = engineEndpoint(opts.dockerHost);
  try {
    try {
      await ping(ep, 10_000);
    } catch (e) {
      throw unreachable(ep.where, e);
    }
    const body = new PassThrough();
    const ac = new AbortController();
    const onAbort = () => ac.abort(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    let packError: unknown;
    const producing = streamImageTar(image, body, { names: opts.tags, dockerManifest: true, progress: opts.progress, signal: ac.signal }).catch(
      (e: unknown) => {
        packError = e;
        ac.abort(e);
      },
    );
    try {
      const res = await undici().request(`${ep.origin}/images/load?quiet=1`, {
        method: "POST",
        dispatcher: ep.dispatcher,
        headers: { "content-type": "application/x-tar" },
        body,
        signal: ac.signal,
      });
      const text = await res.body.text();
      await producing;
      if (packError) throw packError;
      const { messages, errors } = readEngineLines(text);
      if (res.statusCode !== 200 || errors.length) {
        throw new MapBuildError("E_ENGINE", `the Docker engine refused the image: ${errors[0] ?? `HTTP ${res.statusCode}: ${text.slice(0, 300)}`}`, {
          hint: `check the engine's log; write a tarball (${optionName("tarball")}) to inspect what was sent`,
        });
      }
      return { messages };
    } catch (e) {
      body.destroy();
      await producing;
      if (packError) throw toMapBuildError(packError);
      if (opts.signal?.aborted) throw new MapBuildError("E_INTERRUPTED", "interrupted", { cause: e });
      if (isMapBuildError(e)) throw e;
      throw new MapBuildError("E_ENGINE", `loading into the Docker engine at ${ep.where} failed: ${(e as Error).message}`, {
        hint: "check that the engine is running and has enough disk space",
        cause: e,
      });
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
    }
  } finally {
    await ep.dispatcher.close().catch(() => {});
  }
}

/** The engine's own platform (GET /version: Os, Arch in Go's names, as OCI uses them). */
export async function enginePlatform(dockerHost: string | undefined, signal?: AbortSignal): Promise<PlatformSpec> {
  const ep = engineEndpoint(dockerHost);
  try {
    const res = await undici().request(`${ep.origin}/version`, { dispatcher: ep.dispatcher, signal: signal ?? AbortSignal.timeout(10_000) });
    const text = await res.body.text();
    const v = res.statusCode === 200 ? EngineVersionSchema.safeParse(JSON.parse(text)) : undefined;
    if (!v?.success) throw new Error(`/version answered ${res.statusCode}`);
    return { os: v.data.Os, architecture: v.data.Arch };
  } catch (e) {
    if (isMapBuildError(e)) throw e;
    throw unreachable(ep.where, e);
  } finally {
    await ep.dispatcher.close().catch(() => {});
  }
}

const EngineVersionSchema = z.looseObject({ Os: z.string().min(1), Arch: z.string().min(1) });

/** Loading into the engine at `dockerHost` (DOCKER_HOST form) as a build output. */
export function engineLoadSink(dockerHost?: string, naming: SinkNaming = {}): Sink {
  return {
    kind: "load",
    async preflight() {
      const ep = engineEndpoint(dockerHost);
      try {
        await ping(ep, 10_000);
      } catch (e) {
        throw unreachable(ep.where, e);
      } finally {
        await ep.dispatcher.close().catch(() => {});
      }
    },
    async write(image, ctx) {
      await loadIntoEngine(image, { tags: allNames(ctx, naming), dockerHost, progress: ctx.progress, signal: ctx.signal });
      return { kind: "load", target: dockerHost ?? `unix://${DEFAULT_DOCKER_SOCKET}` };
    },
    /** An engine keeps one image per tag: load the engine's own platform under the name. */
    async writeIndex(index, ctx) {
      const platform = await enginePlatform(dockerHost, ctx.signal);
      const chosen = findPlatformImage(index, platform);
      if (!chosen) {
        throw new MapBuildError("E_PLATFORM_NOT_FOUND", `the Docker engine runs ${formatPlatform(platform)}, which was not built (built: ${index.images.map((e) => formatPlatform(e.platform)).join(", ")})`, {
          hint: `add ${formatPlatform(platform)} to the platforms, or write a tarball and load it where a built platform runs`,
        });
      }
      // the image's own name first (MAP 1.0: holoscan-cli's per-platform tag), then the index's names
      const tags = [...(chosen.name ? [chosen.name] : []), ...allNames(ctx, naming)];
      await loadIntoEngine(chosen.image, { tags, dockerHost, progress: ctx.progress, signal: ctx.signal });
      return { kind: "load", target: dockerHost ?? `unix://${DEFAULT_DOCKER_SOCKET}`, digest: chosen.descriptor.digest };
    },
  };
}
