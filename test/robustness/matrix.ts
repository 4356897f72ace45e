/**
 * The bad input matrix, local part, as a table: each case runs `map-build package` as a child
 * process and must fail with a stable exit status, one `error: … [E_…]` line, one `hint:` line, no
 * stack trace (unless --verbose, then one), nothing on stdout, no output file and no map-build-*
 * temp dir. The table is split over three test files (by `group`) to keep each under a minute.
 * Registry-side cases are in bad-base-registry.test.ts, disk/size/scale cases in big-input.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { chmod, cp, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { run } from "../helpers/run.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { assertCleanFailure, leftovers, makeSandbox, runMb, type Sandbox } from "./runner.js";
import { writeLayout, type LayoutDefects } from "./layouts.js";

const EXAMPLE_APP = resolve(import.meta.dirname, "../../examples/word_score_app");
const EXAMPLE_MODEL = resolve(import.meta.dirname, "../../examples/models/word_weights.tsv");

interface Ctx {
  sb: Sandbox;
  /** A writable copy of the example app. */
  app: string;
  tarball: string;
  layoutOut: string;
  /** `-b oci:<python base>:bookworm-python --no-sdk` */
  base: string[];
}

export type Group = "app" | "image" | "flags";

export interface Case {
  group: Group;
  name: string;
  args(c: Ctx): Promise<string[]> | string[];
  exit: number;
  code: string;
  message?: string | RegExp;
  hint?: string | RegExp;
  wrap?: string[];
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Outputs that must not exist afterwards; default the tarball. */
  outputs?(c: Ctx): string[];
  /** Extra checks after the run. */
  check?(c: Ctx): Promise<void>;
  /** Also run it with --verbose (which must add a stack trace). */
  verboseToo?: boolean;
}

let pythonBase: string;

async function brokenBase(c: Ctx, defects: LayoutDefects): Promise<string[]> {
  const dir = join(c.sb.root, "broken-base");
  await writeLayout(dir, "v1", defects);
  return ["-b", `oci:${dir}:v1`, "--no-sdk"];
}

/** Root ignores file modes; dropping these capabilities makes chmod 000 bite again. */
const NO_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-dac_override,-dac_read_search"];

