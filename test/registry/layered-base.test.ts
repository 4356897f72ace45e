/**
 * Pushing onto a base of 40 layers costs one request per base layer and never reads a base blob
 * (issue 20): a cross-repository mount when the base sits in another repository of the target
 * registry, a HEAD when it sits in the target repository itself; no layer blob GET either way
 * (the one blob read is the base's config). Counted
 * through a recording proxy in front of the real registry, for a whole `map-build package --push`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildEnv, copyVerified, inspectPushed, packageExample } from "../faults/setup.js";
import { pushLayout, writeLayeredBase } from "../helpers/layered-base.js";
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from "../helpers/recording-proxy.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";

const LAYERS = 40;

/** Per base layer: how often it was HEADed, mounted, fetched or uploaded. */
function perLayer(log: RecordedRequest[], digest: string): { head: number; mount: number; get: number; upload: number } {
  const blob = log.filter((r) => r.path.includes(`/blobs/${digest}`));
  return {
    head: blob.filter((r) => r.method === "HEAD").length,
    get: blob.filter((r) => r.method === "GET").length,
    mount: log.filter((r) => r.method === "POST" && r.path.includes(`mount=${encodeURIComponent(digest)}`)).length,
    upload: log.filter((r) => r.method === "PUT" && r.path.includes(`digest=${encodeURIComponent(digest)}`)).length,
  };
}

describe(`push onto a base of ${LAYERS} layers`, () => {
  let reg: TestRegistry;
  let proxy: RecordingProxy;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  /** Digests of the base's layers in the registry (skopeo compresses them on the way in). */
  let layers: string[];
  let config: string;

  before(async () => {
    [reg, tmp] = await Promise.all([startRegistry(), makeTempDir("mb-layered-")]);
    const base = await writeLayeredBase(join(tmp.dir, "base"), LAYERS, 1024);
    await pushLayout(base.layout, `${reg.host}/base/forty:1`);
    await pushLayout(base.layout, `${reg.host}/apps/forty:base`);
    ({ layers, config } = await inspectPushed(`${reg.host}/base/forty:1`));
    assert.equal(layers.length, LAYERS);
    proxy = await startRecordingProxy(reg.host);
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
    await tmp?.cleanup();
  });

  for (const c of [
    { name: "in another repository: exactly one mount per base layer", base: "base/forty:1", tag: "apps/mounted:1", want: { head: 0, mount: 1, get: 0, upload: 0 } },
    { name: "in the target repository: exactly one HEAD per base layer", base: "apps/forty:base", tag: "apps/forty:1", want: { head: 1, mount: 0, get: 0, upload: 0 } },
  ]) {
    it(`${c.name}, no blob GET`, async () => {
      proxy.log.length = 0;
      const tag = `${proxy.host}/${c.tag}`;
      const r = await packageExample({ base: `${proxy.host}/${c.base}`, tag, output: ["--push"], env: buildEnv(tmp.dir) });
      assert.equal(r.code, 0, r.stderr);
      const log = [...proxy.log];
      for (const d of layers) assert.deepEqual(perLayer(log, d), c.want, d);
      // the base's config is read (the MAP's config extends it); no layer blob is
      const gets = log.filter((r) => r.method === "GET" && /\/blobs\/sha256:/.test(r.path));
      assert.deepEqual(gets.map((g) => g.path.split("/").at(-1)), [config]);
      await copyVerified(`${reg.host}/${c.tag}`, join(tmp.dir, `out-${c.tag.replace(/\W/g, "-")}`));
    });
  }
});
