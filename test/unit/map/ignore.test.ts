import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isIgnored } from "../../../src/map/ignore.js";

describe("isIgnored", () => {
  it("ignores the packager's patterns at any depth", () => {
    for (const p of ["__pycache__", "a/__pycache__/x.cpython-38.pyc", "x.pyc", "deep/er/x.pyc", ".git/config",
      "pkg/foo$py.class", "build-1/a.txt", "cmake-build-debug", "x.egg-info/PKG-INFO", "sub/.pytest_cache/v",
      "run.log", ".coverage.abc", ".vscode/settings.json", "venv/bin/python", "a/.env", "MANIFEST", "x.spec",
      "sub/ENV/x", "lib.egg"]) {
      assert.ok(isIgnored(p, false), p);
    }
  });
  it("keeps ordinary app files", () => {
    for (const p of ["app.py", "__main__.py", "operators/seg.py", "build/x.py", "environment.py", "requirements.txt",
      "models/model.ts", "x.pyx", "manifest.json", "envs/x", "my.env.py", "logs/a.txt"]) {
      assert.ok(!isIgnored(p, false), p);
    }
  });
  it("matches files named like directory patterns, as docker did", () => {
    assert.ok(isIgnored("build-notes", false));
    assert.ok(isIgnored("wheels", true));
  });
});
