/**
 * The layer cache shared through a registry repository (issue 20), against one real loopback
 * registry: a build on a machine with an empty local cache reuses the layers another build
 * recorded there (no layer written, same digest; a push mounts them, a file output downloads
 * them); tampered entries are ignored with a warning and the image is still valid (umoci); and a
 * read-only job writes nothing to the registry; rejected credentials are a warning, not a failed
 * build. The registry asks for a password (htpasswd), as a shared cache would. Layers written are counted from the progress
 * events (each writeLayer starts with a `build` event), never from timings.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { packageMap } from "../../src/builder/index.js";
import type { PackageMapOptions, PackageMapResult } from "../../src/builder/index.js";
import { ociLayoutSink, pushSink, type Sink } from "../../src/sinks/index.js";
import type { ProgressEvent } from "../../src/progress.js";
import { makeTempDir } from "../helpers/tmp.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { REPO_ROOT, runCliInProcess } from "../helpers/cli.js";
import { explicitKeychain } from "../../src/registry/keychain/index.js";
import { writeWheel } from "../python/wheel-factory.js";
import { validateImage } from "../helpers/validate/validate.js";
import { startRecordingProxy } from "../helpers/recording-proxy.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const [USER, PASSWORD] = ["ci", "cache-secret"];
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

interface Build {
  result: PackageMapResult;
  /** Layers whose writing started (one `build` event at 0 bytes each). */
  written: string[];
  events: ProgressEvent[];
}

