import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { appendFile, chmod, mkdir, readdir, readFile, symlink, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { isMapBuildError } from "../../../src/errors.js";
import { MediaType } from "../../../src/image/media-types.js";
import { layerFromFile, planFromDisk, writeLayer, writeLayers, type LayerEntry } from "../../../src/layer/index.js";
import type { ProgressEvent } from "../../../src/progress.js";
import { scratchDirs } from "../../helpers/tmp.js";
import { run, runOk } from "../../helpers/run.js";

const scratch = scratchDirs("mb-wl-");
const fresh = scratch.fresh;

async function sha256File(path: string): Promise<string> {
  return `sha256:${createHash("sha256").update(await readFile(path)).digest("hex")}`;
}

/** The same app tree, written under a given umask and then stamped with a given mtime. */
async function appTree(root: string, umask: number, mtime: number): Promise<void> {
  const old = process.umask(umask);
  try {
    await mkdir(join(root, "pkg/deep/er"), { recursive: true });
    await writeFile(join(root, "app.py"), "print('hello')\n");
    await writeFile(join(root, "pkg/__init__.py"), "");
    await writeFile(join(root, "pkg/deep/er/data.json"), '{"a":1}');
    await writeFile(join(root, "run.sh"), "#!/bin/sh\necho run\n", { mode: 0o777 });
    await symlink("pkg/deep/er/data.json", join(root, "data.json"));
  } finally {
    process.umask(old);
  }
  for (const p of ["app.py", "pkg/__init__.py", "pkg/deep/er/data.json", "run.sh", "pkg", "pkg/deep", "."]) {
    await utimes(join(root, p), mtime, mtime);
  }
}

function assertCode(err: unknown, code: string, pattern?: RegExp): true {
  assert.ok(isMapBuildError(err), `expected MapBuildError, got ${String(err)}`);
  assert.equal(err.code, code);
  if (pattern) assert.match(err.message, pattern);
  return true;
}

describe("writeLayer", () => {
  it("is deterministic across source dirs, mtimes, umasks and temp dirs", async () => {
    const a = await fresh("srcA");
    const b = await fresh("srcB");
    await appTree(a, 0o022, 1_000_000);
    await appTree(b, 0o077, 1_700_000_000);
    const layers = [];
    for (const src of [a, b]) {
      const entries = await planFromDisk([{ source: src, target: "/opt/monai/app" }]);
      layers.push(await writeLayer(entries, { compression: "gzip", family: "oci", tmpDir: await fresh("tmp") }));
    }
    const [la, lb] = layers as [NonNullable<(typeof layers)[0]>, NonNullable<(typeof layers)[0]>];
    assert.equal(await la.digest(), await lb.digest());
    assert.equal(await la.diffId(), await lb.diffId());
    assert.notEqual(la.path, lb.path);
    await Promise.all(layers.map((l) => l.dispose()));
  });

  it("writes a valid gzip whose decompressed tar hashes to diffId, sorted, with parents and fixed metadata", async () => {
    const src = await fresh("src");
    await appTree(src, 0o022, 1_234_567);
    const entries = await planFromDisk([{ source: src, target: "/opt/monai/app" }], { uid: 1000, gid: 1000 });
    entries.push({ type: "file", path: "/etc/monai/app.json", mode: 0o644, size: 2, source: { kind: "bytes", data: Buffer.from("{}") } });
    entries.push({ type: "dir", path: "/tmp/cache", mode: 0o755 }); // /tmp itself must not be emitted
    entries.push({ type: "file", path: "/root/.config/x", mode: 0o600, size: 1, source: { kind: "stream", open: async () => Readable.from([Buffer.from("z")]) } });
    const events: ProgressEvent[] = [];
    const layer = await writeLayer(entries, { compression: "gzip", level: 6, family: "docker", tmpDir: await fresh("tmp"), mtime: 1_600_000_000, id: "app", progress: (e) => events.push(e) });
    assert.equal(await layer.mediaType(), MediaType.dockerLayerGzip);
    assert.equal(await layer.digest(), await sha256File(layer.path));
    assert.equal(await layer.size(), (await readFile(layer.path)).length);
    await runOk("gzip", ["-t", layer.path]);
    const tarPath = join(await fresh("plain"), "layer.tar");
    await runOk("bash", ["-c", 'gunzip -c "$1" > "$2"', "_", layer.path, tarPath]);
    assert.equal(await layer.diffId(), await sha256File(tarPath));

    const head = await readFile(layer.path);
    assert.deepEqual([...head.subarray(4, 8)], [0, 0, 0, 0], "gzip header mtime is 0");
    assert.equal(head[9], 255, "gzip OS byte is 'unknown'");

    const listing = (await runOk("tar", ["--numeric-owner", "--full-time", "-tvf", tarPath])).trim().split("\n");
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(" "));
    assert.deepEqual(names, [
      "etc/",
      "etc/monai/",
      "etc/monai/app.json",
      "opt/",
      "opt/monai/",
      "opt/monai/app/",
      "opt/monai/app/app.py",
      "opt/monai/app/data.json -> pkg/deep/er/data.json",
      "opt/monai/app/pkg/",
      "opt/monai/app/pkg/__init__.py",
      "opt/monai/app/pkg/deep/",
      "opt/monai/app/pkg/deep/er/",
      "opt/monai/app/pkg/deep/er/data.json",
      "opt/monai/app/run.sh",
      "root/.config/",
      "root/.config/x",
      "tmp/cache/",
    ]);
    for (const line of listing) assert.match(line, / 2020-09-13 12:26:40 /, "every member has the given mtime");
    const modes = Object.fromEntries(listing.map((l) => [l.split(/\s+/).slice(5).join(" ").split(" -> ")[0], `${l.slice(0, 10)} ${l.split(/\s+/)[1]}`]));
    assert.equal(modes["opt/"], "drwxr-xr-x 0/0");
    assert.equal(modes["opt/monai/app/"], "drwxr-xr-x 1000/1000");
    assert.equal(modes["opt/monai/app/run.sh"], "-rwxr-xr-x 1000/1000");
    assert.equal(modes["opt/monai/app/app.py"], "-rw-r--r-- 1000/1000");
    assert.equal(modes["root/.config/x"], "-rw------- 0/0");

    // No owner names and no pax time records.
    const py = await runOk("python3", ["-c", "import sys,tarfile\nfor m in tarfile.open(sys.argv[1]): print(repr(m.uname), repr(m.gname), sorted(m.pax_headers))", tarPath]);
    for (const line of py.trim().split("\n")) assert.equal(line, "'' '' []");

    assert.equal(events[0]?.phase, "build");
    assert.equal(events.at(-1)?.phase, "done");
    await layer.dispose();
    await assert.rejects(readFile(layer.path), { code: "ENOENT" });
    await layer.dispose(); // idempotent
  });

  it("stores a 64 MiB file uncompressed, digest = diffId", async () => {
    const src = await fresh("big");
    const data = randomBytes(64 * 1024 * 1024);
    await writeFile(join(src, "model.ts"), data);
    const layer = await writeLayer(await planFromDisk([{ source: src, target: "/opt/monai/models" }]), { compression: "none", family: "oci", tmpDir: await fresh("tmp") });
    assert.equal(await layer.mediaType(), MediaType.ociLayer);
    assert.equal(await layer.digest(), await layer.diffId());
    assert.equal(await layer.digest(), await sha256File(layer.path));
    // 3 directory headers + 1 file header + content + 2 end blocks, no padding needed.
    assert.equal(await layer.size(), 3 * 512 + 512 + data.length + 1024);
    const listing = await runOk("tar", ["-tvf", layer.path]);
    assert.match(listing, /-rw-r--r-- 0\/0 +67108864 .* opt\/monai\/models\/model\.ts/);
    const chunks: Buffer[] = [];
    for await (const c of await layer.open()) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).length, await layer.size());
    await layer.dispose();
  });

  it("refuses duplicate paths and a file where a directory is needed", async () => {
    const tmp = await fresh("tmp");
    const f = (path: string, text: string): LayerEntry => ({ type: "file", path, mode: 0o644, size: text.length, source: { kind: "bytes", data: Buffer.from(text) } });
    await assert.rejects(writeLayer([f("/a/x", "1"), f("/a/x", "2")], { compression: "none", family: "oci", tmpDir: tmp }), (e) => assertCode(e, "E_LAYER_INPUT", /two different entries for "\/a\/x"/));
    await assert.rejects(writeLayer([f("/a", "1"), f("/a/x", "2")], { compression: "none", family: "oci", tmpDir: tmp }), (e) => assertCode(e, "E_LAYER_INPUT", /needs it to be a directory/));
    for (const bad of ["/a/../b", "a/b", "/a//b", "/a/./b", "/a/.", "/a/..", "/a/", "/a\u0000b", "/a\uD800b", "/a\uDC00"]) {
      await assert.rejects(writeLayer([f(bad, "1")], { compression: "none", family: "oci", tmpDir: tmp }), (e) => assertCode(e, "E_LAYER_INPUT", /invalid image path/), JSON.stringify(bad));
    }
    const odd = await writeLayer([f("/a/.../..b/b..", "1"), f("/\uD83D\uDE00", "2")], { compression: "none", family: "oci", tmpDir: tmp });
    await odd.dispose();
    await assert.rejects(
      writeLayer([{ type: "hardlink", path: "/a", target: "/b", mode: 0o644 }, f("/b", "x")], { compression: "none", family: "oci", tmpDir: tmp }),
      (e) => assertCode(e, "E_LAYER_INPUT", /not an earlier regular file/),
    );
    // Two mappings into one folder give identical dir entries: merged, not refused.
    const ok = await writeLayer([{ type: "dir", path: "/a", mode: 0o755 }, { type: "dir", path: "/a", mode: 0o755 }], { compression: "none", family: "oci", tmpDir: tmp });
    await ok.dispose();
    assert.deepEqual(await readdir(tmp), []);
  });

  it("fails without a temp file left when a file grows or shrinks after planning", async () => {
    const src = await fresh("chg");
    await writeFile(join(src, "grow.bin"), "1234");
    const tmp = await fresh("tmp");
    const entries = await planFromDisk([{ source: src, target: "/d" }]);
    await appendFile(join(src, "grow.bin"), "5");
    await assert.rejects(writeLayer(entries, { compression: "gzip", family: "oci", tmpDir: tmp }), (e) => assertCode(e, "E_LAYER_INPUT", /grow\.bin grew while the layer was being written/));
    const shrunk = await planFromDisk([{ source: src, target: "/d" }]);
    await truncate(join(src, "grow.bin"), 2);
    await assert.rejects(writeLayer(shrunk, { compression: "none", family: "oci", tmpDir: tmp }), (e) => assertCode(e, "E_LAYER_INPUT", /shrank/));
    assert.deepEqual(await readdir(tmp), []);
  });

  it("reads a stream source whole when it offers whole(), never through open()", async () => {
    const tmp = await fresh("tmp");
    const data = Buffer.from("small member\n");
    const streamed: LayerEntry = { type: "file", path: "/x", mode: 0o644, size: data.length, source: { kind: "stream", open: async () => Readable.from([data]) } };
    const refuse = async (): Promise<Readable> => { throw new Error("open() called"); };
    const whole: LayerEntry = { ...streamed, source: { kind: "stream", open: refuse, whole: async () => data } };
    for (const compression of ["gzip", "none"] as const) {
      const a = await writeLayer([streamed], { compression, family: "oci", tmpDir: tmp });
      const b = await writeLayer([whole], { compression, family: "oci", tmpDir: tmp });
      assert.equal(await b.diffId(), await a.diffId());
      assert.equal(await b.digest(), await a.digest());
    }
  });

  it("removes the temp file when aborted", async () => {
    const tmp = await fresh("tmp");
    const ac = new AbortController();
    const stuck: LayerEntry = { type: "file", path: "/x", mode: 0o644, size: 10, source: { kind: "stream", open: async () => new Readable({ read() {} }) } };
    const p = writeLayer([stuck], { compression: "gzip", family: "oci", tmpDir: tmp, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, (e) => assertCode(e, "E_INTERRUPTED"));
    assert.deepEqual(await readdir(tmp), []);
  });

  it("reports an unwritable temp dir as E_OUTPUT", async () => {
    await assert.rejects(
      writeLayer([{ type: "dir", path: "/a", mode: 0o755 }], { compression: "none", family: "oci", tmpDir: join(scratch.root(), "does-not-exist") }),
      (e) => assertCode(e, "E_OUTPUT"),
    );
  });
});

