/** Issue 13 item 1: every sha256 that becomes a file name is 64 hex digits, checked where the path is made. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { digestHex, sha256HexForPath, type Digest } from "../../../src/digest.js";
import { isMapBuildError } from "../../../src/errors.js";
import { parsePylock } from "../../../src/python/pylock.js";
import { parseSimpleJson } from "../../../src/python/simple-index.js";
import { WheelCache } from "../../../src/python/wheel-cache.js";

const GOOD = "a".repeat(64);
const HOSTILE = ["../../victim.txt", "/etc/passwd", `${"a".repeat(63)}/`, `${"a".repeat(64)}\n`, "A".repeat(64), "", `${GOOD}/../x`, "a".repeat(65)];

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isMapBuildError(e) ? e.code : "not a MapBuildError";
  }
  return undefined;
}

describe("sha256 values that become paths", () => {
  it("sha256HexForPath passes 64 lowercase hex digits and refuses everything else", () => {
    assert.equal(sha256HexForPath(GOOD, "t"), GOOD);
    for (const h of HOSTILE) assert.equal(code(() => sha256HexForPath(h, "t")), "E_MANIFEST_INVALID", JSON.stringify(h));
  });

  it("the wheel cache refuses to make a path from a hostile sha256", () => {
    const cache = new WheelCache("/nonexistent/cache");
    assert.equal(cache.pathFor(GOOD), `/nonexistent/cache/blobs/sha256/${GOOD}`);
    for (const h of HOSTILE) assert.equal(code(() => cache.pathFor(h)), "E_PYTHON_DEPS", JSON.stringify(h));
  });

  it("digestHex re-checks a digest that was cast instead of parsed", () => {
    assert.equal(digestHex(`sha256:${GOOD}`), GOOD);
    assert.equal(code(() => digestHex("sha256:../../x" as Digest)), "E_MANIFEST_INVALID");
  });

  it("a PEP 691 page with a path for a sha256 is refused; upper-case hex is fine", () => {
    const page = (sha256: string) => JSON.stringify({ files: [{ filename: "greet-1.0-py3-none-any.whl", url: "greet-1.0-py3-none-any.whl", hashes: { sha256 } }] });
    assert.equal(parseSimpleJson(page(GOOD.toUpperCase()), "http://127.0.0.1/simple/greet/")[0]!.sha256, GOOD);
    assert.equal(code(() => parseSimpleJson(page("../../../victim.txt"), "http://127.0.0.1/simple/greet/")), "E_PYTHON_DEPS");
  });

  it("a pylock.toml with a path for a sha256 is refused", () => {
    const lock = (sha256: string) => `lock-version = "1.0"\n[[packages]]\nname = "greet"\nversion = "1.0"\n[[packages.wheels]]\nurl = "http://127.0.0.1/greet-1.0-py3-none-any.whl"\nhashes = { sha256 = "${sha256}" }\n`;
    assert.equal(parsePylock(lock(GOOD), "pylock.toml", "/tmp")[0]!.wheels[0]!.sha256, GOOD);
    assert.equal(code(() => parsePylock(lock("../../../victim.txt"), "pylock.toml", "/tmp")), "E_PYTHON_DEPS");
  });
});
