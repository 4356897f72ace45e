/**
 * A build reads its base once: the MAP 1.0 user's account files and the Python step's scan come
 * from one pass over the layers (counted by layer opens), each part sees what a scan of its own
 * would have seen, and a second build of the same base reads no layer (each part cached by kind).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BaseScanner } from "../../../src/builder/base-scan.js";
import { ACCOUNT_SCAN } from "../../../src/builder/map1-entries.js";
import { PYTHON_BASE_SCAN } from "../../../src/builder/python-base-scan.js";
import type { Image, Layer } from "../../../src/image/image.js";
import { readMergedFiles } from "../../../src/image/merged-files.js";
import { makeLayer } from "../../image/fixtures.js";

const METADATA = "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA";

describe("the build's one base scan", () => {
  let dir: string;
  let layers: Layer[];
  let opens = 0;
  const image = { layers: async () => layers } as unknown as Image;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-base-scan-"));
    const counted = (l: Layer): Layer => ({ ...l, open: () => (opens++, l.open()) });
    layers = [
      counted(await makeLayer(dir, [
        { name: "etc/passwd", data: "root:x:0:0:root:/root:/bin/bash\n" },
        { name: "etc/group", data: "root:x:0:\n" },
        { name: "etc/skel/.bashrc", data: "# skel\n" },
        { name: "usr/bin/python3.11", data: "ELF" },
      ], { gzip: true })),
      counted(await makeLayer(dir, [
        { name: METADATA.slice(1), data: "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n\nlong description\n" },
        { name: "usr/lib/x86_64-linux-gnu/libz.so.1", data: "ELF" },
        { name: "home/ubuntu/.profile", data: "# ubuntu\n" },
      ], { gzip: true })),
    ];
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("reads each layer once for both parts; each part gets its own paths only", async () => {
    opens = 0;
    const scanner = new BaseScanner(image, undefined, [ACCOUNT_SCAN, PYTHON_BASE_SCAN]);
    const accounts = await scanner.get(ACCOUNT_SCAN);
    const python = await scanner.get(PYTHON_BASE_SCAN);
    assert.equal(opens, layers.length, "one pass over the layers");
    assert.deepEqual(python.bins, ["/usr/bin/python3.11"]);
    assert.deepEqual(python.libs, ["libz.so.1"]);
    assert.deepEqual(Object.keys(python.metadata), [METADATA]);
    const alone = await readMergedFiles(image, ACCOUNT_SCAN.relevant, ACCOUNT_SCAN.capture);
    assert.deepEqual(accounts, ACCOUNT_SCAN.derive(alone), "the account part as a scan of its own");
  });

  it("with a cache folder, a second build reads no layer", async () => {
    const cacheDir = join(dir, "cache");
    const first = new BaseScanner(image, cacheDir, [ACCOUNT_SCAN, PYTHON_BASE_SCAN]);
    await first.get(ACCOUNT_SCAN);
    await first.get(PYTHON_BASE_SCAN);
    assert.deepEqual((await readdir(cacheDir)).sort(), ["map1-accounts", "python-base"]);
    opens = 0;
    const again = new BaseScanner(image, cacheDir, [ACCOUNT_SCAN, PYTHON_BASE_SCAN]);
    await again.get(ACCOUNT_SCAN);
    await again.get(PYTHON_BASE_SCAN);
    assert.equal(opens, 0);
  });
});
