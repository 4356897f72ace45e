import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { baseDistributions, eggRequires, headerBlock, isDistMetadataFile, pickInterpreter, siteDirsFor } from "../../../src/python/base-dists.js";

describe("base distributions as pip sees them", () => {
  it("wants only metadata files in site directories", () => {
    for (const p of [
      "/usr/lib/python3/dist-packages/numpy-1.24.2.egg-info/PKG-INFO",
      "/usr/lib/python3/dist-packages/six-1.16.0.egg-info",
      "/usr/lib/python3/dist-packages/networkx-2.8.8.egg-info/requires.txt",
      "/usr/local/lib/python3.11/dist-packages/typeguard-4.1.0.dist-info/METADATA",
      "/opt/conda/lib/python3.8/site-packages/torch-1.10.0.dist-info/METADATA",
      "/root/.local/lib/python3.11/site-packages/greet-1.0.dist-info/METADATA",
    ]) assert.ok(isDistMetadataFile(p), p);
    for (const p of [
      "/usr/lib/python3/dist-packages/numpy/__init__.py",
      "/usr/lib/python3/dist-packages/numpy-1.24.2.egg-info/SOURCES.txt",
      "/usr/lib/python3/dist-packages/x-1.dist-info/RECORD",
      "/home/u/lib/python3.11/site-packages/a-1.dist-info/METADATA",
    ]) assert.ok(!isDistMetadataFile(p), p);
  });

  it("egg-info requires.txt sections become markers", () => {
    assert.deepEqual(eggRequires("numpy>=1.17\n\n[:python_version < \"3.8\"]\nimportlib-metadata\n\n[extra]\nscipy\n[test:sys_platform == \"linux\"]\npytest\n"), [
      "numpy>=1.17", 'importlib-metadata ; (python_version < "3.8")', 'scipy ; extra == "extra"', 'pytest ; (sys_platform == "linux") and extra == "test"',
    ]);
  });

  it("sys.path order: user site, /usr/local dist-packages, Debian's dist-packages; first copy of a name wins", () => {
    const files = new Map([
      ["/usr/lib/python3/dist-packages/typeguard-2.2.2.egg-info", headerBlock("Metadata-Version: 1.1\nName: typeguard\nVersion: 2.2.2\n\nlong text\nName: nope\n")],
      ["/usr/lib/python3/dist-packages/networkx-2.8.8.egg-info/PKG-INFO", "Metadata-Version: 2.1\nName: networkx\nVersion: 2.8.8\n"],
      ["/usr/lib/python3/dist-packages/networkx-2.8.8.egg-info/requires.txt", "[default]\nnumpy>=1.19\n"],
      ["/usr/local/lib/python3.11/dist-packages/typeguard-4.1.0.dist-info/METADATA", "Name: typeguard\nVersion: 4.1.0\nRequires-Dist: typing-extensions>=4.7\n"],
      ["/usr/lib/python3/dist-packages/Pillow-9.4.0.egg-info/PKG-INFO", "Name: Pillow\nVersion: 9.4.0\n"],
      ["/usr/local/lib/python3.12/dist-packages/other-1.0.dist-info/METADATA", "Name: other\nVersion: 1.0\n"],
    ]);
    const d = baseDistributions(files, siteDirsFor("/usr/bin/python3.11", "3.11"));
    assert.deepEqual([...d.values()].map((x) => `${x.name}==${x.version}`).sort(), ["networkx==2.8.8", "pillow==9.4.0", "typeguard==4.1.0"]);
    assert.deepEqual(d.get("typeguard")!.requires, ["typing-extensions>=4.7"]);
    assert.deepEqual(d.get("networkx")!.requires, ['numpy>=1.19 ; extra == "default"']);
    assert.equal(baseDistributions(files, siteDirsFor("/opt/conda/bin/python3.11", "3.11")).size, 0);
  });

  it("picks the interpreter python3 finds first", () => {
    assert.deepEqual(pickInterpreter(["/usr/bin/python3.11", "/opt/conda/bin/python3.8"]), { path: "/opt/conda/bin/python3.8", version: "3.8" });
    assert.deepEqual(pickInterpreter(["/usr/bin/python3.9", "/usr/bin/python3.11"]), { path: "/usr/bin/python3.11", version: "3.11" });
    assert.equal(pickInterpreter([]), undefined);
  });
});
