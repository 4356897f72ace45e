import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, link, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isMapBuildError } from "../../../src/errors.js";
import { planFromDisk, type LayerEntry } from "../../../src/layer/index.js";
import { makeTempDir } from "../../helpers/tmp.js";
import { runOk } from "../../helpers/run.js";

let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await makeTempDir("mb-plan-"));
});
after(async () => {
  await cleanup();
});

let n = 0;
async function tree(files: Record<string, string>): Promise<string> {
  const root = join(dir, `t${n++}`);
  await mkdir(root);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(root, rel, ".."), { recursive: true });
    await writeFile(join(root, rel), content);
  }
  return root;
}

function summary(entries: LayerEntry[]): string[] {
  return entries.map((e) => {
    const extra = e.type === "file" ? ` ${e.size}` : e.type === "symlink" || e.type === "hardlink" ? ` -> ${e.target}` : "";
    return `${e.type} ${e.path} ${e.mode.toString(8)} ${e.uid ?? 0}:${e.gid ?? 0}${extra}`;
  });
}

function assertLayerInput(err: unknown, pattern: RegExp): true {
  assert.ok(isMapBuildError(err), `expected MapBuildError, got ${String(err)}`);
  assert.equal(err.code, "E_LAYER_INPUT");
  assert.match(err.message, pattern);
  assert.ok(err.hint);
  return true;
}

