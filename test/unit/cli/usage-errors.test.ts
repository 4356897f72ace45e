/**
 * What a person sees when a command line is wrong: local paths recognised before registry parsing,
 * transports named as the user wrote them, usage errors (exit 2) for missing sub-commands, the
 * app path before --tag, repeated single-value flags, and output into a pipe whose reader left.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { CLI_ENTRIES, runCliInProcess } from "../../helpers/cli.js";
import { makeTempDir } from "../../helpers/tmp.js";
import { ExitCode } from "../../../src/cli/exit-codes.js";
import { detectLocalImage, looksLikePath } from "../../../src/image/local-path.js";
import { writeTinyLayout } from "./tiny-layout.js";

describe("usage errors", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    tmp = await makeTempDir("mb-usage-");
  });
  after(() => tmp.cleanup());

  it("`package` alone names the missing app path, not --tag", async () => {
    const r = await runCliInProcess(["package"]);
    assert.equal(r.code, ExitCode.usage);
    assert.match(r.stderr, /app_path/);
    assert.doesNotMatch(r.stderr, /--tag/);
  });

  it("`package APP` without --tag names --tag", async () => {
    const r = await runCliInProcess(["package", tmp.dir]);
    assert.equal(r.code, ExitCode.usage);
    assert.match(r.stderr, /--tag/);
    assert.match(r.stderr, /hint: name the image: map-build package APP_PATH --tag/);
  });

  it("a closed pipe (map-build --help | head -c 0) ends the CLI without an EPIPE stack trace", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI_ENTRIES["map-build"], "package", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy(); // the reader is gone before the CLI writes a byte
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => { stderr += c.toString(); });
    await new Promise((r) => child.once("close", r));
    assert.doesNotMatch(stderr, /EPIPE|Unhandled|at /, stderr);
  });

  it("`cache` without a sub-command is a usage error", async () => {
    const r = await runCliInProcess(["cache"]);
    assert.equal(r.code, ExitCode.usage);
    assert.match(r.stderr, /ls or prune \[E_USAGE\]/);
  });

  it("a single-value flag given twice is a usage error; repeatable ones are not", async () => {
    // (-t is repeatable since every tag can be pushed: --base stands for the single-value flags)
    const r = await runCliInProcess(["package", tmp.dir, "-t", "a:1", "--base", "a:1", "--base", "b:1"]);
    assert.equal(r.code, ExitCode.usage);
    assert.match(r.stderr, /--base was given more than once \[E_USAGE\]/);
    const twice = await runCliInProcess(["cache", "ls", "--cache-dir", tmp.dir, "--cache-dir", tmp.dir]);
    assert.equal(twice.code, ExitCode.usage);
    const repeatable = await runCliInProcess(["package", join(tmp.dir, "none"), "-t", "a:1", "--wheelhouse", "a", "--wheelhouse", "b", "--tarball", join(tmp.dir, "o.tar")]);
    assert.equal(repeatable.code, ExitCode.input, repeatable.stderr); // got past flag parsing to the app check
  });

  it("path-like strings are paths, references are not", () => {
    for (const p of ["/abs/dir", "./layout", "../base", "my.tar", "x.tar.gz", ".", "~/img"]) assert.ok(looksLikePath(p), p);
    for (const r of ["ubuntu", "nvcr.io/nvidia/pytorch:21.07-py3", "localhost:5000/a/b", "a/b@sha256:" + "0".repeat(64)]) assert.ok(!looksLikePath(r), r);
  });

  it("a missing path-like image is a clear error, without a registry lookup", async () => {
    for (const p of ["my.tar", "./layout", "../base", "/abs/dir"]) {
      const r = await runCliInProcess(["inspect", p], { cwd: tmp.dir });
      assert.equal(r.code, ExitCode.usage, r.stderr);
      assert.match(r.stderr, /looks like a local path, but no such file or directory exists \[E_INVALID_REFERENCE\]/);
      assert.match(r.stderr, /oci:DIR\[:tag\].*docker-archive:FILE/);
    }
  });

  it("an existing folder that is not a layout says how to make one", async () => {
    const dir = join(tmp.dir, "not-a-layout");
    await mkdir(dir);
    await assert.rejects(detectLocalImage(dir), /is a directory but not an OCI image layout/);
  });

  it("an existing layout or archive given by bare path is opened as what it is", async () => {
    const layout = await writeTinyLayout(join(tmp.dir, "one"), ["v1"]);
    assert.deepEqual(await detectLocalImage(layout), { kind: "oci", path: layout });
    const notTar = join(tmp.dir, "junk.tar");
    await writeFile(notTar, "x".repeat(1024));
    await assert.rejects(detectLocalImage(notTar), /archive .*junk\.tar is not a tar archive/);
    assert.equal(await detectLocalImage("ubuntu"), undefined);
  });

  it("oci-archive errors say oci-archive", async () => {
    const r = await runCliInProcess(["inspect", `oci-archive:${join(tmp.dir, "nope.tar")}`]);
    assert.match(r.stderr, /cannot open the oci-archive .*nope\.tar/);
    assert.doesNotMatch(r.stderr, /docker-archive/);
  });

  it("an OCI layout holding several named images lists their names", async () => {
    const layout = await writeTinyLayout(join(tmp.dir, "two"), ["first", "second"]);
    const r = await runCliInProcess(["inspect", `oci:${layout}`]);
    assert.equal(r.code, ExitCode.input, r.stderr);
    assert.match(r.stderr, /holds 2 images; say which \(first, second\)/);
    assert.match(r.stderr, new RegExp(`hint: append the name to the path: oci:${layout}:first`));
  });

  it("--cache-repo-readonly needs a cache repository, and --cache-repo names no tag", async () => {
    const app = join(tmp.dir, "none");
    const alone = await runCliInProcess(["package", app, "-t", "a:1", "--cache-repo-readonly", "--tarball", join(tmp.dir, "o.tar")], { env: { MAP_BUILD_CACHE_REPO: undefined } });
    assert.equal(alone.code, ExitCode.usage, alone.stderr);
    assert.match(alone.stderr, /--cache-repo-readonly needs a cache repository/);
    const tagged = await runCliInProcess(["package", app, "-t", "a:1", "--cache-repo", "127.0.0.1:5000/ci/cache:v1", "--tarball", join(tmp.dir, "o.tar")]);
    assert.equal(tagged.code, ExitCode.usage, tagged.stderr);
    assert.match(tagged.stderr, /names a tag or digest/);
  });
});
