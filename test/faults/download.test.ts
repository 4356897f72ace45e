/**
 * Faults while map-build reads its base from a real registry (through the fault proxy), end to end
 * with `map-build package … --oci-layout/--tarball`: dropped and truncated blob bodies are resumed
 * with Range, a truncated manifest is fetched again, altered bytes fail with E_DIGEST_MISMATCH and
 * leave no output, slow registries time out with an E_TIMEOUT naming the host and the setting, and
 * a registry that is down fails with E_NETWORK (exit 7) in one line plus a hint.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { EXAMPLE_APP } from "../package/fixtures.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { baseBlobs, blobFile, buildEnv, errorLines, packageExample, requestsTo, sha256File } from "./setup.js";

/** Each build gets its own cache: a base blob cached by an earlier build would never meet the fault. */
let cacheCount = 0;

describe("faults while reading the base (end to end)", () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  const freshEnv = (extra: NodeJS.ProcessEnv = {}) => buildEnv(tmp.dir, { MAP_BUILD_CACHE_DIR: join(tmp.dir, `cache-${++cacheCount}`), ...extra });
  let base: string;
  let layer: { digest: string; size: number };
  let n = 0;

  before(async () => {
    tmp = await makeTempDir("mb-faults-dl-");
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

  const layerPath = () => new RegExp(`/blobs/${layer.digest}$`);

  /** Build into a fresh OCI layout through the proxy; returns the run and the layout dir. */
  async function buildLayout(extraEnv: NodeJS.ProcessEnv = {}) {
    const out = join(tmp.dir, `layout-${++n}`);
    const r = await packageExample({ base, tag: "localhost/faults/app:1", output: ["--oci-layout", out], env: freshEnv(extraEnv) });
    return { r, out };
  }

  /** The base layer in the written layout hashes to its digest: the resumed bytes are the right ones. */
  async function assertLayerIntact(out: string) {
    assert.equal(await sha256File(blobFile(out, layer.digest)), layer.digest);
  }

  it("connection reset mid-blob download: resumed with a Range request, layer intact", async () => {
    proxy.clear();
    const from = proxy.log.length;
    proxy.inject({ method: "GET", path: layerPath(), fault: { kind: "reset-response", afterBytes: 3_000_000 } });
    const { r, out } = await buildLayout();
    assert.equal(r.code, 0, r.stderr);
    const gets = requestsTo(proxy.log.slice(from), "GET", layerPath());
    assert.equal(gets[0]?.fault, "reset-response");
    const resumed = gets.find((g) => typeof g.headers.range === "string");
    assert.ok(resumed, `no Range request after the reset: ${JSON.stringify(gets.map((g) => g.headers.range))}`);
    const start = Number(/^bytes=(\d+)-$/.exec(resumed.headers.range as string)?.[1]);
    assert.ok(start > 0 && start <= 3_000_000, `resumed at ${start}`);
    assert.equal(resumed.status, 206);
    assert.ok(resumed.bytesOut < layer.size, "the resume fetched only the missing bytes");
    await assertLayerIntact(out);
  });

  it("truncated blob body (clean end, no Content-Length): detected by size, resumed, layer intact", async () => {
    proxy.clear();
    const from = proxy.log.length;
    proxy.inject({ method: "GET", path: layerPath(), fault: { kind: "truncate", bytes: 5_000_000 } });
    const { r, out } = await buildLayout();
    assert.equal(r.code, 0, r.stderr);
    const gets = requestsTo(proxy.log.slice(from), "GET", layerPath());
    assert.equal(gets[0]?.fault, "truncate");
    assert.equal(gets[1]?.headers.range, "bytes=5000000-");
    await assertLayerIntact(out);
  });

  it("truncated manifest body: detected by its digest and fetched again", async () => {
    proxy.clear();
    const from = proxy.log.length;
    proxy.inject({ method: "GET", path: /\/manifests\/3$/, fault: { kind: "truncate", bytes: 120 } });
    const { r, out } = await buildLayout();
    assert.equal(r.code, 0, r.stderr);
    const gets = requestsTo(proxy.log.slice(from), "GET", /\/manifests\/3$/);
    assert.equal(gets[0]?.fault, "truncate");
    assert.ok(gets.length >= 2, "the manifest was fetched again");
    await assertLayerIntact(out);
  });

  it("altered bytes: E_DIGEST_MISMATCH, exit 6, no output file left", async () => {
    proxy.clear();
    proxy.inject({ method: "GET", path: layerPath(), times: Infinity, fault: { kind: "alter", offset: 1_000_000 } });
    const dir = join(tmp.dir, "altered");
    await mkdir(dir);
    const r = await packageExample({ base, tag: "localhost/faults/app:1", output: ["--tarball", join(dir, "app.tar")], env: freshEnv() });
    assert.equal(r.code, 6, r.stderr);
    const { error, hint } = errorLines(r.stderr);
    assert.match(error, /\[E_DIGEST_MISMATCH\]$/);
    assert.match(error, new RegExp(layer.digest));
    assert.ok(hint.length > 6);
    assert.deepEqual(await readdir(dir), [], "no tarball and no temp file left behind");
  });

  it("very slow response headers: E_TIMEOUT naming the host and MAP_BUILD_REGISTRY_TIMEOUT, exit 7", async () => {
    proxy.clear();
    const from = proxy.log.length;
    // answers only after ten minutes: the build can only end by giving up on its own timeout
    proxy.inject({ method: "GET", path: /\/manifests\/3$/, times: Infinity, fault: { kind: "delay-headers", ms: 600_000 } });
    const { r, out } = await buildLayout({ MAP_BUILD_REGISTRY_TIMEOUT: "0.3", MAP_BUILD_RETRY_ATTEMPTS: "2" });
    assert.equal(r.code, 7, r.stderr);
    const { error, hint } = errorLines(r.stderr);
    assert.match(error, /\[E_TIMEOUT\]$/);
    assert.ok(error.includes(proxy.host), error);
    assert.match(hint, /MAP_BUILD_REGISTRY_TIMEOUT/);
    const delayed = requestsTo(proxy.log.slice(from), "GET", /\/manifests\/3$/);
    assert.equal(delayed.length, 2, "one try per allowed attempt");
    assert.ok(delayed.every((e) => e.status === undefined), "gave up on the timeout, not on the slow answer");
    await assert.rejects(stat(out), "no layout written");
  });

  it("a body that stalls once: body timeout, then resumed with Range", async () => {
    proxy.clear();
    const from = proxy.log.length;
    proxy.inject({ method: "GET", path: layerPath(), fault: { kind: "delay-body", afterBytes: 2_000_000, ms: 2000 } });
    const { r, out } = await buildLayout({ MAP_BUILD_REGISTRY_TIMEOUT: "0.5" });
    assert.equal(r.code, 0, r.stderr);
    const gets = requestsTo(proxy.log.slice(from), "GET", layerPath());
    assert.equal(gets[0]?.fault, "delay-body");
    assert.match(String(gets[1]?.headers.range), /^bytes=\d+-$/);
    await assertLayerIntact(out);
  });

  it("registry down: E_NETWORK, exit 7, one error line and one hint, no stack", async () => {
    const port = await freePort();
    const out = join(tmp.dir, "down.tar");
    const r2 = await runCli(["package", EXAMPLE_APP, "--no-sdk", "-b", `127.0.0.1:${port}/base/python:3`, "-t", "localhost/x:1", "--tarball", out], {
      env: freshEnv(),
      cwd: tmp.dir,
    });
    assert.equal(r2.code, 7, r2.stderr);
    const lines = r2.stderr.trim().split("\n");
    const { error, hint } = errorLines(r2.stderr);
    assert.match(error, /\[E_NETWORK\]$/);
    assert.ok(error.includes(`127.0.0.1:${port}`), error);
    assert.match(error, /ECONNREFUSED/);
    assert.ok(hint.length > 6, "a hint line follows");
    assert.ok(!/\n\s+at /.test(r2.stderr), "no stack trace without --verbose");
    assert.ok(lines.length <= 3, `short output, got:\n${r2.stderr}`);
    await assert.rejects(stat(out));
  });
});
