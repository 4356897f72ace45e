/**
 * The Authenticator under concurrency, peer-free: a scripted token endpoint counts requests, an
 * injected clock expires tokens. One anonymous request per registry, one token per scope set for every waiter,
 * a revoked token refreshed once however many requests saw it fail, and the two failure messages.
 * (Only the first request to a registry goes anonymous: the others wait for its 401.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Authenticator, type TokenFetch } from "../../../src/registry/auth.js";
import { explicitKeychain, multiKeychain, envKeychain } from "../../../src/registry/keychain/index.js";

const REG = "reg.example:5000";
const BEARER = `Bearer realm="https://auth.example/token",service="reg"`;

function tokenEndpoint(opts: { status?: number } = {}) {
  const calls: string[] = [];
  let issued = 0;
  const fetch: TokenFetch = async (url) => {
    calls.push(url);
    await new Promise((r) => setImmediate(r)); // let every waiter pile up
    if (opts.status) return { status: opts.status, text: "" };
    return { status: 200, text: JSON.stringify({ token: `tok-${++issued}`, expires_in: 300 }) };
  };
  return { fetch, calls };
}

/**
 * `n` parallel requests: the first is answered 401 with `challenge` (as a registry would), the
 * others must wait for it; returns the headers every request went out with, the first's retry included.
 */
async function parallel(a: Authenticator, n: number, challenge: string, scopes = (_i: number) => ["repository:x:pull"]): Promise<(string | undefined)[]> {
  const sent: (string | undefined)[] = [];
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const req = { registry: REG, scopes: scopes(i) };
      const auth = await a.authorize(req);
      sent.push(auth.header);
      await new Promise((r) => setImmediate(r));
      if (auth.header === undefined) {
        const v = await a.onUnauthorized(req, challenge, undefined, false);
        auth.done();
        assert.equal(v.retry, true);
        sent.push(await a.authorization(req));
      } else auth.done();
    }),
  );
  return sent;
}

const alice = explicitKeychain(REG, { username: "alice", password: "pw" }, "the test's flags");

