/**
 * Acceptance (issue 6): the example app, folder form and single-file form, built by the real CLI
 * onto the python base pulled from a loopback registry, runs in docker and writes the expected
 * scores; pushed with --push, pulled back by docker, it runs the same, and the digest the CLI
 * prints (plain and --json) is the one the registry reports.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { runOk } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";
import { EXAMPLE_APP, EXAMPLE_APP_FILE, EXAMPLE_INPUT, EXAMPLE_MODEL, EXPECTED_SCORES } from "./fixtures.js";

describe("map-build package: the example runs in docker", () => {
  let registry: TestRegistry;
  let dockerd: TestDockerd;
  let base: string;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let env: NodeJS.ProcessEnv;

  before(async () => {
    tmp = await makeTempDir("mb-pkg-run-");
    env = { MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache"), SOURCE_DATE_EPOCH: undefined, MONAI_BASEIMAGE: undefined, DOCKER_HOST: undefined };
    [registry, dockerd] = await Promise.all([startRegistry(), startDockerd()]);
    base = await pushPythonBase(registry.host);
  });
  after(async () => {
    await Promise.allSettled([registry?.stop(), dockerd?.stop()]);
    await tmp?.cleanup();
  });

  /** docker run --network none with the example's input and a fresh output dir at the working dir's input/output. */
  async function runImage(image: string, name: string): Promise<string> {
    const out = join(tmp.dir, `out-${name}`);
    await mkdir(out);
    const r = await dockerd.docker([
      "run", "--rm", "--network", "none",
      "-v", `${EXAMPLE_INPUT}:/var/monai/input:ro`,
      "-v", `${out}:/var/monai/output`,
      image,
    ]);
    assert.equal(r.code, 0, `docker run ${image} failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /scored 2 file\(s\) with 6 weights/);
    return readFile(join(out, "scores.csv"), "utf8");
  }

  async function buildTarball(app: string, tag: string, file: string): Promise<string> {
    const r = await runCli(["package", app, "-t", tag, "-m", EXAMPLE_MODEL, "-b", base, "--no-sdk", "--tarball", file], { env, cwd: tmp.dir });
    assert.equal(r.code, 0, `build failed:\n${r.stderr}`);
    const digest = r.stdout.trim();
    assert.match(digest, /^sha256:[0-9a-f]{64}$/, `stdout should be the digest alone, got ${JSON.stringify(r.stdout)}`);
    assert.ok((await stat(join(tmp.dir, file))).size > 0);
    return digest;
  }

  it("folder form: --tarball, docker load, docker run writes scores.csv", async () => {
    await buildTarball(EXAMPLE_APP, "localhost/word-score:1.0", "ws.tar");
    // the static checklist through `map-build inspect` (the SDK items do not apply with --no-sdk)
    const inspect = await runCli(["inspect", `docker-archive:${join(tmp.dir, "ws.tar")}`, "--no-sdk"], { env, cwd: tmp.dir });
    assert.equal(inspect.code, 0, `inspect: ${inspect.stdout}\n${inspect.stderr}`);
    const load = await dockerd.docker(["load", "-i", join(tmp.dir, "ws.tar")]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /Loaded image: localhost\/word-score:1\.0/);
    assert.equal(await runImage("localhost/word-score:1.0", "folder"), EXPECTED_SCORES);
  });

  it("single-file form: only app.py is packaged and runs", async () => {
    await buildTarball(EXAMPLE_APP_FILE, "localhost/word-score-file:1.0", "ws-file.tar");
    const load = await dockerd.docker(["load", "-i", join(tmp.dir, "ws-file.tar")]);
    assert.equal(load.code, 0, load.stderr);
    assert.equal(await runImage("localhost/word-score-file:1.0", "file"), EXPECTED_SCORES);
    // the sibling __main__.py is not copied; the command runs app.py
    const ls = await dockerd.docker(["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", "localhost/word-score-file:1.0", "-c", "ls -A /opt/monai/app; cat /etc/monai/app.json"]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(ls.stdout.split("{")[0]!.trim().split("\n").sort(), ["app.py", "requirements.txt"]);
    assert.match(ls.stdout, /"command": "python3 -u \/opt\/monai\/app\/app\.py"/);
  });

  it("--push: docker pull from the loopback registry runs the same; printed digests are the registry's", async () => {
    const ref = `${registry.host}/apps/word-score:1.0`;
    const json = await runCli(["package", EXAMPLE_APP, "-t", ref, "-m", EXAMPLE_MODEL, "-b", base, "--no-sdk", "--push", "--json"], { env, cwd: tmp.dir });
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout) as { digest: string; tag: string; outputs: { kind: string; target: string; digest?: string }[] };
    const inspected = JSON.parse(await runOk("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`])) as { Digest: string };
    assert.equal(result.digest, inspected.Digest);
    assert.equal(result.tag, ref);
    const push = result.outputs.find((o) => o.kind === "push");
    assert.equal(push?.digest, inspected.Digest);
    // HEAD on the manifest: the registry's own Docker-Content-Digest
    const head = await fetch(`http://${registry.host}/v2/apps/word-score/manifests/1.0`, {
      method: "HEAD",
      headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
    });
    assert.equal(head.headers.get("docker-content-digest"), result.digest);

    // plain mode: ref@digest on stdout; a rebuild of the same inputs pushes the same digest
    const plain = await runCli(["package", EXAMPLE_APP, "-t", ref, "-m", EXAMPLE_MODEL, "-b", base, "--no-sdk", "--push"], { env, cwd: tmp.dir });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, `${ref}@${inspected.Digest}\n`);

    const pull = await dockerd.docker(["pull", ref]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(`Digest: ${inspected.Digest}`));
    assert.equal(await runImage(ref, "pushed"), EXPECTED_SCORES);
  });

  it("no output flag: loaded into the engine at DOCKER_HOST; with no engine answering, ./<name>-<tag>.tar", async () => {
    const cwd = join(tmp.dir, "default-output");
    await mkdir(cwd);
    const tag = "localhost/word-score-default:1.0";
    const args = ["package", EXAMPLE_APP, "-t", tag, "-m", EXAMPLE_MODEL, "-b", base, "--no-sdk"];
    const loaded = await runCli(args, { env: { ...env, DOCKER_HOST: dockerd.host }, cwd });
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(loaded.stderr, /loading into the Docker engine/);
    assert.deepEqual(await readdir(cwd), []);
    assert.equal(await runImage(tag, "default-load"), EXPECTED_SCORES);

    const none = await runCli(args, { env: { ...env, DOCKER_HOST: `unix://${join(tmp.dir, "no-engine.sock")}` }, cwd });
    assert.equal(none.code, 0, none.stderr);
    assert.deepEqual(await readdir(cwd), ["word-score-default-1.0.tar"]);
    assert.equal(none.stdout, loaded.stdout, "same image either way");

    // explicit --load with -q: nothing but the digest
    const explicit = await runCli([...args, "--load", "-q"], { env: { ...env, DOCKER_HOST: dockerd.host }, cwd });
    assert.equal(explicit.code, 0, explicit.stderr);
    assert.equal(explicit.stderr, "");
    assert.equal(explicit.stdout, loaded.stdout);
  });

  it("non-default layout flags hold at run time; --timeout stops a slow app with a non-zero status", async () => {
    const tag = "localhost/word-score-layout:1.0";
    const tar = "ws-layout.tar";
    const r = await runCli(["package", EXAMPLE_APP, "-t", tag, "-m", EXAMPLE_MODEL, "-b", base, "--no-sdk", "--tarball", tar,
      "-w", "/srv/work", "-i", "scans", "-o", "/results", "--models-dir", "/models", "--timeout", "60"], { env, cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await dockerd.docker(["load", "-i", join(tmp.dir, tar)])).code, 0);
    const out = join(tmp.dir, "out-layout");
    await mkdir(out);
    const run = await dockerd.docker(["run", "--rm", "--network", "none", "-v", `${EXAMPLE_INPUT}:/srv/work/scans:ro`, "-v", `${out}:/results`, tag]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(await readFile(join(out, "scores.csv"), "utf8"), EXPECTED_SCORES);
    const pwd = await dockerd.docker(["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", tag, "-c", "pwd; ls /models/word_weights"]);
    assert.equal(pwd.stdout, "/srv/work\nword_weights.tsv\n");

    const slowDir = join(tmp.dir, "slow");
    await mkdir(slowDir);
    await writeFile(join(slowDir, "slow.py"), "import time\n\nif __name__ == \"__main__\":\n    print('working', flush=True)\n    time.sleep(60)\n    print('finished', flush=True)\n");
    const slowTag = "localhost/slow:1";
    const b = await runCli(["package", join(slowDir, "slow.py"), "-t", slowTag, "-b", base, "--no-sdk", "--timeout", "2", "--tarball", "slow.tar"], { env, cwd: tmp.dir });
    assert.equal(b.code, 0, b.stderr);
    assert.equal((await dockerd.docker(["load", "-i", join(tmp.dir, "slow.tar")])).code, 0);
    const slow = await dockerd.docker(["run", "--rm", "--network", "none", slowTag]);
    assert.equal(slow.stdout, "working\n", "the timeout stopped the app before it finished");
    assert.notEqual(slow.code, 0, "a timed-out app is a failure");
  });
});
