/**
 * cdxgen (@cyclonedx/cdxgen), an independent SBOM generator used only as a test oracle. It is not a
 * dependency of the package: scripts/install-test-tools.sh installs the pinned version into the test
 * cache, and the test fails, naming that script, when it is not there.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { testCacheDir } from "../helpers/python-base.js";

/** Keep in step with CDXGEN_VERSION in scripts/install-test-tools.sh. */
export const CDXGEN_VERSION = "12.8.4";

/** The cdxgen binary; throws with the install command when it is missing. */
export function cdxgenBin(): string {
  const bin = join(testCacheDir(), "tools", `cdxgen-${CDXGEN_VERSION}`, "node_modules", ".bin", "cdxgen");
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
