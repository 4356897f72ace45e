/**
 * Rows 7a–7c (issue 20), on a registry whose storage is kept between bench runs (next to the
 * python base, in MAP_BUILD_TEST_CACHE): an NGC-shaped base (40 layers, ≥ 4 GB) is generated and
 * pushed there once and reused afterwards.
 *   7a  push onto the NGC-shaped base vs onto the small python base, same app and model, cold
 *       layer cache: the base's size must not matter (goal ≤ 1.2×).
 *   7b  an ephemeral runner: a fresh local cache and a warm `--cache-repo` vs a fresh local cache
 *       and an empty one, with a ~500 MB compressible deps layer (goal ≤ 0.25×).
 *   7c  peak RSS of a build of three platforms with a 2 GiB model, pushed (goal ≤ 150 MB).
 */
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readOciLayoutImage } from "../../src/image/index.js";
import { parseReference } from "../../src/reference/index.js";
import { RegistryClient } from "../../src/registry/index.js";
import { pushImage } from "../../src/sinks/push.js";
import { writeLayeredBase } from "../../test/helpers/layered-base.js";
import { writeModelFile } from "./model-file.js";
import { mapBuild, peakRssFromTimeV, pushBase, ROOT, startRegistry, type MapBuildArgs, type MapBuildRun } from "./peers.js";
import { WHEELHOUSE_ENV, writeBigWheel } from "./python-deps.js";
import { timed } from "./proc.js";
import { secs, type Row } from "./report.js";

export interface ScaleConfig {
  cli: string;
  layout: string;
  layoutTag: string;
  work: string;
  /** Kept between runs: the registry holding the NGC-shaped base. */
  keepDir: string;
  modelMiB: number;
  /** Total size of the NGC-shaped base's 40 layers. */
  ngcGiB: number;
  /** The deps layer's large extension module (half random, half zeros: compressible). */
  depsMiB: number;
  rssModelMiB: number;
  reps: number;
  timeV: boolean;
  onCleanup(f: () => Promise<unknown>): void;
  log(s: string): void;
}

const NGC_LAYERS = 40;
const NGC_REPO = "bench/ngc";
const GOAL_RSS = 150e6;
const min = (xs: readonly number[]) => Math.min(...xs);

export async function scaleRows(cfg: ScaleConfig): Promise<{ rows: Row[]; extra: string[] }> {
  const regDir = join(cfg.keepDir, "registry");
  await pruneKeptRegistry(regDir); // what an interrupted run pushed
  const reg = await startRegistry(regDir);
  cfg.onCleanup(() => reg.stop());
  const ngc = await ensureNgcBase(cfg, reg.host);
  const small = await pushBase(reg.host, cfg.layout, cfg.layoutTag);
  const dir = await mkdtemp(join(cfg.work, "scale-"));
  const app = join(dir, "app");
  await cp(join(ROOT, "examples/word_score_app"), app, { recursive: true });
  const model = join(dir, "model.pt");
  await writeModelFile(model, cfg.modelMiB);
  // the kept registry outlives this run: every target repository is new
  const run = `${Date.now().toString(36)}`;
  const mb = (a: Omit<MapBuildArgs, "cli" | "app" | "model"> & { app?: string; model?: string }): Promise<MapBuildRun> => mapBuild({ cli: cfg.cli, app, model, ...a });
  const fresh = () => mkdtemp(join(dir, "cache-"));

  // ---- 7a
  const onSmall: number[] = [];
  const onNgc: number[] = [];
  for (let r = 0; r < cfg.reps; r++) {
    cfg.log(`7a. rep ${r + 1}/${cfg.reps}: push onto the small base, then onto the NGC-shaped base`);
    onSmall.push((await mb({ base: small, tag: `${reg.host}/bench/small-${run}-${r}:1`, output: ["--push"], cacheDir: await fresh() })).seconds);
    onNgc.push((await mb({ base: ngc.ref, tag: `${reg.host}/bench/ngc-${run}-${r}:1`, output: ["--push"], cacheDir: await fresh() })).seconds);
  }
  const r7a = min(onNgc) / min(onSmall);
  const rows: Row[] = [
    {
      id: "7a",
      what: `push onto an NGC-shaped base (${NGC_LAYERS} layers, ${(ngc.bytes / 1e9).toFixed(1)} GB) vs onto the small base, ${cfg.modelMiB} MiB model`,
      mapBuild: `${secs(min(onNgc))} (small base ${secs(min(onSmall))})`,
      peer: "—",
      result: `${r7a.toFixed(2)}×`,
      goal: "≤ 1.2×",
      met: r7a <= 1.2,
      note: `both bases in the target registry, another repository (one mount per base layer); cold layer cache. The NGC-shaped base was ${ngc.created ? "generated and pushed in this run" : "already in the kept registry"}.`,
    },
  ];

  // ---- 7b
  cfg.log(`7b. writing a ${cfg.depsMiB} MiB .so wheel`);
  const house = join(dir, "wheelhouse");
  await writeBigWheel(dir, house, cfg.depsMiB, 2000);
  const depsApp = join(dir, "deps-app");
  await cp(app, depsApp, { recursive: true });
  await writeFile(join(depsApp, "requirements.txt"), "bigtorch\n");
  const cacheRepo = `${reg.host}/bench/cache-${run}`;
  const eph = async (name: string) => mb({ app: depsApp, base: small, tag: `${reg.host}/bench/eph-${run}-${name}:1`, output: ["--push", "--wheelhouse", house, "--cache-repo", cacheRepo], cacheDir: await fresh(), env: WHEELHOUSE_ENV });
  cfg.log("7b. ephemeral runner, empty cache repository");
  const cold = await eph("cold");
  cfg.log("7b. ephemeral runner, warm cache repository");
  const warm = await eph("warm");
  const deps = warm.result.layers.find((l) => l.role === "python-deps");
  const r7b = warm.seconds / cold.seconds;
  rows.push({
    id: "7b",
    what: `ephemeral runner (fresh local cache), --cache-repo warm vs cold, ${cfg.depsMiB} MiB .so deps layer (${((deps?.size ?? 0) / 1e6).toFixed(0)} MB gzip)`,
    mapBuild: `${secs(warm.seconds)} (cold ${secs(cold.seconds)})`,
    peer: "—",
    result: `${r7b.toFixed(2)}× of cold, deps layer ${deps?.origin ?? "missing"}`,
    goal: "≤ 0.25×",
    met: r7b <= 0.25 && deps?.origin === "cached",
    note: "both runs push to the cache repository's registry and read the base's Python metadata again (fresh local cache); the warm one mounts every cached layer instead of building it.",
  });

  // ---- 7c
  cfg.log(`7c. peak RSS: three platforms, ${cfg.rssModelMiB} MiB model, --push`);
  const three = await writeLayeredBase(join(dir, "three"), 3, 1024, "base", ["amd64", "arm64", "ppc64le"]);
  const big = join(dir, "big.pt");
  await writeModelFile(big, cfg.rssModelMiB);
  const wrapper = cfg.timeV ? ["/usr/bin/time", "-v"] : [process.execPath, "--import", "tsx", join(ROOT, "scripts/bench/rss-launcher.ts")];
  const platforms = "linux/amd64,linux/arm64,linux/ppc64le";
  const rssRun = await mb({ model: big, base: three.layout, tag: `${reg.host}/bench/three-${run}:1`, output: ["--push", "--platform", platforms], cacheDir: await fresh(), wrapper });
  const rss = peakRssFromTimeV(rssRun.stderr);
  rows.push({
    id: "7c",
    what: `peak RSS, 3 platforms, ${cfg.rssModelMiB} MiB model, build + push`,
    mapBuild: `${(rss / 1e6).toFixed(0)} MB`,
    peer: "—",
    result: `${(rss / 1e6).toFixed(0)} MB in ${secs(rssRun.seconds)}`,
    goal: "≤ 150 MB",
    met: rss <= GOAL_RSS,
    note: `${platforms}; the model layer is one blob shared by the platforms (hashed once, kept as a recipe in the cache).`,
  });
  await rm(dir, { recursive: true, force: true });
  await reg.stop();
  await pruneKeptRegistry(regDir);
  return { rows, extra: [`scale: small base ${onSmall.map(secs).join("/")}, NGC-shaped ${onNgc.map(secs).join("/")}; ephemeral cold ${secs(cold.seconds)}, warm ${secs(warm.seconds)}`] };
}

