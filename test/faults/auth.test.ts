/**
 * Faults around auth, end to end against the real registry with bearer-token auth (test/token-server.ts)
 * behind the fault proxy: a token revoked mid-push is refreshed and the push succeeds, short-lived
 * tokens are renewed before they lapse, and blob GETs redirected to another host reach it without
 * the registry's Authorization header (asserted at that second server).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pushPythonBase } from "../helpers/python-base.js";
import { makeTempDir } from "../helpers/tmp.js";
import { startTokenRegistry, type TokenRegistry } from "../helpers/token-registry.js";
import { startBlobServer, startFaultProxy, type BlobServer, type FaultProxy } from "./fault-proxy.js";
import { baseBlobs, blobFile, buildEnv, copyVerified, inspectPushed, packageExample, requestsTo, sha256File } from "./setup.js";

const CREDS = "alice:s3cret";
const LOGIN = ["--username", "alice", "--password-stdin"];

describe("auth faults (token registry, end to end)", () => {
  let tr: TokenRegistry;
  let proxy: FaultProxy;
  let cdn: BlobServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: string;
  let n = 0;

  before(async () => {
    tmp = await makeTempDir("mb-faults-auth-");
    tr = await startTokenRegistry({ anonymousActions: [] });
    await pushPythonBase(tr.host, "base/python", "3", CREDS);
    proxy = await startFaultProxy(tr.host);
    base = `${proxy.host}/base/python:3`;
    const { layout } = await baseBlobs();
    cdn = await startBlobServer((digest) => readFile(blobFile(layout, digest)).catch(() => undefined));
  });
  after(async () => {
    await cdn?.stop();
    await proxy?.stop();
    await tr?.stop();
    await tmp?.cleanup();
  });

  async function push(extraEnv: NodeJS.ProcessEnv = {}) {
    const ref = `${proxy.host}/apps/auth${++n}:1`;
    const from = proxy.log.length;
    const r = await packageExample({ base, tag: ref, output: ["--push"], env: buildEnv(tmp.dir, extraEnv), extraArgs: LOGIN, input: "s3cret\n" });
    return { r, ref, log: proxy.log.slice(from) };
  }

  async function assertPushedIntact(ref: string, printed: string) {
    assert.equal(printed, `${ref}@${(await inspectPushed(ref, CREDS)).digest}\n`, "stdout is ref@digest");
    await copyVerified(ref, join(tmp.dir, `copy-${n}`), CREDS);
  }

  it("token revoked mid-push (401 on the next upload request): refreshed, upload restarted, success", async () => {
    proxy.clear();
    // the token that started the first upload session stops working for everything after it (the
    // 1st POST is the push preflight's anonymous first request, answered 401; the 2nd carries the token)
    proxy.inject({ method: "POST", path: /\/blobs\/uploads\/$/, nth: 2, fault: { kind: "revoke-token" } });
    const tokensBefore = tr.tokenServer.requests;
    const { r, ref, log } = await push();
    assert.equal(r.code, 0, r.stderr);
    const refused = log.filter((e) => e.status === 401 && e.headers.authorization !== undefined);
    assert.ok(refused.length >= 1, "a request with the revoked token got 401 from the registry");
    assert.ok(tr.tokenServer.requests > tokensBefore + 1, "a new token was fetched");
    await assertPushedIntact(ref, r.stdout);
  });

  it("token lapses as a streamed PATCH arrives (401 on a body that cannot be replayed): upload restarted with a new token, success", async () => {
    proxy.clear();
    proxy.inject({ method: "PATCH", path: /\/blobs\/uploads\//, fault: { kind: "revoke-token", now: true } });
    const { r, ref, log } = await push();
    assert.equal(r.code, 0, r.stderr);
    const patches = requestsTo(log, "PATCH", /\/blobs\/uploads\//);
    const statuses = patches.map((p) => p.status).join(",");
    assert.equal(patches[0]?.status, 401, `the registry refused the first PATCH (${statuses})`);
    // PATCHes already streaming with the same token are refused too; each is restarted once
    const refused = patches.filter((p) => p.status === 401).length;
    assert.equal(patches.length, refused + patches.filter((p) => p.status === 202).length, statuses);
    assert.ok(refused < patches.length, statuses);
    await assertPushedIntact(ref, r.stdout);
  });

  it("short-lived tokens (expires_in 1 s, a slow registry): renewed before they lapse, success", async () => {
    proxy.clear();
    // every upload request is slowed so the push outlives its first token
    proxy.inject({ method: "HEAD", path: /\/blobs\/sha256:/, times: Infinity, fault: { kind: "delay-headers", ms: 400 } });
    tr.tokenServer.expiresIn = 1;
    try {
      const pushScope = (s: string) => /^repository:apps\/auth\d+:pull,push$/.test(s);
      const from = tr.tokenServer.log.length;
      const { r, ref } = await push();
      assert.equal(r.code, 0, r.stderr);
      const pushTokens = tr.tokenServer.log.slice(from).filter((e) => e.scopes.some(pushScope) && e.status === 200);
      assert.ok(pushTokens.length >= 2, `push token fetched ${pushTokens.length} time(s)`);
      await assertPushedIntact(ref, r.stdout);
    } finally {
      tr.tokenServer.expiresIn = 300;
    }
  });

  it("blob GETs redirected to another host: followed, and the second server never sees Authorization", async () => {
    proxy.clear();
    proxy.inject({ method: "GET", path: /\/blobs\/sha256:[0-9a-f]{64}$/, times: Infinity, fault: { kind: "redirect", base: cdn.base } });
    const out = join(tmp.dir, "redirected-layout");
    const from = proxy.log.length;
    const r = await packageExample({ base, tag: `${proxy.host}/faults/redirect:1`, output: ["--oci-layout", out], env: buildEnv(tmp.dir), extraArgs: LOGIN, input: "s3cret\n" });
    assert.equal(r.code, 0, r.stderr);
    const redirected = requestsTo(proxy.log.slice(from), "GET", /\/blobs\/sha256:/).filter((e) => e.status === 307);
    assert.ok(redirected.length >= 2, "config and layer GETs were redirected");
    assert.ok(redirected.every((e) => /^Bearer /.test(String(e.headers.authorization))), "the registry got the token");
    assert.ok(cdn.log.length >= redirected.length);
    assert.deepEqual(cdn.log.map((e) => e.authorization), cdn.log.map(() => undefined), "no Authorization at the second server");
    // what came from the second server is the real base layer
    for (const l of (await baseBlobs()).layers) assert.equal(await sha256File(blobFile(out, l.digest)), l.digest);
  });
});
