/**
 * A cache repository that fails never fails the build: an unreachable or hanging registry is one
 * warning, after which nothing more is asked of it; a refused read still lets the build record its
 * layers (Docker Hub refuses reads of a repository that does not exist yet); only the build's own
 * interrupt propagates. (The real-registry paths are in test/cache/cache-repo.test.ts; these
 * faults need no registry: a closed port, a server that never answers, one that denies everything.)
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CacheRepo } from "../../../src/cache-repo/index.js";
import { MediaType } from "../../../src/image/index.js";
import { RegistryClient } from "../../../src/registry/index.js";
import { freePort } from "../../helpers/ports.js";
import { sha256Digest } from "../../../src/digest.js";

const WANT = { mediaType: MediaType.ociLayerGzip, id: "app" };
const KEY = "c".repeat(64);
const layer = { digest: async () => sha256Digest("x"), diffId: async () => sha256Digest("y"), size: async () => 1, mediaType: async () => MediaType.ociLayerGzip, open: async () => { throw new Error("not read"); } };

describe("cache repository failures", () => {
  let hanging: Server;
  let denying: Server;
  let requests = 0;
  const denied: string[] = [];
  const clients: RegistryClient[] = [];
  const client = () => {
    const c = new RegistryClient({ retry: { attempts: 1 } });
    clients.push(c);
    return c;
  };

  before(async () => {
    hanging = createServer(() => requests++); // accepts, never answers
    await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
    denying = createServer((req, res) => {
      denied.push(`${req.method} ${req.url}`);
      res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "DENIED", message: "requested access to the resource is denied" }] }));
    });
    await new Promise<void>((r) => denying.listen(0, "127.0.0.1", r));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    hanging.closeAllConnections();
    await new Promise((r) => hanging.close(r));
    await new Promise((r) => denying.close(r));
  });

  it("an unreachable registry is one warning, then left alone (lookups and writes)", async () => {
    const warnings: string[] = [];
    const c = client();
    const repo = new CacheRepo(`127.0.0.1:${await freePort()}/ci/cache`, { client: () => c, warn: (m) => warnings.push(m) });
    assert.equal(await repo.layerFor(KEY, WANT), undefined);
    assert.equal(await repo.layerFor(KEY, WANT), undefined);
    await repo.publish([{ key: KEY, layer, id: "app" }]);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /could not be read: .*; building without it$/);
    assert.deepEqual(repo.stats, { hits: 0, misses: 0, rejected: 0, written: 0 });
  });

  it("a registry that never answers costs one lookup time limit, not the request timeouts", async () => {
    const warnings: string[] = [];
    const c = client();
    const port = (hanging.address() as AddressInfo).port;
    const repo = new CacheRepo(`127.0.0.1:${port}/ci/cache`, { client: () => c, warn: (m) => warnings.push(m), lookupTimeoutMs: 200 });
    assert.equal(await repo.layerFor(KEY, WANT), undefined);
    assert.equal(await repo.layerFor(KEY, WANT), undefined);
    // at most once: on a loaded machine the time limit may even pass before the request arrives
    assert.ok(requests <= 1, `asked ${requests} times`);
    assert.deepEqual(warnings, [`layer cache repository 127.0.0.1:${port}/ci/cache could not be read: no answer within 0.2 s; building without it`]);
  });

  it("the build's own interrupt is not swallowed", async () => {
    const c = client();
    const ac = new AbortController();
    ac.abort();
    const port = (hanging.address() as AddressInfo).port;
    const repo = new CacheRepo(`127.0.0.1:${port}/ci/cache`, { client: () => c, warn: () => assert.fail("no warning for an interrupt"), signal: ac.signal });
    await assert.rejects(repo.layerFor(KEY, WANT), { code: "E_INTERRUPTED" });
  });

  it("a refused read stops the lookups, not the recording of the layers built", async () => {
    const warnings: string[] = [];
    const c = client();
    const repo = new CacheRepo(`127.0.0.1:${(denying.address() as AddressInfo).port}/ci/cache`, { client: () => c, warn: (m) => warnings.push(m) });
    assert.equal(await repo.layerFor(KEY, WANT), undefined);
    assert.equal(await repo.layerFor(KEY, WANT), undefined);
    assert.equal(denied.length, 1, denied.join("\n"));
    assert.match(warnings[0]!, /could not be read: .*403.*\(the credentials .* lack permission .*\); building without its entries \(the layers built are still recorded there\)$/);
    await repo.publish([{ key: KEY, layer, id: "app" }]);
    assert.ok(denied.length > 1, "the write was tried");
    await repo.publish([{ key: KEY, layer, id: "app" }]);
    assert.equal(warnings.length, 2, warnings.join("\n"));
    assert.match(warnings[1]!, /could not be written: .*; building without it$/);
  });
});
