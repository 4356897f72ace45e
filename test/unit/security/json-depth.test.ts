/** Issue 13 (low): deeply nested JSON is refused before any recursive code sees it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMapBuildError } from "../../../src/errors.js";
import { jsonDepth, MAX_JSON_DEPTH } from "../../../src/image/json-depth.js";
import { ImageConfigSchema, parseJson } from "../../../src/image/schemas.js";

describe("JSON nesting depth", () => {
  it("counts brackets outside strings only", () => {
    assert.equal(jsonDepth('{"a":[1,{"b":"[[[{{{\\"]]"}]}'), 3);
    assert.equal(jsonDepth("[]"), 1);
    assert.equal(jsonDepth('"[["'), 0);
  });

  it("a config nested 200 000 levels deep is E_MANIFEST_INVALID, not a stack overflow", () => {
    const deep = `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"x":${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    assert.throws(() => parseJson(ImageConfigSchema, deep, "base config"), (e: unknown) => isMapBuildError(e) && e.code === "E_MANIFEST_INVALID" && /nests deeper/.test(e.message));
    const ok = `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"x":${"[".repeat(MAX_JSON_DEPTH - 1)}${"]".repeat(MAX_JSON_DEPTH - 1)}}`;
    assert.ok(parseJson(ImageConfigSchema, ok, "base config"));
  });
});
