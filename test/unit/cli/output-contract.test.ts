/**
 * The CLI output contract pieces that need no registry: --version/-V, `package --version X` still
 * meaning the app version, JSON error objects with --json, --label/--annotation parsing, result
 * lines, and which tags resolve to Docker Hub.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { dockerHubShortName } from "../../../src/cli/docker-hub-name.js";
import { stdoutLines } from "../../../src/cli/package-result.js";
import { parseKeyValues } from "../../../src/cli/validate-flags.js";
import type { PackageMapResult } from "../../../src/builder/options.js";
import { REPO_ROOT, runCliInProcess } from "../../helpers/cli.js";

const D = `sha256:${"a".repeat(64)}`;

describe("CLI output contract", () => {
  it("--version and -V print the package version; `package --version` is still the app's", async () => {
    const { version } = JSON.parse(await readFile(`${REPO_ROOT}/package.json`, "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = await runCliInProcess([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${version}\n`);
    }
    const r = await runCliInProcess(["package", "/nonexistent-app", "-t", "x:1", "--version", "9.9.9", "--tarball", "/nonexistent-dir/x.tar"]);
    assert.notEqual(r.stdout, `${version}\n`);
    assert.notEqual(r.code, 0);
  });

  it("--json: a failure is one JSON error object on stdout (usage errors too)", async () => {
    const r = await runCliInProcess(["package", "/nonexistent-app", "-t", "x:1", "--json", "--tarball", "/nonexistent-dir/x.tar"]);
    assert.notEqual(r.code, 0);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; exitCode: number } };
    assert.equal(error.exitCode, r.code);
    assert.match(error.code, /^E_/);
    const usage = await runCliInProcess(["package", "--json", "--no-such-flag"]);
    assert.equal((JSON.parse(usage.stdout) as { error: { code: string } }).error.code, "E_USAGE");
  });

  it("--label/--annotation take key=value; the MAP's own labels cannot be replaced", () => {
    assert.deepEqual(parseKeyValues("--label", ["a=1", "b=x=y", "c="]), { a: "1", b: "x=y", c: "" });
    assert.equal(parseKeyValues("--label", undefined), undefined);
    assert.throws(() => parseKeyValues("--label", ["novalue"]), { code: "E_USAGE" });
    assert.throws(() => parseKeyValues("--label", ["tag=x"], ["tag"]), { code: "E_USAGE", message: /MAP's own tag label/ });
  });

  it("stdout: ref@digest per pushed name, else the bare digest", () => {
    const result = (outputs: PackageMapResult["outputs"]) => ({ digest: D, outputs }) as PackageMapResult;
    assert.deepEqual(stdoutLines(result([{ kind: "tarball", target: "/x.tar" }])), [D]);
    assert.deepEqual(stdoutLines(result([{ kind: "push", target: "r.example/a/b:1", digest: D }])), [`r.example/a/b:1@${D}`]);
  });

  it("short tags resolve to Docker Hub (warned about with --push); tags with a registry host do not", () => {
    assert.equal(dockerHubShortName("myapp:1"), "docker.io/library/myapp:1");
    assert.match(dockerHubShortName("team/myapp:1") ?? "", /^docker\.io\/team\/myapp:1$/);
    for (const t of ["localhost/a:1", "127.0.0.1:5000/a:1", "registry.example.com/a/b:1", "host:5000/a"]) assert.equal(dockerHubShortName(t), undefined, t);
  });
});
