/**
 * Missing native libraries are reported once per (wheel, library): a torch-like wheel whose many
 * extension modules all need libstdc++.so.6 gives one entry naming how many and one example, not
 * one per module. What the wheels ship (`<pkg>.libs/`) or the base has is not reported.
 */
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { describeMissingLibrary, missingLibraries } from "../../../src/python/native-libs.js";
import { scratchDirs } from "../../helpers/tmp.js";
import { makeElf } from "../../python/elf-factory.js";
import { writeWheel } from "../../python/wheel-factory.js";

const TAG = "cp311-cp311-manylinux_2_17_x86_64";
const so = (name: string) => `${name}.cpython-311-x86_64-linux-gnu.so`;

describe("missing native libraries, grouped per wheel and library", () => {
  const dirs = scratchDirs("mb-native-libs-");

  it("several modules of one wheel needing one library: one entry, counted, with an example", async () => {
    const dir = await dirs.fresh("wheels");
    const modules = ["torchish/_C", "torchish/nn/_ops", "torchish/_dynamo/_eval", "torchish/fft/_fft"].map(so);
    const files: Record<string, { data: Uint8Array }> = Object.fromEntries(modules.map((m) => [m, { data: makeElf(["libstdc++.so.6", "libgomp-a34b3233.so.1", "libc.so.6"]) }]));
    files[so("torchish/_jit")] = { data: makeElf(["libcuda.so.1", "libc.so.6"]) };
    files["torchish.libs/libgomp-a34b3233.so.1"] = { data: makeElf(["libc.so.6"]) };
    const torch = await writeWheel(dir, { name: "torchish", version: "2.13.0", tag: TAG, files });
    const other = await writeWheel(dir, { name: "numpyish", version: "2.1", tag: TAG, files: { [so("numpyish/_core")]: { data: makeElf(["libstdc++.so.6"]) } } });
    const wheels = [torch, other].map((w) => ({ file: w.path, filename: w.filename, sha256: w.sha256 }));

    const missing = await missingLibraries(wheels, new Set(["libc.so.6"]));
    assert.deepEqual(missing, [
      { wheel: "numpyish 2.1", library: "libstdc++.so.6", modules: [so("numpyish/_core")] },
      { wheel: "torchish 2.13.0", library: "libcuda.so.1", modules: [so("torchish/_jit")] },
      { wheel: "torchish 2.13.0", library: "libstdc++.so.6", modules: [...modules].sort() },
    ]);
    assert.deepEqual(missing.map(describeMissingLibrary), [
      `numpyish 2.1 needs libstdc++.so.6 (for ${so("numpyish/_core")}), which neither the wheels nor the base provide: importing it will fail`,
      `torchish 2.13.0 needs libcuda.so.1 (for ${so("torchish/_jit")}), which neither the wheels nor the base provide: importing it will fail`,
      `torchish 2.13.0 needs libstdc++.so.6 (4 extension modules, e.g. ${so("torchish/_C")}), which neither the wheels nor the base provide: importing them will fail`,
    ]);

    assert.deepEqual(await missingLibraries(wheels, new Set(["libc.so.6", "libstdc++.so.6", "libcuda.so.1"])), [], "all in the base: nothing missing");
  });

  it("a stopped check (the build's signal: it runs beside the layer writes) fails with the reason and keeps no partial facts", async () => {
    const dir = await dirs.fresh("wheels");
    const cache = await dirs.fresh("cache");
    const w = await writeWheel(dir, { name: "numpyish", version: "2.1", tag: TAG, files: { [so("numpyish/_core")]: { data: makeElf(["libstdc++.so.6"]) } } });
    const wheels = [{ file: w.path, filename: w.filename, sha256: w.sha256 }];
    const stop = new AbortController();
    const reason = new Error("a layer write failed");
    stop.abort(reason);
    await assert.rejects(missingLibraries(wheels, new Set(), cache, stop.signal), (e) => e === reason);
    assert.deepEqual(await readdir(cache), [], "nothing cached for the wheel");
    assert.deepEqual(await missingLibraries(wheels, new Set(), cache), [{ wheel: "numpyish 2.1", library: "libstdc++.so.6", modules: [so("numpyish/_core")] }]);
    assert.deepEqual(await readdir(join(cache, "python-elf")), [`${w.sha256}.json`]);
  });
});