describe("Authenticator", () => {
  it("Basic: of 8 parallel requests only the first goes anonymous; the rest wait and carry the credential", async () => {
    const a = new Authenticator({ keychain: alice, fetchToken: tokenEndpoint().fetch });
    const sent = await parallel(a, 8, `Basic realm="r"`);
    assert.equal(sent.length, 9);
    assert.equal(sent.filter((h) => h === undefined).length, 1);
    assert.deepEqual(new Set(sent.filter(Boolean)), new Set([`Basic ${Buffer.from("alice:pw").toString("base64")}`]));
  });

  it("Bearer: one token per scope set shared by every waiter; a new scope set gets its own", async () => {
    const t = tokenEndpoint();
    const a = new Authenticator({ keychain: alice, fetchToken: t.fetch });
    const sent = await parallel(a, 6, BEARER, (i) => [i % 2 ? "repository:x:pull" : "repository:x:pull,push"]);
    assert.equal(sent.filter((h) => h === undefined).length, 1);
    assert.equal(t.calls.length, 2);
    assert.equal(new Set(sent.filter(Boolean)).size, 2);
  });

  it("a revoked token seen by 5 requests is refreshed once, and all retry with the new one", async () => {
    const t = tokenEndpoint();
    const a = new Authenticator({ keychain: alice, fetchToken: t.fetch });
    const req = { registry: REG, scopes: ["repository:x:pull,push"] };
    await a.onUnauthorized(req, BEARER, undefined, false);
    const first = await a.authorization(req);
    const verdicts = await Promise.all([...Array(5)].map(() => a.onUnauthorized(req, `${BEARER},error="invalid_token"`, first, false)));
    assert.ok(verdicts.every((v) => v.retry));
    const again = await Promise.all([...Array(5)].map(() => a.authorization(req)));
    assert.equal(t.calls.length, 2);
    assert.deepEqual(new Set(again), new Set(["Bearer tok-2"]));
    // a late 401 for the old token does not throw away the fresh one
    await a.onUnauthorized(req, BEARER, first, false);
    assert.equal(await a.authorization(req), "Bearer tok-2");
    assert.equal(t.calls.length, 2);
  });

  it("an expired token is renewed once for all waiters (injected clock)", async () => {
    let now = 1_000_000;
    const t = tokenEndpoint();
    const a = new Authenticator({ keychain: alice, fetchToken: t.fetch, now: () => now });
    const req = { registry: REG, scopes: ["repository:x:pull"] };
    await a.onUnauthorized(req, BEARER, undefined, false);
    assert.equal(await a.authorization(req), "Bearer tok-1");
    now += 299_000;
    const got = await Promise.all([...Array(4)].map(() => a.authorization(req)));
    assert.deepEqual(new Set(got), new Set(["Bearer tok-2"]));
    assert.equal(t.calls.length, 2);
  });

  it("Basic sent and refused: 'credentials … were rejected (from: …)'; none at all: 'no credentials found (looked in: …)'", async () => {
    const a = new Authenticator({ keychain: alice, fetchToken: tokenEndpoint().fetch });
    const req = { registry: REG, scopes: [] };
    await a.onUnauthorized(req, `Basic realm="r"`, undefined, false);
    const sent = await a.authorization(req);
    const v = await a.onUnauthorized(req, `Basic realm="r"`, sent, false);
    assert.equal(v.retry, false);
    assert.equal(v.failure?.message, `credentials for ${REG} were rejected (from: the test's flags)`);

    const none = new Authenticator({ keychain: multiKeychain(envKeychain({}), alice), fetchToken: tokenEndpoint().fetch });
    const other = { registry: "other.example", scopes: [] };
    const w = await none.onUnauthorized(other, `Basic realm="r"`, await none.authorization(other), false);
    assert.equal(w.failure?.message, "no credentials found for other.example (looked in: MAP_BUILD_REGISTRY_USER/PASSWORD)");
  });

  it("an anonymous request that raced the challenge is retried with the credential, not failed", async () => {
    const a = new Authenticator({ keychain: alice, fetchToken: tokenEndpoint().fetch });
    const req = { registry: REG, scopes: [] };
    await a.onUnauthorized(req, `Basic realm="r"`, undefined, false);
    const v = await a.onUnauthorized(req, `Basic realm="r"`, undefined, false);
    assert.equal(v.retry, true);
  });

  it("the token service refusing the credential is 'rejected'; with no credential, 'no credentials found'", async () => {
    const a = new Authenticator({ keychain: alice, fetchToken: tokenEndpoint({ status: 401 }).fetch });
    const req = { registry: REG, scopes: ["repository:x:pull"] };
    await a.onUnauthorized(req, BEARER, undefined, false);
    await assert.rejects(a.authorization(req), { code: "E_UNAUTHORIZED", message: `credentials for ${REG} were rejected (from: the test's flags)` });
    const anon = new Authenticator({ keychain: undefined, fetchToken: tokenEndpoint({ status: 401 }).fetch });
    await anon.onUnauthorized(req, BEARER, undefined, false);
    await assert.rejects(anon.authorization(req), { code: "E_UNAUTHORIZED", message: /^no credentials found for reg\.example:5000/ });
  });

  it("refuses a plain-HTTP token realm on a host that is not loopback or insecure", async () => {
    const t = tokenEndpoint();
    const a = new Authenticator({ keychain: alice, fetchToken: t.fetch });
    const plain = `Bearer realm="http://auth.example/token"`;
    const req = { registry: REG, scopes: [] };
    await a.onUnauthorized(req, plain, undefined, false);
    await assert.rejects(a.authorization(req), { code: "E_REGISTRY", message: /not HTTPS/ });
    assert.equal(t.calls.length, 0);
    const allowed = new Authenticator({ keychain: alice, fetchToken: t.fetch, insecureRegistries: ["auth.example"] });
    await allowed.onUnauthorized(req, plain, undefined, false);
    assert.equal(await allowed.authorization(req), "Bearer tok-1");
    const loop = new Authenticator({ keychain: alice, fetchToken: t.fetch });
    const local = { registry: "127.0.0.1:5000", scopes: [] };
    await loop.onUnauthorized(local, `Bearer realm="http://127.0.0.1:9/token"`, undefined, false);
    assert.equal(await loop.authorization(local), "Bearer tok-2");
  });
});
