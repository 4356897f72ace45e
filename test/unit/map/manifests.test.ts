import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildAppJson, renderManifests } from "../../../src/map/manifests.js";
import { PyFloat } from "../../../src/map/python-json.js";

const HEX = "ab".repeat(32);

describe("manifests", () => {
  it("reproduces the documented sample bytes", () => {
    const { appJson, pkgJson, app, pkg } = renderManifests({
      command: "python3 -u /opt/monai/app/app.py",
      version: "1.0.0",
      sdkVersion: "0.5.1",
      models: [{ name: `model-${HEX}`, path: "/opt/monai/models/model/model.ts" }],
      resources: { cpu: 1, gpu: 1, memory: "7Gi" },
    });
    assert.equal(
      appJson.toString(),
      '{\n    "api-version": "0.1.0",\n    "command": "python3 -u /opt/monai/app/app.py",\n    "environment": {},\n' +
        '    "input": {\n        "formats": [],\n        "path": "input"\n    },\n    "output": {\n        "format": {},\n' +
        '        "path": "output"\n    },\n    "sdk-version": "0.5.1",\n    "timeout": 0,\n    "version": "1.0.0",\n' +
        '    "working-directory": "/var/monai/"\n}',
    );
    assert.equal(
      pkgJson.toString(),
      '{\n    "api-version": "0.1.0",\n    "application-root": "/var/monai/",\n    "models": [\n        {\n' +
        `            "name": "model-${HEX}",\n            "path": "/opt/monai/models/model/model.ts"\n        }\n    ],\n` +
        '    "resources": {\n        "cpu": 1,\n        "gpu": 1,\n        "memory": "7168Mi"\n    },\n' +
        '    "sdk-version": "0.5.1",\n    "version": "1.0.0"\n}',
    );
    assert.deepEqual(Object.keys(app).sort(), ["api-version", "command", "environment", "input", "output", "sdk-version", "timeout", "version", "working-directory"]);
    assert.deepEqual(Object.keys(pkg).sort(), ["api-version", "application-root", "models", "resources", "sdk-version", "version"]);
  });

  it("honours working dir, input/output dirs, timeout and defaults", () => {
    const { app, pkg, pkgJson } = renderManifests({
      command: "python3 -u /opt/monai/app/x.py",
      version: "0.0.0",
      sdkVersion: "0.5.1",
      workingDir: "/w",
      inputDir: "in",
      outputDir: "/abs/out",
      timeout: 600,
      resources: { cpu: new PyFloat(2), gpu: 0.5 },
    });
    assert.equal(app.timeout, 600);
    assert.equal(app["working-directory"], "/w");
    assert.deepEqual(app.input, { formats: [], path: "in" });
    assert.deepEqual(app.output, { format: {}, path: "/abs/out" });
    assert.equal(pkg["application-root"], "/w");
    assert.deepEqual(pkg.models, []);
    assert.match(pkgJson.toString(), /"cpu": 2\.0,\n        "gpu": 0\.5,\n        "memory": "0Mi"/);
    assert.match(pkgJson.toString(), /"models": \[\],/);
  });

  it("refuses a bad timeout", () => {
    for (const t of [-1, 1.5, Number.NaN]) {
      assert.throws(() => buildAppJson({ command: "c", version: "1", sdkVersion: "1", timeout: t }), /timeout/);
    }
  });
});
