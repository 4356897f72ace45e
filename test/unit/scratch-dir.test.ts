/**
 * Scratch folders: a crashed build's folder (its pid gone, untouched for an hour) is swept by the
 * next build; a live process's folder, a recent one, and anything not named by map-build stay.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, readdir, utimes } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeScratchDir, sweepStaleScratchDirs } from "../../src/scratch-dir.js";
import { makeTempDir } from "../helpers/tmp.js";

const HOUR = 60 * 60 * 1000;

/** A pid that has just exited (a finished child's). */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

describe("scratch folders", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => (tmp = await makeTempDir("mb-scratch-")));
  after(async () => tmp.cleanup());

  it("the next build removes a crashed build's folder and keeps live, recent and foreign ones", async () => {
    const parent = join(tmp.dir, "t1");
    await mkdir(parent);
    const dead = deadPid();
    const names = {
      crashed: `map-build-${dead}-aaaaaa`,
      recent: `map-build-${dead}-bbbbbb`,
      live: `map-build-${process.ppid}-cccccc`,
      foreign: "map-build-notapid",
      other: "something-else",
    };
    for (const n of Object.values(names)) await mkdir(join(parent, n, "layer"), { recursive: true });
    const now = Date.now();
    const old = new Date(now - 2 * HOUR);
    for (const n of [names.crashed, names.live, names.foreign, names.other]) await utimes(join(parent, n), old, old);

    const work = await makeScratchDir(parent, { now: () => now });
    assert.match(work, new RegExp(`/map-build-${process.pid}-[A-Za-z0-9]{6}$`));
    const left = (await readdir(parent)).sort();
    assert.ok(!left.includes(names.crashed), "the crashed build's folder is gone");
    for (const n of [names.recent, names.live, names.foreign, names.other]) assert.ok(left.includes(n), `${n} stays`);
  });

  it("a folder of this process is never swept", async () => {
    const parent = join(tmp.dir, "t2");
    await mkdir(join(parent, `map-build-${process.pid}-dddddd`), { recursive: true });
    assert.deepEqual(await sweepStaleScratchDirs(parent, { now: () => Date.parse("2100-01-01T00:00:00Z") }), []);
  });
});
