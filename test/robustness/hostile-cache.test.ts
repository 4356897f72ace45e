/**
 * `map-build cache prune` pointed at a folder that is not its cache (issue 13 item 6): exit 2,
 * one error line, every file still there (the canary, and an OCI layout's blob named like ours).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { existsSync } from "node:fs";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { plantCanary } from "./hostile.js";
import { assertCleanFailure, makeSandbox, runMb, type Sandbox } from "./runner.js";

describe("cache prune in a foreign folder", () => {
  let sb: Sandbox;
  before(async () => {
    sb = await makeSandbox();
  });
  after(() => sb.cleanup());

  it("refuses with exit 2 and deletes nothing", async () => {
    const folder = join(sb.root, "not-a-cache");
    await mkdir(join(folder, "blobs", "sha256"), { recursive: true });
    const blob = join(folder, "blobs", "sha256", "cd".repeat(32));
    await writeFile(blob, "layout blob");
    const old = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    await utimes(blob, old, old);
    const canary = await plantCanary(folder);
    const r = await runMb(sb, ["cache", "prune", "--cache-dir", folder]);
    await assertCleanFailure(sb, r, { exit: ExitCode.usage, code: "E_USAGE", message: "not a map-build cache" });
    await canary.assertIntact();
    assert.ok(existsSync(blob));
  });
});
