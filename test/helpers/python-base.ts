/**
 * The small real python base image (Debian bookworm + python3-minimal) as an OCI layout, built
 * once per machine by scripts/make-python-base.sh (rootfs cached) and pushed by skopeo.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runOk } from "./run.js";
import { SCRIPTS } from "./registry.js";

export const PYTHON_BASE_TAG = "bookworm-python";

/** Where the built layout lives; MAP_BUILD_TEST_CACHE overrides (CI caches it). */
export function testCacheDir(): string {
  return process.env.MAP_BUILD_TEST_CACHE ?? join(process.env.HOME ?? "/root", ".cache", "map-build-test");
}

/** Build `name` under the test cache with `script` unless it is there; parallel test files wait on one lock. */
async function layoutOnce(name: string, script: string, lock: string, timeoutMs: number): Promise<string> {
  const out = join(testCacheDir(), name);
  if (!existsSync(join(out, "index.json"))) {
    // test files run in parallel processes: one builds, the others wait on the lock and find it built
    await mkdir(testCacheDir(), { recursive: true });
    const once = `[ -f "$1/index.json" ] || bash "$3" "$1" "$2"`;
    await runOk("flock", [join(testCacheDir(), lock), "bash", "-c", once, "build",
      out, join(testCacheDir(), "python-base-rootfs"), join(SCRIPTS, script)], { timeoutMs });
  }
  return out;
}

let building: Promise<string> | undefined;

/** Path of the OCI layout holding `bookworm-python`; builds it the first time. */
export function pythonBaseLayout(): Promise<string> {
  building ??= layoutOnce("python-base-layout", "make-python-base.sh", ".python-base.lock", 600_000);
  return building;
}

/** Push the python base to `host/repo:tag` with skopeo; returns the reference. */
export async function pushPythonBase(host: string, repo = "base/python", tag = "3", creds?: string): Promise<string> {
  const layout = await pythonBaseLayout();
  const ref = `${host}/${repo}:${tag}`;
  const args = ["copy", "--quiet", "--dest-tls-verify=false"];
  if (creds) args.push("--dest-creds", creds);
  args.push(`oci:${layout}:${PYTHON_BASE_TAG}`, `docker://${ref}`);
  await runOk("skopeo", args);
  return ref;
}

/** One layer to append: files to add (path in the image → content) and paths to white out. */
export interface ExtraLayer {
  files?: Record<string, string>;
  whiteouts?: string[];
}

/**
 * The python base plus layers appended with umoci (`umoci insert`, one layer per call), pushed to
 * `host/repo:tag`. `work` is a scratch dir for the copied layout and the files.
 */
export async function pushPythonBaseWith(host: string, work: string, layers: ExtraLayer[], repo = "base/python-extra", tag = "1"): Promise<string> {
  const layout = join(work, "layout");
  await mkdir(work, { recursive: true });
  await runOk("cp", ["-a", await pythonBaseLayout(), layout]);
  const image = `${layout}:${PYTHON_BASE_TAG}`;
  let n = 0;
  for (const layer of layers) {
    for (const w of layer.whiteouts ?? []) await runOk("umoci", ["insert", "--image", image, "--whiteout", w]);
    if (!layer.files) continue;
    // one directory tree per layer, inserted at / so the whole layer is one umoci insert
    const root = join(work, `layer-${++n}`);
    for (const [path, text] of Object.entries(layer.files)) {
      await mkdir(join(root, dirname(path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    await runOk("umoci", ["insert", "--image", image, root, "/"]);
  }
  const ref = `${host}/${repo}:${tag}`;
  await runOk("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${image}`, `docker://${ref}`]);
  return ref;
}

let buildingMultiarch: Promise<string> | undefined;

/**
 * Path of the OCI layout whose `bookworm-python` is an image index over amd64 and arm64 images
 * (scripts/make-python-base-multiarch.sh: the arm64 rootfs is built under qemu, 2–3.5 min, cached
 * per UTC day next to the amd64 one; it registers qemu-aarch64 with binfmt_misc, F flag).
 */
export function pythonBaseMultiarchLayout(): Promise<string> {
  buildingMultiarch ??= layoutOnce("python-base-multiarch-layout", "make-python-base-multiarch.sh", ".python-base-multiarch.lock", 900_000);
  return buildingMultiarch;
}

/** Push the two-platform python base to `host/repo:tag` as an index (skopeo copy --all). */
export async function pushPythonBaseMultiarch(host: string, repo = "base/python-multiarch", tag = "3"): Promise<string> {
  const layout = await pythonBaseMultiarchLayout();
  const ref = `${host}/${repo}:${tag}`;
  await runOk("skopeo", ["copy", "--quiet", "--all", "--dest-tls-verify=false", `oci:${layout}:${PYTHON_BASE_TAG}`, `docker://${ref}`]);
  return ref;
}
