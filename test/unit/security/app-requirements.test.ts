/**
 * Issue 13 item 5: an app's own requirements.txt (and `@env(pip_packages="file")`) can only reach
 * files inside the app folder, and never gets content from outside it into a message.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMapBuildError } from "../../../src/errors.js";
import { analyzeApp } from "../../../src/map/app-analysis.js";
import { readRequirementsFile } from "../../../src/python/requirements.js";

const SECRET = "root:$6$secret-hash-line:19000:0:99999:7:::";

describe("an app's requirements stay inside the app folder", () => {
  let dir: string;
  let app: string;
  let secret: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-req-"));
    app = join(dir, "app");
    await mkdir(join(app, "reqs"), { recursive: true });
    secret = join(dir, "shadow");
    await writeFile(secret, `${SECRET}\n`);
    await writeFile(join(app, "reqs", "base.txt"), "greet==1.0\n");
    await mkdir(join(dir, "wheels"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const refuses = async (text: string, linkTo?: string) => {
    const req = join(app, "requirements.txt");
    await rm(req, { force: true });
    if (linkTo) await symlink(linkTo, req);
    else await writeFile(req, text);
    await assert.rejects(readRequirementsFile(req, [], undefined, app), (e: unknown) => {
      assert.ok(isMapBuildError(e), String(e));
      assert.equal(e.code, "E_PYTHON_DEPS");
      assert.match(e.message, /outside the app folder/);
      assert.ok(!e.message.includes("secret-hash") && !(e.hint ?? "").includes("secret-hash"), "no content from outside the app");
      return true;
    });
  };

  it("-r to an absolute host path", () => refuses(`-r ${join(dir, "shadow")}\n`));
  it("-c climbing out with ..", () => refuses("-c ../shadow\n"));
  it("--requirement= through a symlink inside the app that points out", async () => {
    await symlink(secret, join(app, "reqs", "sneaky.txt"));
    await refuses("--requirement=reqs/sneaky.txt\n");
  });
  it("--find-links to a host folder", () => refuses(`--find-links ${join(dir, "wheels")}\n`));
  it("requirements.txt itself a symlink out of the app", () => refuses("", secret));

  it("includes inside the app still work, and explicit files are not confined", async () => {
    const req = join(app, "requirements.txt");
    await rm(req, { force: true });
    await writeFile(req, "-r reqs/base.txt\n--find-links reqs\n");
    const set = await readRequirementsFile(req, [], undefined, app);
    assert.deepEqual(set.requirements.map((r) => r.name), ["greet"]);
    const outside = join(dir, "explicit.txt");
    await writeFile(outside, `-r ${join(app, "reqs", "base.txt")}\n`);
    assert.equal((await readRequirementsFile(outside)).requirements.length, 1);
  });

  it("@env(pip_packages=\"/host/file\") is not read", async () => {
    const envApp = join(dir, "envapp");
    await mkdir(envApp);
    await writeFile(join(envApp, "__main__.py"), [
      "from monai.deploy.core import Application, env",
      `@env(pip_packages=${JSON.stringify(secret)})`,
      "class App(Application):",
      "    pass",
      "if __name__ == '__main__':",
      "    App().run()",
      "",
    ].join("\n"));
    const info = await analyzeApp(envApp, { cwd: envApp });
    assert.deepEqual(info.pipPackages, []);
    assert.ok(info.unresolved.some((u) => u.field === "pip_packages" && /outside the app folder/.test(u.reason)), JSON.stringify(info.unresolved));
  });
});
