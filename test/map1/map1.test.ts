/**
 * MAP 1.0 end to end, on the small python base: a MONAI-Deploy-style app (folder with __main__.py,
 * app.yaml, a model folder, docs; generated SDK and holoscan wheels) is built by packageMap({
 * format: "1.0" }) into every output, then run in docker the way holoscan-cli's runner runs it.
 * One dockerd and one registry for the file.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chown, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { packageMap, type PackageMap1Options } from "../../src/index.js";
import { appendLayers, imageFamily, readOciLayoutImage } from "../../src/image/index.js";
import { writeLayer } from "../../src/layer/index.js";
import { dockerTarballSink, engineLoadSink, ociLayoutSink, pushSink, writeOciLayout } from "../../src/sinks/index.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { startRecordingProxy, type RecordingProxy } from "../helpers/recording-proxy.js";
import { pushPythonBase, pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { makeTempDir } from "../helpers/tmp.js";
import { writeWheel } from "../python/wheel-factory.js";
import { inspectMap } from "../../src/inspect/index.js";
import { fixture } from "../helpers/fixtures.js";

const FIXTURE = fixture("map1", "monai-module");
const TAG = "my_app-x64-workstation-dgpu-linux-amd64:1.0";

const MAIN_PY = `import os, pathlib, monai.deploy, holoscan
inp = pathlib.Path(os.environ["HOLOSCAN_INPUT_PATH"])
out = pathlib.Path(os.environ["HOLOSCAN_OUTPUT_PATH"])
models = sorted(p.name for p in pathlib.Path(os.environ["HOLOSCAN_MODEL_PATH"]).iterdir())
text = (inp / "in.txt").read_text().strip()
(out / "result.txt").write_text(f"{text} uid={os.getuid()} models={','.join(models)}\\n")
print("done", os.getuid())
`;

describe("MAP 1.0 (holoscan-cli 4.2.0 format)", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let dockerd: TestDockerd;
  let reg: TestRegistry;
  let proxy: RecordingProxy;
  let common: Omit<PackageMap1Options, "base" | "sinks" | "tag">;
  let localBase: string;

  before(async () => {
    tmp = await makeTempDir("mb-m1-");
    [dockerd, reg] = await Promise.all([startDockerd(), startRegistry()]);
    proxy = await startRecordingProxy(reg.host);
    await pushPythonBase(reg.host, "base/python", "3");
    localBase = `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`;
    const t = tmp.dir;
    await mkdir(join(t, "my_app"));
    await writeFile(join(t, "my_app/__main__.py"), MAIN_PY);
    await writeFile(join(t, "my_app/app.py"), "");
    await writeFile(join(t, "my_app/requirements.txt"), "colorfmt\n");
    for (const f of ["models/seg/model.ts", "models/cls/weights.pt", "models/notes.txt", "docs/README.md"]) {
      await mkdir(dirname(join(t, f)), { recursive: true });
      await writeFile(join(t, f), `${f}\n`);
    }
    const wh = join(t, "wheels");
    await mkdir(wh);
    await writeWheel(wh, { name: "monai-deploy-app-sdk", version: "3.0.0", files: { "monai/__init__.py": "", "monai/deploy/__init__.py": "" }, requires: ["holoscan>=3"] });
    await writeWheel(wh, { name: "holoscan", version: "3.1", files: { "holoscan/__init__.py": "" } });
    await writeWheel(wh, { name: "scikit-image", version: "0.20.0", files: { "skimage/__init__.py": "" } });
    await writeWheel(wh, { name: "colorfmt", version: "1.0", files: { "colorfmt/__init__.py": "" } });
    common = {
      format: "1.0",
      appPath: join(t, "my_app"),
      configPath: join(FIXTURE, "app.yaml"),
      platform: "x86_64",
      models: join(t, "models"),
      docs: join(t, "docs"),
      wheelhouse: [wh],
      cacheDir: join(t, "cache"),
    };
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([dockerd?.stop(), reg?.stop()]);
    await tmp?.cleanup();
  });

  const docker = async (args: string[]) => {
    const r = await dockerd.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };

  it("writes manifests byte-identical to holoscan-cli's, to all four outputs, pushing no base bytes", async () => {
    const base = `${proxy.host}/base/python:3`;
    const layout = join(tmp.dir, "layout");
    proxy.log.length = 0;
    const result = await packageMap({
      ...common,
      base,
      tag: `${proxy.host}/apps/my_app`,
      sinks: [dockerTarballSink(join(tmp.dir, "map.tar")), ociLayoutSink(layout), engineLoadSink(dockerd.host), pushSink()],
    });
    assert.equal(result.appJson, await readFile(join(FIXTURE, "app.json"), "utf8"));
    assert.equal(result.pkgJson, await readFile(join(FIXTURE, "pkg.json"), "utf8"));
    assert.equal(result.tag, `${proxy.host}/apps-my_app-x64-workstation-dgpu-linux-amd64:1.0`);
    assert.deepEqual(result.outputs.map((o) => o.kind), ["tarball", "oci-layout", "load", "push"]);

    // the push uploaded the new layers and the config, nothing of the base; then the SBOM and
    // provenance (and their shared empty config `{}`), attached to the manifest
    const image = await readOciLayoutImage(layout, "1.0");
    const manifest = await image.manifest();
    const newBytes = result.layers.filter((l) => l.origin !== "base").reduce((n, l) => n + l.size, 0);
    const uploaded = proxy.log.filter((r) => r.path.includes("/blobs/uploads/")).reduce((n, r) => n + r.bytesIn, 0);
    const { sbom, provenance } = result.attestations!;
    assert.equal(uploaded, newBytes + manifest.config.size + sbom.size + provenance.size + 2);
    const fallback = await fetch(`http://${reg.host}/v2/apps-my_app-x64-workstation-dgpu-linux-amd64/manifests/sha256-${result.digest.slice(7)}`, { headers: { accept: "application/vnd.oci.image.index.v1+json" } });
    const referrers = ((await fallback.json()) as { manifests: { artifactType: string }[] }).manifests;
    assert.deepEqual(referrers.map((m) => m.artifactType).sort(), ["application/vnd.cyclonedx+json", "application/vnd.in-toto+json"]);
    const layoutIndex = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: { artifactType?: string }[] };
    assert.equal(layoutIndex.manifests.filter((m) => m.artifactType).length, 2, "the OCI layout lists both beside the image");

    const config = (await image.config()).config!;
    assert.equal(config.User, "holoscan");
    assert.equal(config.WorkingDir, "/var/holoscan");
    assert.deepEqual(config.Entrypoint, ["/var/holoscan/tools"]);
    assert.equal(config.Cmd ?? null, null);
    assert.deepEqual(config.Labels, {
      base,
      tag: result.tag,
      "org.opencontainers.image.title": "MONAI Deploy App Package - Simple Imaging App",
      "org.opencontainers.image.version": "1.0",
      "org.nvidia.holoscan": "3.1.0",
      "org.monai.deploy.app-sdk": "3.0.0",
    });
    const env = new Map(config.Env!.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    assert.equal(env.get("HOLOSCAN_INPUT_PATH"), "/var/holoscan/input");
    assert.equal(env.get("HOLOSCAN_MODEL_PATH"), "/opt/holoscan/models");
    assert.equal(env.get("HOLOSCAN_CONFIG_PATH"), "/var/holoscan/app.yaml");
    assert.equal(env.get("HOLOSCAN_VERSION"), "3.1.0");
    assert.match(env.get("PATH")!, /^\/home\/holoscan\/\.local\/bin:\/opt\/nvidia\/holoscan\/bin:\/usr\/local/);
    assert.equal(env.get("LD_LIBRARY_PATH"), ":/home/holoscan/.local/lib/python3.11/site-packages/holoscan/lib");

    // inspect recognises the format and every MAP 1.0 check passes
    const report = await inspectMap(image);
    assert.equal(report.checklist, "MAP 1.0 (holoscan-cli 4.2.0 / App SDK ≥ 0.6)");
    assert.deepEqual(report.checks.filter((c) => c.status !== "pass"), []);
    assert.equal(report.checks.length, 20);
    assert.equal(report.verdict, "conforms");

    // the docker-loadable tarball and the loaded image are the same image
    const loaded = await docker(["load", "-i", join(tmp.dir, "map.tar")]);
    assert.match(loaded, /apps-my_app-x64-workstation-dgpu-linux-amd64:1\.0/);

    // deterministic: the same inputs give the same digest (from the cache and without it)
    const again = await packageMap({ ...common, base, tag: `${proxy.host}/apps/my_app`, noCache: true, sinks: [ociLayoutSink(join(tmp.dir, "layout2"))] });
    assert.equal(again.digest, result.digest);
  });

  it("runs as the Holoscan runner runs it: manifests by docker cp, the app as uid 1000 with input/output mounts", async () => {
    await packageMap({ ...common, base: localBase, tag: "my_app", sinks: [engineLoadSink(dockerd.host)] });
    const id = (await docker(["create", TAG])).trim();
    const got = join(tmp.dir, "got");
    await mkdir(got);
    await docker(["cp", `${id}:/etc/holoscan/app.json`, join(got, "app.json")]);
    await docker(["cp", `${id}:/etc/holoscan/pkg.json`, join(got, "pkg.json")]);
    await docker(["rm", "-v", id]);
    assert.deepEqual(await readFile(join(got, "app.json")), await readFile(join(FIXTURE, "app.json")));
    assert.deepEqual(await readFile(join(got, "pkg.json")), await readFile(join(FIXTURE, "pkg.json")));

    const input = join(tmp.dir, "input");
    const output = join(tmp.dir, "output");
    await mkdir(input);
    await mkdir(output);
    await writeFile(join(input, "in.txt"), "hello\n");
    await chown(output, 1000, 1000); // monai-deploy #147: the host side owns the output mount
    const runnerEnv = ["HOLOSCAN_INPUT_PATH=/var/holoscan/input", "HOLOSCAN_OUTPUT_PATH=/var/holoscan/output", "HOLOSCAN_MODEL_PATH=/opt/holoscan/models"];
    const out = await docker([
      "run", "--rm", "--user", "1000:1000", ...runnerEnv.flatMap((e) => ["-e", e]),
      "-v", `${input}:/var/holoscan/input:ro`, "-v", `${output}:/var/holoscan/output`, TAG,
    ]);
    assert.match(out, /done 1000/);
    assert.equal(await readFile(join(output, "result.txt"), "utf8"), "hello uid=1000 models=cls,models,seg\n");

    assert.match(await docker(["run", "--rm", TAG, "show", "app"]), /"sdk": "monai-deploy"/);
    assert.match(await docker(["run", "--rm", TAG, "env"]), /^HOLOSCAN_VERSION=3\.1\.0$/m);
    assert.match(await docker(["run", "--rm", "--entrypoint", "id", TAG]), /^uid=1000\(holoscan\) gid=1000\(holoscan\)/);

    const exp = join(tmp.dir, "export");
    await mkdir(exp);
    await chown(exp, 1000, 1000);
    await docker(["run", "--rm", "-v", `${exp}:/var/run/holoscan/export`, TAG, "extract"]);
    assert.deepEqual((await readdir(exp)).sort(), ["app", "config", "docs", "models"]);
    assert.deepEqual((await readdir(join(exp, "config"))).sort(), ["app.json", "app.yaml", "pkg.json"]);
    assert.deepEqual((await readdir(join(exp, "models"))).sort(), ["cls", "models", "seg"]);
    assert.equal(await readFile(join(exp, "docs/README.md"), "utf8"), "docs/README.md\n");
    assert.equal(await readFile(join(exp, "app/__main__.py"), "utf8"), MAIN_PY);
  });

  it("replaces an `ubuntu` user at uid 1000 whose passwd is in a later layer: one user at the uid, right home and groups", async () => {
    // a base like Ubuntu 24.04's: ubuntu:1000 with a home, in sudo; account files in a second layer
    const layoutDir = await pythonBaseLayout();
    const py = await readOciLayoutImage(layoutDir, PYTHON_BASE_TAG);
    const passwd = "root:x:0:0:root:/root:/bin/bash\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n";
    const group = "root:x:0:\nsudo:x:27:ubuntu\nubuntu:x:1000:\n";
    const bytes = (path: string, s: string) => ({ type: "file" as const, path, mode: 0o644, size: Buffer.byteLength(s), source: { kind: "bytes" as const, data: Buffer.from(s) } });
    const layer = await writeLayer(
      [bytes("/etc/passwd", passwd), bytes("/etc/group", group), { type: "dir", path: "/home/ubuntu", mode: 0o750, uid: 1000, gid: 1000 }, { ...bytes("/home/ubuntu/.profile", "# ubuntu\n"), uid: 1000, gid: 1000 }],
      { compression: "gzip", tmpDir: tmp.dir, family: await imageFamily(py) },
    );
    const ubuntuBase = appendLayers(py, [{ layer, history: { created_by: "ubuntu user" } }]);
    const baseDir = join(tmp.dir, "ubuntu-base");
    await writeOciLayout(ubuntuBase, baseDir, { tag: "u" });

    await packageMap({ ...common, base: `oci:${baseDir}:u`, tag: "ubuntu_app:1", exactTag: true, sinks: [engineLoadSink(dockerd.host)] });
    const sh = (cmd: string) => docker(["run", "--rm", "--entrypoint", "sh", "ubuntu_app:1", "-c", cmd]);
    assert.equal(await sh("id"), "uid=1000(holoscan) gid=1000(holoscan) groups=1000(holoscan),27(sudo)\n");
    assert.equal(await sh("getent passwd 1000"), "holoscan:x:1000:1000::/home/holoscan:/bin/bash\n");
    assert.equal(await sh("getent passwd | grep -c ':1000:'"), "1\n");
    assert.equal(await sh("getent passwd ubuntu || echo none; ls -d /home/ubuntu 2>/dev/null || echo gone"), "none\ngone\n");
    assert.equal(await sh("stat -c '%u:%g %a' /home/holoscan /var/holoscan /var/holoscan/output"), "1000:1000 755\n1000:0 755\n1000:0 755\n");
  });
});
