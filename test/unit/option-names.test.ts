/** Core errors name options, not CLI flags; the CLI renders them with its flags. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MapBuildError, optionName, renderOptionNames } from "../../src/errors.js";
import { reportError } from "../../src/cli/report-error.js";

describe("option names in core errors", () => {
  const err = () => new MapBuildError("E_USAGE", `invalid ${optionName("memory")} "lots"`, { hint: `pass ${optionName("memory")} like 7Gi, or ${optionName("noCache")}` });

  it("a library caller reads its option names", () => {
    assert.equal(err().message, 'invalid memory "lots"');
    assert.equal(err().hint, "pass memory like 7Gi, or noCache");
    assert.equal(renderOptionNames(err().template.hint!, { memory: "mem" }), "pass mem like 7Gi, or noCache");
  });

  it("the CLI prints its flags", () => {
    let out = "";
    reportError({ stderr: { write: (s: string) => ((out += s), true) } as never }, err(), false);
    assert.equal(out, 'error: invalid --memory "lots" [E_USAGE]\nhint: pass --memory like 7Gi, or --no-cache\n');
  });
});
