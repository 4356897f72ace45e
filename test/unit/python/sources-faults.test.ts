/**
 * Index and download faults against raw loopback servers: an HTTP/1.0 server that ends bodies by
 * closing the connection (undici 7's fetch crashed the process on it), connection resets, 5xx,
 * truncated bodies and a wrong sha256 — retried, or a clear error with nothing left in the cache.
 * PEP 658 metadata files go through the same client: a 503 is retried, a 404 named.
 */
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { once } from "node:events";
import { createServer as createHttpServer, type ServerResponse } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isMapBuildError } from "../../../src/errors.js";
import { simpleIndexSource } from "../../../src/python/sources.js";
import { makeTempDir } from "../../helpers/tmp.js";
import { makeWheel } from "../../python/wheel-factory.js";

const wheel = makeWheel({ name: "faulty", version: "1.0", files: { "faulty/__init__.py": "X = 1\n".repeat(50_000) } });
const big = Buffer.from(wheel.bytes);

/** Serves /simple/faulty/ and /files/<wheel>; `plan` picks what each file request gets. */
function rawServer(plan: (n: number, s: Socket) => void): Promise<{ url: string; server: Server; fileRequests: () => number }> {
  let files = 0;
  const server = createServer((s) => {
    s.on("error", () => {});
    s.once("data", (d) => {
      const path = /^GET (\S+)/.exec(d.toString("latin1"))?.[1] ?? "/";
      if (path.startsWith("/simple/faulty/")) {
        const html = `<a href="/files/${wheel.filename}#sha256=${wheel.sha256}">${wheel.filename}</a>`;
        // HTTP/1.0, no Content-Length: the body ends when the server closes
        s.write(`HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n${html}`, () => s.end());
        return;
      }
      plan(++files, s);
    });
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`, server, fileRequests: () => files })));
}

const close10 = (s: Socket, body: Buffer) => { s.write("HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"); s.write(body, () => s.end()); };

describe("index faults", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  const servers: Server[] = [];
  let n = 0;
  before(async () => { tmp = await makeTempDir("mb-src-faults-"); });
  after(async () => {
    for (const s of servers) s.close();
    await tmp?.cleanup();
  });
  const fetchFrom = async (plan: (n: number, s: Socket) => void, attempts = 3) => {
    const srv = await rawServer(plan);
    servers.push(srv.server);
    const cacheDir = join(tmp.dir, `cache-${++n}`);
    const retries: string[] = [];
    const src = simpleIndexSource(srv.url, { cacheDir, attempts, minDelayMs: 0, onRetry: (_a, why) => retries.push(why) });
    const listing = await src.list("faulty");
    assert.equal(listing.wheels.length, 1);
    const cached = async () => (await readdir(join(cacheDir, "blobs", "sha256")).catch(() => [] as string[])).filter((f) => !f.startsWith("."));
    return { result: listing.wheels[0]!.fetch(), retries, cached, srv };
  };

  it("an HTTP/1.0 close-delimited index and download work (and do not crash the process)", async () => {
    for (let i = 0; i < 3; i++) {
      const { result, cached } = await fetchFrom((_n, s) => close10(s, big));
      assert.match(await result, /sha256/);
      assert.deepEqual(await cached(), [wheel.sha256]);
    }
  });

  it("a reset and a 503 are retried", async () => {
    const { result, retries, cached } = await fetchFrom((k, s) => {
      if (k === 1) s.resetAndDestroy();
      else if (k === 2) s.end("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
      else s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n`), big]));
    });
    await result;
    assert.equal(retries.length, 2, retries.join(", "));
    assert.deepEqual(await cached(), [wheel.sha256]);
  });

  it("a truncated body is retried; still truncated, a clear failure and nothing cached", async () => {
    const truncated = (s: Socket) => { s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`); s.write(big.subarray(0, big.length >> 1), () => s.destroy()); };
    const ok = await fetchFrom((k, s) => (k === 1 ? truncated(s) : s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n`), big]))));
    await ok.result;
    assert.equal(ok.retries.length, 1);
    const bad = await fetchFrom((_k, s) => truncated(s), 2);
    await assert.rejects(bad.result, (e: unknown) => isMapBuildError(e) && e.code === "E_NETWORK" && /download faulty-1\.0/.test(e.message));
    assert.deepEqual(await bad.cached(), []);
  });

  it("a close-delimited body cut short, and a wrong file: E_DIGEST_MISMATCH, nothing cached", async () => {
    const cut = await fetchFrom((_k, s) => close10(s, big.subarray(0, big.length >> 1)));
    await assert.rejects(cut.result, (e: unknown) => isMapBuildError(e) && e.code === "E_DIGEST_MISMATCH" && /the index says/.test(e.message));
    assert.deepEqual(await cut.cached(), []);
    const other = await fetchFrom((_k, s) => close10(s, Buffer.from("not the wheel")));
    await assert.rejects(other.result, (e: unknown) => isMapBuildError(e) && e.code === "E_DIGEST_MISMATCH");
    assert.deepEqual(await other.cached(), []);
  });

  it("a persistent 500 fails with the status after the tries", async () => {
    const { result, retries } = await fetchFrom((_k, s) => s.end("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"));
    await assert.rejects(result, (e: unknown) => isMapBuildError(e) && /HTTP 500/.test(e.message));
    assert.equal(retries.length, 2);
  });
});

