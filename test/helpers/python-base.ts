/**
 * The small real python base image (Debian bookworm + python3-minimal) as an OCI layout, built
 * once per machine by scripts/make-python-base.sh (rootfs cached) and pushed by skopeo.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runOk } from "./run.js";
import { SCRIPTS } from "./registry.js";

export const PYTHON_BASE_TAG = "bookworm-python";

/** Where the built layout lives; MAP_BUILD_TEST_CACHE overrides (CI caches it). */
export function testCacheDir(): string {
  return process.env.MAP_BUILD_TEST_CACHE ?? join(process.env.HOME ?? "/root", ".cache", "map-build-test");
}

let building: Promise<string> | undefined;

/** Path of the OCI layout holding `bookworm-python`; builds it the first time. */
export function pythonBaseLayout(): Promise<string> {
  building ??= (async () => {
    const out = join(testCacheDir(), "python-base-layout");
    if (!existsSync(join(out, "index.json"))) {
      await runOk("bash", [join(SCRIPTS, "make-python-base.sh"), out, join(testCacheDir(), "python-base-rootfs")]);
    }
    return out;
  })();
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
