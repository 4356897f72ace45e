/**
 * The loopback registry in its three auth modes, driven by skopeo (an independent client):
 * no auth, htpasswd basic auth, and bearer tokens from test/token-server.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { formatVerdicts, validateImage } from "../helpers/validate/validate.js";
import { pushPythonBase, pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { run } from "../helpers/run.js";
import { startTokenRegistry, type TokenRegistry } from "../helpers/token-registry.js";

/** skopeo push of the python base; `creds` undefined = explicitly anonymous. */
async function push(host: string, repo: string, creds?: string) {
  const layout = await pythonBaseLayout();
  const args = ["copy", "--quiet", "--dest-tls-verify=false"];
  args.push(...(creds ? ["--dest-creds", creds] : ["--dest-no-creds"]));
  args.push(`oci:${layout}:${PYTHON_BASE_TAG}`, `docker://${host}/${repo}:1`);
  return run("skopeo", args, { timeoutMs: 60_000 });
}

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return (await fetch(url, { headers })).status;
}

describe("registry without auth", () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });

  it("answers /v2/ with 200 and accepts an anonymous push", async () => {
    assert.equal(await status(`http://${reg.host}/v2/`), 200);
    const r = await push(reg.host, "open/python");
    assert.equal(r.code, 0, r.stderr);
    const tags = await (await fetch(`http://${reg.host}/v2/open/python/tags/list`)).json();
    assert.deepEqual(tags, { name: "open/python", tags: ["1"] });
  });

  it("stops: the port no longer answers", async () => {
    const r = await startRegistry();
    assert.equal(await status(`http://${r.host}/v2/`), 200);
    await r.stop();
    await assert.rejects(fetch(`http://${r.host}/v2/`));
  });
});

describe("registry with htpasswd auth", () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ user: "alice:s3 cr:et" });
  });
  after(async () => {
    await reg?.stop();
  });

  it("challenges with Basic", async () => {
    const res = await fetch(`http://${reg.host}/v2/`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm="test-registry"/);
    const auth = `Basic ${Buffer.from("alice:s3 cr:et").toString("base64")}`;
    assert.equal(await status(`http://${reg.host}/v2/`, { authorization: auth }), 200);
  });

  it("refuses an unauthenticated push", async () => {
    const r = await push(reg.host, "base/python");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unauthorized|authentication required/i);
  });

  it("refuses a wrong password", async () => {
    const r = await push(reg.host, "base/python", "alice:wrong");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unauthorized|authentication required|invalid username/i);
  });

  it("accepts a push with --dest-creds", async () => {
    const ref = await pushPythonBase(reg.host, "base/python", "3", "alice:s3 cr:et");
    assert.equal(ref, `${reg.host}/base/python:3`);
    const r = await run("skopeo", ["inspect", "--tls-verify=false", "--creds", "alice:s3 cr:et", `docker://${ref}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).Architecture, "amd64");
  });
});

describe("registry with token auth", () => {
  let reg: TokenRegistry;
  before(async () => {
    reg = await startTokenRegistry();
  });
  after(async () => {
    await reg?.stop();
  });

  it("challenges with Bearer naming the token server", async () => {
    const res = await fetch(`http://${reg.host}/v2/`);
    assert.equal(res.status, 401);
    const challenge = res.headers.get("www-authenticate") ?? "";
    assert.match(challenge, /^Bearer /);
    assert.ok(challenge.includes(`realm="${reg.tokenServer.realm}"`), challenge);
    assert.ok(challenge.includes(`service="${reg.tokenServer.service}"`), challenge);
  });

  it("refuses an unauthenticated push (anonymous tokens only pull)", async () => {
    const before = reg.tokenServer.requests;
    const r = await push(reg.host, "base/python");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /denied|unauthorized|authentication required/i);
    assert.ok(reg.tokenServer.requests > before, "skopeo asked the token server");
    assert.ok(reg.tokenServer.log.slice(before).every((e) => e.user === "anonymous"));
  });

  it("refuses a wrong password at the token server", async () => {
    const before = reg.tokenServer.requests;
    const r = await push(reg.host, "base/python", "alice:wrong");
    assert.notEqual(r.code, 0);
    assert.ok(reg.tokenServer.log.slice(before).some((e) => e.user === "alice" && e.status === 401));
  });

  it("accepts a push with --dest-creds and serves it back", async () => {
    const before = reg.tokenServer.requests;
    const ref = await pushPythonBase(reg.host, "base/python", "3", "alice:s3cret");
    const asked = reg.tokenServer.log.slice(before);
    assert.ok(asked.some((e) => e.user === "alice" && e.scopes.includes("repository:base/python:pull,push")));
    const r = await run("skopeo", ["inspect", "--tls-verify=false", "--creds", "alice:s3cret", `docker://${ref}`]);
    assert.equal(r.code, 0, r.stderr);
  });

  it("lets a pull-only user pull but not push", async () => {
    const ref = `${reg.host}/base/python:3`;
    const pull = await run("skopeo", ["inspect", "--tls-verify=false", "--creds", "puller:s3cret", `docker://${ref}`]);
    assert.equal(pull.code, 0, pull.stderr);
    const r = await push(reg.host, "puller/python", "puller:s3cret");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /denied|unauthorized/i);
  });

  it("serves the pushed image to every consumer of the harness with credentials", async () => {
    const report = await validateImage(
      { kind: "registry", ref: `${reg.host}/base/python:3`, creds: "puller:s3cret" },
      { consumers: ["skopeo", "umoci", "docker", "containerd"] },
    );
    assert.ok(report.ok, formatVerdicts(report.verdicts));
    const anonymous = await validateImage({ kind: "registry", ref: `${reg.host}/base/python:3` }, { consumers: ["skopeo"] });
    assert.ok(anonymous.ok, "anonymous tokens may pull: " + formatVerdicts(anonymous.verdicts));
  });

  it("issues tokens the registry accepts, with the configured lifetime", async () => {
    reg.tokenServer.expiresIn = 7;
    try {
      const basic = Buffer.from("alice:s3cret").toString("base64");
      const url = `${reg.tokenServer.realm}?service=${reg.tokenServer.service}&scope=repository:base/python:pull`;
      const body = (await (await fetch(url, { headers: { authorization: `Basic ${basic}` } })).json()) as {
        token: string;
        access_token: string;
        expires_in: number;
        issued_at: string;
      };
      assert.equal(body.expires_in, 7);
      assert.equal(body.token, body.access_token);
      const auth = { authorization: `Bearer ${body.token}` };
      assert.equal(await status(`http://${reg.host}/v2/base/python/tags/list`, auth), 200);
      // the token grants pull on base/python only
      assert.equal(await status(`http://${reg.host}/v2/other/tags/list`, auth), 401);
    } finally {
      reg.tokenServer.expiresIn = 300;
    }
  });

  it("issues expired tokens when asked, which the registry refuses", async () => {
    reg.tokenServer.expiresIn = -300;
    try {
      const url = `${reg.tokenServer.realm}?service=${reg.tokenServer.service}&scope=repository:base/python:pull`;
      const body = (await (await fetch(url)).json()) as { token: string; expires_in: number };
      assert.equal(body.expires_in, 0);
      const res = await fetch(`http://${reg.host}/v2/base/python/tags/list`, {
        headers: { authorization: `Bearer ${body.token}` },
      });
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate") ?? "", /invalid_token/);
    } finally {
      reg.tokenServer.expiresIn = 300;
    }
  });
});
