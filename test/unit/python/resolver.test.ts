/**
 * The resolver against a loopback index whose unpinned requirements need backtracking: the set
 * equals pip's choice for the same index (fixtures/python/backtrack-pip.json, computed once with pip).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseRequirement } from "../../../src/python/requirement.js";
import { selectWheels } from "../../../src/python/select.js";
import { simpleIndexSource } from "../../../src/python/sources.js";
import { PYTHON_BASE_TARGET } from "../../../src/python/target.js";
import { makeTempDir } from "../../helpers/tmp.js";
import { BACKTRACK_REQUIREMENTS, backtrackIndex } from "../../python/backtrack-index.js";
import type { IndexServer } from "../../python/index-server.js";
import { fixture } from "../../helpers/fixtures.js";

const FIXTURE = fixture("python", "backtrack-pip.json");

describe("resolver like pip's", () => {
  let index: IndexServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    tmp = await makeTempDir("mb-resolve-");
    index = await backtrackIndex();
  });
  after(async () => {
    await index?.close();
    await tmp?.cleanup();
  });
  const resolve = (lines: string[], extra: Partial<Parameters<typeof selectWheels>[0]> = {}) => selectWheels({
    requirements: lines.map((l, i) => parseRequirement(l, `req:${i + 1}`)),
    sources: [simpleIndexSource(index.url, { cacheDir: join(tmp.dir, "cache") })],
    target: PYTHON_BASE_TARGET, ...extra,
  });

  it("backtracks out of a conflict to pip's answer", async () => {
    const pip = JSON.parse(await readFile(FIXTURE, "utf8")) as { install: string[] };
    const r = await resolve(BACKTRACK_REQUIREMENTS);
    assert.deepEqual(r.wheels.map((w) => `${w.name}==${w.version}`), pip.install);
    // deterministic: same answer again
    assert.deepEqual((await resolve(BACKTRACK_REQUIREMENTS)).wheels.map((w) => w.sha256), r.wheels.map((w) => w.sha256));
  });

  it("pre-releases only when asked or named", async () => {
    assert.equal((await resolve(["shared"])).wheels[0]!.version, "2.1");
    assert.equal((await resolve(["shared"], { pre: true })).wheels[0]!.version, "3.0rc1");
    assert.equal((await resolve(["shared>=3.0rc1"])).wheels[0]!.version, "3.0rc1");
  });

  it("Requires-Python and markers are evaluated for the target", async () => {
    // app-b 3.0 needs Python >= 3.13; app-a 2.0's winonly dependency is for win32 only
    assert.deepEqual((await resolve(["app-b>=2", "app-a==2.0"])).wheels.map((w) => `${w.name}==${w.version}`), ["app-a==2.0", "app-b==2.0", "mid==1.0", "shared==1.5"]);
  });

  it("an unsatisfiable set fails naming the conflict", async () => {
    await assert.rejects(resolve(["app-a==3.0", "mid"]), /conflict: .*shared/);
  });
});
