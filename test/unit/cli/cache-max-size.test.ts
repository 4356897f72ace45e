/**
 * The layer cache's size limit: `--cache-max-size`, else MAP_BUILD_CACHE_MAX_SIZE, else the
 * library's default; human sizes (1024-based), and a usage error (exit 2) for anything else.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PassThrough, Writable } from "node:stream";
import { buildProgram } from "../../../src/cli/program.js";
import { parseByteSize } from "../../../src/cli/units.js";
import { runCliInProcess } from "../../helpers/cli.js";
import { ExitCode } from "../../../src/cli/exit-codes.js";
import type { PackageMapOptions } from "../../../src/builder/index.js";

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

/** The options the CLI hands the core for `args` (the build itself is not run). */
async function optionsFor(args: string[], env: NodeJS.ProcessEnv = {}): Promise<PackageMapOptions> {
  let seen: PackageMapOptions | undefined;
  const stop = new Error("captured");
  const io = { stdout: sink(), stderr: sink(), stdin: new PassThrough(), env: { PIP_CONFIG_FILE: "/dev/null", ...env }, cwd: "/", signal: new AbortController().signal };
  const program = buildProgram("map-build", io, {
    packageMap: async (o) => {
      seen = o as PackageMapOptions;
      throw stop;
    },
  }, () => {});
  await assert.rejects(program.parseAsync(["package", "/nowhere/app", "-t", "a:1", "--tarball", "/nowhere/a.tar", ...args], { from: "user" }), (e) => e === stop);
  assert.ok(seen);
  return seen;
}

describe("--cache-max-size / MAP_BUILD_CACHE_MAX_SIZE", () => {
  it("reads human sizes, 1024-based", () => {
    assert.equal(parseByteSize("20GiB", "x"), 20 * 1024 ** 3);
    assert.equal(parseByteSize("20G", "x"), 20 * 1024 ** 3);
    assert.equal(parseByteSize("1.5 MiB", "x"), 1.5 * 1024 ** 2);
    assert.equal(parseByteSize("0", "x"), 0);
    assert.equal(parseByteSize("512kb", "x"), 512 * 1024);
    for (const bad of ["", "-1GiB", "lots", "20 GB extra", "1e9", "99999999TiB"]) assert.throws(() => parseByteSize(bad, "x"), { code: "E_USAGE" }, bad);
  });

  it("the flag wins over the variable, the variable over the default", async () => {
    assert.equal((await optionsFor(["--cache-max-size", "50GiB"], { MAP_BUILD_CACHE_MAX_SIZE: "1GiB" })).cacheMaxBytes, 50 * 1024 ** 3);
    assert.equal((await optionsFor([], { MAP_BUILD_CACHE_MAX_SIZE: "1GiB" })).cacheMaxBytes, 1024 ** 3);
    assert.equal((await optionsFor([])).cacheMaxBytes, undefined);
  });

  it("a bad size is a usage error naming where it came from", async () => {
    const flag = await runCliInProcess(["package", "/nowhere", "-t", "a:1", "--cache-max-size", "big"]);
    assert.equal(flag.code, ExitCode.usage);
    assert.match(flag.stderr, /invalid --cache-max-size "big"/);
    const env = await runCliInProcess(["package", "/nowhere", "-t", "a:1", "--tarball", "/nowhere/a.tar"], { env: { MAP_BUILD_CACHE_MAX_SIZE: "20 gigs" } });
    assert.equal(env.code, ExitCode.usage, env.stderr);
    assert.match(env.stderr, /invalid MAP_BUILD_CACHE_MAX_SIZE "20 gigs"/);
  });
});