export const CASES: Case[] = [
  // --- the app
  { group: "app", name: "no APP_PATH argument", args: (c) => ["package", "-t", "a:1", ...c.base, "--tarball", c.tarball], exit: ExitCode.usage, code: "E_USAGE", message: "app_path" },
  { group: "app", name: "APP_PATH does not exist", verboseToo: true, args: (c) => ["package", join(c.sb.root, "nope"), "-t", "a:1", ...c.base, "--tarball", c.tarball], exit: ExitCode.input, code: "E_APP_INVALID", message: "does not exist" },
  {
    group: "app",
    name: "folder without __main__.py",
    args: async (c) => {
      await writeFile(join(c.sb.root, "app.py"), "print(1)\n");
      return ["package", c.sb.root, "-t", "a:1", ...c.base, "--tarball", c.tarball];
    },
    exit: ExitCode.input,
    code: "E_APP_INVALID",
    message: "__main__.py",
  },
  {
    group: "app",
    name: "empty folder",
    args: async (c) => {
      await mkdir(join(c.sb.root, "empty"));
      return ["package", join(c.sb.root, "empty"), "-t", "a:1", ...c.base, "--tarball", c.tarball];
    },
    exit: ExitCode.input,
    code: "E_APP_INVALID",
  },
  {
    group: "app",
    name: "APP_PATH is a fifo",
    args: async (c) => {
      await run("mkfifo", [join(c.sb.root, "fifo")]);
      return ["package", join(c.sb.root, "fifo"), "-t", "a:1", ...c.base, "--tarball", c.tarball];
    },
    exit: ExitCode.input,
    code: "E_APP_INVALID",
    message: "not a regular file or folder",
  },
  { group: "app", name: "APP_PATH is a device (/dev/null)", args: (c) => ["package", "/dev/null", "-t", "a:1", ...c.base, "--tarball", c.tarball], exit: ExitCode.input, code: "E_APP_INVALID", message: "not a regular file or folder" },
  { group: "app", name: "APP_PATH under a regular file (ENOTDIR)", args: (c) => ["package", join(c.app, "app.py", "x"), "-t", "a:1", ...c.base, "--tarball", c.tarball], exit: ExitCode.input, code: "E_APP_INVALID" },
  {
    group: "app",
    name: "unreadable data file in the app (chmod 000, root without CAP_DAC_*)",
    args: async (c) => {
      const f = join(c.app, "secret.txt");
      await writeFile(f, "x");
      await chmod(f, 0o000);
      return ["package", c.app, "-t", "a:1", ...c.base, "--tarball", c.tarball];
    },
    wrap: NO_DAC,
    exit: ExitCode.input,
    code: "E_LAYER_INPUT",
    message: "secret.txt",
  },
  {
    group: "app",
    name: "unreadable __main__.py (chmod 000, root without CAP_DAC_*)",
    args: async (c) => {
      await chmod(join(c.app, "__main__.py"), 0o000);
      return ["package", c.app, "-t", "a:1", ...c.base, "--tarball", c.tarball];
    },
    wrap: NO_DAC,
    exit: ExitCode.input,
    code: "E_APP_INVALID",
    message: "__main__.py",
  },
  {
    group: "app",
    name: "fifo inside the app folder",
    args: async (c) => {
      await run("mkfifo", [join(c.app, "pipe")]);
      return ["package", c.app, "-t", "a:1", ...c.base, "--tarball", c.tarball];
    },
    exit: ExitCode.input,
    code: "E_LAYER_INPUT",
    message: "pipe",
  },
  {
    group: "app",
    name: "symlink escaping the app folder", verboseToo: true,
    args: async (c) => {
      await symlink("../../../etc/passwd", join(c.app, "passwd"));
      return ["package", c.app, "-t", "a:1", ...c.base, "--tarball", c.tarball];
    },
    exit: ExitCode.input,
    code: "E_LAYER_INPUT",
    message: "passwd",
  },
  {
    group: "app",
    name: "file name that is not UTF-8",
    args: async (c) => {
      await writeFile(Buffer.concat([Buffer.from(`${c.app}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from(".txt")]), "x");
      return ["package", c.app, "-t", "a:1", ...c.base, "--tarball", c.tarball];
    },
    exit: ExitCode.input,
    code: "E_LAYER_INPUT",
    message: /UTF-8/i,
  },
  // --- models
  { group: "app", name: "model path missing", args: (c) => ["package", c.app, "-t", "a:1", "-m", join(c.sb.root, "no-model"), ...c.base, "--tarball", c.tarball], exit: ExitCode.input, code: "E_MODEL_INVALID", message: "does not exist" },
  {
    group: "app",
    name: "model folder empty",
    args: async (c) => {
      await mkdir(join(c.sb.root, "models"));
      return ["package", c.app, "-t", "a:1", "-m", join(c.sb.root, "models"), ...c.base, "--tarball", c.tarball];
    },
    exit: ExitCode.input,
    code: "E_MODEL_INVALID",
  },
  // --- the tag
  { group: "image", name: "tag with uppercase", verboseToo: true, args: (c) => ["package", c.app, "-t", "Word-Score:1", ...c.base, "--tarball", c.tarball], exit: ExitCode.usage, code: "E_INVALID_REFERENCE", hint: "word-score" },
  { group: "image", name: "tag with spaces", args: (c) => ["package", c.app, "-t", "word score:1", ...c.base, "--tarball", c.tarball], exit: ExitCode.usage, code: "E_INVALID_REFERENCE" },
  { group: "image", name: "tag too long (129 chars)", args: (c) => ["package", c.app, "-t", `a:${"x".repeat(129)}`, ...c.base, "--tarball", c.tarball], exit: ExitCode.usage, code: "E_INVALID_REFERENCE", message: "128" },
  { group: "image", name: "repository name too long (256 chars)", args: (c) => ["package", c.app, "-t", `localhost/${"a".repeat(246)}:1`, ...c.base, "--tarball", c.tarball], exit: ExitCode.usage, code: "E_INVALID_REFERENCE" },
  // --- the base
  { group: "image", name: "invalid --base (spaces)", args: (c) => ["package", c.app, "-t", "a:1", "-b", "not a ref", "--no-sdk", "--tarball", c.tarball], exit: ExitCode.usage, code: "E_INVALID_REFERENCE" },
  { group: "image", name: "invalid --base (oci: without path)", args: (c) => ["package", c.app, "-t", "a:1", "-b", "oci:", "--no-sdk", "--tarball", c.tarball], exit: ExitCode.usage, code: "E_INVALID_REFERENCE" },
  { group: "image", name: "--base OCI layout dir missing", args: (c) => ["package", c.app, "-t", "a:1", "-b", `oci:${join(c.sb.root, "nolayout")}:v1`, "--no-sdk", "--tarball", c.tarball], exit: ExitCode.input, code: "E_INPUT_FORMAT" },
  { group: "image", name: "--base OCI layout without that tag", args: (c) => ["package", c.app, "-t", "a:1", "-b", `oci:${pythonBase}:no-such-tag`, "--no-sdk", "--tarball", c.tarball], exit: ExitCode.notFound, code: "E_MANIFEST_UNKNOWN", message: "no-such-tag" },
  { group: "image", name: "--platform linux/s390x on a single-platform base", args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--platform", "linux/s390x", "--tarball", c.tarball], exit: ExitCode.notFound, code: "E_PLATFORM_NOT_FOUND", message: "s390x" },
  { group: "image", name: "base index offering only arm64", args: async (c) => ["package", c.app, "-t", "a:1", ...(await brokenBase(c, { onlyArch: "arm64" })), "--platform", "linux/amd64", "--tarball", c.tarball], exit: ExitCode.notFound, code: "E_PLATFORM_NOT_FOUND", message: "amd64" },
  { group: "image", name: "base manifest is malformed JSON", args: async (c) => ["package", c.app, "-t", "a:1", ...(await brokenBase(c, { manifestNotJson: true })), "--tarball", c.tarball], exit: ExitCode.integrity, code: "E_MANIFEST_INVALID", message: "JSON" },
  { group: "image", name: "base manifest has an unknown media type", args: async (c) => ["package", c.app, "-t", "a:1", ...(await brokenBase(c, { unknownManifestMediaType: true })), "--tarball", c.tarball], exit: ExitCode.integrity, code: "E_UNSUPPORTED_MEDIA_TYPE", message: "vnd.example.unknown" },
  { group: "image", name: "base config without rootfs", verboseToo: true, args: async (c) => ["package", c.app, "-t", "a:1", ...(await brokenBase(c, { configWithoutRootfs: true })), "--tarball", c.tarball], exit: ExitCode.integrity, code: "E_MANIFEST_INVALID", message: "rootfs" },
  // --- flags
  { group: "flags", name: "invalid --timeout", args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--timeout", "ten", "--tarball", c.tarball], exit: ExitCode.usage, code: "E_USAGE", message: "--timeout" },
  { group: "flags", name: "negative --timeout", args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--timeout", "-5", "--tarball", c.tarball], exit: ExitCode.usage, code: "E_USAGE", message: "--timeout" },
  { group: "flags", name: "invalid --version", args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--version", "one point oh", "--tarball", c.tarball], exit: ExitCode.usage, code: "E_USAGE", message: "--version" },
  { group: "flags", name: "invalid --log-level", args: (c) => ["-l", "LOUD", "package", c.app, "-t", "a:1", ...c.base, "--tarball", c.tarball], exit: ExitCode.usage, code: "E_USAGE", message: "--log-level" },
  { group: "flags", name: "invalid --compression", args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--compression", "zstd", "--tarball", c.tarball], exit: ExitCode.usage, code: "E_USAGE", message: "zstd" },
  { group: "flags", name: "unknown option", args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--frobnicate", "--tarball", c.tarball], exit: ExitCode.usage, code: "E_USAGE", message: "--frobnicate" },
  { group: "flags", name: "--password-stdin without --username", args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--password-stdin", "--tarball", c.tarball], input: "pw\n", exit: ExitCode.usage, code: "E_USAGE", message: "--username" },
  { group: "flags", name: "SOURCE_DATE_EPOCH not a number", args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--tarball", c.tarball], env: { SOURCE_DATE_EPOCH: "yesterday" }, exit: ExitCode.usage, code: "E_USAGE", message: "SOURCE_DATE_EPOCH" },
  // --- outputs
  { group: "flags", name: "--tarball in a missing directory", verboseToo: true, args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--tarball", join(c.sb.root, "no-dir", "o.tar")], outputs: (c) => [join(c.sb.root, "no-dir")], exit: ExitCode.output, code: "E_OUTPUT", message: "no-dir" },
  {
    group: "flags",
    name: "--tarball is an existing directory",
    args: async (c) => {
      await mkdir(join(c.sb.root, "out-dir"));
      return ["package", c.app, "-t", "a:1", ...c.base, "--tarball", join(c.sb.root, "out-dir")];
    },
    outputs: () => [],
    check: async (c) => assert.deepEqual(await readdir(join(c.sb.root, "out-dir")), [], "the directory is left empty"),
    exit: ExitCode.output,
    code: "E_OUTPUT",
    message: "out-dir",
  },
  { group: "flags", name: "--oci-layout in a missing directory", args: (c) => ["package", c.app, "-t", "a:1", ...c.base, "--oci-layout", join(c.sb.root, "no-dir", "layout")], outputs: (c) => [join(c.sb.root, "no-dir")], exit: ExitCode.output, code: "E_OUTPUT" },
  {
    group: "flags",
    name: "--oci-layout is an existing regular file",
    args: async (c) => {
      await writeFile(join(c.sb.root, "layout-file"), "keep me");
      return ["package", c.app, "-t", "a:1", ...c.base, "--oci-layout", join(c.sb.root, "layout-file")];
    },
    outputs: () => [],
    exit: ExitCode.output,
    code: "E_OUTPUT",
  },
];

export function describeMatrix(group: Group, title: string): void {
  const cases = CASES.filter((k) => k.group === group);
  describe(title, { concurrency: 4 }, () => {
    before(async () => {
      pythonBase = await pythonBaseLayout();
    });
    for (const k of cases) {
      it(`${k.name} → exit ${k.exit} ${k.code}`, () => runCase(k, false));
      // --verbose adds exactly the stack trace
      if (k.verboseToo) it(`--verbose: ${k.name} → the same error plus a stack trace`, () => runCase(k, true));
    }
  });
}

async function runCase(k: Case, verbose: boolean): Promise<void> {
  const sb = await makeSandbox();
  try {
    const app = join(sb.root, "app");
    await cp(EXAMPLE_APP, app, { recursive: true });
    await mkdir(join(sb.root, "out"));
    const c: Ctx = {
      sb,
      app,
      tarball: join(sb.root, "out", "o.tar"),
      layoutOut: join(sb.root, "out", "layout"),
      base: ["-b", `oci:${pythonBase}:${PYTHON_BASE_TAG}`, "--no-sdk"],
    };
    const args = await k.args(c);
    const r = await runMb(sb, verbose ? ["--verbose", ...args] : args, { wrap: k.wrap, input: k.input, env: k.env });
    await assertCleanFailure(sb, r, {
      exit: k.exit,
      code: k.code,
      message: k.message,
      hint: k.hint,
      verbose,
      outputs: k.outputs ? k.outputs(c) : [c.tarball, c.layoutOut],
    });
    await k.check?.(c);
  } finally {
    await chmod(join(sb.root, "app", "__main__.py"), 0o644).catch(() => {});
    await sb.cleanup();
  }
}

/** The example with its model builds in the very sandbox setup the cases use. */
export async function buildsCleanly(): Promise<void> {
  pythonBase = await pythonBaseLayout();
  const sb = await makeSandbox();
  try {
    const out = join(sb.root, "o.tar");
    const r = await runMb(sb, ["package", EXAMPLE_APP, "-t", "a:1", "-m", EXAMPLE_MODEL, "-b", `oci:${pythonBase}:${PYTHON_BASE_TAG}`, "--no-sdk", "--tarball", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.deepEqual(await leftovers(sb), []);
  } finally {
    await sb.cleanup();
  }
}
