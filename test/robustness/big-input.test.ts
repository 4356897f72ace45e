/**
 * Bad and big inputs that need the disk: a full disk (a 1 MiB tmpfs mounted here, we are root),
 * file names with newlines (work, through PAX) and non-UTF-8 bytes (refused: matrix.ts), a
 * > 8 GiB sparse model (header chain checked at unit level: a full 9 GiB build took 2 min 42 s
 * here, mostly writing the 9 GiB layer and hashing it for pkg.json), and 10 000 small files
 * (peak RSS of the CLI child < 200 MB).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createReadStream } from "node:fs";
import { cp, mkdir, open, readFile, readdir, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, join, resolve } from "node:path";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { run, runOk } from "../helpers/run.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { ExitCode } from "../../src/cli/exit-codes.js";
import type { ModelPlan } from "../../src/map/index.js";
import { modelLayer } from "../../src/map/map-entries.js";
import { tarChunks } from "../../src/layer/tar-chunks.js";
import { assertCleanFailure, makeSandbox, runMb, type Sandbox } from "./runner.js";

const EXAMPLE_APP = resolve(import.meta.dirname, "../../examples/word_score_app");

/** Names of every entry of a (possibly gzipped) layer blob. */
async function layerNames(blob: string): Promise<string[]> {
  const head = Buffer.alloc(2);
  const fh = await open(blob, "r");
  await fh.read(head, 0, 2, 0);
  await fh.close();
  const ex = extract();
  const names: string[] = [];
  ex.on("entry", (h, stream, next) => {
    names.push(h.name);
    stream.on("end", next);
    stream.resume();
  });
  const src = createReadStream(blob);
  const done = new Promise<void>((res, rej) => ex.on("finish", res).on("error", rej));
  (head[0] === 0x1f && head[1] === 0x8b ? src.pipe(createGunzip()) : src).pipe(ex);
  await done;
  return names;
}

/** Names in each layer of the single image of an OCI layout. */
async function layoutLayerNames(layout: string): Promise<string[][]> {
  const blob = (d: string) => join(layout, "blobs", "sha256", d.slice("sha256:".length));
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(await readFile(blob(index.manifests[0]!.digest), "utf8")) as { layers: { digest: string }[] };
  return Promise.all(manifest.layers.map((l) => layerNames(blob(l.digest))));
}

