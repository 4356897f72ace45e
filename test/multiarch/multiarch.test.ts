/**
 * Acceptance (issue 17): one build for linux/amd64 and linux/arm64 onto a real two-platform python
 * base (an index in a loopback registry), pushed as one OCI index. Shared layers (app, models,
 * manifests, pure wheels) are the same blobs on both platforms and are uploaded once (counted by a
 * recording proxy in front of the registry); the same build writes an OCI layout, a tarball and
 * loads the engine's platform; skopeo, umoci and inspect read every platform; the arm64 MAP
 * runs under qemu emulation in docker, the amd64 one natively. A requirement with only an x86_64
 * wheel fails the arm64 platform by name and pushes nothing. Each platform's manifest gets its own
 * SBOM and provenance (issue 19), and `inspect` checks every platform of an index by default. A
 * MAP 1.0 with Holoscan platform names (`x86_64,sbsa`) is one index too. One registry and one dockerd.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { pushPythonBaseMultiarch } from "../helpers/python-base.js";
import { startRecordingProxy, type RecordingProxy } from "../helpers/recording-proxy.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { run, runOk } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";
import { startReferrersServer } from "../sbom/referrers-server.js";
import { cycloneDx16Validator, isValid, schemaErrors } from "../sbom/schemas.js";
import { EXAMPLE_APP, EXAMPLE_INPUT, EXAMPLE_MODEL, EXPECTED_SCORES, exampleAppWithWheels } from "../package/fixtures.js";
import { FASTCALC_LINUX, writeWheel } from "../python/wheel-factory.js";
import { fixture } from "../helpers/fixtures.js";

interface Result {
  digest: string;
  mediaType: string;
  outputs: { kind: string; digest?: string }[];
  platforms: { platform: string; digest: string; layers: { role: string; digest: string }[] }[];
}
interface RawIndex {
  mediaType: string;
  manifests: { digest: string; platform: { os: string; architecture: string } }[];
}
interface Bom {
  metadata: { component: { hashes?: { content: string }[] } };
  components: { name: string; purl?: string }[];
}
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const ARTIFACT_TYPES = ["application/vnd.cyclonedx+json", "application/vnd.in-toto+json"];
const MAP1_FIXTURE = fixture("map1", "monai-module");

/** ELF e_machine of a file: 62 = x86-64, 183 = AArch64. */
async function elfMachine(file: string): Promise<number> {
  const f = await open(file);
  try {
    const b = Buffer.alloc(20);
    await f.read(b, 0, 20, 0);
    return b.readUInt16LE(18);
  } finally {
    await f.close();
  }
}

