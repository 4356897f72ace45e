/** Test wheels generated in memory with fflate: correct WHEEL, METADATA, RECORD, optional entry points and .data. */
import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { zipSync, type Zippable } from "fflate";

export interface WheelSpec {
  name: string;
  version: string;
  /** `py3-none-any` by default. */
  tag?: string;
  build?: string;
  /** Paths relative to the wheel root (site-packages), text or bytes. `mode` 0o755 marks executables. */
  files?: Record<string, string | { data: string | Uint8Array; mode?: number }>;
  requires?: string[];
  requiresPython?: string;
  entryPoints?: string;
  /** `<name>-<ver>.data/<scheme>/<path>` members. */
  data?: Record<string, string>;
  /** Members added to the zip but left out of RECORD (or given as symlinks). */
  unrecorded?: Record<string, string>;
  symlinks?: Record<string, string>;
  /** Corrupt one RECORD hash. */
  badRecordFor?: string;
}

export interface BuiltWheel {
  filename: string;
  bytes: Uint8Array;
  sha256: string;
  /** Its `.dist-info/METADATA` (what an index serves as the PEP 658 metadata file). */
  metadata: string;
}

const enc = new TextEncoder();
const b64 = (d: Uint8Array) => createHash("sha256").update(d).digest("base64url");

export function makeWheel(spec: WheelSpec): BuiltWheel {
  const esc = spec.name.replace(/[-_.]+/g, "_");
  const distInfo = `${esc}-${spec.version}.dist-info`;
  const tag = spec.tag ?? "py3-none-any";
  const [py, abi, plat] = tag.split("-");
  const members: [string, Uint8Array, number][] = [];
  const add = (p: string, d: string | Uint8Array, mode = 0o644) => members.push([p, typeof d === "string" ? enc.encode(d) : d, mode]);
  for (const [p, v] of Object.entries(spec.files ?? {})) {
    if (typeof v === "string") add(p, v);
    else add(p, v.data, v.mode ?? 0o644);
  }
  for (const [p, v] of Object.entries(spec.data ?? {})) add(`${esc}-${spec.version}.data/${p}`, v, 0o755);
  const md = [
    "Metadata-Version: 2.1", `Name: ${spec.name}`, `Version: ${spec.version}`,
    ...(spec.requiresPython ? [`Requires-Python: ${spec.requiresPython}`] : []),
    ...(spec.requires ?? []).map((r) => `Requires-Dist: ${r}`), "", "A test package.", "",
  ].join("\n");
  add(`${distInfo}/METADATA`, md);
  add(`${distInfo}/WHEEL`, `Wheel-Version: 1.0\nGenerator: map-build-tests\nRoot-Is-Purelib: ${abi === "none" ? "true" : "false"}\n${(py ?? "").split(".").flatMap((p) => (abi ?? "").split(".").flatMap((a) => (plat ?? "").split(".").map((pl) => `Tag: ${p}-${a}-${pl}`))).join("\n")}\n`);
  if (spec.entryPoints) add(`${distInfo}/entry_points.txt`, spec.entryPoints);
  const record = members.map(([p, d]) => `${p},sha256=${p === spec.badRecordFor ? b64(enc.encode("tampered")) : b64(d)},${d.length}`);
  record.push(`${distInfo}/RECORD,,`);
  add(`${distInfo}/RECORD`, record.join("\n") + "\n");
  for (const [p, v] of Object.entries(spec.unrecorded ?? {})) add(p, v);
  const z: Zippable = {};
  // mtime fixed so the same spec always yields the same bytes (and sha256).
  for (const [p, d, mode] of members) z[p] = [d, { os: 3, attrs: ((0o100000 | mode) << 16) >>> 0, mtime: new Date("2020-01-01T00:00:00Z") }];
  for (const [p, target] of Object.entries(spec.symlinks ?? {})) z[p] = [enc.encode(target), { os: 3, attrs: ((0o120777 << 16) >>> 0), mtime: new Date("2020-01-01T00:00:00Z") }];
  const bytes = zipSync(z, { level: 6 });
  const filename = `${esc}-${spec.version}${spec.build ? `-${spec.build}` : ""}-${tag}.whl`;
  return { filename, bytes, sha256: createHash("sha256").update(bytes).digest("hex"), metadata: md };
}

