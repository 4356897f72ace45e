/**
 * The base blob cache seen from `map-build package` onto a base in a real registry, through a
 * proxy that counts the bytes it relays: two --tarball builds download the base layer once in
 * total and write byte-identical tarballs, a corrupted cached blob is found and downloaded again,
 * --no-cache neither reads nor fills the cache, and a --push build downloads no base blob at all.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { pushPythonBase, pythonBaseLayout } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { startRecordingProxy, type RecordingProxy } from "../helpers/recording-proxy.js";

interface Descriptor {
  digest: string;
  size: number;
}

/** The base's layer descriptors, from the layout skopeo pushed (same bytes, same digests). */
async function baseLayers(): Promise<Descriptor[]> {
  const layout = await pythonBaseLayout();
  const blob = async (d: string) => JSON.parse(await readFile(join(layout, "blobs/sha256", d.slice(7)), "utf8")) as { layers: Descriptor[] };
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: Descriptor[] };
  return (await blob(index.manifests[0]!.digest)).layers;
}

describe("base blob cache in package builds", () => {
  let reg: TestRegistry;
  let proxy: RecordingProxy;
  let dir: string;
  let cleanup: () => Promise<void>;
  let app: string;
  let layers: Descriptor[];

  before(async () => {
    [reg, { dir, cleanup }] = await Promise.all([startRegistry(), makeTempDir("mb-basecache-")]);
    await pushPythonBase(reg.host, "base/python", "3");
    proxy = await startRecordingProxy(reg.host);
    app = join(dir, "app");
    await cp(join(REPO_ROOT, "examples/word_score_app"), app, { recursive: true });
    layers = await baseLayers();
    assert.ok(layers.length > 0);
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
    await cleanup?.();
  });

  const build = async (cacheDir: string, out: string[], extra: string[] = []): Promise<void> => {
    const r = await runCli(["package", app, "-t", `${proxy.host}/apps/word:1`, "-b", `${proxy.host}/base/python:3`, "--no-sdk", ...out, ...extra], {
      env: { MAP_BUILD_CACHE_DIR: cacheDir },
    });
    assert.equal(r.code, 0, r.stderr);
  };
  /** Base layer bytes the registry sent since the log was cleared, by layer digest. */
  const downloaded = (): Map<string, { gets: number; bytes: number }> => {
    const out = new Map(layers.map((l) => [l.digest, { gets: 0, bytes: 0 }]));
    for (const e of proxy.log) {
      const d = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(e.path)?.[1];
      const c = d === undefined ? undefined : out.get(d);
      if (c && e.method === "GET") {
        c.gets++;
        c.bytes += e.bytesOut;
      }
    }
    return out;
  };
  const total = (m: Map<string, { bytes: number }>) => [...m.values()].reduce((n, c) => n + c.bytes, 0);
  const baseSize = () => layers.reduce((n, l) => n + l.size, 0);

  it("two --tarball builds download each base layer once and write the same bytes", async () => {
    const cacheDir = join(dir, "cache1");
    proxy.log.length = 0;
    await build(cacheDir, ["--tarball", join(dir, "a.tar")]);
    await build(cacheDir, ["--tarball", join(dir, "b.tar")]);
    const got = downloaded();
    for (const l of layers) assert.deepEqual(got.get(l.digest), { gets: 1, bytes: l.size }, l.digest);
    assert.ok((await readFile(join(dir, "a.tar"))).equals(await readFile(join(dir, "b.tar"))), "tarballs differ");
    // the manifest is still asked for on every build (a tag may move)
    assert.equal(proxy.log.filter((e) => e.path.endsWith("/manifests/3")).length, 2);
    const entries = (await readdir(join(cacheDir, "base-blobs"))).sort();
    assert.deepEqual(entries, layers.map((l) => `${l.digest.slice(7)}.json`).sort());

    // A corrupted cached blob (same size, one byte flipped) is found, deleted and downloaded again.
    const big = layers.reduce((a, b) => (b.size > a.size ? b : a));
    const blobPath = join(cacheDir, "blobs/sha256", big.digest.slice(7));
    const bytes = await readFile(blobPath);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    await writeFile(blobPath, bytes);
    proxy.log.length = 0;
    await build(cacheDir, ["--tarball", join(dir, "c.tar")]);
    assert.deepEqual(downloaded().get(big.digest), { gets: 1, bytes: big.size });
    assert.equal(total(downloaded()), big.size);
    assert.ok((await readFile(join(dir, "a.tar"))).equals(await readFile(join(dir, "c.tar"))), "tarball after re-download differs");

    // and is whole again: the next build downloads nothing
    proxy.log.length = 0;
    await build(cacheDir, ["--oci-layout", join(dir, "layout")]);
    assert.equal(total(downloaded()), 0);
  });

  it("--no-cache reads the base from the registry and leaves the cache alone", async () => {
    const cacheDir = join(dir, "cache2");
    proxy.log.length = 0;
    await build(cacheDir, ["--tarball", join(dir, "n1.tar")], ["--no-cache"]);
    await build(cacheDir, ["--tarball", join(dir, "n2.tar")], ["--no-cache"]);
    assert.equal(total(downloaded()), 2 * baseSize());
    assert.deepEqual(await readdir(join(cacheDir, "base-blobs")).catch(() => []), []);
  });

  it("a --push build onto the same registry downloads no base blob bytes", async () => {
    const cacheDir = join(dir, "cache3"); // empty: a push that read the base would have to download it
    proxy.log.length = 0;
    await build(cacheDir, ["--push"]);
    assert.equal(total(downloaded()), 0, JSON.stringify([...downloaded()]));
    assert.ok(proxy.log.some((e) => e.method === "PUT" && e.path.endsWith("/manifests/1")), "no manifest was pushed");
    assert.deepEqual(await readdir(join(cacheDir, "base-blobs")).catch(() => []), []);
  });
});
