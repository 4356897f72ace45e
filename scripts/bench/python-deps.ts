/**
 * Row 6 (issue 16): the dependency layer of a torch-sized wheelhouse: the machine's own torch wheel
 * and its dependencies when pip's configuration names a local folder holding one (BENCH_TORCH=0 or
 * BENCH_QUICK=1: never), else a synthetic wheel (one large random `.so` and many small members, written by
 * python3's zipfile with a correct RECORD). It is installed by map-build into a MAP (base from the OCI layout, output an OCI layout) versus
 * `pip install --no-compile --no-deps --target` + `tar | pigz -p2 -1 | sha256sum`; then an
 * app-only rebuild (goal ≤ 2 s) and the peak RSS of the first build (goal ≤ 150 MB).
 */
import { appendFile, cp, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cpuSecondsFromTimeV, peakRssFromTimeV, ROOT } from "./peers.js";
import { q, timed, timedShell } from "./proc.js";
import { secs, type Row } from "./report.js";

export interface PythonDepsConfig {
  cli: string;
  layout: string;
  layoutTag: string;
  work: string;
  /** Size of the large extension module, MiB. */
  soMiB: number;
  members: number;
  timeV: boolean;
  log(s: string): void;
}

const WHEEL_SCRIPT = String.raw`
import base64, hashlib, os, sys, zipfile
out, so_mib, members = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
name = "bigtorch-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
rows = []
def add(z, path, data):
    z.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    rows.append("%s,sha256=%s,%d" % (path, base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode(), len(data)))
with zipfile.ZipFile(os.path.join(out, name), "w") as z:
    add(z, "bigtorch/__init__.py", b"")
    # half random, half repetitive: roughly how a real .so compresses
    chunk = os.urandom(512 * 1024) + bytes(512 * 1024)
    add(z, "bigtorch/lib/libbig.so", chunk * so_mib)
    for i in range(members):
        add(z, "bigtorch/mod%d/m%d.py" % (i % 100, i), (b"# %d\n" % i) + os.urandom(300).hex().encode())
    di = "bigtorch-1.0.dist-info/"
    add(z, di + "METADATA", b"Metadata-Version: 2.1\nName: bigtorch\nVersion: 1.0\n")
    add(z, di + "WHEEL", b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\n")
    rows.append(di + "RECORD,,")
    z.writestr(zipfile.ZipInfo(di + "RECORD", (2020, 1, 1, 0, 0, 0)), ("\n".join(rows) + "\n").encode(), compress_type=zipfile.ZIP_DEFLATED)
print(os.path.join(out, name))
`;

/** The synthetic `bigtorch` wheel in `house` (created), read once into the page cache; returns its path. */
export async function writeBigWheel(dir: string, house: string, soMiB: number, members: number): Promise<string> {
  await mkdir(house, { recursive: true });
  await writeFile(join(dir, "make-wheel.py"), WHEEL_SCRIPT);
  const wheel = (await timed("python3", [join(dir, "make-wheel.py"), house, String(soMiB), String(members)], { timeoutMs: 1_800_000 })).stdout.trim();
  await timedShell(`cat ${q(wheel)} > /dev/null`);
  return wheel;
}

/** What map-build needs to install from a wheelhouse only: no pip configuration, no default index. */
export const WHEELHOUSE_ENV = { PIP_CONFIG_FILE: "/dev/null", MAP_BUILD_DEFAULT_INDEX_URL: "" };

/** torch for the python base (CPython 3.11, x86_64, glibc 2.36): a cp311 manylinux x86_64 wheel. */
const TORCH_WHEEL = /^torch-([^-]+)-cp311-cp311-manylinux[^-]*_x86_64\.whl$/;

/** The folders pip's configuration names as find-links (`pip config list`), local paths only. */
async function pipFindLinksFolders(): Promise<string[]> {
  const r = await timed("python3", ["-m", "pip", "config", "list"], { timeoutMs: 60_000 }).catch(() => undefined);
  const values = [...(r?.stdout ?? "").matchAll(/find-links='([^']*)'/g)].flatMap((m) => m[1]!.split(/\s+/));
  return [...new Set(values.filter((v) => v.startsWith("/")))];
}

/**
 * The machine's own torch wheel with its dependencies, gathered by pip from the sources its
 * configuration names (no retries: a source that does not answer is skipped at once), into
 * `house`; undefined when there is none or pip cannot gather them (the synthetic wheel is used).
 */
async function localTorchWheelhouse(house: string, log: (s: string) => void): Promise<{ requirement: string; label: string } | undefined> {
  if (process.env.BENCH_TORCH === "0" || process.env.BENCH_QUICK === "1") return undefined;
  for (const folder of await pipFindLinksFolders()) {
    const name = (await readdir(folder).catch(() => [] as string[])).filter((f) => TORCH_WHEEL.test(f)).sort().at(-1);
    if (!name) continue;
    log(`gathering ${name} and its dependencies with pip (the machine's own wheels)`);
    const got = await timed("python3", ["-m", "pip", "download", "--quiet", "--retries", "0", "--timeout", "2", "--dest", house, join(folder, name)], { timeoutMs: 600_000 })
      .catch((e: unknown) => log(`pip could not gather torch's dependencies (${String(e).slice(0, 300)}); using the synthetic wheel`));
    if (!got) return undefined;
    const wheels = (await readdir(house)).filter((f) => f.endsWith(".whl"));
    let bytes = 0;
    for (const w of wheels) bytes += (await stat(join(house, w))).size;
    await timedShell(`cat ${q(house)}/*.whl > /dev/null`);
    const version = TORCH_WHEEL.exec(name)![1]!;
    return { requirement: `torch==${version}`, label: `torch ${version} + ${wheels.length - 1} dependencies (${(bytes / 1e6).toFixed(0)} MB of wheels)` };
  }
  return undefined;
}

