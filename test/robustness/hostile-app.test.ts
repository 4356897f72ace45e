/**
 * Hostile app trees through the real CLI (issue 13 item 7): an app file whose name is shell code
 * must be refused at packaging time (exit 3), not run at container start.
 */
import { after, before, describe, it } from "node:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { plantCanary } from "./hostile.js";
import { assertCleanFailure, makeSandbox, runMb, type Sandbox } from "./runner.js";

describe("hostile app file names", () => {
  let sb: Sandbox;
  let base: string[];
  before(async () => {
    sb = await makeSandbox();
    base = ["-b", `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`, "--no-sdk"];
  });
  after(() => sb.cleanup());

  for (const name of ["x$(touch${IFS}PWN);y.py", "my app.py"]) {
    it(`${JSON.stringify(name)}: exit 3, one error line`, async () => {
      const canary = await plantCanary(sb.root);
      const app = join(sb.root, name);
      await writeFile(app, "print('hi')\n");
      const tarball = join(sb.root, "out.tar");
      const r = await runMb(sb, ["package", app, "-t", "a:1", ...base, "--tarball", tarball]);
      await assertCleanFailure(sb, r, { exit: ExitCode.input, code: "E_APP_INVALID", message: "cannot go into the run command", outputs: [tarball] });
      await canary.assertIntact();
    });
  }

  it("--working-dir with ..: exit 2 (usage), not 3", async () => {
    const app = join(sb.root, "ok_app.py");
    await writeFile(app, "print('hi')\n");
    const tarball = join(sb.root, "out.tar");
    const r = await runMb(sb, ["package", app, "-t", "a:1", ...base, "--working-dir", "/var/monai/../../etc", "--tarball", tarball]);
    await assertCleanFailure(sb, r, { exit: ExitCode.usage, code: "E_USAGE", message: "--working-dir", outputs: [tarball] });
  });
});
