import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readFile, writeFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { inspect } from "node:util";
import { makeTempDir } from "../../helpers/tmp.js";
import { isMapBuildError } from "../../../src/errors.js";
import {
  explicitKeychain,
  envKeychain,
  dockerConfigKeychain,
  multiKeychain,
  defaultKeychain,
  dockerConfigPath,
  type Credential,
  type Keychain,
} from "../../../src/registry/keychain/index.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** Every secret the fixtures hold; none may ever show up in an error message, hint or inspect(). */
const SECRETS = [
  "ngc-secret-123",
  "hub-secret-456",
  "identity-secret-789",
  "inline-pass-abc",
  "env-pass-def",
  "leaky-stderr-secret",
  "garbage-secret-out",
  "broken-json-secret",
  "helper-pass-ghi",
  "idtok-config-jkl",
];

const FAKE_HELPER = `#!/bin/sh
[ "$1" = get ] || { echo "unsupported action" >&2; exit 2; }
server=$(cat)
printf '%s\\n' "$server" >> "$FAKE_HELPER_LOG"
case "$server" in
  nvcr.io) printf '{"ServerURL":"nvcr.io","Username":"$oauthtoken","Secret":"ngc-secret-123"}\\n' ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hubuser","Secret":"hub-secret-456"}\\n' "$server" ;;
  token.example.com) printf '{"ServerURL":"token.example.com","Username":"<token>","Secret":"identity-secret-789"}\\n' ;;
  https://spelled.example.com) printf '{"Username":"spelled","Secret":"helper-pass-ghi"}\\n' ;;
  helper-only.example.com:5000) printf '{"Username":"helperuser","Secret":"helper-pass-ghi"}\\n' ;;
  broken.example.com) echo "keyring locked, leaky-stderr-secret" >&2; echo "leaky-stderr-secret"; exit 3 ;;
  garbage.example.com) echo "this is garbage-secret-out" ;;
  slow.example.com) sleep 600 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

async function collectError(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return e as Error;
  }
  assert.fail("expected an error");
}

function assertNoSecret(e: unknown): void {
  assert.ok(isMapBuildError(e), `a MapBuildError: ${String(e)}`);
  const text = [e.message, e.hint ?? "", inspect(e), JSON.stringify(e), String(e.cause ?? "")].join("\n");
  for (const s of SECRETS) assert.ok(!text.includes(s), `secret ${s} leaked into: ${text}`);
}

describe("keychains", () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let binDir: string;
  let log: string;
  let basePath: string;
  let configCount = 0;

  before(async () => {
    ({ dir: root, cleanup } = await makeTempDir("mb-kc-"));
    binDir = join(root, "bin");
    await mkdir(binDir);
    await writeFile(join(binDir, "docker-credential-fake"), FAKE_HELPER);
    await chmod(join(binDir, "docker-credential-fake"), 0o755);
    log = join(root, "helper.log");
    basePath = `${binDir}:${process.env.PATH ?? "/usr/bin:/bin"}`;
  });
  after(async () => {
    await cleanup();
  });

  /** A fresh DOCKER_CONFIG dir holding `config` (object or raw text); returns the env to use. */
  async function withConfig(config: unknown): Promise<NodeJS.ProcessEnv> {
    const dir = join(root, `cfg${configCount++}`);
    await mkdir(dir);
    await writeFile(join(dir, "config.json"), typeof config === "string" ? config : JSON.stringify(config, null, 2));
    return { DOCKER_CONFIG: dir, PATH: basePath, FAKE_HELPER_LOG: log, HOME: join(root, "nohome") };
  }

  async function helperCalls(): Promise<string[]> {
    return (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean);
  }

  describe("explicitKeychain", () => {
    it("answers only for its registry, matching normalised names", async () => {
      const k = explicitKeychain("docker.io", { username: "u", password: "p" });
      assert.deepEqual(await k.resolve("docker.io"), { username: "u", password: "p" });
      assert.deepEqual(await k.resolve("index.docker.io"), { username: "u", password: "p" });
      assert.deepEqual(await k.resolve("registry-1.docker.io"), { username: "u", password: "p" });
      assert.equal(await k.resolve("nvcr.io"), undefined);
      const local = explicitKeychain("127.0.0.1:5000", { username: "u", password: "p" });
      assert.ok(await local.resolve("127.0.0.1:5000"));
      assert.equal(await local.resolve("127.0.0.1:5001"), undefined);
    });
    it("refuses a credential without a secret", () => {
      assert.throws(() => explicitKeychain("nvcr.io", { username: "u", password: "" }), /no password given for nvcr.io/);
    });
  });

  describe("envKeychain", () => {
    it("NGC_API_KEY is used for nvcr.io only, as $oauthtoken", async () => {
      const k = envKeychain({ NGC_API_KEY: "ngc-secret-123" });
      assert.deepEqual(await k.resolve("nvcr.io"), { username: "$oauthtoken", password: "ngc-secret-123" });
      assert.deepEqual(await k.resolve("NVCR.IO"), { username: "$oauthtoken", password: "ngc-secret-123" });
      assert.equal(await k.resolve("docker.io"), undefined);
      assert.equal(await k.resolve("127.0.0.1:5000"), undefined);
    });
    it("NGC_CLI_API_KEY is a fallback; empty values count as unset", async () => {
      assert.deepEqual(await envKeychain({ NGC_API_KEY: "", NGC_CLI_API_KEY: "k2" }).resolve("nvcr.io"), { username: "$oauthtoken", password: "k2" });
      assert.equal(await envKeychain({ NGC_API_KEY: "" }).resolve("nvcr.io"), undefined);
    });
    it("generic user/password apply everywhere unless scoped by MAP_BUILD_REGISTRY_HOST", async () => {
      const any = envKeychain({ MAP_BUILD_REGISTRY_USER: "u", MAP_BUILD_REGISTRY_PASSWORD: "env-pass-def" });
      assert.deepEqual(await any.resolve("127.0.0.1:5000"), { username: "u", password: "env-pass-def" });
      assert.deepEqual(await any.resolve("docker.io"), { username: "u", password: "env-pass-def" });

      const scoped = envKeychain({ MAP_BUILD_REGISTRY_USER: "u", MAP_BUILD_REGISTRY_PASSWORD: "p", MAP_BUILD_REGISTRY_HOST: "127.0.0.1:5000, https://index.docker.io/v1/" });
      assert.ok(await scoped.resolve("127.0.0.1:5000"));
      assert.ok(await scoped.resolve("docker.io"));
      assert.equal(await scoped.resolve("127.0.0.1:5001"), undefined);
      assert.equal(await scoped.resolve("nvcr.io"), undefined);
    });
    it("for nvcr.io: scoped generic creds beat NGC_API_KEY, which beats unscoped generic creds", async () => {
      const base = { NGC_API_KEY: "ngc-secret-123", MAP_BUILD_REGISTRY_USER: "u", MAP_BUILD_REGISTRY_PASSWORD: "p" };
      assert.equal((await envKeychain(base).resolve("nvcr.io"))?.username, "$oauthtoken");
      assert.equal((await envKeychain({ ...base, MAP_BUILD_REGISTRY_HOST: "nvcr.io" }).resolve("nvcr.io"))?.username, "u");
    });
    it("half-set variables are a usage error naming the missing variable", () => {
      assert.throws(() => envKeychain({ MAP_BUILD_REGISTRY_USER: "u" }), /MAP_BUILD_REGISTRY_USER is set but MAP_BUILD_REGISTRY_PASSWORD is not/);
      assert.throws(() => envKeychain({ MAP_BUILD_REGISTRY_PASSWORD: "env-pass-def" }), (e: unknown) => {
        assertNoSecret(e);
        assert.match((e as Error).message, /MAP_BUILD_REGISTRY_PASSWORD is set but MAP_BUILD_REGISTRY_USER is not/);
        return true;
      });
      assert.throws(() => envKeychain({ MAP_BUILD_REGISTRY_HOST: "x.io" }), /MAP_BUILD_REGISTRY_HOST is set/);
    });
  });

  describe("dockerConfigKeychain", () => {
    it("finds the config in DOCKER_CONFIG, else HOME/.docker; missing config means no credentials", async () => {
      assert.equal(dockerConfigPath({ DOCKER_CONFIG: "/x" }), "/x/config.json");
      assert.equal(dockerConfigPath({ HOME: "/home/u" }), "/home/u/.docker/config.json");
      const k = dockerConfigKeychain({ env: { DOCKER_CONFIG: join(root, "does-not-exist") } });
      assert.equal(await k.resolve("docker.io"), undefined);

      const home = join(root, "home");
      await mkdir(join(home, ".docker"), { recursive: true });
      await writeFile(join(home, ".docker", "config.json"), JSON.stringify({ auths: { "nvcr.io": { auth: b64("$oauthtoken:ngc-secret-123") } } }));
      const fromHome = dockerConfigKeychain({ env: { HOME: home } });
      assert.deepEqual(await fromHome.resolve("nvcr.io"), { username: "$oauthtoken", password: "ngc-secret-123" });
    });

    it("auths: base64 auth, username/password fields, identitytoken, Docker Hub's v1 key", async () => {
      const env = await withConfig({
        auths: {
          "https://index.docker.io/v1/": { auth: b64("hubuser:inline-pass-abc") },
          "127.0.0.1:5000": { username: "local", password: "pw:with:colons" },
          "id.example.com": { auth: b64("ignored:"), identitytoken: "idtok-config-jkl" },
          "empty.example.com": {},
          "https://url-key.example.com/v2/": { auth: b64("urluser:urlpass") },
        },
      });
      const k = dockerConfigKeychain({ env });
      assert.deepEqual(await k.resolve("docker.io"), { username: "hubuser", password: "inline-pass-abc" });
      assert.deepEqual(await k.resolve("registry-1.docker.io"), { username: "hubuser", password: "inline-pass-abc" });
      assert.deepEqual(await k.resolve("127.0.0.1:5000"), { username: "local", password: "pw:with:colons" });
      assert.deepEqual(await k.resolve("id.example.com"), { username: "ignored", identityToken: "idtok-config-jkl" });
      assert.equal(await k.resolve("empty.example.com"), undefined);
      assert.deepEqual(await k.resolve("url-key.example.com"), { username: "urluser", password: "urlpass" });
      assert.equal(await k.resolve("nvcr.io"), undefined);
    });

    it("accepts index.docker.io and docker.io keys for Docker Hub, and auth with a colon in the password", async () => {
      for (const key of ["index.docker.io", "docker.io", "https://index.docker.io/v1"]) {
        const env = await withConfig({ auths: { [key]: { auth: b64("u:a:b") } } });
        assert.deepEqual(await dockerConfigKeychain({ env }).resolve("docker.io"), { username: "u", password: "a:b" }, key);
      }
    });

    it("prefers the exact key over another spelling of the same host", async () => {
      const env = await withConfig({ auths: { "https://nvcr.io": { auth: b64("a:1") }, "nvcr.io": { auth: b64("b:2") } } });
      assert.deepEqual(await dockerConfigKeychain({ env }).resolve("nvcr.io"), { username: "b", password: "2" });
    });

    it("credsStore runs docker-credential-<name> get with the server URL on stdin", async () => {
      const env = await withConfig({ credsStore: "fake", auths: { "nvcr.io": {}, "https://index.docker.io/v1/": {}, "https://spelled.example.com": {} } });
      const k = dockerConfigKeychain({ env });
      const before = (await helperCalls()).length;
      assert.deepEqual(await k.resolve("nvcr.io"), { username: "$oauthtoken", password: "ngc-secret-123" });
      assert.deepEqual(await k.resolve("docker.io"), { username: "hubuser", password: "hub-secret-456" });
      // "<token>" means Secret is an identity token.
      assert.deepEqual(await k.resolve("token.example.com"), { identityToken: "identity-secret-789" });
      // "credentials not found" is no credentials, not an error.
      assert.equal(await k.resolve("unknown.example.com"), undefined);
      // The placeholder's spelling in auths is tried when the canonical host is unknown to the helper.
      assert.deepEqual(await k.resolve("spelled.example.com"), { username: "spelled", password: "helper-pass-ghi" });
      // Results are cached: a second lookup does not run the helper again.
      await k.resolve("nvcr.io");
      assert.deepEqual((await helperCalls()).slice(before), ["nvcr.io", "https://index.docker.io/v1/", "token.example.com", "unknown.example.com", "spelled.example.com", "https://spelled.example.com"]);
    });

    it("credHelpers win over credsStore and over auths; auths is the fallback when a helper has nothing", async () => {
      const env = await withConfig({
        credsStore: "missing-store",
        credHelpers: { "helper-only.example.com:5000": "fake", "https://fallback.example.com": "fake" },
        auths: { "helper-only.example.com:5000": { auth: b64("x:y") }, "fallback.example.com": { auth: b64("fb:fbpass") } },
      });
      const k = dockerConfigKeychain({ env });
      assert.deepEqual(await k.resolve("helper-only.example.com:5000"), { username: "helperuser", password: "helper-pass-ghi" });
      assert.deepEqual(await k.resolve("fallback.example.com"), { username: "fb", password: "fbpass" });
      // Everything else goes to credsStore, whose helper is not installed: a clear error.
      const e = await collectError(k.resolve("other.example.com"));
      assertNoSecret(e);
      assert.match(e.message, /docker-credential-missing-store is not on PATH/);
    });

    it("helper failures, garbage and timeouts are errors that name the helper but never echo its output", async () => {
      const env = await withConfig({ credsStore: "fake" });
      const k = dockerConfigKeychain({ env, helperTimeoutMs: 300 });
      const broken = await collectError(k.resolve("broken.example.com"));
      assertNoSecret(broken);
      assert.match(broken.message, /docker-credential-fake failed for broken.example.com \(exit status 3\)/);
      assert.match((broken as { hint?: string }).hint ?? "", /docker-credential-fake get/);
      const garbage = await collectError(k.resolve("garbage.example.com"));
      assertNoSecret(garbage);
      assert.match(garbage.message, /malformed output/);
      // The helper never answers within the test: only the timeout (which kills its process group, else
      // this file would hang on the sleeping child) can produce this error.
      const slow = await collectError(k.resolve("slow.example.com"));
      assertNoSecret(slow);
      assert.match(slow.message, /did not answer/);
    });

    it("malformed config files are E_USAGE errors naming the file, without secrets", async () => {
      const cases: Array<[unknown, RegExp]> = [
        ['{"auths": {"nvcr.io": {"auth": "broken-json-secret"', /not valid JSON/],
        ['{"auths": {"nvcr.io": {"auth": broken-json-secret}}}', /not valid JSON/],
        [{ auths: { "nvcr.io": { auth: 42 } } }, /auths\["nvcr.io"\]\["auth"\]: expected string/],
        [{ auths: ["idtok-config-jkl"] }, /auths: expected record/],
        [{ credHelpers: { "nvcr.io": { name: "x" } } }, /credHelpers\["nvcr.io"\]: expected string/],
        [[1, 2], /top level: expected object/],
        [{ auths: { "nvcr.io": { auth: b64("no-colon-inline-pass-abc") } } }, /auths\["nvcr.io"\].auth is not base64/],
      ];
      for (const [content, re] of cases) {
        const env = await withConfig(content);
        const e = await collectError(dockerConfigKeychain({ env }).resolve("nvcr.io"));
        assertNoSecret(e);
        assert.ok(isMapBuildError(e));
        assert.equal(e.code, "E_USAGE");
        assert.ok(e.message.includes(join(env.DOCKER_CONFIG!, "config.json")), e.message);
        assert.match(e.message, re);
        assert.ok(!e.message.includes("no-colon"), "does not echo the decoded auth");
      }
    });

    it("an empty config file and unknown fields are fine", async () => {
      assert.equal(await dockerConfigKeychain({ env: await withConfig("") }).resolve("nvcr.io"), undefined);
      const env = await withConfig({ auths: { "nvcr.io": { auth: b64("a:b"), email: "x@y" } }, psFormat: "table", credsStore: "" });
      assert.deepEqual(await dockerConfigKeychain({ env }).resolve("nvcr.io"), { username: "a", password: "b" });
    });

    it("never writes the config file", async () => {
      const env = await withConfig({ credsStore: "fake", auths: { "nvcr.io": {} } });
      const file = join(env.DOCKER_CONFIG!, "config.json");
      const before = await stat(file);
      const text = await readFile(file, "utf8");
      await dockerConfigKeychain({ env }).resolve("nvcr.io");
      assert.equal(await readFile(file, "utf8"), text);
      assert.equal((await stat(file)).mtimeMs, before.mtimeMs);
    });
  });

  describe("multiKeychain and defaultKeychain", () => {
    it("multiKeychain asks in order and stops at the first answer", async () => {
      const asked: string[] = [];
      const fixed = (name: string, c?: Credential): Keychain => ({
        resolve: async () => {
          asked.push(name);
          return c;
        },
      });
      const k = multiKeychain(fixed("a"), fixed("b", { username: "b", password: "1" }), fixed("c", { username: "c", password: "2" }));
      assert.deepEqual(await k.resolve("x"), { username: "b", password: "1" });
      assert.deepEqual(asked, ["a", "b"]);
      assert.equal(await multiKeychain().resolve("x"), undefined);
    });

    it("defaultKeychain: explicit → env → docker config", async () => {
      const env = {
        ...(await withConfig({ auths: { "nvcr.io": { auth: b64("cfg:cfgpass") }, "127.0.0.1:5000": { auth: b64("cfg:local") } } })),
        NGC_API_KEY: "ngc-secret-123",
      };
      const k = defaultKeychain({ env, explicit: { registry: "127.0.0.1:5000", credential: { username: "cli", password: "clipass" } } });
      assert.deepEqual(await k.resolve("127.0.0.1:5000"), { username: "cli", password: "clipass" });
      assert.deepEqual(await k.resolve("nvcr.io"), { username: "$oauthtoken", password: "ngc-secret-123" });
      const noEnv = defaultKeychain({ env: { ...env, NGC_API_KEY: undefined } });
      assert.deepEqual(await noEnv.resolve("nvcr.io"), { username: "cfg", password: "cfgpass" });
      assert.deepEqual(await noEnv.resolve("127.0.0.1:5000"), { username: "cfg", password: "local" });
      const withKeychain = defaultKeychain({ env, explicit: explicitKeychain("nvcr.io", { username: "k", password: "kp" }) });
      assert.equal((await withKeychain.resolve("nvcr.io"))?.username, "k");
    });
  });

  it("credentials print redacted through inspect and JSON.stringify", async () => {
    const c = await envKeychain({ NGC_API_KEY: "ngc-secret-123" }).resolve("nvcr.io");
    assert.ok(c);
    assert.equal(c.password, "ngc-secret-123");
    const shown = inspect(c) + JSON.stringify(c) + JSON.stringify({ c });
    assert.ok(!shown.includes("ngc-secret-123"), shown);
    assert.match(shown, /\$oauthtoken/);
    assert.match(shown, /redacted/);
  });
});
