/**
 * Pushing onto an `oci:` base, and onto a base in another (open) registry, so nothing authenticates
 * against the target before the parallel blob requests start, to
 * the real registry with htpasswd (Basic) and with token (Bearer) auth, credentials from each place
 * a CI user keeps them, 4 uploads in parallel. A recording proxy in front of each registry counts
 * the 401s: one per run (the first request's challenge, which the parallel ones wait for), never one per
 * request. Wrong and missing
 * credentials fail with exit 4 and two distinct messages, in the push preflight: before any layer
 * temp file or cache entry exists.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { buildEnv, inspectPushed, packageExample } from "../faults/setup.js";
import { runCli } from "../helpers/cli.js";
import { runOk } from "../helpers/run.js";
import { EXAMPLE_APP, EXAMPLE_MODEL } from "../package/fixtures.js";
import { pushPythonBase, pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from "../helpers/recording-proxy.js";
import { startRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { startTokenRegistry } from "../helpers/token-registry.js";

const USER = "alice";
const PASSWORD = "s3cret";
const b64 = (s: string) => Buffer.from(s).toString("base64");

type Place = "flags" | "env" | "auths" | "helper" | "containers-auth" | "authfile";
const PLACES: Place[] = ["flags", "env", "auths", "helper", "containers-auth", "authfile"];

interface Setup {
  host: string;
  proxy: RecordingProxy;
  stop(): Promise<void>;
}

for (const kind of ["htpasswd", "token"] as const) {
  describe(`push onto an oci: base, ${kind} registry, concurrent uploads`, () => {
    let s: Setup;
    let tmp: { dir: string; cleanup: () => Promise<void> };
    let base: string;
    let n = 0;

    before(async () => {
      tmp = await makeTempDir(`mb-push-auth-${kind}-`);
      base = `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`;
      if (kind === "htpasswd") {
        const reg = await startRegistry({ user: `${USER}:${PASSWORD}` });
        const proxy = await startRecordingProxy(reg.host);
        s = { host: proxy.host, proxy, stop: async () => (await proxy.stop(), await reg.stop()) };
      } else {
        const reg = await startTokenRegistry({ users: { [USER]: { password: PASSWORD } }, anonymousActions: [] });
        const proxy = await startRecordingProxy(reg.host);
        s = { host: proxy.host, proxy, stop: async () => (await proxy.stop(), await reg.stop()) };
      }
    });
    after(async () => {
      await s?.stop();
      await tmp?.cleanup();
    });

    /** A DOCKER_CONFIG dir holding `auths` for the registry, or a credential helper for it. */
    async function dockerConfig(place: "auths" | "helper" | "empty", password = PASSWORD): Promise<{ dir: string; path?: string }> {
      const dir = join(tmp.dir, `docker-${place}-${++n}`);
      await mkdir(join(dir, "bin"), { recursive: true });
      if (place === "empty") return { dir };
      const config = place === "auths" ? { auths: { [s.host]: { auth: b64(`${USER}:${password}`) } } } : { credHelpers: { [s.host]: "pushtest" } };
      await writeFile(join(dir, "config.json"), JSON.stringify(config));
      const helper = join(dir, "bin", "docker-credential-pushtest");
      await writeFile(helper, `#!/bin/sh\ncat >/dev/null\nprintf '{"Username":"${USER}","Secret":"${password}"}'\n`);
      await chmod(helper, 0o755);
      return { dir, path: `${join(dir, "bin")}:${process.env.PATH}` };
    }

    /** containers' auth.json (podman/skopeo login), the same `auths` format. */
    async function authJson(password = PASSWORD): Promise<string> {
      const file = join(tmp.dir, `auth-${++n}.json`);
      await writeFile(file, JSON.stringify({ auths: { [s.host]: { auth: b64(`${USER}:${password}`) } } }));
      return file;
    }

    const NO_CREDENTIAL_ENV = { MAP_BUILD_REGISTRY_USER: undefined, MAP_BUILD_REGISTRY_PASSWORD: undefined, MAP_BUILD_REGISTRY_HOST: undefined, REGISTRY_AUTH_FILE: undefined, XDG_RUNTIME_DIR: undefined };

    async function push(place: Place, extraArgs: string[] = []) {
      const tag = `${s.host}/apps/${place}-${++n}:1`;
      const docker = await dockerConfig(place === "auths" || place === "helper" ? place : "empty");
      const env: NodeJS.ProcessEnv = { DOCKER_CONFIG: docker.dir, ...NO_CREDENTIAL_ENV };
      if (docker.path) env.PATH = docker.path;
      if (place === "env") Object.assign(env, { MAP_BUILD_REGISTRY_USER: USER, MAP_BUILD_REGISTRY_PASSWORD: PASSWORD });
      if (place === "containers-auth") env.REGISTRY_AUTH_FILE = await authJson();
      const args = place === "authfile" ? ["--authfile", await authJson()] : place === "flags" ? ["--username", USER, "--password-stdin"] : [];
      const from = s.proxy.log.length;
      const r = await packageExample({ base, tag, output: ["--push"], env: buildEnv(tmp.dir, env), extraArgs: [...args, ...extraArgs], ...(place === "flags" ? { input: `${PASSWORD}\n` } : {}) });
      return { r, tag, log: s.proxy.log.slice(from) };
    }

    const unauthorized = (log: RecordedRequest[]) => log.filter((e) => e.status === 401).map((e) => `${e.method} ${e.path}`);

    for (const place of PLACES) {
      it(`credentials from ${place}: pushed, one 401 for the whole run`, async () => {
        const { r, tag, log } = await push(place);
        assert.equal(r.code, 0, r.stderr);
        const uploads = log.filter((e) => e.method === "POST" && /\/blobs\/uploads\/$/.test(e.path));
        assert.ok(uploads.length >= 4, `${uploads.length} uploads (the base layer, model, app and skeleton layers, 4 at a time)`);
        assert.equal(unauthorized(log).length, 1, unauthorized(log).join("\n"));
        const pushed = await inspectPushed(tag, `${USER}:${PASSWORD}`);
        assert.equal(r.stdout, `${tag}@${pushed.digest}\n`, "stdout is ref@digest");
      });
    }

    it("base in another registry: its layers are copied to the target with the target's credentials, one 401", async () => {
      const other = await startRegistry();
      try {
        const remoteBase = await pushPythonBase(other.host, "base/python", "3");
        const tag = `${s.host}/apps/cross-${++n}:1`;
        const from = s.proxy.log.length;
        const env = buildEnv(tmp.dir, { ...NO_CREDENTIAL_ENV, DOCKER_CONFIG: (await dockerConfig("empty")).dir, MAP_BUILD_REGISTRY_USER: USER, MAP_BUILD_REGISTRY_PASSWORD: PASSWORD, MAP_BUILD_REGISTRY_HOST: s.host });
        const r = await packageExample({ base: remoteBase, tag, output: ["--push"], env });
        assert.equal(r.code, 0, r.stderr);
        const log = s.proxy.log.slice(from);
        assert.equal(unauthorized(log).length, 1, unauthorized(log).join("\n"));
        const pushed = await inspectPushed(tag, `${USER}:${PASSWORD}`);
        const baseLayers = (await inspectPushed(remoteBase)).layers;
        assert.deepEqual(pushed.layers.slice(0, baseLayers.length), baseLayers, "the base's layers come first, unchanged");
        assert.equal(r.stdout, `${tag}@${pushed.digest}\n`);
      } finally {
        await other.stop();
      }
    });

    it("output contract: --digest-file, --metadata-file, --label and --annotation", { skip: kind === "token" ? "one registry suffices" : false }, async () => {
      const digestFile = join(tmp.dir, "digest.txt");
      const metadataFile = join(tmp.dir, "build.json");
      const source = "https://example.com/apps/word-score";
      const { r, tag } = await push("env", [
        "--digest-file", digestFile, "--metadata-file", metadataFile,
        "--label", "team=imaging", "--label", "org.opencontainers.image.source=" + source,
        "--annotation", "org.opencontainers.image.source=" + source, "--annotation", "org.opencontainers.image.revision=abc123",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const creds = ["--tls-verify=false", "--creds", `${USER}:${PASSWORD}`];
      const raw = await runOk("skopeo", ["inspect", "--raw", ...creds, `docker://${tag}`]);
      const digest = `sha256:${createHash("sha256").update(raw).digest("hex")}`;
      assert.equal(r.stdout, `${tag}@${digest}\n`);
      assert.equal(await readFile(digestFile, "utf8"), digest);
      const meta = JSON.parse(await readFile(metadataFile, "utf8")) as { digest: string; tag: string; outputs: { kind: string; digest?: string }[] };
      assert.equal(meta.digest, digest);
      assert.equal(meta.tag, tag);
      assert.equal(meta.outputs.find((o) => o.kind === "push")?.digest, digest);
      const annotations = (JSON.parse(raw) as { annotations?: Record<string, string> }).annotations ?? {};
      assert.equal(annotations["org.opencontainers.image.source"], source);
      assert.equal(annotations["org.opencontainers.image.revision"], "abc123");
      assert.match(annotations["org.opencontainers.image.base.digest"] ?? "", /^sha256:/);
      const labels = (JSON.parse(await runOk("skopeo", ["inspect", ...creds, `docker://${tag}`])) as { Labels: Record<string, string> }).Labels;
      assert.equal(labels.team, "imaging");
      assert.equal(labels["org.opencontainers.image.source"], source);
      assert.equal(labels.tag, tag, "the MAP's own labels stay");
    });

    it("two -t tags: both pushed with one upload of each blob, both resolve to one digest, one stdout line each, both in the tarball's RepoTags", { skip: kind === "token" ? "one registry suffices" : false }, async () => {
      const second = `${s.host}/apps/env-${n + 1}:also`;
      const tarball = join(tmp.dir, `two-tags-${n}.tar`);
      const { r, tag, log } = await push("env", ["-t", second, "--tarball", tarball]);
      assert.equal(r.code, 0, r.stderr);
      const [entry] = JSON.parse(await runOk("tar", ["-xOf", tarball, "manifest.json"])) as { RepoTags: string[] }[];
      assert.deepEqual(entry?.RepoTags, [tag, second]);
      const [a, b] = [await inspectPushed(tag, `${USER}:${PASSWORD}`), await inspectPushed(second, `${USER}:${PASSWORD}`)];
      assert.equal(b.digest, a.digest);
      assert.equal(r.stdout, `${tag}@${a.digest}\n${second}@${a.digest}\n`);
      // the SBOM and provenance (stored with the tarball, attached to the push) are blobs of their own
      const finished = log.filter((e) => e.method === "PUT" && /[?&]digest=/.test(e.path)).map((e) => decodeURIComponent(/[?&]digest=([^&]+)/.exec(e.path)![1]!));
      assert.equal(new Set(finished).size, finished.length, `each blob uploaded once: ${finished.join(" ")}`);
      for (const blob of [...a.layers, a.config]) assert.ok(finished.includes(blob), `${blob} uploaded`);
    });

    /**
     * A failing push as a child process with its own TMPDIR and cache dir, so "nothing was built"
     * can be checked: no map-build-* temp folder, no cache folder, no blob sent.
     */
    async function failingPush(place: "auths" | "none", password = PASSWORD) {
      const root = join(tmp.dir, `failing-${++n}`);
      await mkdir(join(root, "tmp"), { recursive: true });
      const docker = await dockerConfig(place === "none" ? "empty" : place, password);
      const tag = `${s.host}/apps/failing-${n}:1`;
      const from = s.proxy.log.length;
      const r = await runCli(["package", EXAMPLE_APP, "-m", EXAMPLE_MODEL, "-b", base, "-t", tag, "--no-sdk", "--push", ...(place === "none" ? ["--json"] : [])], {
        env: { ...buildEnv(root), ...NO_CREDENTIAL_ENV, TMPDIR: join(root, "tmp"), DOCKER_CONFIG: docker.dir },
      });
      assert.equal(r.code, ExitCode.auth, r.stderr);
      assert.deepEqual((await readdir(join(root, "tmp"))).filter((f) => f.startsWith("map-build-")), [], "no layer temp file");
      assert.deepEqual((await readdir(root)).sort(), ["tmp"], "no cache entry (the cache folder was never made)");
      const log = s.proxy.log.slice(from);
      assert.deepEqual(log.filter((e) => e.method === "PATCH" || e.method === "PUT"), [], "no blob sent");
      return { r, dockerConfig: docker.dir };
    }

    it("wrong password: exit 4 before any layer is written, 'credentials … were rejected (from: …)'", async () => {
      const { r, dockerConfig: dir } = await failingPush("auths", "not-the-password");
      assert.match(r.stderr, new RegExp(`error: credentials for ${s.host.replace(/\./g, "\\.")} were rejected \\(from: auths in ${dir}/config\\.json\\) \\[E_UNAUTHORIZED\\]`));
    });

    it("no credentials: exit 4 before any layer is written, 'no credentials found … (looked in: …)'", async () => {
      const { r, dockerConfig: dir } = await failingPush("none");
      assert.match(r.stderr, /error: no credentials found for 127\.0\.0\.1:\d+ \(looked in: MAP_BUILD_REGISTRY_USER\/PASSWORD, .*containers\/auth\.json, .*config\.json\) \[E_UNAUTHORIZED\]/);
      assert.ok(r.stderr.includes(`${dir}/config.json`), r.stderr);
      // --json: the failure is one JSON object on stdout too
      const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string; exitCode: number } };
      assert.equal(error.code, "E_UNAUTHORIZED");
      assert.equal(error.exitCode, ExitCode.auth);
      assert.match(error.message, /^no credentials found for /);
      assert.ok(error.hint.length > 0);
    });
  });
}
