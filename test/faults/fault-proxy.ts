/**
 * A fault-injecting HTTP proxy on 127.0.0.1 between map-build and a REAL registry. Every request is
 * forwarded unchanged (Host stays the proxy's so upload Locations come back through us) unless a
 * rule matches it (method + path regex + nth occurrence), in which case the rule's fault is applied:
 * resets after N bytes either way, status bursts, 429 + Retry-After, truncated or altered bodies,
 * slow headers or bodies, redirects to another server, and revoked tokens. Every request is logged
 * with its timing, so tests can assert retries, backoff, Range resumes and what was sent.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** Forward, then destroy the connection after `afterBytes` bytes of the response body. */
  | { kind: "reset-response"; afterBytes: number }
  /** Read `afterBytes` bytes of the request body, then destroy the connection (nothing forwarded). */
  | { kind: "reset-request"; afterBytes: number }
  /** Answer `status` without forwarding (the request body is drained first). */
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
  /** Forward, drop Content-Length, send `bytes` body bytes and end cleanly (chunked framing). */
  | { kind: "truncate"; bytes: number }
  /** Forward with the body byte at `offset` flipped (length unchanged). */
  | { kind: "alter"; offset: number }
  /** Forward, but hold the response headers back for `ms`. */
  | { kind: "delay-headers"; ms: number }
  /** Forward `afterBytes` body bytes, then go silent for `ms` before the rest. */
  | { kind: "delay-body"; afterBytes: number; ms: number }
  /** Answer 307 to `base` + the request's path (the second server sees where it came from). */
  | { kind: "redirect"; base: string }
  /**
   * Forward, and from now on strip this request's bearer token from every later request that
   * carries it, so the real registry answers 401 with its real challenge (expired/revoked token).
   * `now`: this request already goes without it (the token lapsed just as it arrived).
   */
  | { kind: "revoke-token"; now?: boolean };

export interface FaultRule {
  /** Upper-case method; any when absent. */
  method?: string;
  /** Matched against the request path with its query. */
  path: RegExp;
  /** Only requests whose Content-Length is at least this (tells a big blob's PATCH from small ones). */
  minLength?: number;
  /** First matching request (1-based) that gets the fault; default 1. */
  nth?: number;
  /** How many consecutive matches from `nth` on get it; default 1, Infinity for all. */
  times?: number;
  fault: Fault;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** ms since the proxy started, when the request arrived / its response started. */
  at: number;
  respondedAt?: number;
  status?: number;
  bytesIn: number;
  bytesOut: number;
  /** The fault applied, if any. */
  fault?: Fault["kind"];
}

export interface FaultProxy {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  log: ProxiedRequest[];
  /** Add rules (they count matches from the moment they are added). */
  inject(...rules: FaultRule[]): void;
  /** Drop every rule and revoked token (the log stays). */
  clear(): void;
  stop(): Promise<void>;
}

interface LiveRule extends FaultRule {
  seen: number;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(":") as [string, string];
  const log: ProxiedRequest[] = [];
  let rules: LiveRule[] = [];
  const revoked = new Set<string>();
  const t0 = Date.now();
  let self = "";

  const pick = (req: IncomingMessage): Fault | undefined => {
    let chosen: Fault | undefined;
    for (const r of rules) {
      if (r.method && r.method !== req.method) continue;
      if (!r.path.test(req.url ?? "")) continue;
      if (r.minLength !== undefined && Number(req.headers["content-length"] ?? 0) < r.minLength) continue;
      r.seen++;
      const first = r.nth ?? 1;
      if (!chosen && r.seen >= first && r.seen < first + (r.times ?? 1)) chosen = r.fault;
    }
    return chosen;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const entry: ProxiedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, at: Date.now() - t0, bytesIn: 0, bytesOut: 0 };
    log.push(entry);
    const fault = pick(req);
    if (fault) entry.fault = fault.kind;
    req.on("data", (c: Buffer) => (entry.bytesIn += c.length));
    const answered = (status: number) => {
      entry.status = status;
      entry.respondedAt = Date.now() - t0;
    };

