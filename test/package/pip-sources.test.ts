/**
 * Issue 16, sources like pip and the SDK by default, through `map-build package`: PIP_INDEX_URL,
 * a pip.conf (PIP_CONFIG_FILE) and a file:// index each supply a stand-in SDK to an app that imports
 * monai.deploy, with no wheel flag (newest 0.5.x chosen), and so does a find-links page served by
 * `python3 -m http.server`; an app without that import needs no SDK
 * and no flag. With --no-cache the wheels are downloaded into the build's scratch dir and the cache
 * folder is left untouched. pip's `constraint` setting limits versions without adding packages.
 * Unpinned requirements needing backtracking resolve to pip's own choice (only the chosen wheels
 * downloaded: the index serves PEP 658 metadata files), and
 * `--lock-file` then `--locked` (index gone) reproduces the same image digest.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { BACKTRACK_REQUIREMENTS, backtrackIndex } from "../python/backtrack-index.js";
import { servePythonDirectory, startIndex, type IndexFileSpec, type IndexServer } from "../python/index-server.js";
import { SDKDEP, makeWheel, sdkWheel } from "../python/wheel-factory.js";
import { buildContext, buildLayout, type BuildContext } from "./build.js";
import { EXAMPLE_APP } from "./fixtures.js";
import { fixture } from "../helpers/fixtures.js";

const SITE = "/root/.local/lib/python3.11/site-packages";
const FIXTURE = fixture("python", "backtrack-pip.json");

describe("map-build package: pip's sources, the SDK by default, lock files", () => {
  let registry: TestRegistry;
  let index: IndexServer;
  let backtrack: IndexServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let ctx: BuildContext;
  let fileIndex: string;

  before(async () => {
    tmp = await makeTempDir("mb-pkg-pipsrc-");
    const projects: Record<string, IndexFileSpec[]> = { "monai-deploy-app-sdk": [], sdkdep: [] };
    for (const v of ["0.5.0", "0.5.1", "0.6.0"]) {
      const w = makeWheel(sdkWheel(v));
      projects["monai-deploy-app-sdk"]!.push({ filename: w.filename, bytes: w.bytes, sha256: w.sha256 });
    }
    const dep = makeWheel(SDKDEP);
    projects["sdkdep"]!.push({ filename: dep.filename, bytes: dep.bytes, sha256: dep.sha256 });
    // the same projects as a file:// tree: simple/<name>/index.html + files/
    fileIndex = join(tmp.dir, "pypi");
    for (const [name, files] of Object.entries(projects)) {
      await mkdir(join(fileIndex, "simple", name), { recursive: true });
      await mkdir(join(fileIndex, "files"), { recursive: true });
      for (const f of files) await writeFile(join(fileIndex, "files", f.filename), f.bytes);
      await writeFile(join(fileIndex, "simple", name, "index.html"), files.map((f) => `<a href="../../files/${f.filename}#sha256=${f.sha256}">${f.filename}</a>`).join("\n"));
    }
    [registry, index, backtrack] = await Promise.all([startRegistry(), startIndex(projects), backtrackIndex({ metadata: true })]);
    ctx = await buildContext(tmp.dir, await pushPythonBase(registry.host));
  });
  after(async () => {
    await Promise.allSettled([registry?.stop(), index?.close(), backtrack?.close()]);
    await tmp?.cleanup();
  });

  const sdkOf = async (env: NodeJS.ProcessEnv, extra: string[] = [], opts: { child?: boolean } = {}) => {
    const { image } = await buildLayout(ctx, ["package", EXAMPLE_APP, "-t", "x:1", "-b", ctx.base, ...extra], { env, ...opts });
    assert.match(image.text(`${SITE}/monai/deploy/__init__.py`), /__version__ = "0\.5\.1"/, "newest 0.5.x");
    assert.ok(image.files.has(`${SITE}/sdkdep/__init__.py`));
    assert.equal(image.pkgJson["sdk-version"], "0.5.1");
    assert.match(image.text("/root/.local/pylock.toml"), /name = "monai-deploy-app-sdk"\nversion = "0.5.1"/);
    return image;
  };

  it("PIP_INDEX_URL supplies the SDK to an app importing monai.deploy: no wheel flag", async () => {
    await sdkOf({ PIP_INDEX_URL: index.url });
    assert.ok(index.requests.some((q) => q.path === "/simple/monai-deploy-app-sdk/"));
  });

  it("--no-cache: wheels are downloaded into the build's scratch dir, removed at its end, and nothing into the cache", async () => {
    const cacheDir = join(tmp.dir, "no-cache-cache");
    const scratch = join(tmp.dir, "no-cache-tmp");
    await mkdir(scratch);
    const wheelGets = () => index.requests.filter((q) => q.path.endsWith(".whl")).length;
    const before = wheelGets();
    // a child process, so that its TMPDIR (where the build's scratch dir goes) is the one given here
    for (let i = 0; i < 2; i++) await sdkOf({ PIP_INDEX_URL: index.url, MAP_BUILD_CACHE_DIR: cacheDir, TMPDIR: scratch }, ["--no-cache"], { child: true });
    assert.equal(wheelGets() - before, 4, "the SDK and its dependency, downloaded by each build: nothing kept between them");
    assert.deepEqual(await readdir(cacheDir).catch(() => []), [], "nothing written into the cache folder");
    // (tsx, which runs the child, keeps its own cache there too)
    assert.deepEqual((await readdir(scratch)).filter((n) => n.startsWith("map-build-")), [], "the scratch dir (with the downloads) is removed");
  });

  it("so does a pip.conf named by PIP_CONFIG_FILE, and a file:// index", async () => {
    const conf = join(tmp.dir, "pip.conf");
    await writeFile(conf, `[global]\nindex-url =\n    ${index.url}\n`);
    await sdkOf({ PIP_CONFIG_FILE: conf });
    await sdkOf({ PIP_INDEX_URL: pathToFileURL(join(fileIndex, "simple")).toString() });
  });

  it("PIP_FIND_LINKS naming a page served by python3 -m http.server, with PIP_NO_INDEX", async () => {
    const page = await servePythonDirectory(join(fileIndex, "files"));
    const asked = index.requests.length;
    try {
      await sdkOf({ PIP_FIND_LINKS: page.url, PIP_NO_INDEX: "1", PIP_INDEX_URL: index.url });
      // the page is read once; only the two chosen wheels are downloaded, and the index is never asked
      assert.equal(page.requests().match(/"GET \/ HTTP/g)?.length, 1, page.requests());
      assert.equal(page.requests().match(/"GET \/[^ ]+\.whl HTTP/g)?.length, 2, page.requests());
      assert.equal(index.requests.length, asked, "PIP_NO_INDEX: the index is not asked");
    } finally {
      await page.close();
    }
  });

  it("pip's constraint setting (PIP_CONSTRAINT, pip.conf) limits versions and adds no package", async () => {
    const constraints = join(tmp.dir, "constraints.txt");
    await writeFile(constraints, "monai-deploy-app-sdk<0.5.1\nnot-required-anywhere==9.9\n");
    const conf = join(tmp.dir, "pip-constraint.conf");
    await writeFile(conf, `[global]\nindex-url = ${index.url}\n[install]\nconstraint = ${constraints}\n`);
    for (const env of [{ PIP_INDEX_URL: index.url, PIP_CONSTRAINT: constraints }, { PIP_CONFIG_FILE: conf }]) {
      const { image } = await buildLayout(ctx, ["package", EXAMPLE_APP, "-t", "x:1", "-b", ctx.base], { env });
      assert.match(image.text(`${SITE}/monai/deploy/__init__.py`), /__version__ = "0\.5\.0"/, "the constraint keeps the SDK below 0.5.1");
      assert.match(image.text("/root/.local/pylock.toml"), /name = "monai-deploy-app-sdk"\nversion = "0.5.0"/);
      assert.doesNotMatch(image.text("/root/.local/pylock.toml"), /not-required-anywhere/, "a constraint alone installs nothing");
    }
  });

  it("an app that never imports monai.deploy builds with no SDK and no flag", async () => {
    const app = join(tmp.dir, "plain-app");
    await mkdir(app);
    await writeFile(join(app, "__main__.py"), 'print("plain")\n');
    const r = await buildLayout(ctx, ["package", app, "-t", "x:1", "-b", ctx.base], { env: { PIP_INDEX_URL: index.url } });
    assert.ok(![...r.image.files.keys()].some((p) => p.includes("monai/deploy")));
    assert.match(r.stderr, /does not import monai\.deploy: no App SDK is installed/);
  });

  it("unpinned requirements resolve to pip's choice; --lock-file then --locked gives the same digest", async () => {
    const app = join(tmp.dir, "resolve-app");
    await cp(EXAMPLE_APP, app, { recursive: true });
    await writeFile(join(app, "requirements.txt"), `${BACKTRACK_REQUIREMENTS.join("\n")}\n`);
    const lock = join(tmp.dir, "pylock.toml");
    const args = ["package", app, "-t", "x:1", "-b", ctx.base, "--no-sdk", "--json"];
    const first = await buildLayout(ctx, [...args, "--index-url", backtrack.url, "--lock-file", lock]);
    const pip = JSON.parse(await readFile(FIXTURE, "utf8")) as { install: string[] };
    const text = await readFile(lock, "utf8");
    const locked = [...text.matchAll(/name = "([^"]+)"\nversion = "([^"]+)"/g)].map((m) => `${m[1]}==${m[2]}`);
    assert.deepEqual(locked, pip.install);
    for (const spec of pip.install) assert.ok(first.image.files.has(`${SITE}/${spec.replace("==", "-").replace(/^app-(.)/, "app_$1")}.dist-info/METADATA`), spec);
    // the index serves PEP 658 metadata files: versions tried and given up are never downloaded
    const wheels = backtrack.requests.map((q) => q.path).filter((p) => p.endsWith(".whl")).map((p) => p.replace(/^.*\/([^-]+)-([^-]+)-.*$/, "$1==$2").replace("_", "-"));
    assert.deepEqual(wheels.sort(), pip.install);
    assert.ok(backtrack.requests.some((q) => q.path.endsWith("/mid-1.0-py3-none-any.whl.metadata")), "mid was looked at, from its metadata file");
    await backtrack.close(); // --locked downloads from the lock's URLs: now only the cache has them
    const again = await buildLayout(ctx, [...args, "--locked", lock]);
    assert.equal(JSON.parse(again.stdout).digest, JSON.parse(first.stdout).digest);
  });
});
