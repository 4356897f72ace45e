/**
 * The CLI keeps V8's young generation at its start-up size (src/cli/heap-settings.ts) unless the
 * user sized it: measured in a child that imports the module, then allocates enough short-lived
 * objects that V8 would grow the space to its 2 × 16 MiB maximum.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { runOk } from "../../helpers/run.js";

const SETTINGS = resolve(import.meta.dirname, "../../../src/cli/heap-settings.ts");
const CHILD = `
await import(${JSON.stringify(SETTINGS)});
const { getHeapSpaceStatistics } = await import("node:v8");
let keep = [];
for (let i = 0; i < 3e6; i++) { keep.push({ i, a: [i] }); if (keep.length > 100000) keep = []; }
process.stdout.write(String(getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size));`;

async function newSpaceBytes(env: NodeJS.ProcessEnv = {}): Promise<number> {
  const { NODE_OPTIONS: _drop, ...rest } = process.env;
  return Number(await runOk(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], { env: { ...rest, ...env } }));
}

describe("CLI heap settings", () => {
  it("the young generation does not grow", async () => {
    const bytes = await newSpaceBytes();
    assert.ok(bytes <= 8 * 2 ** 20, `new space ${bytes} bytes`);
  });

  it("a size the user chose in NODE_OPTIONS stands", async () => {
    const bytes = await newSpaceBytes({ NODE_OPTIONS: "--max-semi-space-size=32" });
    assert.ok(bytes > 32 * 2 ** 20, `new space ${bytes} bytes`);
  });
});
