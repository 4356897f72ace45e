import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { PyFloat, pythonFloatRepr, pythonJsonDumps, type PyJsonValue } from "../../../src/map/python-json.js";

/** Ask the host's python3 for the reference bytes (tests may use host tools). */
function pyDumps(jsonText: string): string {
  return execFileSync(
    "python3",
    ["-c", 'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read()), sort_keys=True, indent=4, separators=(",", ": ")))'],
    { input: jsonText, encoding: "utf8" },
  );
}

function pyFloatRepr(xs: number[]): string[] {
  const out = execFileSync("python3", ["-c", "import json,sys\nfor x in json.loads(sys.stdin.read()): print(repr(float(x)))"], {
    input: JSON.stringify(xs),
    encoding: "utf8",
  });
  return out.trim().split("\n");
}

describe("pythonJsonDumps", () => {
  it("matches the documented app.json sample byte for byte", () => {
    const app = {
      "api-version": "0.1.0",
      command: "python3 -u /opt/monai/app/app.py",
      environment: {},
      input: { formats: [], path: "input" },
      output: { format: {}, path: "output" },
      "sdk-version": "0.5.1",
      timeout: 0,
      version: "1.0.0",
      "working-directory": "/var/monai/",
    };
    const expected =
      '{\n    "api-version": "0.1.0",\n    "command": "python3 -u /opt/monai/app/app.py",\n    "environment": {},\n' +
      '    "input": {\n        "formats": [],\n        "path": "input"\n    },\n    "output": {\n        "format": {},\n' +
      '        "path": "output"\n    },\n    "sdk-version": "0.5.1",\n    "timeout": 0,\n    "version": "1.0.0",\n' +
      '    "working-directory": "/var/monai/"\n}';
    assert.equal(pythonJsonDumps(app), expected);
    assert.equal(pythonJsonDumps(app), pyDumps(JSON.stringify(app)));
  });

  it("matches python3 on strings, nesting, numbers and key order", () => {
    const cases: PyJsonValue[] = [
      "plain",
      'quote " backslash \\ slash / tab \t nl \n cr \r bs \b ff \f',
      "ctl \u0000 \u0001 \u001f del \u007f",
      "é ü ñ € 中文 \u2028",
      "astral 😀 𝄞",
      "lone \ud800 x \udfff",
      { b: 1, a: [1, 2, { z: null, y: true, x: false }], "é": "x", "😀": 1, "\uffff": 2, A: [] },
      [0.1, 0.5, 1.5, -2.25, 1e-5, 0.0001, 123456789.125, 3.14159, 1 / 3, -0.001],
      [0, -1, 2, 1e15, 9007199254740993n, 1e16],
      [[], {}, [[]], [{}]],
      null,
      true,
      7,
    ];
    for (const c of cases) {
      const text = JSON.stringify(c, (_k, v: unknown) => (typeof v === "bigint" ? `__big__${v}` : v)).replace(
        /"__big__(\d+)"/g,
        "$1",
      );
      assert.equal(pythonJsonDumps(c), pyDumps(text), `case ${text}`);
    }
  });

  it("renders PyFloat like a Python float", () => {
    assert.equal(pythonJsonDumps({ cpu: new PyFloat(2), gpu: 0.5 }), '{\n    "cpu": 2.0,\n    "gpu": 0.5\n}');
  });

  it("reproduces float repr across magnitudes", () => {
    const xs = [1e16, 1e15 + 0.5, 1.5e16, 123e-7, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, 1e-4, 9.999e-5, 2.5e21, 42.0001];
    assert.deepEqual(xs.map(pythonFloatRepr), pyFloatRepr(xs));
    assert.equal(pythonFloatRepr(2), "2.0");
    assert.equal(pythonFloatRepr(-0), "-0.0");
  });
});
