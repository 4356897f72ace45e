/** The README's usage section must stay in step with the CLI: every long flag of --help is in it. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { packageCommand } from "../../src/cli/package-command.js";
import { package1Command } from "../../src/cli/package1-command.js";
import { inspectCommand } from "../../src/cli/inspect-command.js";
import { diffCommand } from "../../src/cli/diff-command.js";

const README = resolve(import.meta.dirname, "../../README.md");

function longFlags(cmd: { options: readonly { long?: string }[] }): string[] {
  return cmd.options.map((o) => o.long).filter((l): l is string => !!l && l !== "--help");
}

describe("README usage", () => {
  it("names every package (both formats), inspect and diff flag", async () => {
    const readme = await readFile(README, "utf8");
    const missing = [...longFlags(packageCommand()), ...longFlags(package1Command()), ...longFlags(inspectCommand()), ...longFlags(diffCommand())].filter((f) => !readme.includes(f));
    assert.deepEqual(missing, [], `README.md lacks: ${missing.join(", ")}`);
  });

  it("has exactly two set-up commands for a fresh machine", async () => {
    const readme = await readFile(README, "utf8");
    const section = readme.split("## Set up on a fresh machine")[1]?.split("\n## ")[0] ?? "";
    const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const commands = block.split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean);
    assert.deepEqual(commands, ["bash scripts/demo.sh", "bash scripts/test.sh"]);
  });
});
