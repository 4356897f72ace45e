/**
 * Issue 6 acceptance: map-build's own `package` flags (resources, SDK version, compression, --json,
 * --quiet), the `monai-deploy package` entry, and reproducibility (same inputs → same digest;
 * SOURCE_DATE_EPOCH moves every timestamp, deterministically).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { runCliInProcess } from "../helpers/cli.js";
import { runOk } from "../helpers/run.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { buildContext, buildLayout, exampleArgs, type BuildContext } from "./build.js";
import { EXAMPLE_APP, EXAMPLE_MODEL, readLayout } from "./fixtures.js";

describe("map-build package: map-build's own flags and reproducibility", () => {
  let registry: TestRegistry;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let ctx: BuildContext;

  before(async () => {
    tmp = await makeTempDir("mb-pkg-own-");
    registry = await startRegistry();
    const base = await pushPythonBase(registry.host);
    ctx = await buildContext(tmp.dir, base);
  });
  after(async () => {
    await registry?.stop();
    await tmp?.cleanup();
  });

  it("--cpu, --gpu, --memory override @resource (memory rendered in Mi)", async () => {
    const { image } = await buildLayout(ctx, exampleArgs(ctx, ["--cpu", "2", "--gpu", "1", "--memory", "7Gi"]));
    assert.deepEqual(image.pkgJson.resources, { cpu: 2, gpu: 1, memory: "7168Mi" });
    assert.match(image.text("/etc/monai/pkg.json"), /"memory": "7168Mi"/);
    const mb = await buildLayout(ctx, exampleArgs(ctx, ["--memory", "500MB"]));
    assert.deepEqual(mb.image.pkgJson.resources, { cpu: 1, gpu: 0, memory: "476.8Mi" });
  });

  it("--sdk-version: both manifests and the sdk_version label", async () => {
    const { image } = await buildLayout(ctx, exampleArgs(ctx, ["--sdk-version", "0.4.0"]));
    assert.equal(image.appJson["sdk-version"], "0.4.0");
    assert.equal(image.pkgJson["sdk-version"], "0.4.0");
    assert.equal(image.labels.sdk_version, "0.4.0");
  });

  it("--compression none: the added layers are uncompressed tars; the base layer is untouched", async () => {
    const gz = await buildLayout(ctx, exampleArgs(ctx, ["-m", EXAMPLE_MODEL]));
    const raw = await buildLayout(ctx, exampleArgs(ctx, ["-m", EXAMPLE_MODEL, "--compression", "none"]));
    const added = raw.image.manifest.layers.filter((l) => !ctx.baseLayers.has(l.digest));
    assert.equal(added.length, 3); // model, app, MAP skeleton
    for (const l of added) assert.equal(l.mediaType, "application/vnd.oci.image.layer.v1.tar");
    for (const l of gz.image.manifest.layers.filter((l) => !ctx.baseLayers.has(l.digest))) {
      assert.equal(l.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
    }
    assert.deepEqual(raw.image.manifest.layers.filter((l) => ctx.baseLayers.has(l.digest)), gz.image.manifest.layers.filter((l) => ctx.baseLayers.has(l.digest)));
    // same content either way: diff_ids agree
    assert.deepEqual(raw.image.config.rootfs.diff_ids, gz.image.config.rootfs.diff_ids);
    assert.equal(raw.image.text("/etc/monai/app.json"), gz.image.text("/etc/monai/app.json"));
  });

  it("--json: stdout is one JSON object and nothing else, with the layout's digest", async () => {
    const r = await buildLayout(ctx, exampleArgs(ctx, ["-m", EXAMPLE_MODEL, "--json"]), { child: true });
    const result = JSON.parse(r.stdout) as {
      digest: string; tag: string; size: number; mediaType: string;
      layers: { role: string; digest: string; size: number; origin: string }[];
      outputs: { kind: string; target: string; referrers?: { digests: string[] } }[]; appJson: unknown; pkgJson: unknown;
    };
    assert.equal(result.digest, r.image.manifestDigest);
    assert.equal(result.tag, "localhost/word-score:1.0");
    assert.deepEqual(result.layers.map((l) => l.digest), r.image.manifest.layers.map((l) => l.digest));
    assert.deepEqual(result.layers.map((l) => l.role), ["base", "model:word_weights", "app", "map"]);
    assert.ok(result.size > result.layers.reduce((n, l) => n + l.size, 0));
    // the SBOM and provenance are attached to the layout (test/sbom covers what they hold)
    assert.deepEqual(result.outputs.map(({ kind, target }) => ({ kind, target })), [{ kind: "oci-layout", target: r.dir }]);
    assert.equal(result.outputs[0]!.referrers?.digests.length, 2);
    assert.deepEqual(result.appJson, JSON.parse(r.image.text("/etc/monai/app.json")), "manifests are JSON objects, not strings");
    assert.deepEqual(result.pkgJson, JSON.parse(r.image.text("/etc/monai/pkg.json")));
    assert.equal(r.stderr, "", "--json keeps stderr quiet on success");
  });

  it("--oci-archive FILE: the same image as the layout; skopeo reads it by tag, umoci unpacks it", async () => {
    const file = join(ctx.tmp, "word-score.oci.tar");
    const r = await buildLayout(ctx, exampleArgs(ctx, ["--oci-archive", file, "--json"]));
    const result = JSON.parse(r.stdout) as { outputs: { kind: string; target: string }[] };
    assert.deepEqual(result.outputs.map(({ kind, target }) => ({ kind, target })), [{ kind: "oci-layout", target: r.dir }, { kind: "oci-archive", target: file }]);
    const info = JSON.parse(await runOk("skopeo", ["inspect", `oci-archive:${file}:1.0`])) as { Digest: string };
    assert.equal(info.Digest, r.image.manifestDigest);
    const extracted = join(ctx.tmp, "oci-archive-extracted");
    await mkdir(extracted);
    await runOk("tar", ["-xf", file, "-C", extracted]);
    const bundle = join(ctx.tmp, "oci-archive-bundle");
    await runOk("umoci", ["unpack", "--rootless", "--image", `${extracted}:1.0`, bundle]);
    assert.equal(await readFile(join(bundle, "rootfs", "opt/monai/app/__main__.py"), "utf8"), r.image.text("/opt/monai/app/__main__.py"));
  });

  it("--quiet / -q: nothing on stderr, the digest alone on stdout", async () => {
    for (const q of [["--quiet"], ["-q"]]) {
      const r = await buildLayout(ctx, [...q, ...exampleArgs(ctx)], { child: true });
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, `${r.image.manifestDigest}\n`);
    }
    const after = await buildLayout(ctx, exampleArgs(ctx, ["--quiet"]));
    assert.equal(after.stderr, "");
  });

  it("monai-deploy package (the compatibility entry) builds the same image as map-build package", async () => {
    const args = exampleArgs(ctx, ["--model", EXAMPLE_MODEL, "--timeout", "30", "-l", "ERROR"]);
    const mb = await buildLayout(ctx, args, { child: true });
    const md = await buildLayout(ctx, args, { entry: "monai-deploy" });
    assert.equal(md.image.manifestDigest, mb.image.manifestDigest);
    assert.equal(md.stdout, mb.stdout);
    // the original's global -l before `package`
    const before = await buildLayout(ctx, ["-l", "DEBUG", ...exampleArgs(ctx, ["--model", EXAMPLE_MODEL, "--timeout", "30"])], { entry: "monai-deploy" });
    assert.equal(before.image.manifestDigest, mb.image.manifestDigest);
    assert.match(before.stderr, /^debug: /m);
  });

  it("in-process main(): relative app, model and output paths are relative to io.cwd", async () => {
    const cwd = join(ctx.tmp, "relative");
    await mkdir(join(cwd, "models"), { recursive: true });
    await cp(EXAMPLE_APP, join(cwd, "app"), { recursive: true });
    await cp(EXAMPLE_MODEL, join(cwd, "models", "word_weights.tsv"));
    const r = await runCliInProcess(["package", "app", "-t", "x:1", "-b", ctx.base, "--no-sdk", "-m", "models/word_weights.tsv", "--oci-layout", "out-layout", "-q"], { env: ctx.env, cwd });
    assert.equal(r.code, 0, r.stderr);
    const image = await readLayout(join(cwd, "out-layout"), ctx.baseLayers);
    assert.equal(r.stdout, `${image.manifestDigest}\n`);
    assert.ok(image.files.has("/opt/monai/models/word_weights/word_weights.tsv"));
    assert.ok(image.files.has("/opt/monai/app/__main__.py"));
  });

  it("rebuilding unchanged inputs gives the same digest; SOURCE_DATE_EPOCH changes it deterministically", async () => {
    const args = exampleArgs(ctx, ["-m", EXAMPLE_MODEL]);
    const a = await buildLayout(ctx, args);
    const b = await buildLayout(ctx, args, { child: true });
    assert.equal(b.image.manifestDigest, a.image.manifestDigest);
    for (const f of a.image.files.values()) assert.equal(f.mtime, 0);
    assert.equal(a.image.config.created, "1970-01-01T00:00:00Z");

    const epoch = "1700000000";
    const c = await buildLayout(ctx, args, { env: { SOURCE_DATE_EPOCH: epoch } });
    const d = await buildLayout(ctx, args, { env: { SOURCE_DATE_EPOCH: epoch } });
    assert.notEqual(c.image.manifestDigest, a.image.manifestDigest);
    assert.equal(d.image.manifestDigest, c.image.manifestDigest);
    assert.equal(c.image.config.created, "2023-11-14T22:13:20Z");
    for (const [p, f] of c.image.files) assert.equal(f.mtime, Number(epoch), `${p} mtime`);
    for (const f of [a, c]) {
      for (const [p, e] of f.image.files) assert.ok(e.uid === 0 && e.gid === 0, `${p} owned 0:0`);
    }
  });
});
