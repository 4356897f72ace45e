/**
 * Hostile wheel indexes and app requirements (issue 13 items 1 and 5): a PEP 691 index whose
 * sha256 is a path, and `-r`/`-c`/`--find-links` lines in an app's requirements.txt that reach
 * outside the app folder. Each run is the real CLI against an in-process index on loopback and must
 * fail cleanly without touching the canary next to the cache.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { execFileSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { makeWheel, GREET } from "../python/wheel-factory.js";
import { plantCanary, startTinyServer, writeApp, type TinyServer } from "./hostile.js";
import { assertCleanFailure, makeSandbox, runMb, type Sandbox } from "./runner.js";

let base: string[];
before(async () => {
  base = ["-b", `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`, "--no-sdk"];
});

describe("hostile PEP 691 index", () => {
  let sb: Sandbox;
  let index: TinyServer;
  const wheel = makeWheel(GREET);
  before(async () => {
    sb = await makeSandbox();
    // the wheel cache is <root>/cache/wheels/sha256/: three levels up is the sandbox root
    index = await startTinyServer((req, res) => {
      if (req.url?.startsWith("/simple/greet/")) {
        res.writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" });
        res.end(JSON.stringify({ meta: { "api-version": "1.0" }, name: "greet", files: [{ filename: wheel.filename, url: "/files/w.whl", hashes: { sha256: "../../../canary.txt" } }] }));
        return;
      }
      if (req.url === "/files/w.whl") return void res.writeHead(200).end(Buffer.from(wheel.bytes));
      res.writeHead(404).end();
    });
  });
  after(async () => {
    await index.close();
    await sb.cleanup();
  });

  it("a sha256 that is a path is refused before it names a file (the canary survives)", async () => {
    const canary = await plantCanary(sb.root);
    const app = await writeApp(sb, { "requirements.txt": `--index-url ${index.origin}/simple/\ngreet==${GREET.version}\n` });
    const tarball = join(sb.root, "out.tar");
    const r = await runMb(sb, ["package", app, "-t", "a:1", ...base, "--tarball", tarball]);
    await assertCleanFailure(sb, r, { exit: ExitCode.input, code: "E_PYTHON_DEPS", message: "invalid sha256", outputs: [tarball] });
    await canary.assertIntact();
    assert.ok(!index.requests.some((q) => q.path === "/files/w.whl"), "nothing downloaded for a listing with a bad hash");
  });
});

describe("hostile app requirements", () => {
  let sb: Sandbox;
  before(async () => {
    sb = await makeSandbox();
  });
  after(() => sb.cleanup());

  const SECRET = "root:$6$secret-hash-line:19000:0:99999:7:::";
  for (const c of [
    { name: "-r to a host file", req: (secret: string) => `-r ${secret}\n` },
    { name: "-c climbing out of the app", req: () => "-c ../shadow\n" },
  ]) {
    it(`${c.name}: exit 3, the file's content is never printed`, async () => {
      const secret = join(sb.root, "shadow");
      await writeFile(secret, `${SECRET}\n`);
      const canary = await plantCanary(sb.root);
      const app = await writeApp(sb, { "requirements.txt": c.req(secret) });
      const tarball = join(sb.root, "out.tar");
      const r = await runMb(sb, ["package", app, "-t", "a:1", ...base, "--tarball", tarball]);
      await assertCleanFailure(sb, r, { exit: ExitCode.input, code: "E_PYTHON_DEPS", message: "outside the app folder", outputs: [tarball] });
      assert.ok(!r.stderr.includes("secret-hash"), r.stderr);
      await canary.assertIntact();
    });
  }

  it("--requirements is a FIFO: a clear error at once, no hang", async () => {
    const app = await writeApp(sb);
    const fifo = join(sb.root, "reqs.txt");
    await rm(fifo, { force: true });
    execFileSync("mkfifo", [fifo]);
    const tarball = join(sb.root, "out.tar");
    const r = await runMb(sb, ["package", app, "-t", "a:1", ...base, "--requirements", fifo, "--tarball", tarball]);
    await assertCleanFailure(sb, r, { exit: ExitCode.usage, code: "E_USAGE", message: "is a fifo", outputs: [tarball] });
  });
});

describe("an index that never answers", () => {
  let sb: Sandbox;
  let index: TinyServer;
  let asked: () => void;
  const reached = new Promise<void>((r) => (asked = r));
  before(async () => {
    sb = await makeSandbox();
    index = await startTinyServer(() => asked()); // accepts the request, never responds
  });
  after(async () => {
    await index.close();
    await sb.cleanup();
  });

  it("SIGTERM ends the build promptly: exit 130, one error line, nothing left", async () => {
    const canary = await plantCanary(sb.root);
    const app = await writeApp(sb, { "requirements.txt": `--index-url ${index.origin}/simple/\ngreet==1.0\n` });
    const tarball = join(sb.root, "out.tar");
    const r = await runMb(sb, ["package", app, "-t", "a:1", ...base, "--tarball", tarball], {
      // the runner's hang guard SIGKILLs a build that ignored SIGTERM: it would end with signal SIGKILL
      onSpawn: (child) => void reached.then(() => child.kill("SIGTERM")),
    });
    assert.equal(r.signal, null, `ended by itself, not killed\n${r.stderr}`);
    await assertCleanFailure(sb, r, { exit: ExitCode.interrupted, code: "E_INTERRUPTED", outputs: [tarball] });
    await canary.assertIntact();
  });
});
