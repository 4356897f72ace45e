/**
 * Faults while map-build pushes to a real registry (through the fault proxy), end to end with
 * `map-build package … --push`: a reset mid-upload restarts the upload and the result is intact,
 * 500/502/503 bursts are retried with growing backoff, a 429's Retry-After is honoured, and a
 * registry that refuses PATCH gets a monolithic PUT. Every pushed image is read back by skopeo
 * (which verifies each blob's digest) and its manifest digest compared with what map-build printed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from "./fault-proxy.js";
import { baseBlobs, buildEnv, copyVerified, inspectPushed, packageExample, requestsTo } from "./setup.js";

const UPLOADS = /\/blobs\/uploads\//;
const MANIFEST_PUT = /\/manifests\/1$/;

describe("faults while pushing (end to end)", () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: string;
  let layer: { digest: string; size: number };
  let n = 0;

  before(async () => {
    tmp = await makeTempDir("mb-faults-up-");
    registry = await startRegistry();
    await pushPythonBase(registry.host);
    proxy = await startFaultProxy(registry.host);
    base = `${proxy.host}/base/python:3`;
    layer = (await baseBlobs()).layers[0]!;
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
    await tmp?.cleanup();
  });

  /** Push the example to a fresh repository through the proxy; returns the run, the ref and this run's log. */
  async function push(extraEnv: NodeJS.ProcessEnv = {}) {
    const ref = `${proxy.host}/apps/up${++n}:1`;
    const from = proxy.log.length;
    const r = await packageExample({ base, tag: ref, output: ["--push"], env: buildEnv(tmp.dir, extraEnv) });
    return { r, ref, log: proxy.log.slice(from) };
  }

  /** skopeo agrees on the manifest digest and copies every blob, verifying each. */
  async function assertPushedIntact(ref: string, printed: string) {
    assert.equal(printed, `${ref}@${(await inspectPushed(ref)).digest}\n`, "stdout is ref@digest");
    await copyVerified(ref, join(tmp.dir, `copy-${n}`));
  }

  /** Lower bounds of the jittered backoff (delay ∈ [ceil/2, ceil], ceil = 20 ms · 2^(k-1)) between retries. */
  function assertBackoff(tries: ProxiedRequest[], failures: number) {
    assert.equal(tries.length, failures + 1, `expected ${failures} failures then success, saw ${tries.map((t) => t.status).join(",")}`);
    for (let k = 1; k <= failures; k++) {
      const gap = tries[k]!.at - tries[k - 1]!.respondedAt!;
      assert.ok(gap >= 10 * 2 ** (k - 1) - 2, `retry ${k} came after ${gap} ms, below the backoff floor`);
    }
    assert.ok([200, 201, 202].includes(tries[failures]!.status!));
  }

  it("connection reset mid-upload: the upload restarts from POST and the pushed image is intact", async () => {
    proxy.clear();
    // refuse the cross-repository mount so the 30 MB base layer is really uploaded
    proxy.inject(
      { method: "POST", path: /[?&]mount=/, times: Infinity, fault: { kind: "status", status: 403, body: '{"errors":[{"code":"DENIED","message":"no mounts"}]}' } },
      { method: "PATCH", path: UPLOADS, minLength: layer.size, fault: { kind: "reset-request", afterBytes: 1_000_000 } },
    );
    const { r, ref, log } = await push();
    assert.equal(r.code, 0, r.stderr);
    const big = log.filter((e) => e.method === "PATCH" && Number(e.headers["content-length"]) === layer.size);
    assert.equal(big.length, 2, "the big PATCH was sent twice");
    assert.equal(big[0]!.fault, "reset-request");
    assert.ok(big[0]!.bytesIn >= 1_000_000 && big[0]!.bytesIn < layer.size);
    assert.equal(big[1]!.status, 202);
    assert.equal(big[1]!.bytesIn, layer.size);
    // the second PATCH went to a new session: one more POST after the reset
    const postsAfterReset = log.filter((e) => e.method === "POST" && !/mount=/.test(e.path) && e.at > big[0]!.at);
    assert.ok(postsAfterReset.length >= 1);
    assert.ok(!big[1]!.path.startsWith(big[0]!.path.split("?")[0]!), "a fresh upload session");
    assert.ok((await inspectPushed(ref)).layers.includes(layer.digest));
    await assertPushedIntact(ref, r.stdout);
  });

  it("500/502/503 bursts on manifest GET, upload POST, blob HEAD and manifest PUT: retried with backoff, success", async () => {
    proxy.clear();
    proxy.inject(
      { method: "GET", path: /\/manifests\/3$/, times: 2, fault: { kind: "status", status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"boom"}]}' } },
      { method: "POST", path: /\/blobs\/uploads\/$/, times: 3, fault: { kind: "status", status: 502 } },
      { method: "HEAD", path: /\/blobs\/sha256:/, times: 2, fault: { kind: "status", status: 503 } },
      { method: "PUT", path: MANIFEST_PUT, times: 3, fault: { kind: "status", status: 503, headers: {} } },
    );
    const { r, ref, log } = await push();
    assert.equal(r.code, 0, r.stderr);
    assertBackoff(requestsTo(log, "GET", /\/manifests\/3$/), 2);
    assertBackoff(requestsTo(log, "PUT", MANIFEST_PUT), 3);
    assert.equal(requestsTo(log, "POST", /\/blobs\/uploads\/$/).filter((e) => e.status === 502).length, 3);
    assert.equal(requestsTo(log, "HEAD", /\/blobs\/sha256:/).filter((e) => e.status === 503).length, 2);
    await assertPushedIntact(ref, r.stdout);
  });

  it("429 with Retry-After: 1 is honoured (the retry waits about a second, not the 20 ms backoff)", async () => {
    proxy.clear();
    proxy.inject({
      method: "PUT",
      path: MANIFEST_PUT,
      fault: { kind: "status", status: 429, headers: { "retry-after": "1" }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' },
    });
    const { r, ref, log } = await push({ MAP_BUILD_RETRY_MAX_DELAY_MS: "3000" });
    assert.equal(r.code, 0, r.stderr);
    const puts = requestsTo(log, "PUT", MANIFEST_PUT);
    assert.equal(puts.length, 2);
    assert.equal(puts[0]!.status, 429);
    const waited = puts[1]!.at - puts[0]!.respondedAt!;
    // a lower bound only: a loaded machine can make any wait longer, never shorter
    assert.ok(waited >= 950, `waited ${waited} ms after Retry-After: 1`);
    await assertPushedIntact(ref, r.stdout);
  });

  it("a registry that refuses PATCH (405): falls back to a monolithic PUT, success", async () => {
    proxy.clear();
    proxy.inject({ method: "PATCH", path: UPLOADS, times: Infinity, fault: { kind: "status", status: 405, body: '{"errors":[{"code":"UNSUPPORTED","message":"chunked uploads are disabled"}]}' } });
    const { r, ref, log } = await push();
    assert.equal(r.code, 0, r.stderr);
    const patches = requestsTo(log, "PATCH", UPLOADS);
    assert.ok(patches.length >= 1 && patches.every((p) => p.status === 405));
    const monolithic = requestsTo(log, "PUT", UPLOADS).filter((p) => p.bytesIn > 0);
    assert.ok(monolithic.length >= patches.length, "one monolithic PUT per refused PATCH");
    assert.ok(monolithic.every((p) => p.status === 201 && /[?&]digest=sha256%3A/.test(p.path)));
    await assertPushedIntact(ref, r.stdout);
  });
});
