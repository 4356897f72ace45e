/**
 * cdxgen (@cyclonedx/cdxgen), an independent SBOM generator used only as a test oracle. It is not a
 * dependency of the package: scripts/install-test-tools.sh installs it with `npm ci` from
 * scripts/tools/cdxgen (a pinned version and a lockfile, so every transitive package is pinned too)
 * into the test cache, in a folder named by the lockfile's hash, and the test fails, naming that
 * script, when it is not there.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { testCacheDir } from "../helpers/python-base.js";

const TOOL_DIR = resolve(import.meta.dirname, "../../scripts/tools/cdxgen");
const manifest = JSON.parse(readFileSync(join(TOOL_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> };
export const CDXGEN_VERSION = manifest.dependencies["@cyclonedx/cdxgen"]!;
// same name as install-test-tools.sh gives it: the first 16 hex of the lockfile's sha256
const lockId = createHash("sha256").update(readFileSync(join(TOOL_DIR, "package-lock.json"))).digest("hex").slice(0, 16);

/** The cdxgen binary; throws with the install command when it is missing. */
export function cdxgenBin(): string {
  const bin = join(testCacheDir(), "tools", `cdxgen-${lockId}`, "node_modules", ".bin", "cdxgen");
  if (!existsSync(bin)) throw new Error(`cdxgen ${CDXGEN_VERSION} is not installed at ${bin}: run bash scripts/install-test-tools.sh`);
  return bin;
}

/** cdxgen's environment: no license or registry look-ups, no banner, no plugin binaries; only loopback. */
export function cdxgenEnv(tmp: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: tmp,
    TMPDIR: tmp,
    FETCH_LICENSE: "false",
    CDXGEN_FETCH_PKG_METADATA: "false",
    CDXGEN_NO_BANNER: "true",
    CDXGEN_PLUGINS_DIR: join(tmp, "no-plugins"),
    NODE_NO_WARNINGS: "1",
  };
}