describe("planFromDisk", () => {
  it("maps a directory recursively with normalised modes and owners", async () => {
    const root = await tree({ "app.py": "print(1)\n", "pkg/__init__.py": "", "bin/run": "#!/bin/sh\n" });
    await chmod(join(root, "bin/run"), 0o700); // owner-only exec still becomes 0755
    await chmod(join(root, "app.py"), 0o600); // private file becomes 0644
    const entries = await planFromDisk([{ source: root, target: "/opt/monai/app/" }], { uid: 1000, gid: 1000 });
    assert.deepEqual(summary(entries).sort(), [
      "dir /opt/monai/app 755 1000:1000",
      "dir /opt/monai/app/bin 755 1000:1000",
      "dir /opt/monai/app/pkg 755 1000:1000",
      "file /opt/monai/app/app.py 644 1000:1000 9",
      "file /opt/monai/app/bin/run 755 1000:1000 10",
      "file /opt/monai/app/pkg/__init__.py 644 1000:1000 0",
    ]);
  });

  it("maps a single file to its target", async () => {
    const root = await tree({ "model.ts": "weights" });
    const entries = await planFromDisk([{ source: join(root, "model.ts"), target: "/opt/monai/models/model.ts" }]);
    assert.deepEqual(summary(entries), ["file /opt/monai/models/model.ts 644 0:0 7"]);
  });

  it("applies ignore with POSIX relative paths and skips ignored directories", async () => {
    const root = await tree({ "a.py": "", "__pycache__/a.pyc": "", "sub/b.py": "", "sub/c.log": "" });
    const seen: string[] = [];
    const entries = await planFromDisk([{ source: root, target: "/app" }], {
      ignore: (rel, isDir) => {
        seen.push(`${rel}${isDir ? "/" : ""}`);
        return rel === "__pycache__" || rel.endsWith(".log");
      },
    });
    assert.deepEqual(summary(entries).map((s) => s.split(" ")[1]).sort(), ["/app", "/app/a.py", "/app/sub", "/app/sub/b.py"]);
    assert.ok(!seen.includes("__pycache__/a.pyc"), "an ignored directory is not entered");
    assert.ok(seen.includes("sub/c.log"));
  });

  it("keeps symlinks that stay inside the tree, target stored as is", async () => {
    const root = await tree({ "lib/real.py": "x", "data/f": "y" });
    await symlink("../lib/real.py", join(root, "data/alias.py"));
    await symlink("lib", join(root, "libdir"));
    await symlink("missing-but-inside", join(root, "dangling"));
    const entries = await planFromDisk([{ source: root, target: "/app" }]);
    const links = summary(entries).filter((s) => s.startsWith("symlink"));
    assert.deepEqual(links.sort(), [
      "symlink /app/dangling 777 0:0 -> missing-but-inside",
      "symlink /app/data/alias.py 777 0:0 -> ../lib/real.py",
      "symlink /app/libdir 777 0:0 -> lib",
    ]);
  });

  it("refuses symlinks that escape the source root, by text or through another link", async () => {
    const outside = await tree({ "secret.txt": "s" });
    const a = await tree({ "f": "" });
    await symlink("../../etc/passwd", join(a, "up"));
    await assert.rejects(planFromDisk([{ source: a, target: "/app" }]), (e) => assertLayerInput(e, /up -> \.\.\/\.\.\/etc\/passwd points outside/));

    const b = await tree({ "f": "" });
    await symlink(join(outside, "secret.txt"), join(b, "abs"));
    await assert.rejects(planFromDisk([{ source: b, target: "/app" }]), (e) => assertLayerInput(e, /abs -> .* is absolute/));

    // `hop` looks harmless by text (`out/..` normalises to `.`) but `out` leaves the tree.
    const c = await tree({ "f": "" });
    await symlink(outside, join(c, "out"));
    await assert.rejects(planFromDisk([{ source: c, target: "/app" }]), (e) => assertLayerInput(e, /out -> .* is absolute/));
    const d = await tree({ "sub/f": "" });
    await symlink("../..", join(d, "sub/esc"));
    await assert.rejects(planFromDisk([{ source: d, target: "/app" }]), (e) => assertLayerInput(e, /sub\/esc -> \.\.\/\.\. points outside/));
  });

  it("refuses a relative symlink whose real path leaves the tree through another (ignored) link", async () => {
    const outside = await tree({ "x/secret": "s" });
    const root = await tree({ "in/f": "" });
    // in/link -> ../in2/secret stays inside by text, but in2 (left out by ignore) leads outside.
    await symlink(join(outside, "x"), join(root, "in2"));
    await symlink("../in2/secret", join(root, "in/link"));
    await assert.rejects(
      planFromDisk([{ source: root, target: "/app" }], { ignore: (rel) => rel === "in2" }),
      (e) => assertLayerInput(e, /in\/link -> \.\.\/in2\/secret resolves to .*outside/),
    );
  });

  it("refuses fifos naming the path", async () => {
    const root = await tree({ "ok.txt": "" });
    await runOk("mkfifo", [join(root, "pipe")]);
    await assert.rejects(planFromDisk([{ source: root, target: "/app" }]), (e) => assertLayerInput(e, /pipe is a fifo/));
  });

  it("refuses a missing source", async () => {
    await assert.rejects(planFromDisk([{ source: join(dir, "nope"), target: "/app" }]), (e) => assertLayerInput(e, /cannot read .*nope/));
  });

  it("turns repeated inodes into hardlinks to the first path in byte order", async () => {
    const root = await tree({ "b/data.bin": "same" });
    await link(join(root, "b/data.bin"), join(root, "a.bin"));
    await link(join(root, "b/data.bin"), join(root, "c.bin"));
    const entries = await planFromDisk([{ source: root, target: "/m" }]);
    assert.deepEqual(summary(entries).filter((s) => !s.startsWith("dir")).sort(), [
      "file /m/a.bin 644 0:0 4",
      "hardlink /m/b/data.bin 644 0:0 -> /m/a.bin",
      "hardlink /m/c.bin 644 0:0 -> /m/a.bin",
    ]);
  });

  it("keeps UTF-8 names with newlines and refuses names that are not UTF-8", async () => {
    const root = await tree({ "new\nline.txt": "x", "ünïcode.txt": "y" });
    const entries = await planFromDisk([{ source: root, target: "/app" }]);
    assert.ok(entries.some((e) => e.path === "/app/new\nline.txt"));
    assert.ok(entries.some((e) => e.path === "/app/ünïcode.txt"));

    const bad = await tree({ "ok": "" });
    // Latin-1 "é" (0xE9) alone is not valid UTF-8; create it through the shell to keep the raw byte.
    await runOk("bash", ["-c", `touch "$1/caf"$'\\xe9'".txt"`, "_", bad]);
    await assert.rejects(planFromDisk([{ source: bad, target: "/app" }]), (e) => assertLayerInput(e, /not valid UTF-8/));
  });

  it("refuses a relative target", async () => {
    const root = await tree({ "f": "" });
    await assert.rejects(planFromDisk([{ source: root, target: "app" }]), (e) => assertLayerInput(e, /not absolute/));
  });
});
