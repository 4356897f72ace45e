/**
 * `npm run bench` (via scripts/bench.sh): map-build against its peers, all in one run on this
 * machine, reported as ratios (absolute seconds vary up to 6× between machines: facts.md).
 *   node --import tsx scripts/bench/main.ts CLI_JS LAYOUT_DIR LAYOUT_TAG
 * env: BENCH_QUICK=1 (32 MiB model, 256 MiB big model, one repetition)
 *      BENCH_MODEL_MB, BENCH_BIG_MODEL_MB, BENCH_REPS   override sizes / repetitions (best of N)
 *      BENCH_SO_MB, BENCH_WHEEL_MEMBERS   the synthetic wheel of row 6 (default 400 MiB .so, 10,000 members)
 *      BENCH_TORCH=0       row 6 uses the synthetic wheel even when a local torch wheel is found
 *      BENCH_NGC_GB, BENCH_DEPS_MB   rows 7: the NGC-shaped base (default 4 GiB, 40 layers; generated once and
 *                          kept in a registry next to LAYOUT_DIR) and the deps layer's .so (default 500 MiB)
 *      BENCH_ONLY=scale    only rows 7 (issue 20); BENCH_ONLY=python-deps only rows 6 (issue 16)
 *      BENCH_PROFILE=DIR   node --cpu-prof for every map-build and layer-worker run, into DIR
 *      BENCH_OUT=FILE      markdown output (default docs/bench.md)
 * Exits 1 when a goal is missed (each listed), 2 when the bench itself fails.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { killChildren } from "./proc.js";
import { ROOT } from "./peers.js";
import { describeMachine, machine, markdown, textTable, type Row } from "./report.js";
import { runScenarios, type BenchConfig } from "./scenarios.js";
import { pythonDepsRows } from "./python-deps.js";
import { scaleRows } from "./scale.js";

const env = process.env;
const num = (s: string | undefined) => (s && Number.isFinite(Number(s)) && Number(s) > 0 ? Number(s) : undefined);
const quick = env.BENCH_QUICK === "1";
const [cli, layout, layoutTag] = process.argv.slice(2);
if (!cli || !layout || !layoutTag) {
  process.stderr.write("usage: main.ts CLI_JS LAYOUT_DIR LAYOUT_TAG (run it through scripts/bench.sh)\n");
  process.exit(2);
}

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
/** Idempotent: the interrupt handler and the failing main flow both await the same run. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    killChildren();
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => process.stderr.write(`cleanup: ${String(e)}\n`));
  })();
  return cleaning;
}
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    interrupted = true;
    process.stderr.write(`\n${sig}: cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

const started = process.hrtime.bigint();
const work = await mkdtemp(join(tmpdir(), "mb-bench-"));
cleanups.push(() => rm(work, { recursive: true, force: true, maxRetries: 5 }));
const profileDir = env.BENCH_PROFILE ? resolve(env.BENCH_PROFILE) : undefined;
if (profileDir) await mkdir(profileDir, { recursive: true });

const cfg: BenchConfig = {
  cli: resolve(cli),
  layout: resolve(layout),
  layoutTag,
  work,
  modelMiB: num(env.BENCH_MODEL_MB) ?? (quick ? 32 : 256),
  bigModelMiB: num(env.BENCH_BIG_MODEL_MB) ?? (quick ? 256 : 2048),
  reps: Math.round(num(env.BENCH_REPS) ?? (quick ? 1 : 2)),
  profileDir,
  timeV: existsSync("/usr/bin/time"),
  onCleanup: (f) => cleanups.push(f),
  log: (s) => process.stderr.write(`[bench ${((Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)).padStart(4)} s] ${s}\n`),
};
const settings = `${quick ? "quick mode, " : ""}model ${cfg.modelMiB} MiB, big model ${cfg.bigModelMiB} MiB, best of ${cfg.reps}`;
const m = machine();

let rows: Row[];
let extra: string[];
try {
  cfg.log(`${describeMachine(m)}; ${settings}; work dir ${work}`);
  const only = env.BENCH_ONLY;
  ({ rows, extra } = only === "scale" || only === "python-deps" ? { rows: [], extra: [] } : await runScenarios(cfg));
  // one after the other: each part measures wall time on a machine it must have to itself
  const more = [
    ...(only === "scale" ? [] : [() => pythonDepsRows({ ...cfg, soMiB: num(env.BENCH_SO_MB) ?? (quick ? 32 : 400), members: num(env.BENCH_WHEEL_MEMBERS) ?? (quick ? 2000 : 10000) })]),
    ...(only === "python-deps" ? [] : [() => scaleRows({
      ...cfg,
      keepDir: join(dirname(cfg.layout), "bench-kept"),
      ngcGiB: num(env.BENCH_NGC_GB) ?? 4,
      depsMiB: num(env.BENCH_DEPS_MB) ?? (quick ? 64 : 500),
      rssModelMiB: cfg.bigModelMiB,
    })]),
  ];
  for (const part of more) {
    const r = await part();
    rows.push(...r.rows);
    extra.push(...r.extra);
  }
} catch (e) {
  if (!interrupted) process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  await cleanup();
  process.exit(interrupted ? 130 : 2);
}
await cleanup();

const seconds = Number(process.hrtime.bigint() - started) / 1e9;
extra.push(`load average at the end: ${(loadavg()[0] ?? 0).toFixed(1)} (1 min) on ${m.cores} cores`);
process.stdout.write(`\nmap-build benchmark — ${describeMachine(m)}\n${settings}; ${seconds.toFixed(0)} s\n\n${textTable(rows)}\n`);
for (const e of extra) process.stdout.write(`  ${e}\n`);

const out = env.BENCH_OUT ? resolve(env.BENCH_OUT) : join(ROOT, "docs/bench.md");
await mkdir(resolve(out, ".."), { recursive: true });
const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
await writeFile(out, markdown({ rows, machine: m, date, settings, seconds, extra }));
process.stdout.write(`\nwritten to ${out}\n`);

const missed = rows.filter((r) => r.met === false);
if (missed.length) {
  process.stdout.write(`\ngoals missed: ${missed.map((r) => `${r.id} (${r.what}: ${r.result}, goal ${r.goal})`).join("; ")}\n`);
  process.exit(1);
}
process.stdout.write("\nall goals met\n");
