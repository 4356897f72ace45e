/**
 * The resolver's metadata-only reader leaves RECORD to the install, so a cold build parses each
 * wheel's RECORD once (a torch RECORD has ~12,000 rows). Shown with a wheel whose RECORD member is
 * not even a valid deflate stream: the metadata reader never touches it, the install reader fails.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { isMapBuildError } from "../../../src/errors.js";
import { readWheel, readWheelMetadata } from "../../../src/python/wheel-metadata.js";
import { readZipDirectory } from "../../../src/python/zip-reader.js";
import { scratchDirs } from "../../helpers/tmp.js";
import { GREET, writeWheel } from "../../python/wheel-factory.js";

/** Overwrite a member's compressed bytes with 0xff: a deflate block of the reserved type 3, which zlib refuses. */
async function corruptMember(file: string, name: string): Promise<void> {
  const m = (await readZipDirectory(file)).find((x) => x.name === name);
  assert.ok(m && m.method === 8 && m.compressedSize > 0, `${name} is a deflated member`);
  const bytes = await readFile(file);
  const start = m.localHeaderOffset + 30 + bytes.readUInt16LE(m.localHeaderOffset + 26) + bytes.readUInt16LE(m.localHeaderOffset + 28);
  bytes.fill(0xff, start, start + m.compressedSize);
  await writeFile(file, bytes);
}

describe("wheel metadata reader", () => {
  const scratch = scratchDirs("mb-wheel-md-");

  it("reads WHEEL and METADATA only; RECORD is read by the install", async () => {
    const { path } = await writeWheel(await scratch.fresh("wheel"), { ...GREET, files: { ...GREET.files, "greet/data.txt": "x".repeat(4096) } });
    await corruptMember(path, "greet-1.0.dist-info/RECORD");
    const md = await readWheelMetadata(path);
    assert.equal(md.name, "greet");
    assert.equal(md.version, "1.0");
    assert.ok(md.requiresDist.includes("colorfmt>=1.0"));
    await assert.rejects(readWheel(path), (e: unknown) => isMapBuildError(e) && e.code === "E_PYTHON_DEPS" && /RECORD/.test(e.message));
  });
});