    if (fault?.kind === "status") {
      req.resume();
      req.on("end", () => {
        answered(fault.status);
        res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers }).end(fault.body ?? "");
      });
      return;
    }
    if (fault?.kind === "redirect") {
      req.resume();
      answered(307);
      res.writeHead(307, { location: `${fault.base}${new URL(req.url ?? "/", "http://x").pathname}` }).end();
      return;
    }
    if (fault?.kind === "reset-request") {
      req.on("data", () => {
        if (entry.bytesIn >= fault.afterBytes) req.socket.destroy();
      });
      return;
    }

    const headers = { ...req.headers };
    const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? "")?.[1];
    if (fault?.kind === "revoke-token" && bearer) revoked.add(bearer);
    if (bearer && revoked.has(bearer) && (fault?.kind !== "revoke-token" || fault.now)) delete headers.authorization;

    const upstream = request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers }, (up) => {
      const send = () => {
        answered(up.statusCode ?? 502);
        const out = { ...up.headers };
        if (typeof out.location === "string") out.location = out.location.replace(`//${target}/`, `//${self}/`);
        if (fault?.kind === "truncate") delete out["content-length"];
        res.writeHead(up.statusCode ?? 502, out);
        pump(up, res, entry, fault);
      };
      if (fault?.kind === "delay-headers") {
        // a client that gives up first never gets the answer (so a long delay holds nothing open)
        const timer = setTimeout(send, fault.ms);
        res.on("close", () => clearTimeout(timer));
      } else send();
    });
    upstream.on("error", () => res.destroy());
    // the client went away (reset, timeout): stop talking to the registry too
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: self,
    log,
    inject: (...add) => rules.push(...add.map((r) => ({ ...r, seen: 0 }))),
    clear: () => {
      rules = [];
      revoked.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Copy the upstream body to the client, applying a body fault on the way. */
function pump(up: IncomingMessage, res: ServerResponse, entry: ProxiedRequest, fault: Fault | undefined): void {
  let sent = 0;
  let stalled = false;
  up.on("data", (chunk: Buffer) => {
    let out = chunk;
    if (fault?.kind === "alter" && fault.offset >= sent && fault.offset < sent + chunk.length) {
      out = Buffer.from(chunk);
      out[fault.offset - sent] = out[fault.offset - sent]! ^ 0xff;
    }
    const limit = fault?.kind === "reset-response" ? fault.afterBytes : fault?.kind === "truncate" ? fault.bytes : undefined;
    if (limit !== undefined && sent + out.length >= limit) {
      const head = out.subarray(0, limit - sent);
      sent += head.length;
      entry.bytesOut = sent;
      up.destroy();
      if (fault?.kind === "truncate") res.end(head);
      else res.write(head, () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    sent += out.length;
    entry.bytesOut = sent;
    if (fault?.kind === "delay-body" && !stalled && sent >= fault.afterBytes) {
      stalled = true;
      up.pause();
      res.write(out);
      setTimeout(() => up.resume(), fault.ms);
      return;
    }
    if (!res.write(out)) {
      up.pause();
      res.once("drain", () => up.resume());
    }
  });
  up.on("end", () => {
    if (!res.writableEnded) res.end();
  });
  up.on("error", () => res.destroy());
}

/** A second HTTP server that blob GETs are redirected to: serves files of an OCI layout's blobs dir, records Authorization. */
export interface BlobServer {
  /** http://localhost:PORT — a different host from the registry's 127.0.0.1. */
  base: string;
  log: { path: string; authorization: string | undefined; range: string | undefined }[];
  stop(): Promise<void>;
}

export async function startBlobServer(readBlob: (digest: string) => Promise<Buffer | undefined>): Promise<BlobServer> {
  const log: BlobServer["log"] = [];
  const server = createServer((req, res) => {
    log.push({ path: req.url ?? "", authorization: req.headers.authorization, range: req.headers.range });
    const digest = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(new URL(req.url ?? "/", "http://x").pathname)?.[1];
    (digest ? readBlob(digest) : Promise.resolve(undefined)).then(
      (data) => {
        if (!data) return res.writeHead(404).end();
        res.writeHead(200, { "content-length": data.length, "content-type": "application/octet-stream" }).end(data);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://localhost:${(server.address() as AddressInfo).port}`,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
