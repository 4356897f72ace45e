/**
 * Issue 19 acceptance: an independent generator, cdxgen, run on the image (the docker-archive
 * tarball map-build writes), finds no Python package that map-build's SBOM misses — and finds at
 * least the wheels we installed, so the comparison means something.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { runCliInProcess } from "../helpers/cli.js";
import { PYTHON_BASE_TAG, pythonBaseLayout } from "../helpers/python-base.js";
import { runOk } from "../helpers/run.js";
import { scratchDirs } from "../helpers/tmp.js";
import { EXAMPLE_MODEL, exampleAppWithWheels } from "../package/fixtures.js";
import type { WheelSpec } from "../python/wheel-factory.js";
import { cdxgenBin, cdxgenEnv } from "./cdxgen.js";

/** A third wheel whose name PEP 503 normalises (case, `_` and `.`), beside greet and its dependency colorfmt. */
const ODD_NAME: WheelSpec = { name: "Odd_Name.Pkg", version: "0.3", files: { "odd_name_pkg/__init__.py": "X = 1\n" } };

interface Component {
  name: string;
  version?: string;
  purl?: string;
  properties?: { name: string; value: string }[];
}
interface Bom {
  components?: Component[];
}

/** `name@version` of the pypi components (`only` those it keeps), names normalised as PEP 503 does. */
function pypiPackages(bom: Bom, only: (c: Component) => boolean = () => true): string[] {
  const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");
  const found = (bom.components ?? []).filter((c) => c.purl?.startsWith("pkg:pypi/") && only(c)).map((c) => `${norm(c.name)}@${c.version}`);
  return [...new Set(found)].sort();
}

/** cdxgen read it from an installed distribution, not from a requirements or lock file. */
const fromDistInfo = (c: Component) => c.properties?.some((p) => p.name === "SrcFile" && p.value.endsWith(".dist-info/METADATA")) ?? false;

describe("cdxgen on the image finds no Python package the SBOM misses", () => {
  const scratch = scratchDirs("mb-cdxgen-");

  it("every pypi package cdxgen finds in the tarball is in map-build's SBOM", async () => {
    const dir = await scratch.fresh("build");
    const cdxgen = cdxgenBin();
    const { app, wheelhouse } = await exampleAppWithWheels(dir, [ODD_NAME]);
    await appendFile(join(app, "requirements.txt"), "odd-name-pkg==0.3\n");
    const tarball = join(dir, "map.tar");
    const sbomPath = join(dir, "map.sbom.json");
    const base = `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`;
    const env = { MAP_BUILD_CACHE_DIR: join(dir, "cache"), SOURCE_DATE_EPOCH: "1700000000", MONAI_BASEIMAGE: undefined, DOCKER_HOST: undefined };
    const r = await runCliInProcess(["package", app, "-t", "apps/cdx:1.0", "-b", base, "-m", EXAMPLE_MODEL, "--no-sdk", "--wheelhouse", wheelhouse, "--tarball", tarball, "--sbom", sbomPath], { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const ours = pypiPackages(JSON.parse(await readFile(sbomPath, "utf8")) as Bom);

    const theirsPath = join(dir, "cdxgen.json");
    await runOk(cdxgen, ["-t", "docker", "-o", theirsPath, "--no-install-deps", tarball], { env: cdxgenEnv(dir), cwd: dir, timeoutMs: 120_000 });
    const theirBom = JSON.parse(await readFile(theirsPath, "utf8")) as Bom;
    const theirs = pypiPackages(theirBom);

    // it read the installed distributions themselves, so the comparison below means something
    assert.deepEqual(pypiPackages(theirBom, fromDistInfo), ["colorfmt@1.2", "greet@1.0", "odd-name-pkg@0.3"]);
    assert.deepEqual(theirs.filter((p) => !ours.includes(p)), [], `cdxgen found packages the SBOM misses (SBOM: ${ours.join(", ")})`);
  });
});