/** The NGC-shaped base in the kept registry: pushed once (generated as an OCI layout, uploaded by map-build's own client, layers uncompressed). */
async function ensureNgcBase(cfg: ScaleConfig, host: string): Promise<{ ref: string; bytes: number; created: boolean }> {
  const ref = `${host}/${NGC_REPO}:base`;
  const accept = "application/vnd.oci.image.manifest.v1+json";
  const res = await fetch(`http://${host}/v2/${NGC_REPO}/manifests/base`, { headers: { accept } });
  if (res.ok) {
    const m = (await res.json()) as { layers: { size: number }[] };
    return { ref, bytes: m.layers.reduce((n, l) => n + l.size, 0), created: false };
  }
  const dir = join(cfg.work, "ngc-layout");
  await mkdir(dir, { recursive: true });
  cfg.log(`7a. generating the NGC-shaped base once: ${NGC_LAYERS} layers, ${cfg.ngcGiB} GiB (kept in ${cfg.keepDir})`);
  const base = await writeLayeredBase(dir, NGC_LAYERS, Math.ceil((cfg.ngcGiB * 1024 ** 3) / NGC_LAYERS), "base");
  const client = new RegistryClient({});
  try {
    await pushImage(client, await readOciLayoutImage(dir, "base"), parseReference(ref));
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
  return { ref, bytes: base.bytes, created: true };
}

/**
 * Keep only the NGC-shaped base in the kept registry: every other repository (the small base, the
 * run's pushes, the cache repository) is removed and the registry's offline garbage collector
 * deletes their blobs, so the kept storage does not grow by a model per run. The registry must be
 * stopped.
 */
async function pruneKeptRegistry(regDir: string): Promise<void> {
  const repos = join(regDir, "data", "docker", "registry", "v2", "repositories");
  const config = join(regDir, "config.yml");
  if (!existsSync(config) || !existsSync(repos)) return;
  for (const top of await readdir(repos)) {
    if (top !== "bench") await rm(join(repos, top), { recursive: true, force: true });
  }
  for (const name of await readdir(join(repos, "bench")).catch(() => [])) {
    if (`bench/${name}` !== NGC_REPO) await rm(join(repos, "bench", name), { recursive: true, force: true });
  }
  await timed("docker-registry", ["garbage-collect", config], { timeoutMs: 600_000 });
}
