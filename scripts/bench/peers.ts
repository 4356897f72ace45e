/**
 * The programs the bench drives: the loopback registry, skopeo, buildah and map-build itself.
 * Every helper returns wall-clock seconds of the child process (start-up included: that is what a
 * user waits for).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createServer } from "node:net";
import { q, timed, timedShell, type Timed } from "./proc.js";

export const ROOT = resolve(import.meta.dirname, "../..");
const START_REGISTRY = join(ROOT, "scripts/start-registry.sh");

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? ok(addr.port) : fail(new Error("no port"))));
    });
  });
}

export interface Registry {
  host: string;
  stop(): Promise<void>;
}

/** A fresh registry (own storage under `dir`). A fresh one per repetition keeps peers' blob-info caches cold. */
export async function startRegistry(dir: string): Promise<Registry> {
  const port = await freePort();
  await timed("bash", [START_REGISTRY, dir, String(port)]);
  let stopped = false;
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopPid(join(dir, "registry.pid"));
    },
  };
}

/**
 * What `start-registry.sh --stop` does, without spawning: cleanup also runs after an interrupt,
 * when the bench starts no more children.
 */
async function stopPid(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  await rm(pidFile, { force: true });
}

export const BASE_REPO = "base/python";
export const BASE_TAG = "3";

/** skopeo copy of the python base layout into the registry; returns the reference. */
export async function pushBase(host: string, layout: string, layoutTag: string): Promise<string> {
  const ref = `${host}/${BASE_REPO}:${BASE_TAG}`;
  await timed("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:${layoutTag}`, `docker://${ref}`]);
  return ref;
}

export interface MapBuildRun extends Timed {
  /** The --json result. */
  result: MapBuildResult;
}

export interface MapBuildLayer {
  role: string;
  digest: string;
  mediaType: string;
  size: number;
  origin: string;
}

export interface MapBuildResult {
  digest: string;
  layers: MapBuildLayer[];
}

export interface MapBuildArgs {
  /** Compiled CLI entry (dist/cli/map-build.js). */
  cli: string;
  app: string;
  model: string;
  base: string;
  tag: string;
  /** --push, --tarball F, … */
  output: string[];
  cacheDir: string;
  extraNodeArgs?: string[];
  /** Wrap the node command, e.g. ["/usr/bin/time", "-v"]. */
  wrapper?: string[];
  /** Extra environment variables. */
  env?: NodeJS.ProcessEnv;
}

export async function mapBuild(a: MapBuildArgs): Promise<MapBuildRun> {
  const argv = [...(a.extraNodeArgs ?? []), a.cli, "package", a.app, "-t", a.tag, "-m", a.model, "-b", a.base, "--no-sdk", ...a.output, "--json"];
  const [cmd, ...pre] = a.wrapper ?? [];
  const env = { ...process.env, ...a.env, MAP_BUILD_CACHE_DIR: a.cacheDir };
  const r = cmd ? await timed(cmd, [...pre, process.execPath, ...argv], { env }) : await timed(process.execPath, argv, { env });
  return { ...r, result: JSON.parse(r.stdout) as MapBuildResult };
}

export interface BuildahTimes {
  bud: number;
  push: number;
}

/**
 * `buildah bud` (FROM base, COPY app, COPY model) + `buildah push`, with vfs storage and chroot
 * isolation under a private storage root: cold, like a CI runner.
 */
export async function buildahBuildPush(work: string, ctx: string, base: string, dest: string, appDirName: string, modelName: string): Promise<BuildahTimes> {
  const root = await mkdtemp(join(work, "buildah-"));
  await mkdir(join(root, "run"));
  const dockerfile = join(root, "Dockerfile");
  await writeFile(dockerfile, `FROM ${base}\nCOPY ${appDirName} /opt/monai/app\nCOPY ${modelName} /opt/monai/models/model/${modelName}\n`);
  const g = ["--root", join(root, "storage"), "--runroot", join(root, "run"), "--storage-driver", "vfs"];
  const bud = await timed("buildah", [...g, "bud", "--quiet", "--isolation", "chroot", "--tls-verify=false", "-t", "localhost/bench-buildah:1", "-f", dockerfile, ctx]);
  const push = await timed("buildah", [...g, "push", "--quiet", "--tls-verify=false", "localhost/bench-buildah:1", `docker://${dest}`]);
  // vfs leaves read-only or immutable-looking trees; buildah's own rm first, then the folder
  await timed("buildah", [...g, "rmi", "--all", "--force"]).catch(() => undefined);
  await timedShell(`rm -rf ${q(root)}`);
  return { bud: bud.seconds, push: push.seconds };
}

export async function skopeoToArchive(src: string, file: string, name: string): Promise<number> {
  const r = await timed("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${src}`, `docker-archive:${file}:${name}`]);
  return r.seconds;
}

/** Peak RSS of a `/usr/bin/time -v` run, in bytes. */
export function peakRssFromTimeV(stderr: string): number {
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (!m) throw new Error(`no "Maximum resident set size" in /usr/bin/time output:\n${stderr.slice(-2000)}`);
  return Number(m[1]) * 1024;
}

/** User + system CPU seconds (all threads and children) of a `/usr/bin/time -v` run. */
export function cpuSecondsFromTimeV(stderr: string): number {
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  if (!user || !sys) throw new Error(`no user/system time in /usr/bin/time output:\n${stderr.slice(-2000)}`);
  return Number(user[1]) + Number(sys[1]);
}
