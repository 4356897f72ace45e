/**
 * Fault injection with scripted node:http servers on 127.0.0.1 (the real registry cannot be made
 * to fail on cue): retries, Retry-After, dropped blob bodies resumed with Range, corrupt bodies,
 * cross-host redirects, timeouts, PATCH refused, upload restarted from POST.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import { sha256Digest } from "../../../src/digest.js";
import { MediaType } from "../../../src/image/media-types.js";
import { parseReference } from "../../../src/reference/parse.js";
import { explicitKeychain } from "../../../src/registry/keychain/index.js";
import { fastClient, rejectsWithCode, sha256Of } from "../../registry/helpers.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const servers: Server[] = [];
async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, res, Buffer.concat(chunks)));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const BLOB = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz".repeat(4000)); // 144 kB
const BLOB_DIGEST = sha256Digest(BLOB);
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: BLOB_DIGEST, size: BLOB.length }, layers: [] }));

describe("registry client under faults", () => {
  it("retries 503 and honours Retry-After on 429", async () => {
    let calls = 0;
    const host = await serve((_req, res) => {
      calls++;
      if (calls === 1) return res.writeHead(503).end();
      if (calls === 2) return res.writeHead(429, { "retry-after": "0" }).end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      res.writeHead(200, { "content-type": MediaType.ociManifest }).end(MANIFEST);
    });
    const c = fastClient();
    const m = await c.getManifest(parseReference(`${host}/a/b:1`));
    assert.equal(m.digest, sha256Digest(MANIFEST));
    assert.equal(calls, 3);
    await c.close();
  });

  it("puts a manifest again after distribution's passing 400 DIGEST_INVALID (a blob link rewritten by a concurrent push), but not a PUT by another digest", async () => {
    const refusal = '{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}';
    const puts: string[] = [];
    const host = await serve((req, res, body) => {
      puts.push(req.url!);
      if (puts.length === 1) return res.writeHead(400, { "content-type": "application/json" }).end(refusal);
      if (req.url!.includes("@") || /sha256:/.test(req.url!)) return res.writeHead(400, { "content-type": "application/json" }).end(refusal);
      res.writeHead(201, { "docker-content-digest": sha256Digest(body) }).end();
    });
    const c = fastClient();
    assert.equal(await c.putManifest(parseReference(`${host}/a/b:1`), MANIFEST, MediaType.ociManifest), sha256Digest(MANIFEST));
    assert.deepEqual(puts, ["/v2/a/b/manifests/1", "/v2/a/b/manifests/1"]);
    // by a digest the bytes do not have, the refusal is final: one PUT
    puts.length = 0;
    await rejectsWithCode(c.putManifest(parseReference(`${host}/a/b@${sha256Digest("other")}`), MANIFEST, MediaType.ociManifest), "E_DIGEST_MISMATCH");
    assert.equal(puts.length, 1);
    await c.close();
  });

  it("gives up after the configured attempts with the registry's code", async () => {
    let calls = 0;
    const host = await serve((_req, res) => {
      calls++;
      res.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"boom"}]}');
    });
    const c = fastClient({ retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 5 } });
    const e = await rejectsWithCode(c.getManifest(parseReference(`${host}/a/b:1`)), "E_REGISTRY");
    assert.equal(calls, 3);
    assert.equal((e as unknown as { registryErrors: { code: string }[] }).registryErrors[0]?.code, "UNKNOWN");
    await c.close();
  });

  it("resumes a dropped blob download with Range and verifies it", async () => {
    const ranges: (string | undefined)[] = [];
    const host = await serve((req, res) => {
      ranges.push(req.headers.range);
      if (!req.headers.range) {
        res.writeHead(200, { "content-length": BLOB.length });
        res.write(BLOB.subarray(0, 50_000));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range)![1]);
      res.writeHead(206, { "content-length": BLOB.length - start, "content-range": `bytes ${start}-${BLOB.length - 1}/${BLOB.length}` });
      res.end(BLOB.subarray(start));
    });
    const c = fastClient();
    const got = await sha256Of(c.fetchBlob(parseReference(`${host}/a/b:1`), BLOB_DIGEST, { size: BLOB.length }));
    assert.deepEqual(got, { digest: BLOB_DIGEST, size: BLOB.length });
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? "", /^bytes=\d+-$/);
    await c.close();
  });

  it("fails corrupt or oversized blobs with E_DIGEST_MISMATCH / E_SIZE_MISMATCH", async () => {
    const host = await serve((req, res) => {
      const bad = Buffer.from(BLOB);
      bad[1000] = 0x21;
      if (req.url?.includes("short")) return res.writeHead(200, { "content-length": 10 }).end(BLOB.subarray(0, 10));
      res.writeHead(200).end(bad);
    });
    const c = fastClient();
    await rejectsWithCode(sha256Of(c.fetchBlob(parseReference(`${host}/a/b:1`), BLOB_DIGEST, { size: BLOB.length })), "E_DIGEST_MISMATCH");
    await rejectsWithCode(sha256Of(c.fetchBlob(parseReference(`${host}/a/short:1`), BLOB_DIGEST, { size: BLOB.length })), "E_SIZE_MISMATCH");
    await c.close();
  });

  it("follows a blob redirect to another host without the Authorization header", async () => {
    let cdnAuth: string | undefined = "unset";
    const cdn = await serve((req, res) => {
      cdnAuth = req.headers.authorization;
      res.writeHead(200).end(BLOB);
    });
    const cdnUrl = `http://localhost:${cdn.split(":")[1]}/blob?sig=secret-signature`;
    let registryAuth: string | undefined;
    const host = await serve((req, res) => {
      if (!req.headers.authorization) return res.writeHead(401, { "www-authenticate": 'Basic realm="x"' }).end();
      registryAuth = req.headers.authorization;
      res.writeHead(307, { location: cdnUrl }).end();
    });
    const c = fastClient({ keychain: explicitKeychain(host, { username: "u", password: "p" }) });
    const got = await sha256Of(c.fetchBlob(parseReference(`${host}/a/b:1`), BLOB_DIGEST, { size: BLOB.length }));
    assert.equal(got.digest, BLOB_DIGEST);
    assert.match(registryAuth ?? "", /^Basic /);
    assert.equal(cdnAuth, undefined);
    await c.close();
  });

  it("times out with E_TIMEOUT naming the host and the setting", async () => {
    const host = await serve(() => {
      /* never answers */
    });
    const c = fastClient({ headersTimeoutMs: 200, retry: { attempts: 1 }, timeoutSettingNames: { headers: "--registry-timeout", body: "--registry-timeout" } });
    const e = await rejectsWithCode(c.getManifest(parseReference(`${host}/a/b:1`)), "E_TIMEOUT");
    assert.match(e.message, new RegExp(host.replace(/\./g, "\\.")));
    assert.match(e.hint ?? "", /--registry-timeout/);
    await c.close();
  });

  it("reports a refused connection as E_NETWORK", async () => {
    const host = await serve(() => {});
    servers.at(-1)!.close();
    const c = fastClient({ retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 2 } });
    await rejectsWithCode(c.getManifest(parseReference(`${host}/a/b:1`)), "E_NETWORK");
    await c.close();
  });

  it("falls back to a monolithic PUT when PATCH is refused, keeping the Location's query", async () => {
    const seen: string[] = [];
    let stored: Buffer | undefined;
    const host = await serve((req, res, body) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.method === "HEAD") return res.writeHead(404).end();
      if (req.method === "POST") return res.writeHead(202, { location: "/v2/a/b/blobs/uploads/u1?_state=abc%3D%3D" }).end();
      if (req.method === "PATCH") return res.writeHead(405).end('{"errors":[{"code":"UNSUPPORTED","message":"no PATCH"}]}');
      if (req.method === "PUT") {
        const url = new URL(req.url!, "http://x");
        assert.equal(url.searchParams.get("_state"), "abc==");
        assert.equal(url.searchParams.get("digest"), BLOB_DIGEST);
        stored = body;
        return res.writeHead(201, { "docker-content-digest": BLOB_DIGEST }).end();
      }
      res.writeHead(500).end();
    });
    const c = fastClient();
    const action = await c.pushBlob(parseReference(`${host}/a/b:1`), { digest: BLOB_DIGEST, size: BLOB.length, open: async () => Readable.from([BLOB]) });
    assert.equal(action, "uploaded");
    assert.deepEqual(stored, BLOB);
    assert.deepEqual(seen.map((s) => s.split(" ")[0]), ["HEAD", "POST", "PATCH", "POST", "PUT"]);
    await c.close();
  });

  it("restarts an upload from POST after the connection drops mid-PATCH", async () => {
    let posts = 0;
    let patches = 0;
    let received: Buffer | undefined;
    const host = await serve((req, res, body) => {
      if (req.method === "HEAD") return res.writeHead(404).end();
      if (req.method === "POST") {
        posts++;
        return res.writeHead(202, { location: `http://${req.headers.host}/v2/a/b/blobs/uploads/u${posts}?_state=s${posts}` }).end();
      }
      if (req.method === "PATCH") {
        patches++;
        if (patches === 1) return res.socket?.destroy();
        received = body;
        return res.writeHead(202, { location: `${req.url}&_next=1`, range: `0-${body.length - 1}` }).end();
      }
      if (req.method === "PUT") {
        assert.match(req.url!, /_next=1&digest=sha256%3A/);
        return res.writeHead(201, { "docker-content-digest": BLOB_DIGEST }).end();
      }
    });
    const c = fastClient();
    const action = await c.pushBlob(parseReference(`${host}/a/b:1`), { digest: BLOB_DIGEST, size: BLOB.length, open: async () => Readable.from([BLOB]) });
    assert.equal(action, "uploaded");
    assert.equal(posts, 2);
    assert.deepEqual(received, BLOB);
    await c.close();
  });

  it("goes through HTTP_PROXY (EnvHttpProxyAgent) for a plain-HTTP registry", async () => {
    const urls: string[] = [];
    const proxy = await serve((req, res) => {
      urls.push(req.url ?? "");
      res.writeHead(200, { "content-type": MediaType.ociManifest }).end(MANIFEST);
    });
    const c = fastClient({ insecureRegistries: ["registry.test:5000"], proxy: { httpProxy: `http://${proxy}`, noProxy: "" }, headersTimeoutMs: 5000 });
    await c.getManifest(parseReference("registry.test:5000/a/b:1"));
    assert.deepEqual(urls, ["http://registry.test:5000/v2/a/b/manifests/1"]);
    await c.close();
  });

  it("refuses schema 1 manifests with E_UNSUPPORTED_MEDIA_TYPE", async () => {
    const host = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.docker.distribution.manifest.v1+prettyjws" }).end('{"schemaVersion":1,"fsLayers":[]}');
    });
    const c = fastClient();
    await rejectsWithCode(c.getManifest(parseReference(`${host}/a/b:1`)), "E_UNSUPPORTED_MEDIA_TYPE");
    await c.close();
  });
  it("retries an upload's POST in one loop only: attempts POSTs, not attempts squared", async () => {
    let posts = 0;
    const host = await serve((req, res) => {
      if (req.method === "HEAD") return res.writeHead(404).end();
      if (req.method === "POST") posts++;
      res.writeHead(503).end();
    });
    const c = fastClient({ retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 2 } });
    await rejectsWithCode(c.pushBlob(parseReference(`${host}/a/b:1`), { digest: BLOB_DIGEST, size: BLOB.length, open: async () => Readable.from([BLOB]) }), "E_REGISTRY");
    assert.equal(posts, 3);
    await c.close();
  });

  it("a token request honours the abort signal: in flight and while waiting out Retry-After", async () => {
    for (const tokenServer of ["hangs", "asks to wait"] as const) {
      const ac = new AbortController();
      let tokenRequests = 0;
      const host = await serve((req, res) => {
        if (req.url!.startsWith("/token")) {
          tokenRequests++;
          ac.abort();
          if (tokenServer === "asks to wait") res.writeHead(503, { "retry-after": "3600" }).end();
          return; // hangs: never answers
        }
        res.writeHead(401, { "www-authenticate": `Bearer realm="http://${req.headers.host}/token",service="t"` }).end();
      });
      const c = fastClient({ retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 3_600_000 } });
      await rejectsWithCode(c.getManifest(parseReference(`${host}/a/b:1`), { signal: ac.signal }), "E_INTERRUPTED");
      assert.equal(tokenRequests, 1, tokenServer);
      await c.close();
    }
  });
});
