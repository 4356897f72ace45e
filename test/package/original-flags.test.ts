/**
 * Issue 6 acceptance: every flag of the original `monai-deploy package` changes the manifests and
 * the image config as map-format.md §1.1–1.6 documents (one test per flag). Builds run in-process
 * through main() onto the python base in a loopback registry and write an OCI layout, which is read
 * back from its blobs.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCliInProcess } from "../helpers/cli.js";
import { pushPythonBase, pythonBaseLayout } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { COLORFMT, GREET, writeWheel } from "../python/wheel-factory.js";
import { buildContext, buildLayout, exampleArgs, type BuildContext } from "./build.js";
import { EXAMPLE_APP, EXAMPLE_MODEL } from "./fixtures.js";

/** Python's json.dumps(sort_keys=True) order, for comparing serialisations. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

const SITE = "/root/.local/lib/python3.11/site-packages";

describe("map-build package: the original packager's flags", () => {
  let registry: TestRegistry;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let ctx: BuildContext;

  before(async () => {
    tmp = await makeTempDir("mb-pkg-flags-");
    registry = await startRegistry();
    const base = await pushPythonBase(registry.host);
    ctx = await buildContext(tmp.dir, base);
  });
  after(async () => {
    await registry?.stop();
    await tmp?.cleanup();
  });

  it("defaults: manifests and config as the 0.5.1 template wrote them", async () => {
    const { image } = await buildLayout(ctx, exampleArgs(ctx));
    assert.deepEqual(image.appJson, {
      "api-version": "0.1.0",
      command: "python3 -u /opt/monai/app/app.py",
      environment: {},
      input: { formats: [], path: "input" },
      output: { format: {}, path: "output" },
      "sdk-version": "0.5.1",
      timeout: 0,
      version: "1.0.0",
      "working-directory": "/var/monai/",
    });
    assert.deepEqual(image.pkgJson, {
      "api-version": "0.1.0",
      "application-root": "/var/monai/",
      models: [],
      resources: { cpu: 1, gpu: 0, memory: "512Mi" },
      "sdk-version": "0.5.1",
      version: "1.0.0",
    });
    // byte-compatible serialisation: sorted keys, 4-space indent, no trailing newline
    for (const f of ["app", "pkg"]) {
      const text = image.text(`/etc/monai/${f}.json`);
      assert.equal(text, JSON.stringify(sortKeys(JSON.parse(text)), null, 4), `${f}.json serialisation`);
    }
    assert.equal(image.env.MONAI_INPUTPATH, "/var/monai/input");
    assert.equal(image.env.MONAI_OUTPUTPATH, "/var/monai/output");
    assert.equal(image.env.MONAI_WORKDIR, "/var/monai/");
    assert.equal(image.env.MONAI_APPLICATION, "/opt/monai/app");
    assert.equal(image.env.MONAI_MODELPATH, "/opt/monai/models");
    assert.equal(image.env.MONAI_TIMEOUT, "0");
    assert.equal(image.env.DEBIAN_FRONTEND, "noninteractive");
    assert.equal(image.env.TERM, "xterm-256color");
    assert.match(image.env.PATH!, /^\/root\/\.local\/bin:\/usr\/local\/sbin:/);
    assert.ok(!image.env.PATH!.includes("$PATH"));
    assert.deepEqual(image.config.config?.Entrypoint, ["/opt/monai/executor/monai-exec"]);
    assert.ok(!image.config.config?.Cmd?.length);
    assert.equal(image.config.config?.WorkingDir, "/var/monai/");
    for (const d of ["/opt/monai/app", "/opt/monai/models", "/var/monai/input", "/var/monai/output", "/etc/monai"]) {
      assert.equal(image.files.get(d)?.type, "directory", `${d} should be a directory in the MAP layers`);
    }
    const exec = image.files.get("/opt/monai/executor/monai-exec");
    assert.ok(exec && exec.type === "file" && (exec.mode & 0o111) !== 0 && exec.uid === 0 && exec.gid === 0);
    assert.ok(image.files.has("/opt/monai/app/__main__.py") && image.files.has("/opt/monai/app/app.py"));
    assert.equal(image.text("/opt/monai/app/requirements.txt"), "");
  });

  it("--tag / -t: the tag label and the layout's ref name", async () => {
    const tag = "registry.example.org/team/word-score:2.1";
    const { image, dir } = await buildLayout(ctx, ["package", EXAMPLE_APP, "--tag", tag, "-b", ctx.base, "--no-sdk"]);
    assert.equal(image.labels.tag, tag);
    const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { manifests: { annotations?: Record<string, string> }[] };
    assert.equal(index.manifests[0]!.annotations?.["org.opencontainers.image.ref.name"], "2.1");
    const short = await buildLayout(ctx, ["package", EXAMPLE_APP, "-t", "other:3", "-b", ctx.base, "--no-sdk"]);
    assert.equal(short.image.labels.tag, "other:3");
  });

  it("--model / -m: a file model is named <stem>-<sha256> and copied to its path; a folder model too", async () => {
    const sha = createHash("sha256").update(await readFile(EXAMPLE_MODEL)).digest("hex");
    const { image, stdout } = await buildLayout(ctx, exampleArgs(ctx, ["--model", EXAMPLE_MODEL, "--json"]));
    assert.deepEqual(image.pkgJson.models, [{ name: `word_weights-${sha}`, path: "/opt/monai/models/word_weights/word_weights.tsv" }]);
    assert.deepEqual(image.files.get("/opt/monai/models/word_weights/word_weights.tsv")?.data, await readFile(EXAMPLE_MODEL));
    // one layer per model (so an unchanged model is a cache/registry hit)
    const roles = (JSON.parse(stdout) as { layers: { role: string }[] }).layers.map((l) => l.role);
    assert.deepEqual(roles.filter((r) => r.startsWith("model:")), ["model:word_weights"]);

    const folder = join(ctx.tmp, "weights");
    await mkdir(join(folder, "extra"), { recursive: true });
    await writeFile(join(folder, "b.tsv"), "good\t5.0\n");
    await writeFile(join(folder, "extra", "a.tsv"), "bad\t-5.0\n");
    const h = createHash("sha256").update("good\t5.0\n").update("bad\t-5.0\n").digest("hex"); // b.tsv < extra/a.tsv
    const f = await buildLayout(ctx, exampleArgs(ctx, ["-m", folder]));
    assert.deepEqual(f.image.pkgJson.models, [{ name: `weights-${h}`, path: "/opt/monai/models/weights" }]);
    assert.equal(f.image.text("/opt/monai/models/weights/extra/a.tsv"), "bad\t-5.0\n");
    assert.equal(f.image.files.get("/opt/monai/models/weights")?.type, "directory");
  });

  it("--base / -b: the base label; MONAI_BASEIMAGE is the default; oci: bases too", async () => {
    const { image } = await buildLayout(ctx, ["package", EXAMPLE_APP, "-t", "x:1", "--base", ctx.base, "--no-sdk"]);
    assert.equal(image.labels.base, ctx.base);
    assert.equal((image.manifest as { annotations?: Record<string, string> }).annotations?.["org.opencontainers.image.base.name"], ctx.base);
    const fromEnv = await buildLayout(ctx, ["package", EXAMPLE_APP, "-t", "x:1", "--no-sdk"], { env: { MONAI_BASEIMAGE: ctx.base } });
    assert.equal(fromEnv.image.labels.base, ctx.base);
    assert.equal(fromEnv.image.manifestDigest, image.manifestDigest);
    const oci = `oci:${await pythonBaseLayout()}:bookworm-python`;
    const local = await buildLayout(ctx, ["package", EXAMPLE_APP, "-t", "x:1", "-b", oci, "--no-sdk"]);
    // a layout's bare tag names no registry image: the label is the base's digest, never a host path
    const index = JSON.parse(await readFile(join(await pythonBaseLayout(), "index.json"), "utf8")) as { manifests: { digest: string }[] };
    assert.equal(local.image.labels.base, index.manifests[0]!.digest);
    // same base content: only the label differs
    assert.deepEqual(local.image.manifest.layers, image.manifest.layers);
  });

  it("--input-dir / -i and --output-dir / -o: app.json paths, MONAI_INPUTPATH/OUTPUTPATH and the folders", async () => {
    const { image } = await buildLayout(ctx, exampleArgs(ctx, ["--input-dir", "scans", "-o", "/results"]));
    assert.deepEqual(image.appJson.input, { formats: [], path: "scans" });
    assert.deepEqual(image.appJson.output, { format: {}, path: "/results" });
    assert.equal(image.env.MONAI_INPUTPATH, "/var/monai/scans");
    assert.equal(image.env.MONAI_OUTPUTPATH, "/results");
    assert.equal(image.files.get("/var/monai/scans")?.type, "directory");
    assert.equal(image.files.get("/results")?.type, "directory");
    const short = await buildLayout(ctx, exampleArgs(ctx, ["-i", "in2", "--output-dir", "out2"]));
    assert.equal(short.image.env.MONAI_INPUTPATH, "/var/monai/in2");
    assert.equal(short.image.env.MONAI_OUTPUTPATH, "/var/monai/out2");
  });

  it("--models-dir: MONAI_MODELPATH and where the models go", async () => {
    const { image } = await buildLayout(ctx, exampleArgs(ctx, ["--models-dir", "/models", "-m", EXAMPLE_MODEL]));
    assert.equal(image.env.MONAI_MODELPATH, "/models");
    const models = image.pkgJson.models as { path: string }[];
    assert.equal(models[0]!.path, "/models/word_weights/word_weights.tsv");
    assert.ok(image.files.has("/models/word_weights/word_weights.tsv"));
    assert.ok(![...image.files.keys()].some((p) => p.startsWith("/opt/monai/models/")));
  });

  it("--working-dir / -w: WorkingDir, MONAI_WORKDIR, working-directory, application-root, data paths", async () => {
    const { image } = await buildLayout(ctx, exampleArgs(ctx, ["--working-dir", "/srv/work"]));
    assert.equal(image.config.config?.WorkingDir, "/srv/work");
    assert.equal(image.env.MONAI_WORKDIR, "/srv/work");
    assert.equal(image.appJson["working-directory"], "/srv/work");
    assert.equal(image.pkgJson["application-root"], "/srv/work");
    assert.equal(image.env.MONAI_INPUTPATH, "/srv/work/input");
    assert.equal(image.env.MONAI_OUTPUTPATH, "/srv/work/output");
    assert.equal(image.files.get("/srv/work/input")?.type, "directory");
    const short = await buildLayout(ctx, exampleArgs(ctx, ["-w", "/w/"]));
    assert.equal(short.image.env.MONAI_INPUTPATH, "/w/input");
  });

  it("--timeout: an integer in app.json and MONAI_TIMEOUT", async () => {
    const { image } = await buildLayout(ctx, exampleArgs(ctx, ["--timeout", "600"]));
    assert.equal(image.appJson.timeout, 600);
    assert.match(image.text("/etc/monai/app.json"), /"timeout": 600,/);
    assert.equal(image.env.MONAI_TIMEOUT, "600");
  });

  it("--version: both manifests and the version label", async () => {
    const { image } = await buildLayout(ctx, exampleArgs(ctx, ["--version", "2.3.4-rc.1"]));
    assert.equal(image.appJson.version, "2.3.4-rc.1");
    assert.equal(image.pkgJson.version, "2.3.4-rc.1");
    assert.equal(image.labels.version, "2.3.4-rc.1");
  });

  it("--requirements / -r: copied verbatim; its packages installed from a --wheelhouse into the user site", async () => {
    const wheels = join(ctx.tmp, "wheelhouse");
    await mkdir(wheels, { recursive: true });
    await writeWheel(wheels, GREET);
    await writeWheel(wheels, COLORFMT);
    const req = join(ctx.tmp, "reqs.txt");
    const text = "# pinned for the MAP\ngreet == 1.0   \n"; // comment and trailing blanks kept byte for byte
    await writeFile(req, text);
    const { image } = await buildLayout(ctx, exampleArgs(ctx, ["--requirements", req, "--wheelhouse", wheels]));
    assert.equal(image.text("/opt/monai/app/requirements.txt"), text);
    assert.match(image.text(`${SITE}/greet/__init__.py`), /def hello/);
    assert.match(image.text(`${SITE}/colorfmt/__init__.py`), /def fmt/);
    assert.ok(image.files.has(`${SITE}/greet-1.0.dist-info/RECORD`));
    const script = image.files.get("/root/.local/bin/greet");
    assert.ok(script && (script.mode & 0o111) !== 0, "console script /root/.local/bin/greet");
    const short = await buildLayout(ctx, exampleArgs(ctx, ["-r", req, "--wheelhouse", wheels]));
    assert.equal(short.image.manifestDigest, image.manifestDigest);
  });

  it("--log-level / -l before or after `package`: DEBUG prints debug lines, ERROR prints nothing on success", async () => {
    const after = await buildLayout(ctx, exampleArgs(ctx, ["--log-level", "DEBUG"]));
    assert.match(after.stderr, /^debug: /m);
    const before = await buildLayout(ctx, ["-l", "debug", ...exampleArgs(ctx)]);
    assert.match(before.stderr, /^debug: /m);
    const error = await buildLayout(ctx, exampleArgs(ctx, ["-l", "ERROR"]));
    assert.equal(error.stderr, "");
    assert.match(error.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const errorBefore = await buildLayout(ctx, ["--log-level", "CRITICAL", ...exampleArgs(ctx)]);
    assert.equal(errorBefore.stderr, "");
    const info = await buildLayout(ctx, exampleArgs(ctx));
    assert.doesNotMatch(info.stderr, /^debug: /m);
    const bad = await runCliInProcess(exampleArgs(ctx, ["-l", "LOUD", "--tarball", join(ctx.tmp, "never.tar")]), { env: ctx.env });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--log-level/);
  });

  it("--no-cache / -n: layers are rebuilt instead of taken from the cache; same image", async () => {
    const origins = (stdout: string) => (JSON.parse(stdout) as { layers: { origin: string }[] }).layers.map((l) => l.origin);
    const env = { MAP_BUILD_CACHE_DIR: join(ctx.tmp, "no-cache-test") };
    const first = await buildLayout(ctx, exampleArgs(ctx, ["-m", EXAMPLE_MODEL, "--json"]), { env });
    assert.deepEqual(origins(first.stdout), ["base", "built", "built", "built"]);
    const cached = await buildLayout(ctx, exampleArgs(ctx, ["-m", EXAMPLE_MODEL, "--json"]), { env });
    assert.deepEqual(origins(cached.stdout), ["base", "cached", "cached", "cached"]);
    for (const flag of ["--no-cache", "-n"]) {
      const fresh = await buildLayout(ctx, exampleArgs(ctx, ["-m", EXAMPLE_MODEL, "--json", flag]), { env });
      assert.deepEqual(origins(fresh.stdout), ["base", "built", "built", "built"], flag);
      assert.equal(fresh.image.manifestDigest, first.image.manifestDigest, flag);
    }
    assert.equal(cached.image.manifestDigest, first.image.manifestDigest);
  });

  it("-h / --help: lists every flag and the examples", async () => {
    for (const args of [["package", "-h"], ["package", "--help"]]) {
      const r = await runCliInProcess(args, { env: ctx.env });
      assert.equal(r.code, 0, r.stderr);
      for (const flag of [
        "-t, --tag", "-m, --model", "-b, --base", "-i, --input-dir", "-o, --output-dir", "--models-dir", "-w, --working-dir",
        "-n, --no-cache", "-r, --requirements", "--timeout", "--version", "-h, --help",
        "--push", "--tarball", "--oci-layout", "--load", "--platform", "--cpu", "--gpu", "--memory", "--sdk-version",
        "--sdk-wheel", "--no-sdk", "--wheelhouse", "--compression", "--json", "--insecure-registry",
      ]) {
        assert.ok(r.stdout.includes(flag), `help should list ${flag}:\n${r.stdout}`);
      }
      assert.match(r.stdout, /Examples:/);
      assert.match(r.stdout, /monai-deploy package my_app --tag my_app:1\.0/);
    }
    const top = await runCliInProcess(["--help"], { env: ctx.env });
    assert.equal(top.code, 0);
    for (const flag of ["-l, --log-level", "-q, --quiet", "--verbose", "package"]) assert.ok(top.stdout.includes(flag), `top-level help should list ${flag}:\n${top.stdout}`);
  });
});
