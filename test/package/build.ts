/**
 * One `map-build package … --oci-layout DIR` build per call (in-process by default, or as a child
 * process), returning the CLI's output and the image read back from the layout.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, runCliInProcess, type CliResult } from "../helpers/cli.js";
import { EXAMPLE_APP, layoutLayerDigests, readLayout, type LayoutImage } from "./fixtures.js";
import { pythonBaseLayout } from "../helpers/python-base.js";

export interface BuildContext {
  /** Scratch dir; each build gets `<tmp>/<name>`. */
  tmp: string;
  /** Base reference for -b. */
  base: string;
  /** Layer digests of the base, not unpacked when reading results. */
  baseLayers: ReadonlySet<string>;
  env: NodeJS.ProcessEnv;
}

export interface BuildOutcome extends CliResult {
  dir: string;
  image: LayoutImage;
}

/**
 * The context every build in a test file shares: a scratch dir, the base reference, and an
 * environment with a private layer cache and none of the host's variables that change a build.
 */
export async function buildContext(tmp: string, base: string): Promise<BuildContext> {
  return {
    tmp,
    base,
    baseLayers: await layoutLayerDigests(await pythonBaseLayout()),
    env: { MAP_BUILD_CACHE_DIR: join(tmp, "cache"), SOURCE_DATE_EPOCH: undefined, MONAI_BASEIMAGE: undefined, DOCKER_HOST: undefined },
  };
}

let counter = 0;

/** The usual arguments: the folder example, a tag, the base, no SDK. */
export function exampleArgs(ctx: BuildContext, extra: string[] = [], app = EXAMPLE_APP): string[] {
  return ["package", app, "-t", "localhost/word-score:1.0", "-b", ctx.base, "--no-sdk", ...extra];
}

export async function buildLayout(
  ctx: BuildContext,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; child?: boolean; entry?: "map-build" | "monai-deploy" } = {},
): Promise<BuildOutcome> {
  const dir = join(ctx.tmp, `layout-${++counter}`);
  const full = [...args, "--oci-layout", dir];
  const env = { ...ctx.env, ...opts.env };
  const r = opts.child || opts.entry === "monai-deploy" ? await runCli(full, { env, cwd: ctx.tmp, entry: opts.entry }) : await runCliInProcess(full, { env, cwd: ctx.tmp, entry: opts.entry });
  assert.equal(r.code, 0, `map-build ${full.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return { ...r, dir, image: await readLayout(dir, ctx.baseLayers) };
}
