/**
 * Issue 13 item 4: a file swapped after planning. A FIFO must be refused at once (opening it used
 * to block a libuv worker for ever, and with it the exit on SIGTERM); a symlink or another file of
 * the same size must be refused instead of packaged.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMapBuildError } from "../../../src/errors.js";
import { hashFile } from "../../../src/hash-file.js";
import { InputFileError, openRegularFile, readRegularFile } from "../../../src/open-regular.js";
import { planFromDisk } from "../../../src/layer/plan-from-disk.js";
import { tarChunks } from "../../../src/layer/tar-chunks.js";
import type { LayerEntry } from "../../../src/layer/entry.js";

const BODY = "planned contents\n";

async function drain(entries: LayerEntry[], reuse: boolean): Promise<number> {
  let n = 0;
  for await (const c of tarChunks(entries, { mtime: 0, reuseBuffer: reuse })) n += c.length;
  return n;
}

describe("files swapped after planning", () => {
  let dir: string;
  let app: string;
  let outside: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-swap-"));
    outside = join(dir, "outside.txt");
    await writeFile(outside, "X".repeat(BODY.length)); // same size as the planned file
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const swaps: { name: string; swap(p: string): Promise<void>; message: RegExp }[] = [
    { name: "a FIFO", swap: async (p) => { await unlink(p); execFileSync("mkfifo", [p]); }, message: /fifo/ },
    { name: "a symlink to a same-size file outside", swap: async (p) => { await unlink(p); await symlink(outside, p); }, message: /symlink/ },
    // written beside it and renamed over it: an unlinked inode number is reused at once
    { name: "another regular file of the same size", swap: async (p) => { await writeFile(`${p}.new`, "Y".repeat(BODY.length)); await rename(`${p}.new`, p); }, message: /replaced/ },
  ];

  for (const s of swaps) {
    for (const reuse of [false, true]) {
      it(`${s.name} (${reuse ? "reused buffer" : "stream"}): E_LAYER_INPUT, nothing read`, async () => {
        app = join(dir, `app-${s.name.replace(/\W+/g, "-")}-${reuse}`);
        await mkdir(app);
        await writeFile(join(app, "a.txt"), BODY);
        const entries = await planFromDisk([{ source: app, target: "/opt/app" }]);
        await s.swap(join(app, "a.txt"));
        await assert.rejects(drain(entries, reuse), (e: unknown) => {
          assert.ok(isMapBuildError(e), String(e));
          assert.equal(e.code, "E_LAYER_INPUT");
          assert.match(e.message, s.message);
          return true;
        });
      });
    }
  }

  it("a file named directly through a symlink is still read (its real path is planned)", async () => {
    const real = join(dir, "real.txt");
    await writeFile(real, BODY);
    await symlink(real, join(dir, "link.txt"));
    const entries = await planFromDisk([{ source: join(dir, "link.txt"), target: "/opt/x.txt" }]);
    assert.ok((await drain(entries, false)) > BODY.length);
  });

  it("hashing, openRegularFile and readRegularFile refuse a FIFO and a device without blocking", async () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    await assert.rejects(hashFile(fifo), InputFileError);
    await assert.rejects(openRegularFile(fifo), /is a fifo/);
    await assert.rejects(readRegularFile("/dev/zero", 10), /character device/);
    await assert.rejects(readRegularFile(outside, 3), /more than 3/);
    assert.equal((await readRegularFile(outside, 1000)).length, BODY.length);
  });
});