describe("multi-platform MAP: linux/amd64 + linux/arm64 in one index", () => {
  let registry: TestRegistry;
  let proxy: RecordingProxy;
  let dockerd: TestDockerd;
  let base: string;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let env: NodeJS.ProcessEnv;
  let app: string;
  let wheelhouse: string;
  const skopeo = (args: string[]) => runOk("skopeo", [args[0]!, "--tls-verify=false", ...args.slice(1)]);

  before(async () => {
    tmp = await makeTempDir("mb-multiarch-");
    env = { MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache"), SOURCE_DATE_EPOCH: undefined, MONAI_BASEIMAGE: undefined, DOCKER_HOST: undefined, PIP_CONFIG_FILE: "/dev/null" };
    for (const k of Object.keys(process.env)) if (k.startsWith("PIP_") && k !== "PIP_CONFIG_FILE") env[k] = undefined;
    env.PIP_NO_INDEX = "1"; // wheels from the wheelhouse only
    [registry, dockerd] = await Promise.all([startRegistry(), startDockerd()]);
    proxy = await startRecordingProxy(registry.host);
    base = await pushPythonBaseMultiarch(proxy.host);
    // the example app with a pure-Python requirement from a wheelhouse: one wheel for both platforms
    ({ app, wheelhouse } = await exampleAppWithWheels(tmp.dir, [FASTCALC_LINUX]));
  });
  after(async () => {
    await Promise.allSettled([proxy?.stop(), registry?.stop(), dockerd?.stop()]);
    await tmp?.cleanup();
  });

  const layout = () => join(tmp.dir, "layout");
  const tarball = () => join(tmp.dir, "ws.tar");
  const build = (tag: string, appDir: string, extra: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) =>
    runCli(["package", appDir, "-t", tag, "-m", EXAMPLE_MODEL, "-b", base, "--no-sdk", "--wheelhouse", wheelhouse, "--platform", "linux/amd64,linux/arm64", "--push", "--json", ...extra], { env: { ...env, ...extraEnv }, cwd: tmp.dir });

  let result: Result;
  const ref = () => `${proxy.host}/apps/ws:1.0`;

  it("--push: an index of two manifests; app/model/manifest/python layers shared and uploaded once", async () => {
    const from = proxy.log.length;
    const r = await build(ref(), app, ["--oci-layout", layout(), "--tarball", tarball(), "--load", "--sbom", join(tmp.dir, "ws.cdx.json"), "--provenance", join(tmp.dir, "ws.prov.json")], { DOCKER_HOST: dockerd.host });
    assert.equal(r.code, 0, r.stderr);
    result = JSON.parse(r.stdout) as Result;
    assert.equal(result.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.deepEqual(result.platforms.map((p) => p.platform), ["linux/amd64", "linux/arm64"]);
    assert.equal(result.outputs.find((o) => o.kind === "push")?.digest, result.digest);
    assert.equal(result.outputs.find((o) => o.kind === "oci-layout")?.digest, result.digest);
    assert.equal(result.outputs.find((o) => o.kind === "load")?.digest, result.platforms[0]!.digest, "--load: the engine's own platform");

    const raw = JSON.parse(await skopeo(["inspect", "--raw", `docker://${ref()}`])) as RawIndex;
    assert.equal(raw.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.deepEqual(raw.manifests.map((m) => [m.platform.os, m.platform.architecture, m.digest]), [
      ["linux", "amd64", result.platforms[0]!.digest],
      ["linux", "arm64", result.platforms[1]!.digest],
    ]);

    // every layer the MAP adds is the same blob on both platforms (the base's differ)
    const [amd, arm] = result.platforms.map((p) => p.layers) as [Result["platforms"][0]["layers"], Result["platforms"][0]["layers"]];
    assert.deepEqual(amd.map((l) => l.role), ["base", "python-deps", "model:word_weights", "app", "map"]);
    assert.deepEqual(arm.map((l) => l.role), amd.map((l) => l.role));
    assert.notEqual(arm[0]!.digest, amd[0]!.digest, "the base layers are per platform");
    for (let i = 1; i < amd.length; i++) assert.equal(arm[i]!.digest, amd[i]!.digest, `${amd[i]!.role} shared`);

    // uploads into apps/ws, counted at the proxy: an upload ends with PUT ?digest= (the data went by PATCH before it)
    const uploads = proxy.log.slice(from).filter((q) => q.method === "PUT" && q.path.startsWith("/v2/apps/ws/blobs/uploads/") && q.status === 201);
    const patched = proxy.log.slice(from).filter((q) => q.method === "PATCH" && q.path.startsWith("/v2/apps/ws/blobs/uploads/"));
    assert.equal(patched.length, uploads.length, "one data transfer per finished upload");
    for (const layer of amd.slice(1)) {
      const sent = uploads.filter((q) => q.path.includes(encodeURIComponent(layer.digest)) || q.path.includes(layer.digest));
      assert.equal(sent.length, 1, `${layer.role} ${layer.digest} uploaded once, saw ${sent.length}`);
    }
    const baseUploads = uploads.filter((q) => [amd[0]!.digest, arm[0]!.digest].some((d) => q.path.includes(d) || q.path.includes(encodeURIComponent(d))));
    assert.equal(baseUploads.length, 0, "base layers are mounted or found, never uploaded");

    const arm64 = JSON.parse(await skopeo(["inspect", "--override-arch", "arm64", `docker://${ref()}`])) as { Architecture: string };
    assert.equal(arm64.Architecture, "arm64");
    const amd64 = JSON.parse(await skopeo(["inspect", "--override-arch", "amd64", `docker://${ref()}`])) as { Architecture: string };
    assert.equal(amd64.Architecture, "amd64");
  });

  it("umoci unpacks each platform: the app and the base's python for that machine", async () => {
    assert.ok(result, "needs the pushed index");
    // the --oci-layout output: the index under 1.0, each platform also under 1.0-<arch>
    assert.equal(JSON.parse(await runOk("skopeo", ["inspect", "--raw", `oci:${layout()}:1.0`])).manifests.length, 2);
    for (const [p, machine] of [[result.platforms[0]!, 62], [result.platforms[1]!, 183]] as const) {
      const arch = p.platform.split("/")[1]!;
      const bundle = join(tmp.dir, `bundle-${arch}`);
      await runOk("umoci", ["unpack", "--rootless", "--image", `${layout()}:1.0-${arch}`, bundle]);
      const rootfs = join(bundle, "rootfs");
      assert.match(await readFile(join(rootfs, "opt/monai/app/app.py"), "utf8"), /word/);
      assert.equal(await readFile(join(rootfs, "opt/monai/app/requirements.txt"), "utf8"), "greet==1.0\n");
      assert.equal(await elfMachine(join(rootfs, "usr/bin/python3.11")), machine, `${p.platform} python3 is for its machine`);
    }
  });

  it("--load loaded the engine's platform; the tarball loads one image per platform, <tag>-<arch>", async () => {
    assert.ok(result, "needs the build");
    const loaded = await dockerd.docker(["image", "inspect", "-f", "{{.Architecture}} {{.Id}}", ref()]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout.trim().split(" ")[0], "amd64");
    const load = await dockerd.docker(["load", "-i", tarball()]);
    assert.equal(load.code, 0, load.stderr);
    for (const arch of ["amd64", "arm64"]) {
      assert.match(load.stdout, new RegExp(`Loaded image: ${ref().replace(/[.]/g, "\\.")}-${arch}`));
      const a = await dockerd.docker(["image", "inspect", "-f", "{{.Architecture}}", `${ref()}-${arch}`]);
      assert.equal(a.stdout.trim(), arch);
    }
  });

  /** The referrers the registry (2.8: the `sha256-<hex>` fallback tag) lists for a manifest. */
  const referrersOf = async (repo: string, digest: string) => {
    const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/sha256-${digest.slice(7)}`, { headers: { accept: OCI_INDEX } });
    assert.equal(res.status, 200, `referrers of ${digest}`);
    return ((await res.json()) as { manifests: { digest: string; artifactType: string }[] }).manifests;
  };

  it("each platform's manifest has its own SBOM and provenance: files, registry, layout, inspect --sbom", async () => {
    assert.ok(result, "needs the build");
    const attachedInLayout = (JSON.parse(await readFile(join(layout(), "index.json"), "utf8")) as { manifests: { digest: string; artifactType?: string }[] }).manifests.filter((m) => m.artifactType);
    for (const p of result.platforms) {
      const tag = p.platform.replace("/", "-");
      const bom = JSON.parse(await readFile(join(tmp.dir, `ws.${tag}.cdx.json`), "utf8")) as Bom;
      assert.ok(isValid(cycloneDx16Validator(), bom), schemaErrors(cycloneDx16Validator()));
      assert.equal(bom.metadata.component.hashes?.[0]?.content, p.digest.slice(7), `${p.platform} SBOM names its own manifest`);
      assert.ok(bom.components.some((c) => c.purl === "pkg:pypi/greet@1.0"));
      const prov = JSON.parse(await readFile(join(tmp.dir, `ws.${tag}.prov.json`), "utf8")) as { subject: { digest: { sha256: string } }[] };
      assert.equal(prov.subject[0]!.digest.sha256, p.digest.slice(7));
      const listed = await referrersOf("apps/ws", p.digest);
      assert.deepEqual(listed.map((m) => m.artifactType).sort(), ARTIFACT_TYPES, p.platform);
      for (const m of listed) assert.ok(attachedInLayout.some((a) => a.digest === m.digest), `${p.platform} ${m.artifactType} listed in the OCI layout`);
    }
    assert.equal(attachedInLayout.length, 4);
    const push = result.outputs.find((o) => o.kind === "push") as { referrers?: { digests: string[]; via: string } };
    assert.equal(push.referrers?.via, "tag");
    assert.equal(push.referrers?.digests.length, 4);

    // inspect --sbom of the index: every platform's SBOM, named by platform
    const r = await runCli(["inspect", ref(), "--sbom", "--json"], { env, cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const sboms = JSON.parse(r.stdout) as { platform: string; sbom: Bom }[];
    assert.deepEqual(sboms.map((s) => [s.platform, s.sbom.metadata.component.hashes?.[0]?.content]), result.platforms.map((p) => [p.platform, p.digest.slice(7)]));
    const arm = await runCli(["inspect", ref(), "--sbom", "--platform", "linux/arm64"], { env, cwd: tmp.dir });
    assert.equal(arm.code, 0, arm.stderr);
    assert.equal(arm.stdout.slice(arm.stdout.indexOf("\n") + 1), await readFile(join(tmp.dir, "ws.linux-arm64.cdx.json"), "utf8"));
  });

  it("a registry with the referrers API: each platform's artifacts go through it, no fallback tag", async () => {
    const api = await startReferrersServer(registry.host);
    try {
      const r = await build(`${api.host}/apps/api:1.0`, app);
      assert.equal(r.code, 0, r.stderr);
      const pushed = JSON.parse(r.stdout) as Omit<Result, "outputs"> & { outputs: { kind: string; referrers?: { via: string } }[] };
      assert.equal(pushed.outputs.find((o) => o.kind === "push")?.referrers?.via, "api");
      for (const p of pushed.platforms) {
        const res = await fetch(`http://${api.host}/v2/apps/api/referrers/${p.digest}`);
        const listed = ((await res.json()) as { manifests: { artifactType: string }[] }).manifests;
        assert.deepEqual(listed.map((m) => m.artifactType).sort(), ARTIFACT_TYPES, p.platform);
      }
      const tags = (await (await fetch(`http://${registry.host}/v2/apps/api/tags/list`)).json()) as { tags: string[] };
      assert.deepEqual(tags.tags, ["1.0"]);
    } finally {
      await api.stop();
    }
  });

  it("inspect checks every platform of an index by default", async () => {
    assert.ok(result, "needs the pushed index");
    const r = await runCli(["inspect", ref(), "--no-sdk", "--json"], { env, cwd: tmp.dir });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as { ok: boolean; platforms: { platform: string; ok: boolean; digest: string }[] };
    assert.ok(report.ok);
    assert.deepEqual(report.platforms.map((p) => [p.platform, p.ok, p.digest]), result.platforms.map((p) => [p.platform, true, p.digest]));
  });

  it("docker runs the arm64 MAP under emulation and the amd64 one natively", async () => {
    assert.ok(result, "needs the pushed index");
    for (const platform of ["linux/arm64", "linux/amd64"]) {
      const pull = await dockerd.docker(["pull", "--platform", platform, ref()], { timeoutMs: 120_000 });
      assert.equal(pull.code, 0, pull.stderr);
      const arch = await dockerd.docker(["image", "inspect", "-f", "{{.Architecture}}", ref()]);
      assert.equal(arch.stdout.trim(), platform.split("/")[1]);
      const out = join(tmp.dir, `out-${platform.replace("/", "-")}`);
      await mkdir(out);
      const r = await dockerd.docker(["run", "--rm", "--network", "none", "--platform", platform,
        "-v", `${EXAMPLE_INPUT}:/var/monai/input:ro`, "-v", `${out}:/var/monai/output`, ref()], { timeoutMs: 180_000 });
      assert.equal(r.code, 0, `${platform}: ${r.stdout}\n${r.stderr}`);
      assert.equal(await readFile(join(out, "scores.csv"), "utf8"), EXPECTED_SCORES, platform);
      const machine = await dockerd.docker(["run", "--rm", "--network", "none", "--platform", platform, "--entrypoint", "uname", ref(), "-m"]);
      assert.equal(machine.stdout.trim(), platform.endsWith("arm64") ? "aarch64" : "x86_64");
    }
  });

  it("MAP 1.0 with Holoscan platforms x86_64,sbsa: one index, holoscan-cli tags per platform, labels, annotations, attestations", async () => {
    const m1 = join(tmp.dir, "m1_app");
    await mkdir(m1);
    await writeFile(join(m1, "__main__.py"), "print('hi')\n");
    const wheels = join(tmp.dir, "m1-wheels");
    await mkdir(wheels);
    await writeWheel(wheels, { name: "monai-deploy-app-sdk", version: "3.0.0", files: { "monai/deploy/__init__.py": "" }, requires: ["holoscan"] });
    await writeWheel(wheels, { name: "holoscan", version: "3.1.0", files: { "holoscan/__init__.py": "" } });
    await writeWheel(wheels, { name: "scikit-image", version: "0.20.0", files: { "skimage/__init__.py": "" } });
    const m1Tar = join(tmp.dir, "m1.tar");
    const from = proxy.log.length;
    const r = await runCli(["package", m1, "-c", join(MAP1_FIXTURE, "app.yaml"), "-t", `${proxy.host}/apps/m1`, "--platform", "x86_64,sbsa", "-m", EXAMPLE_MODEL,
      "--base-image", base, "--wheelhouse", wheels, "--label", "org.example.team=imaging", "--annotation", "org.opencontainers.image.source=https://example.com/m1",
      "--push", "--tarball", m1Tar, "--sbom", join(tmp.dir, "m1.cdx.json"), "--json"], { env, cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const m1Result = JSON.parse(r.stdout) as Omit<Result, "platforms"> & { tag: string; platforms: (Result["platforms"][number] & { tag: string })[] };
    assert.equal(m1Result.tag, `${proxy.host}/apps/m1:1.0`);
    assert.equal(m1Result.mediaType, OCI_INDEX);
    assert.deepEqual(m1Result.platforms.map((p) => [p.platform, p.tag]), [
      ["linux/amd64", `${proxy.host}/apps-m1-x64-workstation-dgpu-linux-amd64:1.0`],
      ["linux/arm64", `${proxy.host}/apps-m1-sbsa-dgpu-linux-arm64:1.0`],
    ]);
    const [amd, arm] = m1Result.platforms.map((p) => new Map(p.layers.map((l) => [l.role, l.digest])));
    const uploads = proxy.log.slice(from).filter((q) => q.method === "PUT" && q.path.startsWith("/v2/apps/m1/blobs/uploads/") && q.status === 201);
    for (const role of ["model:word_weights", "app"]) {
      const digest = amd!.get(role)!;
      assert.equal(arm!.get(role), digest, `${role} shared`);
      assert.equal(uploads.filter((q) => q.path.includes(digest) || q.path.includes(encodeURIComponent(digest))).length, 1, `${role} uploaded once`);
    }

    const raw = JSON.parse(await skopeo(["inspect", "--raw", `docker://${m1Result.tag}`])) as RawIndex;
    assert.deepEqual(raw.manifests.map((m) => m.platform.architecture), ["amd64", "arm64"]);
    for (const p of m1Result.platforms) {
      const manifest = JSON.parse(await skopeo(["inspect", "--raw", `docker://${proxy.host}/apps/m1@${p.digest}`])) as { annotations?: Record<string, string> };
      assert.equal(manifest.annotations?.["org.opencontainers.image.source"], "https://example.com/m1");
      assert.deepEqual((await referrersOf("apps/m1", p.digest)).map((m) => m.artifactType).sort(), ARTIFACT_TYPES, p.platform);
      const bom = JSON.parse(await readFile(join(tmp.dir, `m1.${p.platform.replace("/", "-")}.cdx.json`), "utf8")) as Bom;
      assert.ok(isValid(cycloneDx16Validator(), bom), schemaErrors(cycloneDx16Validator()));
      assert.equal(bom.metadata.component.hashes?.[0]?.content, p.digest.slice(7));
      assert.ok(bom.components.some((c) => c.name === "monai-deploy-app-sdk"));
    }
    const armConfig = JSON.parse(await skopeo(["inspect", "--override-arch", "arm64", `docker://${m1Result.tag}`])) as { Architecture: string; Labels: Record<string, string> };
    assert.equal(armConfig.Architecture, "arm64");
    assert.equal(armConfig.Labels["org.example.team"], "imaging");
    assert.equal(armConfig.Labels.tag, m1Result.platforms[1]!.tag);

    // docker load names each platform's image as holoscan-cli did
    const load = await dockerd.docker(["load", "-i", m1Tar]);
    assert.equal(load.code, 0, load.stderr);
    for (const p of m1Result.platforms) assert.ok(load.stdout.includes(`Loaded image: ${p.tag}`), load.stdout);

    // inspect runs the MAP 1.0 checklist on both platforms
    const insp = await runCli(["inspect", m1Result.tag, "--json"], { env, cwd: tmp.dir });
    assert.equal(insp.code, 0, `${insp.stdout}\n${insp.stderr}`);
    const report = JSON.parse(insp.stdout) as { platforms: { platform: string; checklist: string; verdict: string }[] };
    assert.deepEqual(report.platforms.map((p) => [p.platform, p.verdict]), [["linux/amd64", "conforms"], ["linux/arm64", "conforms"]]);
    assert.match(report.platforms[0]!.checklist, /MAP 1\.0/);
  });

  it("MAP 1.0 refuses two Holoscan platforms of one architecture in one index", async () => {
    const r = await runCli(["package", app, "-c", join(MAP1_FIXTURE, "app.yaml"), "-t", "x", "--platform", "sbsa,jetson", "--base-image", base, "--oci-layout", join(tmp.dir, "never")], { env, cwd: tmp.dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /sbsa and jetson are both linux\/arm64/);
  });

  it("an x86_64-only wheel fails the arm64 platform by name and missing tag; nothing is pushed", async () => {
    const native = join(tmp.dir, "app-native");
    await cp(EXAMPLE_APP, native, { recursive: true });
    await writeFile(join(native, "requirements.txt"), "fastcalc==2.0\n");
    const from = proxy.log.length;
    const r = await build(`${proxy.host}/apps/native:1.0`, native);
    assert.notEqual(r.code, 0, "the build must fail");
    assert.match(r.stderr, /linux\/arm64/);
    assert.match(r.stderr, /fastcalc/);
    assert.match(r.stderr, /aarch64/, `names the missing platform tag: ${r.stderr}`);
    // the push preflight may open and cancel an upload (POST, DELETE); no blob data and no manifest
    const written = proxy.log.slice(from).filter((q) => q.path.startsWith("/v2/apps/native/") && (q.method === "PUT" || q.method === "PATCH"));
    assert.deepEqual(written.map((q) => `${q.method} ${q.path}`), [], "nothing was written to the target repository");
    const gone = await run("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${proxy.host}/apps/native:1.0`]);
    assert.notEqual(gone.code, 0);
  });
});
