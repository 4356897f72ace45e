/**
 * Bad input matrix, registry part: bases the real registry (htpasswd and token auth, on loopback)
 * refuses or does not have. Same contract as matrix.ts. The nvcr.io hint is checked at unit level:
 * tests never leave 127.0.0.1.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cp, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { runOk } from "../helpers/run.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { startTokenRegistry, type TokenRegistry } from "../helpers/token-registry.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { reportError } from "../../src/cli/report-error.js";
import { toRegistryError } from "../../src/registry/registry-error.js";
import { assertCleanFailure, makeSandbox, runMb, type FailureExpectation, type MbOptions } from "./runner.js";
import { writeLayout } from "./layouts.js";

const EXAMPLE_APP = resolve(import.meta.dirname, "../../examples/word_score_app");
const USER = "alice";
const PASSWORD = "right-pass-1";

describe("bad input: bases from a registry", { concurrency: 4 }, () => {
  let basic: TestRegistry;
  let token: TokenRegistry;
  let basicBase: string;
  let tokenBase: string;

  before(async () => {
    [basic, token] = await Promise.all([startRegistry({ user: `${USER}:${PASSWORD}` }), startTokenRegistry({ anonymousActions: [] })]);
    [basicBase, tokenBase] = await Promise.all([
      pushPythonBase(basic.host, "private/python", "3", `${USER}:${PASSWORD}`),
      pushPythonBase(token.host, "private/python", "3", "alice:s3cret"),
    ]);
    // an index that offers arm64 only
    const sb = await makeSandbox();
    try {
      await writeLayout(join(sb.root, "arm"), "v1", { onlyArch: "arm64" });
      await runOk("skopeo", ["copy", "--quiet", "--all", "--dest-tls-verify=false", "--dest-creds", `${USER}:${PASSWORD}`, `oci:${join(sb.root, "arm")}:v1`, `docker://${basic.host}/arm-only/base:v1`]);
    } finally {
      await sb.cleanup();
    }
  });
  after(async () => {
    await Promise.allSettled([basic?.stop(), token?.stop()]);
  });

  async function fails(base: () => string, want: FailureExpectation, opts: MbOptions & { extra?: string[] } = {}): Promise<void> {
    const sb = await makeSandbox();
    try {
      const app = join(sb.root, "app");
      await cp(EXAMPLE_APP, app, { recursive: true });
      await mkdir(join(sb.root, "out"));
      const tarball = join(sb.root, "out", "o.tar");
      const r = await runMb(sb, ["package", app, "-t", "localhost/a:1", "-b", base(), "--no-sdk", "--tarball", tarball, ...(opts.extra ?? [])], opts);
      await assertCleanFailure(sb, r, { ...want, outputs: [tarball] });
    } finally {
      await sb.cleanup();
    }
  }
  const creds = { MAP_BUILD_REGISTRY_USER: USER, MAP_BUILD_REGISTRY_PASSWORD: PASSWORD };

  it("unknown base tag → exit 5 E_MANIFEST_UNKNOWN", () =>
    fails(() => `${basic.host}/private/python:no-such-tag`, { exit: ExitCode.notFound, code: "E_MANIFEST_UNKNOWN", message: "MANIFEST_UNKNOWN", hint: "tag" }, { env: creds }));

  // distribution 2.8 answers MANIFEST_UNKNOWN (not NAME_UNKNOWN) for a repository it never saw
  it("unknown base repository → exit 5 E_MANIFEST_UNKNOWN", () =>
    fails(() => `${basic.host}/no/such-repo:1`, { exit: ExitCode.notFound, code: "E_MANIFEST_UNKNOWN", message: "no/such-repo" }, { env: creds }));

  it("base index with only arm64, --platform linux/amd64 → exit 5 E_PLATFORM_NOT_FOUND listing what it offers", () =>
    fails(() => `${basic.host}/arm-only/base:v1`, { exit: ExitCode.notFound, code: "E_PLATFORM_NOT_FOUND", message: "linux/arm64" }, { env: creds, extra: ["--platform", "linux/amd64"] }));

  it("--platform linux/s390x for a single-platform registry base → exit 5 E_PLATFORM_NOT_FOUND", () =>
    fails(() => basicBase, { exit: ExitCode.notFound, code: "E_PLATFORM_NOT_FOUND", message: "s390x" }, { env: creds, extra: ["--platform", "linux/s390x"] }));

  it("private base (htpasswd), no credentials → exit 4 E_UNAUTHORIZED, hint: log in to that registry", () =>
    fails(() => basicBase, { exit: ExitCode.auth, code: "E_UNAUTHORIZED", hint: `docker login ${basic.host}` }));

  it("private base (htpasswd), wrong password in the environment → exit 4 E_UNAUTHORIZED", () =>
    fails(() => basicBase, { exit: ExitCode.auth, code: "E_UNAUTHORIZED" }, { env: { MAP_BUILD_REGISTRY_USER: USER, MAP_BUILD_REGISTRY_PASSWORD: "wrong-pass" } }));

  it("private base (htpasswd), wrong password on stdin → exit 4 E_UNAUTHORIZED", () =>
    fails(() => basicBase, { exit: ExitCode.auth, code: "E_UNAUTHORIZED" }, { input: "wrong-pass\n", extra: ["--username", USER, "--password-stdin"] }));

  it("private base (token auth), no credentials → exit 4 E_UNAUTHORIZED", () =>
    fails(() => tokenBase, { exit: ExitCode.auth, code: "E_UNAUTHORIZED", hint: token.host }));

  it("private base (token auth), wrong password → exit 4 E_UNAUTHORIZED", () =>
    fails(() => tokenBase, { exit: ExitCode.auth, code: "E_UNAUTHORIZED" }, { env: { MAP_BUILD_REGISTRY_USER: "alice", MAP_BUILD_REGISTRY_PASSWORD: "wrong" } }));

  it("the same bases build with the right credentials (the failures above are about credentials only)", async () => {
    for (const [base, env] of [
      [basicBase, creds],
      [tokenBase, { MAP_BUILD_REGISTRY_USER: "alice", MAP_BUILD_REGISTRY_PASSWORD: "s3cret" }],
    ] as const) {
      const sb = await makeSandbox();
      try {
        const r = await runMb(sb, ["package", EXAMPLE_APP, "-t", "localhost/a:1", "-b", base, "--no-sdk", "--tarball", join(sb.root, "o.tar")], { env });
        assert.equal(r.code, 0, r.stderr);
      } finally {
        await sb.cleanup();
      }
    }
  });
});

describe("unauthorized on nvcr.io: the hint names NGC_API_KEY (unit: tests stay on loopback)", () => {
  it("toRegistryError(401) for nvcr.io, printed by the CLI's reporter", () => {
    const err = toRegistryError(401, JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }), {
      method: "GET",
      url: "https://nvcr.io/v2/nvidia/pytorch/manifests/21.07-py3",
      registry: "nvcr.io",
      repository: "nvidia/pytorch",
      subject: "manifest",
    });
    assert.equal(err.code, "E_UNAUTHORIZED");
    let out = "";
    const code = reportError({ stderr: { write: (s: string) => ((out += s), true) } as never }, err, false);
    assert.equal(code, ExitCode.auth);
    const lines = out.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^error: .*nvcr\.io\/nvidia\/pytorch.* \[E_UNAUTHORIZED\]$/);
    assert.match(lines[1]!, /^hint: .*NGC_API_KEY/);
  });
  it("other registries get a docker login hint instead", () => {
    const err = toRegistryError(401, "", { method: "GET", url: "https://r.example/v2/", registry: "r.example", subject: "manifest" });
    assert.match(err.hint ?? "", /docker login r\.example/);
    assert.doesNotMatch(err.hint ?? "", /NGC/);
  });
});