describe("index connections", () => {
  it("close() ends the keep-alive connections a source opened", { timeout: 60_000 }, async () => {
    const tmp = await makeTempDir("mb-src-close-");
    const sockets: Socket[] = [];
    const server = createHttpServer((req, res) => {
      // Both sides keep idle connections (for 10 min on the client): only close() can end them.
      res.setHeader("keep-alive", "timeout=600");
      if (req.url!.startsWith("/simple/faulty/")) res.writeHead(200, { "content-type": "text/html" }).end(`<a href="/files/${wheel.filename}#sha256=${wheel.sha256}">${wheel.filename}</a>`);
      else res.writeHead(200, { "content-length": big.length }).end(big);
    });
    server.keepAliveTimeout = 0;
    server.on("connection", (s: Socket) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const src = simpleIndexSource(`http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`, { cacheDir: tmp.dir });
      await (await src.list("faulty")).wheels[0]!.fetch();
      assert.ok(sockets.length > 0 && sockets.every((k) => !k.destroyed), "keep-alive: the connections outlive the download");
      const closed = Promise.all(sockets.map((k) => once(k, "close")));
      await src.close!();
      await closed;
    } finally {
      server.closeAllConnections();
      server.close();
      await tmp.cleanup();
    }
  });
});

describe("metadata file faults", () => {
  /** An index announcing faulty's PEP 658 metadata file; `plan` answers each request for it (n counts them). */
  const serve = async (plan: (n: number, res: ServerResponse) => void) => {
    let n = 0;
    const server = createHttpServer((req, res) => {
      if (req.url!.startsWith("/simple/faulty/")) res.writeHead(200, { "content-type": "text/html" }).end(`<a href="/files/${wheel.filename}#sha256=${wheel.sha256}" data-core-metadata="true">${wheel.filename}</a>`);
      else if (req.url!.endsWith(".metadata")) plan(++n, res);
      else res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`, server };
  };
  const metadataOf = async (plan: (n: number, res: ServerResponse) => void) => {
    const tmp = await makeTempDir("mb-src-md-");
    const { url, server } = await serve(plan);
    const retries: string[] = [];
    const src = simpleIndexSource(url, { cacheDir: tmp.dir, attempts: 3, minDelayMs: 0, onRetry: (_a, why) => retries.push(why) });
    try {
      const [w] = (await src.list("faulty")).wheels;
      assert.equal(w!.metadataFile!.url, `${url.replace("/simple/", "/files/")}${wheel.filename}.metadata`);
      return { body: await w!.metadataFile!.fetch().then(String, (e: unknown) => e), retries };
    } finally {
      await src.close!();
      server.closeAllConnections();
      server.close();
      await tmp.cleanup();
    }
  };

  it("a 503 is retried through the one HTTP client", async () => {
    const { body, retries } = await metadataOf((n, res) => (n === 1 ? res.writeHead(503).end() : res.writeHead(200).end("Name: faulty\nVersion: 1.0\n")));
    assert.equal(body, "Name: faulty\nVersion: 1.0\n");
    assert.equal(retries.length, 1);
  });

  it("an announced metadata file the index does not serve: a clear error naming it", async () => {
    const { body } = await metadataOf((_n, res) => res.writeHead(404).end());
    assert.ok(isMapBuildError(body) && body.code === "E_PYTHON_DEPS", String(body));
    assert.match(body.message, /faulty-1\.0-py3-none-any\.whl\.metadata: the index announces this metadata file \(PEP 658\) but answers 404/);
  });
});