export async function pythonDepsRows(cfg: PythonDepsConfig): Promise<{ rows: Row[]; extra: string[] }> {
  const dir = join(cfg.work, "pydeps");
  const house = join(dir, "wheelhouse");
  await mkdir(house, { recursive: true });
  const torch = await localTorchWheelhouse(house, cfg.log);
  if (!torch) {
    cfg.log(`writing a ${cfg.soMiB} MiB .so + ${cfg.members} members wheel`);
    await writeBigWheel(dir, house, cfg.soMiB, cfg.members);
  }
  const wheels = (await readdir(house)).filter((f) => f.endsWith(".whl")).map((f) => join(house, f));

  // pip's way: unpack into a folder, then one gzip'd tar stream hashed (what a layer needs)
  const target = join(dir, "pip-target");
  const pipEnv = { ...process.env, PIP_CONFIG_FILE: "/dev/null", PIP_NO_INDEX: "1" };
  // wall time is what a user waits for; CPU seconds (with /usr/bin/time) stay comparable on a shared machine
  const timeV = cfg.timeV ? ["/usr/bin/time", "-v"] : [];
  const [pipCmd, ...pipPre] = [...timeV, "python3"];
  const pip = await timed(pipCmd!, [...pipPre, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps", "--target", target, ...wheels], { env: pipEnv, timeoutMs: 1_800_000 });
  const tarScript = `tar -C ${q(target)} -cf - . | pigz -p2 -1 | sha256sum > /dev/null`;
  const tar = cfg.timeV ? await timed("/usr/bin/time", ["-v", "bash", "-o", "pipefail", "-c", tarScript]) : await timedShell(tarScript);
  const peerS = pip.seconds + tar.seconds;
  const cpu = (r: { stderr: string }) => (cfg.timeV ? cpuSecondsFromTimeV(r.stderr) : Number.NaN);

  const app = join(dir, "app");
  await cp(join(ROOT, "examples/word_score_app"), app, { recursive: true });
  await writeFile(join(app, "requirements.txt"), `${torch?.requirement ?? "bigtorch"}\n`);
  const cache = join(dir, "cache");
  const env = { ...process.env, MAP_BUILD_CACHE_DIR: cache, ...WHEELHOUSE_ENV };
  let n = 0;
  const build = (wrapper: string[] = []) => {
    const argv = [cfg.cli, "package", app, "-t", "bench/deps:1", "-b", `oci:${cfg.layout}:${cfg.layoutTag}`, "--no-sdk", "--wheelhouse", house, "--oci-layout", join(dir, `out-${++n}`), "--json"];
    const [cmd, ...pre] = wrapper;
    return cmd ? timed(cmd, [...pre, process.execPath, ...argv], { env, timeoutMs: 1_800_000 }) : timed(process.execPath, argv, { env, timeoutMs: 1_800_000 });
  };
  cfg.log("map-build: deps layer (cold cache)");
  const first = await build(cfg.timeV ? ["/usr/bin/time", "-v"] : []);
  await appendFile(join(app, "app.py"), "\n# edited\n");
  cfg.log("map-build: app-only rebuild");
  const again = await build();
  const origin = (JSON.parse(again.stdout) as { layers: { role: string; origin: string }[] }).layers.find((l) => l.role === "python-deps")?.origin;
  const rss = cfg.timeV ? peakRssFromTimeV(first.stderr) : Number.NaN;
  const what = torch?.label ?? `${cfg.soMiB} MiB .so + ${cfg.members} members wheel`;
  const rows: Row[] = [
    { id: "6a", what: `deps layer, ${what}`, mapBuild: secs(first.seconds), peer: secs(peerS), result: `${(peerS / first.seconds).toFixed(2)}× faster`, goal: "≥ 1.5× faster", met: peerS / first.seconds >= 1.5, note: "peer: pip install --no-compile --no-deps --target + tar | pigz -p2 -1 | sha256sum; map-build: the whole package build (base from an OCI layout)" },
    { id: "6b", what: "app-only rebuild with that wheelhouse", mapBuild: secs(again.seconds), peer: "—", result: `${secs(again.seconds)}, deps layer ${origin}`, goal: "≤ 2 s", met: again.seconds <= 2 && origin === "cached" },
    { id: "6c", what: `peak RSS, deps build of ${what}`, mapBuild: Number.isNaN(rss) ? "n/a" : `${(rss / 1e6).toFixed(0)} MB`, peer: "—", result: Number.isNaN(rss) ? "not measured (no /usr/bin/time)" : `${(rss / 1e6).toFixed(0)} MB`, goal: "≤ 150 MB", met: Number.isNaN(rss) ? undefined : rss <= 150e6 },
  ];
  const cpuS = (r: { stderr: string }) => `${cpu(r).toFixed(1)} CPU-s`;
  return {
    rows,
    extra: [
      `python deps: pip ${secs(pip.seconds)} (${cpuS(pip)}) + tar|pigz|sha256sum ${secs(tar.seconds)} (${cpuS(tar)}); map-build cold ${secs(first.seconds)} (${cpuS(first)}), rebuild ${secs(again.seconds)}`,
      `python deps CPU seconds (user + system, all threads): map-build ${cpu(first).toFixed(1)} vs peer ${(cpu(pip) + cpu(tar)).toFixed(1)} = ${((cpu(pip) + cpu(tar)) / cpu(first)).toFixed(2)}×`,
    ],
  };
}