describe("big and awkward inputs", () => {
  let pythonBase: string;
  let sb: Sandbox;
  let small: string;
  let mounted = false;
  const base = () => ["-b", `oci:${pythonBase}:${PYTHON_BASE_TAG}`, "--no-sdk"];

  before(async () => {
    pythonBase = await pythonBaseLayout();
    sb = await makeSandbox();
    small = join(sb.root, "small");
    await mkdir(small);
    await runOk("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", small]);
    mounted = true;
  });
  after(async () => {
    if (mounted) await run("umount", [small]);
    await sb?.cleanup();
  });

  it("disk full while writing --tarball → exit 8 E_OUTPUT, nothing left on the full disk", async () => {
    const out = join(small, "o.tar");
    const r = await runMb(sb, ["package", EXAMPLE_APP, "-t", "a:1", ...base(), "--no-cache", "--tarball", out]);
    await assertCleanFailure(sb, r, { exit: ExitCode.output, code: "E_OUTPUT", message: /o\.tar: no space left/, outputs: [out], hint: "disk space" });
    assert.deepEqual(await readdir(small), []);
  });

  it("disk full while writing --oci-layout → exit 8 E_OUTPUT, the new layout dir is removed", async () => {
    const out = join(small, "layout");
    const r = await runMb(sb, ["package", EXAMPLE_APP, "-t", "a:1", ...base(), "--no-cache", "--oci-layout", out]);
    await assertCleanFailure(sb, r, { exit: ExitCode.output, code: "E_OUTPUT", message: "no space left", outputs: [out] });
    assert.deepEqual(await readdir(small), []);
  });

  it("disk full in TMPDIR while writing layers → exit 8 E_OUTPUT, no map-build-* temp dir left", async () => {
    const model = join(sb.root, "weights.tsv");
    await writeFile(model, randomBytes(3 * 1024 * 1024).toString("hex").slice(0, 3 * 1024 * 1024));
    const out = join(sb.root, "o.tar");
    const r = await runMb(sb, ["package", EXAMPLE_APP, "-t", "a:1", "-m", model, ...base(), "--no-cache", "--tarball", out], { env: { TMPDIR: small } });
    await assertCleanFailure(sb, r, { exit: ExitCode.output, code: "E_OUTPUT", outputs: [out] });
    assert.deepEqual((await readdir(small)).filter((n) => n.startsWith("map-build-")), []);
  });

  it("file names with a newline are packaged (PAX path record) and read back by a tar reader", async () => {
    const app = join(sb.root, "nl-app");
    await cp(EXAMPLE_APP, app, { recursive: true });
    await writeFile(join(app, "two\nlines.txt"), "x");
    const layout = join(sb.root, "nl-layout");
    const r = await runMb(sb, ["package", app, "-t", "a:1", ...base(), "--no-cache", "--oci-layout", layout]);
    assert.equal(r.code, 0, r.stderr);
    const names = (await layoutLayerNames(layout)).flat();
    assert.ok(names.includes("opt/monai/app/two\nlines.txt"), "the newline name is in the app layer");
    // umoci (a real consumer) unpacks it too
    const bundle = join(sb.root, "nl-bundle");
    await runOk("umoci", ["unpack", "--rootless", "--image", `${layout}:1`, bundle]);
    assert.equal(await readFile(join(bundle, "rootfs", "opt", "monai", "app", "two\nlines.txt"), "utf8"), "x");
  });

  it("10 000 small files build; the CLI child's peak RSS stays < 200 MB", async () => {
    const app = join(sb.root, "many-app");
    await cp(EXAMPLE_APP, app, { recursive: true });
    for (let d = 0; d < 100; d++) {
      const dir = join(app, "data", `d${d}`);
      await mkdir(dir, { recursive: true });
      await Promise.all(Array.from({ length: 100 }, (_, f) => writeFile(join(dir, `f${f}.txt`), `${d}-${f}\n`)));
    }
    const layout = join(sb.root, "many-layout");
    const r = await runMb(sb, ["package", app, "-t", "a:1", ...base(), "--no-cache", "--oci-layout", layout], { wrap: ["/usr/bin/time", "-v"], timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
    assert.ok(kb > 0, r.stderr);
    assert.ok(kb < 200 * 1024, `peak RSS ${Math.round(kb / 1024)} MB`);
    const appFiles = (await layoutLayerNames(layout)).flat().filter((n) => n.startsWith("opt/monai/app/data/") && n.endsWith(".txt"));
    assert.equal(appFiles.length, 10_000);
  });

  it("a 9 GiB sparse model: its layer entry has the full size, its header carries a PAX size that GNU tar reads back", async () => {
    const dir = join(sb.root, "big-model");
    await mkdir(dir);
    const file = join(dir, "weights.bin");
    const size = 9 * 1024 ** 3;
    await runOk("truncate", ["-s", "9G", file]);
    // the plan planModels makes, minus its sha256 of the contents (hashing 9 GiB takes ~70 s here)
    const plan: ModelPlan = {
      name: "weights",
      sourcePath: file,
      kind: "file",
      imageDir: "/opt/monai/models/weights",
      manifestName: "weights-0",
      manifestPath: "/opt/monai/models/weights/weights.bin",
      sha256: "0",
      warnings: [],
    };
    const layer = await modelLayer(plan);
    const entry = layer.entries.find((e) => e.type === "file");
    assert.equal(entry?.type === "file" ? entry.size : -1, size);
    assert.equal(layer.compressible, false, ".bin weights are stored uncompressed");
    // the real tar stream up to the model's header, then a sparse tail: no 9 GiB written
    const chunks: Buffer[] = [];
    const gen = tarChunks(layer.entries, { mtime: 0 });
    for await (const c of gen) {
      chunks.push(c);
      if (c.includes(Buffer.from(basename(file))) && c.includes(Buffer.from("ustar"))) break;
    }
    await gen.return(undefined);
    const head = Buffer.concat(chunks);
    const tar = join(sb.root, "big.tar");
    await writeFile(tar, head);
    await runOk("truncate", ["-s", String(head.length + size + 1024), tar]);
    assert.match(head.toString("latin1"), new RegExp(`\\d+ size=${size}\\n`));
    const listing = await runOk("tar", ["-tvf", tar]);
    assert.match(listing, new RegExp(` ${size} [^\\n]* opt/monai/models/weights/weights\\.bin\\n`));
  });
});
