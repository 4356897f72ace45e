/**
 * Simple index pages announcing PEP 658/714 metadata files: HTML `data-core-metadata` /
 * `data-dist-info-metadata`, PEP 691 JSON `core-metadata` / `dist-info-metadata`; and what a
 * metadata file must say about its wheel (metadata-file.ts).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { isMapBuildError } from "../../../src/errors.js";
import { checkMetadataAgrees, readMetadataFile } from "../../../src/python/metadata-file.js";
import { parseSimpleHtml, parseSimpleJson } from "../../../src/python/simple-index.js";
import type { MetadataFile } from "../../../src/python/sources.js";
import { parseWheelFilename } from "../../../src/python/wheel-tags.js";

const PAGE = "http://127.0.0.1/simple/greet/";
const WHL = "greet-1.0-py3-none-any.whl";
const H256 = "a".repeat(64), H512 = "b".repeat(128);
const code = (e: unknown) => (isMapBuildError(e) ? e.code : String(e));

const html = (attrs: string) => parseSimpleHtml(`<a href="../../files/${WHL}#sha256=${"c".repeat(64)}" ${attrs}>${WHL}</a>`, PAGE)[0]!;
const json = (fields: Record<string, unknown>) => parseSimpleJson(JSON.stringify({ meta: { "api-version": "1.1" }, files: [{ filename: WHL, url: `../../files/${WHL}`, hashes: {}, ...fields }] }), PAGE)[0];

describe("simple index: metadata file announcements", () => {
  it("HTML: PEP 714's data-core-metadata, PEP 658's data-dist-info-metadata, the new name winning", () => {
    assert.deepEqual(html(`data-core-metadata="sha256=${H256.toUpperCase()}"`).metadata, { hash: { algorithm: "sha256", hex: H256 } });
    assert.deepEqual(html(`data-dist-info-metadata="sha256=${H256}"`).metadata, { hash: { algorithm: "sha256", hex: H256 } });
    assert.deepEqual(html(`data-core-metadata="true"`).metadata, {}, "announced without a hash");
    assert.deepEqual(html(`data-dist-info-metadata="sha256=${"d".repeat(64)}" data-core-metadata="sha512=${H512}"`).metadata, { hash: { algorithm: "sha512", hex: H512 } });
    assert.equal(html(`data-requires-python="&gt;=3.8"`).metadata, undefined, "not announced");
    assert.equal(html(`data-core-metadata="false"`).metadata, undefined);
    // hashes that cannot be checked: the metadata file is not used (the wheel is downloaded instead)
    assert.equal(html(`data-core-metadata="sha256=../../etc"`).metadata, undefined);
    assert.equal(html(`data-core-metadata="md5=${"e".repeat(32)}"`).metadata, undefined);
    assert.equal(html(`data-core-metadata="sha256=${H256.slice(1)}"`).metadata, undefined);
  });

  it("JSON: core-metadata / dist-info-metadata as a boolean or a dict of hashes, strongest checkable hash chosen", () => {
    assert.deepEqual(json({ "core-metadata": { sha256: H256 } })!.metadata, { hash: { algorithm: "sha256", hex: H256 } });
    assert.deepEqual(json({ "dist-info-metadata": { sha256: H256, sha512: H512 } })!.metadata, { hash: { algorithm: "sha512", hex: H512 } });
    assert.deepEqual(json({ "core-metadata": true })!.metadata, {});
    assert.deepEqual(json({ "core-metadata": {} })!.metadata, {});
    assert.equal(json({ "core-metadata": false, "dist-info-metadata": true })!.metadata, undefined, "the new key wins");
    assert.equal(json({ "core-metadata": { md5: "e".repeat(32) } })!.metadata, undefined);
    assert.equal(json({ "core-metadata": "yes" })!.metadata, undefined, "malformed: not announced, the file still listed");
    assert.equal(json({})!.metadata, undefined);
  });

  it("JSON pages go through a schema: odd entries skipped, null fields tolerated, a broken page a typed error", () => {
    const f = json({ "requires-python": null, yanked: null, hashes: { sha256: H256.toUpperCase() } })!;
    assert.equal(f.requiresPython, undefined);
    assert.equal(f.yanked, false);
    assert.equal(f.sha256, H256);
    assert.equal(json({ yanked: "broken build" })!.yanked, true);
    assert.deepEqual(parseSimpleJson(JSON.stringify({ files: [{ filename: WHL }, 7, { filename: WHL, url: WHL }] }), PAGE).map((x) => x.url), [`${PAGE}${WHL}`]);
    assert.deepEqual(parseSimpleJson(JSON.stringify({ meta: {} }), PAGE), []);
    assert.throws(() => parseSimpleJson("<html>", PAGE), (e: unknown) => code(e) === "E_PYTHON_DEPS");
    assert.throws(() => parseSimpleJson(JSON.stringify({ files: {} }), PAGE), (e: unknown) => code(e) === "E_PYTHON_DEPS");
  });
});

describe("metadata files against their wheel", () => {
  const wheel = parseWheelFilename(WHL)!;
  const text = "Metadata-Version: 2.1\nName: Greet\nVersion: 1.0.0\nRequires-Dist: colorfmt>=1.0\n\nA description.\n";
  const file = (body: string, hash?: string): MetadataFile => ({
    url: `http://127.0.0.1/files/${WHL}.metadata`, fetch: async () => Buffer.from(body),
    ...(hash ? { hash: { algorithm: "sha256" as const, hex: hash } } : {}),
  });
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");

  it("checked against the announced hash, and against the wheel's name and version", async () => {
    const md = await readMetadataFile(wheel, file(text, sha(text)));
    assert.deepEqual([md.name, md.version, md.requiresDist], ["Greet", "1.0.0", ["colorfmt>=1.0"]], "1.0.0 is the filename's 1.0");
    await assert.rejects(readMetadataFile(wheel, file(text, H256)), (e: unknown) => code(e) === "E_DIGEST_MISMATCH");
    await assert.rejects(readMetadataFile(wheel, file(text.replace("Greet", "other"))), /describes other 1\.0\.0, not greet-1\.0/);
    await assert.rejects(readMetadataFile(wheel, file(text.replace("1.0.0", "1.1"))), (e: unknown) => code(e) === "E_PYTHON_DEPS");
  });

  it("the downloaded wheel must say the same: name, version, Requires-Python, Requires-Dist (in any order)", () => {
    const base = { name: "greet", version: "1.0", requiresDist: ["a", "b>=2"], requiresPython: ">=3.8" };
    const m = file(text);
    checkMetadataAgrees(m, WHL, base, { ...base, name: "Greet", version: "1.0.0", requiresDist: ["b>=2", "a"], requiresPython: ">= 3.8" });
    assert.throws(() => checkMetadataAgrees(m, WHL, base, { ...base, requiresDist: ["a"] }), /Requires-Dist "b>=2" only in the metadata file/);
    assert.throws(() => checkMetadataAgrees(m, WHL, base, { ...base, requiresPython: ">=3.9" }), /Requires-Python >=3\.8 \/ >=3\.9/);
    assert.throws(() => checkMetadataAgrees(m, WHL, base, { ...base, version: "1.1" }), (e: unknown) => code(e) === "E_PYTHON_DEPS");
  });
});