describe("layerFromFile", () => {
  it("verifies size and digest on every open", async () => {
    const blob = join(await fresh("blob"), "b");
    await writeFile(blob, "hello");
    const digest = await sha256File(blob);
    const good = layerFromFile(blob, { digest: digest as `sha256:${string}`, diffId: digest as `sha256:${string}`, size: 5, mediaType: MediaType.ociLayer });
    const chunks: Buffer[] = [];
    for await (const c of await good.open()) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), "hello");
    await good.dispose(); // not owned: the file stays
    await readFile(blob);

    await chmod(blob, 0o644);
    await writeFile(blob, "hellp");
    const drain = async (): Promise<void> => {
      for await (const _ of await good.open());
    };
    await assert.rejects(drain(), (e) => assertCode(e, "E_DIGEST_MISMATCH"));
    await writeFile(blob, "hello!");
    await assert.rejects(drain(), (e) => assertCode(e, "E_SIZE_MISMATCH"));
  });
});

describe("writeLayers", () => {
  it("builds layers in parallel, in spec order, identical to sequential builds", async () => {
    const tmp = await fresh("tmp");
    const mk = (i: number): LayerEntry[] => [{ type: "file", path: `/l${i}/f`, mode: 0o644, size: 1000, source: { kind: "bytes", data: Buffer.alloc(1000, i) } }];
    const layers = await writeLayers(
      [0, 1, 2, 3, 4].map((i) => ({ entries: mk(i), opts: { compression: "gzip" as const, family: "oci" as const, tmpDir: tmp } })),
      { concurrency: 2 },
    );
    assert.equal(layers.length, 5);
    for (const [i, l] of layers.entries()) {
      const solo = await writeLayer(mk(i), { compression: "gzip", family: "oci", tmpDir: tmp });
      assert.equal(await l.digest(), await solo.digest());
      await solo.dispose();
      await l.dispose();
    }
    assert.deepEqual(await readdir(tmp), []);
  });

  it("on a failure, disposes finished layers and throws the first error", async () => {
    const tmp = await fresh("tmp");
    const ok: LayerEntry[] = [{ type: "dir", path: "/ok", mode: 0o755 }];
    const bad: LayerEntry[] = [{ type: "file", path: "/bad", mode: 0o644, size: 5, source: { kind: "file", path: join(scratch.root(), "missing") } }];
    await assert.rejects(
      writeLayers(
        [ok, bad, ok].map((entries) => ({ entries, opts: { compression: "none" as const, family: "oci" as const, tmpDir: tmp } })),
        { concurrency: 1 },
      ),
      (e) => assertCode(e, "E_LAYER_INPUT", /cannot read .*missing/),
    );
    assert.deepEqual(await readdir(tmp), []);
    const r = await run("ls", [tmp]);
    assert.equal(r.stdout, "");
  });
});
