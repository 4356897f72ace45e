/**
 * Secrets never reach the output. Builds (pushing, so the credentials are used for pull and push)
 * run with credentials in each supported place — --username/--password-stdin, MAP_BUILD_REGISTRY_*,
 * docker config.json `auths` (base64 `auth`), a docker credential helper on PATH — against a real
 * registry, in normal, --verbose, --json, -l DEBUG and failing runs (wrong secret, unknown base).
 * NGC_API_KEY is set in every run too (it is for nvcr.io only, which tests never reach, so here it
 * checks that the key is never echoed). All stdout and stderr is searched for each secret, its
 * base64 forms, and any Basic/Bearer credential or JWT. The docker config files' bytes and mtimes
 * must be unchanged afterwards.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { startRegistry } from "../helpers/registry.js";
import { startTokenRegistry } from "../helpers/token-registry.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { leftovers, makeSandbox, runMb, type MbResult, type Sandbox } from "./runner.js";

const EXAMPLE_APP = resolve(import.meta.dirname, "../../examples/word_score_app");
const USER = "alice";

type Place = "stdin" | "env" | "auths" | "helper";
type Mode = "normal" | "verbose" | "json" | "debug" | "wrong-secret" | "unknown-base";
const PLACES: Place[] = ["stdin", "env", "auths", "helper"];
const MODES: Mode[] = ["normal", "verbose", "json", "debug", "wrong-secret", "unknown-base"];
/** stdin and env in every mode, auths and helper in four. */
const RUNS = 2 * MODES.length + 2 * 4;

const b64 = (s: string) => Buffer.from(s).toString("base64");

