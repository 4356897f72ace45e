/**
 * Reproducible identity: the digest depends on the image's content and meaningful inputs, never on
 * where the app, the models or the base sit on disk. The same app and model copied into two
 * workspaces (different folder names, different mtimes), with the base given as an absolute and as
 * a relative `oci:` path, give one digest; the manifest carries the OCI base annotations.
 */
import assert from "node:assert/strict";
import { cp, mkdir, readFile, utimes } from "node:fs/promises";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCliInProcess } from "../helpers/cli.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { makeTempDir } from "../helpers/tmp.js";
import { EXAMPLE_APP, EXAMPLE_MODEL } from "./fixtures.js";

async function workspace(root: string, appName: string, modelDir: string, mtime: Date): Promise<{ app: string; model: string }> {
  const app = join(root, appName);
  const model = join(root, modelDir, "word_weights.tsv");
  await cp(EXAMPLE_APP, app, { recursive: true });
  await mkdir(join(root, modelDir), { recursive: true });
  await cp(EXAMPLE_MODEL, model);
  for (const f of [model, app, join(app, "__main__.py"), join(app, "app.py")]) await utimes(f, mtime, mtime);
  return { app, model };
}

describe("reproducible identity", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    tmp = await makeTempDir("mb-identity-");
  });
  after(async () => {
    await tmp?.cleanup();
  });

  it("two workspaces, absolute and relative oci: base → one digest, base recorded by digest", async () => {
    const layout = await pythonBaseLayout();
    const one = await workspace(join(tmp.dir, "ws-one"), "word_score_app", "models", new Date("2020-01-01T00:00:00Z"));
    const two = await workspace(join(tmp.dir, "builds", "ws-2"), "checkout", "weights", new Date("2024-06-30T12:34:56Z"));
    const env = { SOURCE_DATE_EPOCH: undefined, MONAI_BASEIMAGE: undefined, DOCKER_HOST: undefined };
    const build = async (ws: { app: string; model: string }, base: string, n: number) => {
      const out = join(tmp.dir, `out-${n}`);
      // own cache per build, so the second cannot reuse the first's layers
      const r = await runCliInProcess(["package", ws.app, "-m", ws.model, "-b", base, "-t", "apps/same:1", "--no-sdk", "--oci-layout", out], {
        env: { ...env, MAP_BUILD_CACHE_DIR: join(tmp.dir, `cache-${n}`) },
      });
      assert.equal(r.code, 0, r.stderr);
      return { digest: r.stdout.trim(), out };
    };
    const a = await build(one, `oci:${layout}:${PYTHON_BASE_TAG}`, 1);
    const b = await build(two, `oci:${relative(process.cwd(), layout)}:${PYTHON_BASE_TAG}`, 2);
    assert.match(a.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(b.digest, a.digest);

    const baseDigest = (JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: { digest: string }[] }).manifests[0]!.digest;
    const blob = (d: string) => readFile(join(a.out, "blobs", ...d.split(":")), "utf8");
    const manifest = JSON.parse(await blob(a.digest)) as { config: { digest: string }; annotations?: Record<string, string> };
    assert.equal(manifest.annotations?.["org.opencontainers.image.base.digest"], baseDigest);
    assert.equal(manifest.annotations?.["org.opencontainers.image.base.name"], undefined, "a bare layout tag names no registry image");
    const config = JSON.parse(await blob(manifest.config.digest)) as { config: { Labels: Record<string, string> }; history: { created_by?: string }[] };
    assert.equal(config.config.Labels.base, baseDigest);
    const steps = config.history.map((h) => h.created_by ?? "").join("\n");
    for (const part of ["ws-one", "ws-2", "word_score_app", "checkout", tmp.dir]) assert.ok(!steps.includes(part), `history mentions ${part}:\n${steps}`);
  });
});
