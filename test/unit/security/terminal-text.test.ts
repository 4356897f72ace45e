/** Issue 13 (low): hostile text in error messages reaches the terminal escaped, on one line. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PassThrough } from "node:stream";
import { MapBuildError } from "../../../src/errors.js";
import { reportError } from "../../../src/cli/report-error.js";
import { terminalSafe } from "../../../src/cli/terminal-text.js";

describe("text printed to the terminal", () => {
  it("control characters and bidi overrides are escaped, plain text is untouched", () => {
    assert.equal(terminalSafe("\x1b]0;pwned\x07 \x9b2J a\u202eb é\t"), "\\x1b]0;pwned\\x07 \\x9b2J a\\u202eb é\t");
    assert.equal(terminalSafe("/opt/monai/app/app.py: ok"), "/opt/monai/app/app.py: ok");
  });

  it("a registry error body with escape sequences prints as one escaped line", () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (b: Buffer) => (text += b.toString()));
    reportError({ stderr: out } as never, new MapBuildError("E_REGISTRY", "registry said: \x1b[2K\x1b[1Afake success\r\nerror: none", { hint: "x\x1b[31my" }), false);
    assert.ok(!text.includes("\x1b") && !text.includes("\r"), JSON.stringify(text));
    assert.equal(text.split("\n").filter(Boolean).length, 2, text);
  });
});