export function describeSecrets(kind: "htpasswd" | "token"): void {
  describe(`secrets never printed (${kind} registry)`, { concurrency: 4 }, () => {
    const secret = `Sekr1t-${kind}-${randomBytes(8).toString("hex")}`;
    const wrong = `Wr0ng-${kind}-${randomBytes(8).toString("hex")}`;
    const ngcKey = `nvapi-${randomBytes(16).toString("hex")}`;
    let sb: Sandbox;
    let host: string;
    let baseRef: string;
    let stop: () => Promise<void>;
    const configs: Record<"auths" | "helper" | "auths-wrong" | "helper-wrong", string> = { auths: "", helper: "", "auths-wrong": "", "helper-wrong": "" };
    const before_: Record<string, { bytes: Buffer; mtimeMs: number }> = {};
    const outputs: { label: string; r: MbResult }[] = [];
    let allRunsDone!: () => void;
    const allRuns = new Promise<void>((resolve) => (allRunsDone = resolve));

    before(async () => {
      sb = await makeSandbox();
      if (kind === "htpasswd") {
        const reg = await startRegistry({ user: `${USER}:${secret}` });
        host = reg.host;
        stop = reg.stop;
      } else {
        const reg = await startTokenRegistry({ users: { [USER]: { password: secret } }, anonymousActions: [] });
        host = reg.host;
        stop = reg.stop;
      }
      baseRef = await pushPythonBase(host, "private/python", "3", `${USER}:${secret}`);
      // one DOCKER_CONFIG dir per place, so each run exercises exactly one source of credentials
      for (const [name, pw] of [
        ["auths", secret],
        ["auths-wrong", wrong],
        ["helper", secret],
        ["helper-wrong", wrong],
      ] as const) {
        const dir = join(sb.root, `docker-${name}`);
        await mkdir(join(dir, "bin"), { recursive: true });
        const config = name.startsWith("auths")
          ? { auths: { [host]: { auth: b64(`${USER}:${pw}`) } } }
          : { auths: { [host]: {} }, credHelpers: { [host]: "robtest" } };
        await writeFile(join(dir, "config.json"), JSON.stringify(config, null, 2));
        const helper = join(dir, "bin", "docker-credential-robtest");
        await writeFile(helper, `#!/bin/sh\ncat >/dev/null\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${pw}"}' "${host}"\n`);
        await chmod(helper, 0o755);
        configs[name] = dir;
        const st = await stat(join(dir, "config.json"));
        before_[dir] = { bytes: await readFile(join(dir, "config.json")), mtimeMs: st.mtimeMs };
      }
    });
    after(async () => {
      await stop?.();
      await sb?.cleanup();
    });

    async function build(place: Place, mode: Mode): Promise<MbResult> {
      const pw = mode === "wrong-secret" ? wrong : secret;
      const tag = `${host}/out/${place}-${mode}:1`;
      const base = mode === "unknown-base" ? `${host}/private/python:no-such-tag` : baseRef;
      const args = ["package", EXAMPLE_APP, "-t", tag, "-b", base, "--no-sdk", "--push"];
      if (mode === "verbose") args.unshift("--verbose");
      if (mode === "debug") args.unshift("-l", "DEBUG");
      if (mode === "json") args.push("--json");
      const env: NodeJS.ProcessEnv = { NGC_API_KEY: ngcKey };
      let input: string | undefined;
      let docker = sb.dockerConfig; // empty
      if (place === "stdin") {
        args.push("--username", USER, "--password-stdin");
        input = `${pw}\n`;
      } else if (place === "env") {
        Object.assign(env, { MAP_BUILD_REGISTRY_USER: USER, MAP_BUILD_REGISTRY_PASSWORD: pw });
      } else {
        docker = configs[`${place}${mode === "wrong-secret" ? "-wrong" : ""}`];
        if (place === "helper") env.PATH = `${join(docker, "bin")}:${process.env.PATH}`;
      }
      env.DOCKER_CONFIG = docker;
      // no timeout of our own: the runner's hang guard is sized for a loaded CI machine (a 90 s one
      // killed healthy pushes at load 40 while four ran at once)
      const r = await runMb(sb, args, { env, input });
      outputs.push({ label: `${place}/${mode}`, r });
      if (outputs.length === RUNS) allRunsDone();
      return r;
    }

    for (const place of PLACES) {
      // -l DEBUG and an unknown base are the same code paths whatever the source: two places suffice
      for (const mode of MODES.filter((m) => !(place === "auths" || place === "helper") || (m !== "debug" && m !== "unknown-base"))) {
        const want = mode === "wrong-secret" ? ExitCode.auth : mode === "unknown-base" ? ExitCode.notFound : 0;
        it(`${place}, ${mode} → exit ${want}, no secret in the output`, async () => {
          const r = await build(place, mode);
          assert.equal(r.code, want, `exit status\n${r.stderr}`);
          if (mode === "json") assert.equal(JSON.parse(r.stdout).tag, `${host}/out/${place}-${mode}:1`);
          assertNoSecret(r, `${place}/${mode}`);
        });
      }
    }

    function assertNoSecret(r: MbResult, label: string): void {
      const text = `${r.stdout}\n${r.stderr}`;
      const needles = [secret, wrong, ngcKey];
      for (const s of needles) {
        for (const form of [s, b64(s), b64(`${USER}:${s}`), b64(`$oauthtoken:${s}`), encodeURIComponent(s)]) {
          assert.ok(!text.includes(form), `${label}: a secret (or its base64) was printed`);
        }
      }
      assert.doesNotMatch(text, /Basic\s+[A-Za-z0-9+/=]{6,}/, `${label}: a Basic credential was printed`);
      assert.doesNotMatch(text, /Bearer\s+[\w.~+/-]{10,}/, `${label}: a bearer token was printed`);
      assert.doesNotMatch(text, /eyJ[\w-]{10,}\.[\w-]{10,}/, `${label}: a JWT was printed`);
    }

    it("all runs together: every mode printed something, and the docker config files are untouched", async () => {
      // runs after the others (describe-level concurrency still starts tests in order): wait for the
      // last build to report, not for a time
      await allRuns;
      assert.equal(outputs.length, RUNS);
      // the search itself works
      assert.throws(() => assertNoSecret({ code: 0, signal: null, stdout: "", stderr: `x ${b64(`${USER}:${secret}`)} y` }, "self-test"));
      for (const { label, r } of outputs) assertNoSecret(r, label);
      const verbose = outputs.find((o) => o.label === "env/verbose")!;
      assert.ok(verbose.r.stderr.length > 200, "verbose runs do print (so the search means something)");
      const failing = outputs.find((o) => o.label === "auths/wrong-secret")!;
      assert.match(failing.r.stderr, /\[E_UNAUTHORIZED\]/);
      for (const [dir, was] of Object.entries(before_)) {
        const file = join(dir, "config.json");
        assert.deepEqual(await readFile(file), was.bytes, `${file} bytes unchanged`);
        assert.equal((await stat(file)).mtimeMs, was.mtimeMs, `${file} mtime unchanged`);
      }
      assert.deepEqual(await leftovers(sb), []);
    });
  });
}