export async function writeWheel(dir: string, spec: WheelSpec): Promise<BuiltWheel & { path: string }> {
  const w = makeWheel(spec);
  const path = join(dir, w.filename);
  await writeFile(path, w.bytes);
  return { ...w, path };
}

/** The fixture set the issue asks for. */
export const GREET: WheelSpec = {
  name: "greet", version: "1.0",
  files: {
    "greet/__init__.py": "from colorfmt import fmt\n\ndef hello(name):\n    return fmt('hello, ' + name)\n",
    "greet/cli.py": "import sys\nfrom greet import hello\n\ndef main():\n    print(hello(sys.argv[1] if len(sys.argv) > 1 else 'world'))\n    return 0\n",
  },
  requires: ["colorfmt>=1.0", "pywin-helper ; sys_platform == \"win32\"", "fancyextra ; extra == \"fancy\""],
  requiresPython: ">=3.8",
  entryPoints: "[console_scripts]\ngreet = greet.cli:main\n",
};

export const COLORFMT: WheelSpec = {
  name: "colorfmt", version: "1.2",
  files: { "colorfmt/__init__.py": "def fmt(s):\n    return '[' + s + ']'\n" },
  data: { "scripts/colorfmt-demo": "#!python\nimport colorfmt\nprint(colorfmt.fmt('demo'))\n" },
};

export const FASTCALC_MAC: WheelSpec = {
  name: "fastcalc", version: "2.0", tag: "cp311-cp311-macosx_11_0_arm64",
  files: { "fastcalc/__init__.py": "PLATFORM = 'macos'\n" },
};
export const FASTCALC_LINUX: WheelSpec = {
  name: "fastcalc", version: "2.0", tag: "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
  files: { "fastcalc/__init__.py": "PLATFORM = 'linux'\n" },
};
export const FASTCALC_AARCH64: WheelSpec = {
  name: "fastcalc", version: "2.0", tag: "cp311-cp311-manylinux_2_17_aarch64",
  files: { "fastcalc/__init__.py": "PLATFORM = 'aarch64'\n" },
};
export const STABLEABI: WheelSpec = {
  name: "stableabi", version: "1.0", tag: "cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64",
  files: { "stableabi/__init__.py": "ABI = 'abi3'\n" },
};

/** A stand-in monai-deploy-app-sdk wheel (monai.deploy.core with Application/env/resource), needing sdkdep. */
export function sdkWheel(version: string): WheelSpec {
  return {
    name: "monai-deploy-app-sdk",
    version,
    files: {
      // `monai` stays a namespace package, as in the real SDK (MONAI core shares it)
      "monai/deploy/__init__.py": `__version__ = "${version}"\n`,
      "monai/deploy/core/__init__.py": [
        "import sdkdep",
        "",
        "class Application:",
        "    \"\"\"Stand-in: compose() at construction, like the SDK.\"\"\"",
        "    def __init__(self, *args, **kwargs):",
        "        self.compose()",
        "",
        "def resource(**kwargs):",
        "    return lambda cls: cls",
        "",
        "def env(**kwargs):",
        "    return lambda cls: cls",
        "",
      ].join("\n"),
    },
    requires: ["sdkdep>=1.0"],
    requiresPython: ">=3.8",
  };
}

export const SDKDEP: WheelSpec = { name: "sdkdep", version: "1.1", files: { "sdkdep/__init__.py": "OK = True\n" } };

/**
 * A wheel whose large members reach a gzip layer as copied deflate streams (install.ts
 * COPY_DEFLATE_MIN): a 3 MiB `.so` half random, half zeros (streamed from the wheel), a 160 KiB
 * module (read in one step), and small modules that stay in the layer's 1 MiB blocks. The random
 * half is new on every call.
 */
export function bigMemberWheel(): WheelSpec & { so: Buffer } {
  const so = Buffer.concat([randomBytes(1536 * 1024), Buffer.alloc(1536 * 1024)]);
  return {
    name: "bigpkg", version: "1.0", tag: "cp311-cp311-manylinux_2_17_x86_64", so,
    files: {
      "bigpkg/__init__.py": "",
      "bigpkg/lib/libbig.so": { data: so, mode: 0o755 },
      "bigpkg/model.py": "def forward(self, x):\n    return self.net(x)  # torch\n".repeat(3000),
      ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`bigpkg/m${i}.py`, `x = ${i}\n`])),
    },
  };
}