describe("layer cache repository (--cache-repo)", () => {
  let reg: TestRegistry;
  let dir: string;
  let cleanup: () => Promise<void>;
  let base: string;
  let cacheRepo: string;
  let cold: Build;
  let n = 0;

  const build = async (sinks: Sink[], extra: Partial<PackageMapOptions> = {}): Promise<Build> => {
    const events: ProgressEvent[] = [];
    const result = await packageMap({
      appPath: join(REPO_ROOT, "examples/word_score_app"),
      model: join(REPO_ROOT, "examples/models/word_weights.tsv"),
      tag: `${reg.host}/apps/word:1`,
      base,
      noSdk: true,
      defaultIndexUrl: "",
      cacheDir: join(dir, `cache-${++n}`), // every build on a "fresh machine"
      cacheRepo,
      sinks,
      keychain: explicitKeychain(reg.host, { username: USER, password: PASSWORD }),
      progress: (e) => events.push(e),
      ...extra,
    });
    const written = events.filter((e) => e.phase === "build" && e.bytes === 0).map((e) => e.id);
    return { result, written, events };
  };
  const layout = () => join(dir, `layout-${n + 1}`);
  const role = (b: Build, r: string) => b.result.layers.find((l) => l.role === r)!;
  const api = (path: string, init: RequestInit = {}) => fetch(`http://${reg.host}/v2/${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: AUTH } });

  before(async () => {
    reg = await startRegistry({ user: `${USER}:${PASSWORD}` });
    ({ dir, cleanup } = await makeTempDir("mb-cache-repo-"));
    base = `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`;
    cacheRepo = `${reg.host}/ci/map-build-cache`;
    cold = await build([ociLayoutSink(layout())]);
  });
  after(async () => {
    await reg?.stop();
    await cleanup?.();
  });

  it("records every layer it built, under a hash of the key", async () => {
    assert.deepEqual(cold.written.sort(), ["app", "map", "model:word_weights"]);
    assert.deepEqual(cold.result.cacheRepo, { repository: cacheRepo, readonly: false, hits: 0, misses: 3, rejected: 0, written: 3 });
    const tags = ((await (await api("ci/map-build-cache/tags/list")).json()) as { tags: string[] }).tags;
    assert.equal(tags.length, 3);
    for (const t of tags) assert.match(t, /^map-build-layer-[0-9a-f]{64}$/, "a tag reveals nothing but a hash");
    for (const r of ["app", "map", "model:word_weights"]) {
      const phases = cold.events.filter((e) => e.id === r && e.output === `cache ${cacheRepo}`).map((e) => e.phase);
      assert.deepEqual([phases.includes("upload"), phases.at(-1)], [true, "done"], `${r}: ${phases.join(",")}`);
    }
  });

  it("a second machine pushing to the same registry writes no layer and mounts them", async () => {
    const warm = await build([pushSink()]);
    assert.deepEqual(warm.written, [], "no layer tarred or compressed");
    assert.equal(warm.result.digest, cold.result.digest);
    assert.deepEqual(warm.result.cacheRepo, { repository: cacheRepo, readonly: false, hits: 3, misses: 0, rejected: 0, written: 0 });
    assert.deepEqual(warm.result.warnings, []);
    for (const r of ["app", "map", "model:word_weights"]) {
      const phases = warm.events.filter((e) => e.id === r && e.output !== undefined).map((e) => e.phase); // the push's events, by role
      assert.ok(phases.includes("mounted") && !phases.includes("upload"), `${r}: ${phases.join(",")}`);
      assert.ok(!warm.events.some((e) => e.id === r && e.phase === "download"), `${r} was downloaded`);
    }
  });

  it("a file output downloads each hit with its GET alone: no HEAD asks first", async () => {
    const proxy = await startRecordingProxy(reg.host);
    try {
      const b = await build([ociLayoutSink(layout())], { cacheRepo: `${proxy.host}/ci/map-build-cache`, keychain: explicitKeychain(proxy.host, { username: USER, password: PASSWORD }) });
      assert.equal(b.result.digest, cold.result.digest);
      assert.deepEqual(b.written, [], "every layer came from the cache repository");
      const blobs = proxy.log.filter((r) => r.path.startsWith("/v2/ci/map-build-cache/blobs/"));
      assert.deepEqual(blobs.filter((r) => r.method === "HEAD"), []);
      assert.ok(blobs.filter((r) => r.method === "GET" && r.status === 200).length >= 2, "app and map downloaded (the model layer may be regenerated locally)");
    } finally {
      await proxy.stop();
    }
  });

  it("ignores tampered entries with a warning, and the image is still valid", async () => {
    // Point the app's entry at the manifests layer's blob (digest and size consistent, diff_id
    // not), and give the manifests layer's entry a wrong size.
    const app = role(cold, "app");
    const map = role(cold, "map");
    const tags = ((await (await api("ci/map-build-cache/tags/list")).json()) as { tags: string[] }).tags;
    for (const tag of tags) {
      const m = (await (await api(`ci/map-build-cache/manifests/${tag}`, { headers: { accept: OCI_MANIFEST } })).json()) as { layers: { digest: string; size: number }[] };
      const layer = m.layers[0]!;
      if (layer.digest === app.digest) Object.assign(layer, { digest: map.digest, size: map.size });
      else if (layer.digest === map.digest) layer.size += 1;
      else continue;
      const put = await api(`ci/map-build-cache/manifests/${tag}`, { method: "PUT", headers: { "content-type": OCI_MANIFEST }, body: JSON.stringify(m) });
      assert.equal(put.status, 201, await put.text());
    }

    const out = layout();
    const b = await build([ociLayoutSink(out)]);
    // (the model layer is uncompressed: whether a file output downloads it or the local cache
    // regenerates it from the model file is the local cache's call, so it is left out here)
    assert.deepEqual(b.written.filter((r) => r !== "model:word_weights").sort(), ["app", "map"], "the two bad entries were built instead");
    assert.equal(b.result.digest, cold.result.digest);
    assert.equal(b.result.cacheRepo?.rejected, 2);
    assert.equal(b.result.warnings.length, 2, b.result.warnings.join("\n"));
    assert.ok(b.result.warnings.some((w) => /diff_id .*digest mismatch/.test(w)), b.result.warnings.join("\n"));
    assert.ok(b.result.warnings.some((w) => /has \d+ bytes, the entry says/.test(w)), b.result.warnings.join("\n"));
    const v = await validateImage({ kind: "oci-layout", path: out, tag: "1" }, { consumers: ["skopeo", "umoci"] });
    try {
      assert.ok(v.ok, JSON.stringify(v.verdicts));
    } finally {
      await v.cleanup();
    }
  });

  it("read-only mode (CLI) looks up but writes nothing to the registry", async () => {
    const out = layout();
    const r = await runCliInProcess(
      ["package", join(REPO_ROOT, "examples/word_score_app"), "-t", `${reg.host}/apps/word:1`, "-m", join(REPO_ROOT, "examples/models/word_weights.tsv"),
        "-b", base, "--no-sdk", "--oci-layout", out, "--json", "--cache-repo-readonly"],
      { env: { MAP_BUILD_CACHE_DIR: join(dir, "cache-ro"), MAP_BUILD_CACHE_REPO: `${reg.host}/ci/other-cache`, SOURCE_DATE_EPOCH: undefined, MAP_BUILD_REGISTRY_USER: USER, MAP_BUILD_REGISTRY_PASSWORD: PASSWORD } },
    );
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as PackageMapResult;
    assert.equal(result.digest, cold.result.digest);
    assert.deepEqual(result.cacheRepo, { repository: `${reg.host}/ci/other-cache`, readonly: true, hits: 0, misses: 3, rejected: 0, written: 0 });
    const catalog = (await (await api("_catalog")).json()) as { repositories: string[] };
    assert.ok(!catalog.repositories.includes("ci/other-cache"), catalog.repositories.join(", "));
  });

  it("rejected credentials are one warning with a hint, and the build goes on", async () => {
    const b = await build([ociLayoutSink(layout())], { keychain: explicitKeychain(reg.host, { username: USER, password: "wrong" }, "the test's credentials") });
    assert.equal(b.result.digest, cold.result.digest);
    assert.deepEqual(b.written.sort(), ["app", "map", "model:word_weights"]);
    assert.equal(b.result.warnings.length, 1, b.result.warnings.join("\n"));
    assert.match(b.result.warnings[0]!, /could not be read: .*rejected.*\(.+\); building without it/);
    assert.equal(b.result.cacheRepo?.written, 0);
  });

  it("MAP 1.0 (--format 1.0) shares its layers too, the Python dependencies included", async () => {
    const app = join(dir, "m1app");
    const wheels = join(dir, "wheels");
    await mkdir(app);
    await writeFile(join(app, "__main__.py"), "print('hi')\n");
    await mkdir(wheels);
    await writeWheel(wheels, { name: "monai-deploy-app-sdk", version: "3.0.0", files: { "monai/deploy/__init__.py": "" }, requires: ["holoscan"] });
    await writeWheel(wheels, { name: "holoscan", version: "3.1.0", files: { "holoscan/__init__.py": "" } });
    await writeWheel(wheels, { name: "scikit-image", version: "0.20.0", files: { "skimage/__init__.py": "" } }); // app.yaml's requirement
    const m1 = async (cacheDir: string, output: string[]) => {
      const r = await runCliInProcess(
        ["package", app, "--format", "1.0", "-c", join(REPO_ROOT, "fixtures/map1/monai-module/app.yaml"), "-t", `${reg.host}/apps/m1:1`, "--exact-tag",
          "--platform", "x64-workstation", "--base-image", base, "--wheelhouse", wheels, "--cache-repo", `${reg.host}/ci/m1-cache`, "--json", ...output],
        { env: { MAP_BUILD_CACHE_DIR: join(dir, cacheDir), SOURCE_DATE_EPOCH: undefined, MAP_BUILD_REGISTRY_USER: USER, MAP_BUILD_REGISTRY_PASSWORD: PASSWORD }, cwd: dir },
      );
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as PackageMapResult;
    };
    // the first pushes (its entries' blobs are mounted from the pushed image), the second writes a
    // file output on a fresh machine (every hit downloaded, digest and diff_id checked)
    const first = await m1("m1-cache-a", ["--push"]);
    const second = await m1("m1-cache-b", ["--oci-layout", join(dir, "m1-layout")]);
    assert.equal(second.digest, first.digest);
    assert.equal(first.cacheRepo?.written, second.cacheRepo?.hits);
    const added = second.layers.filter((l) => l.origin !== "base");
    assert.ok(added.some((l) => l.role === "python-deps"), added.map((l) => l.role).join(","));
    assert.deepEqual(added.filter((l) => l.origin !== "cached").map((l) => l.role), [], "every added layer came from the cache repository");
    assert.equal(second.cacheRepo?.hits, added.length);
  });
});
