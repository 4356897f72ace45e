/**
 * Issue 13 item 7: the app's file name goes into a command run by `sh -c`; names that would run
 * code or split are refused, and the executor's `${VAR:=…}` defaults survive `}` and `$(…)`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMapBuildError } from "../../../src/errors.js";
import { analyzeApp } from "../../../src/map/app-analysis.js";
import { safeAppFileName } from "../../../src/map/app-file-name.js";
import { renderExecutor } from "../../../src/map/executor.js";

const HOSTILE = ["x$(touch${IFS}PWN);y.py", "my app.py", "a`id`.py", "-rf.py", "a\nb.py", "../up.py", "a/../b.py", "x;y.py", "é.py"];

describe("app file names in the run command", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-name-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("plain names pass, hostile ones are refused", () => {
    for (const ok of ["app.py", "my_app.py", "my-app.v2.py", "pkg/app.py"]) assert.equal(safeAppFileName(ok), ok);
    for (const bad of HOSTILE) assert.throws(() => safeAppFileName(bad), (e: unknown) => isMapBuildError(e) && e.code === "E_APP_INVALID", JSON.stringify(bad));
  });

  for (const name of ["x$(touch${IFS}PWN);y.py", "my app.py"]) {
    it(`a single-file app named ${JSON.stringify(name)} is refused by the analysis`, async () => {
      const file = join(dir, name);
      await writeFile(file, "print('hi')\n");
      await assert.rejects(analyzeApp(file, { cwd: dir }), (e: unknown) => isMapBuildError(e) && e.code === "E_APP_INVALID" && /cannot go into the run command/.test(e.message));
    });
  }

  it("monai-exec's defaults keep }, $(…), quotes and backslashes literal (real sh)", async () => {
    const work = join(dir, "sh");
    await mkdir(work);
    const value = "/w}x$(touch PWN)`touch PWN2`\"q\\z";
    const script = renderExecutor({ command: "true", workingDir: value });
    const line = script.split("\n").find((l) => l.startsWith(': "${MONAI_WORKDIR:='));
    assert.ok(line, "the MONAI_WORKDIR default line");
    const out = execFileSync("/bin/sh", ["-c", `${line}\nprintf %s "$MONAI_WORKDIR"`], { cwd: work, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }).toString();
    assert.equal(out, value);
    assert.ok(!existsSync(join(work, "PWN")) && !existsSync(join(work, "PWN2")), "nothing ran");
  });
});
