/**
 * Credentials never cross plain HTTP to a host that is not loopback or listed as insecure (issue 13
 * item 2). One in-process server on 127.0.0.1 plays every host through HTTP_PROXY (absolute-URI
 * requests), so non-loopback names (`registry.test`, `cdn.test`, `auth.test`) are reachable without
 * DNS, and it records each request's URL and Authorization header.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { sha256Digest } from "../../src/digest.js";
import { parseReference } from "../../src/reference/parse.js";
import { explicitKeychain } from "../../src/registry/keychain/index.js";
import { fastClient, rejectsWithCode, sha256Of } from "./helpers.js";

const BLOB = Buffer.from("plain-http blob ".repeat(100));
const DIGEST = sha256Digest(BLOB);
const BASIC = `Basic ${Buffer.from("u:p").toString("base64")}`;

interface Seen {
  url: string;
  authorization: string | undefined;
}

describe("plain HTTP: redirects and token realms", () => {
  let server: Server;
  let proxy = "";
  const seen: Seen[] = [];
  /** What registry.test does, per test. */
  let registry: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) => void res.writeHead(500).end();

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization });
      const url = new URL(req.url ?? "/", "http://unknown");
      if (url.hostname === "registry.test" && url.port === "5000") return registry(req, res);
      if (url.pathname === "/token") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "tok" }));
      res.writeHead(200).end(BLOB); // any other host: a CDN serving the blob
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    proxy = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  function client(insecure: string[]) {
    return fastClient({
      insecureRegistries: insecure,
      proxy: { httpProxy: proxy, noProxy: "" },
      keychain: explicitKeychain("registry.test:5000", { username: "u", password: "p" }),
      headersTimeoutMs: 5000,
    });
  }

  /** registry.test:5000 asks for Basic, then redirects blob GETs to `location`. */
  function redirectTo(location: string) {
    registry = (req, res) => {
      if (req.headers.authorization !== BASIC) return void res.writeHead(401, { "www-authenticate": 'Basic realm="r"' }).end();
      res.writeHead(307, { location }).end();
    };
  }

  const blob = (c: ReturnType<typeof client>) => sha256Of(c.fetchBlob(parseReference("registry.test:5000/a/b:1"), DIGEST, { size: BLOB.length }));

  it("a redirect to plain HTTP on a host that is not insecure is refused before connecting", async () => {
    redirectTo("http://cdn.test/blob?sig=s");
    const from = seen.length;
    const c = client(["registry.test:5000"]);
    const e = await rejectsWithCode(blob(c), "E_REGISTRY");
    assert.match(e.message, /not HTTPS; refusing to follow/);
    assert.match(e.hint ?? "", /cdn\.test/);
    assert.deepEqual(seen.slice(from).filter((s) => s.url.includes("cdn.test")), []);
    await c.close();
  });

  it("a redirect to another port of an insecure host is followed, without Authorization (another origin)", async () => {
    redirectTo("http://registry.test:5001/blob");
    const from = seen.length;
    const c = client(["registry.test"]);
    assert.equal((await blob(c)).digest, DIGEST);
    const hops = seen.slice(from);
    assert.ok(hops.some((s) => s.url.startsWith("http://registry.test:5000/") && s.authorization === BASIC), "the registry got the credential");
    assert.deepEqual(hops.filter((s) => s.url.startsWith("http://registry.test:5001/")).map((s) => s.authorization), [undefined]);
    await c.close();
  });

  it("a plain-HTTP token realm on a host that is not insecure gets no request, let alone credentials", async () => {
    registry = (req, res) => {
      if (!req.headers.authorization) return void res.writeHead(401, { "www-authenticate": 'Bearer realm="http://auth.test/token",service="s"' }).end();
      res.writeHead(200).end(BLOB);
    };
    const from = seen.length;
    const c = client(["registry.test:5000"]);
    const e = await rejectsWithCode(blob(c), "E_REGISTRY");
    assert.match(e.message, /token service of registry\.test:5000 is not HTTPS/);
    assert.deepEqual(seen.slice(from).filter((s) => s.url.includes("auth.test")), []);
    await c.close();

    // listed as insecure, the realm is used (and gets the credential)
    const from2 = seen.length;
    const ok = client(["registry.test:5000", "auth.test"]);
    assert.equal((await blob(ok)).digest, DIGEST);
    assert.deepEqual(seen.slice(from2).filter((s) => s.url.startsWith("http://auth.test/")).map((s) => s.authorization), [BASIC]);
    await ok.close();
  });
});
