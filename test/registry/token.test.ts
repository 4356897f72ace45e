/** Bearer token auth against registry 2.8 + the test token server (scopes enforced per user). */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { sha256Digest } from "../../src/digest.js";
import { parseReference } from "../../src/reference/parse.js";
import { explicitKeychain } from "../../src/registry/keychain/index.js";
import type { RegistryClient } from "../../src/registry/index.js";
import { pushImage } from "../../src/sinks/push.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { startTokenRegistry, type TokenRegistry } from "../helpers/token-registry.js";
import { fastClient, readLayer, rejectsWithCode } from "./helpers.js";

describe("token auth (registry 2.8 + token server)", () => {
  let tr: TokenRegistry;
  const clients: RegistryClient[] = [];
  const client = (user?: string): RegistryClient => {
    const c = fastClient(user ? { keychain: explicitKeychain(tr.host, { username: user, password: "s3cret" }) } : {});
    clients.push(c);
    return c;
  };

  before(async () => {
    tr = await startTokenRegistry();
    await pushPythonBase(tr.host, "base/python", "3", "alice:s3cret");
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await tr?.stop();
  });

  it("pulls anonymously with a pull token, reusing it across requests", async () => {
    const c = client();
    const ref = parseReference(`${tr.host}/base/python:3`);
    const before = tr.tokenServer.requests;
    const image = await c.resolveImage(ref);
    const layers = await image.layers();
    assert.equal((await readLayer(layers[0]!)).digest, await layers[0]!.digest());
    await c.getManifest(ref);
    const asked = tr.tokenServer.log.slice(before);
    assert.equal(asked.length, 1, "one token for manifest, config and layer");
    assert.deepEqual(asked[0], { user: "anonymous", scopes: ["repository:base/python:pull"], status: 200 });
  });

  it("fetches a new token once the cached one expires", async () => {
    const c = client("alice");
    const ref = parseReference(`${tr.host}/base/python:3`);
    tr.tokenServer.expiresIn = 2;
    try {
      const n0 = tr.tokenServer.requests;
      await c.getManifest(ref);
      const n1 = tr.tokenServer.requests;
      assert.equal(n1 - n0, 1);
      await delay(1100); // the token is refreshed early: at most expires_in/2 before it ends
      await c.getManifest(ref);
      assert.equal(tr.tokenServer.requests - n1, 1);
    } finally {
      tr.tokenServer.expiresIn = 300;
    }
  });

  it("pushes with push,pull and mounts with one token holding pull on the source", async () => {
    const c = client("alice");
    const base = await c.resolveImage(parseReference(`${tr.host}/base/python:3`));
    const n0 = tr.tokenServer.requests;
    const result = await pushImage(c, base, parseReference(`${tr.host}/apps/copy:1`));
    const layerDigests = new Set(await Promise.all((await base.layers()).map((l) => l.digest())));
    for (const b of result.blobs) assert.equal(b.action, layerDigests.has(b.digest) ? "mounted" : "uploaded");
    const mountToken = tr.tokenServer.log.slice(n0).find((r) => r.scopes.length === 2);
    assert.deepEqual(mountToken?.scopes.sort(), ["repository:apps/copy:pull,push", "repository:base/python:pull"]);
    assert.equal(mountToken?.user, "alice");
  });

  it("exchanges an identity token with an OAuth2 refresh-token POST", async () => {
    const c = fastClient({ keychain: { resolve: async () => ({ identityToken: "refresh-me" }) } });
    clients.push(c);
    const n0 = tr.tokenServer.requests;
    const m = await c.getManifest(parseReference(`${tr.host}/base/python:3`));
    assert.ok(m.bytes.length > 0);
    assert.deepEqual(tr.tokenServer.log.slice(n0).map((r) => r.scopes), [["repository:base/python:pull"]]);
  });

  it("a pull-only token cannot push", async () => {
    const c = client("puller");
    const blob = Buffer.from("pull-only users cannot write this");
    const e = await rejectsWithCode(
      c.pushBlob(parseReference(`${tr.host}/apps/nope:1`), { digest: sha256Digest(blob), size: blob.length, open: async () => Readable.from([blob]) }),
      "E_DENIED",
    );
    assert.equal((e as unknown as { status: number }).status, 401);
    assert.ok(e.hint);
  });

  it("a wrong password at the token server is E_UNAUTHORIZED without the secret", async () => {
    const c = fastClient({ keychain: explicitKeychain(tr.host, { username: "alice", password: "not-the-Secret-42" }) });
    clients.push(c);
    const e = await rejectsWithCode(c.getManifest(parseReference(`${tr.host}/base/python:3`)), "E_UNAUTHORIZED");
    assert.doesNotMatch(`${e.message} ${e.hint}`, /not-the-Secret-42/);
  });
});
