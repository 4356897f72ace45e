/**
 * Issue 16, PEP 658/714 metadata files. Over a static index served by `python3 -m http.server`, a
 * resolve that backtracks over several versions reads the metadata files and downloads only the
 * wheels it chooses (counted in the server's log) and answers pip's choice; a metadata file with a
 * wrong hash, or one the downloaded wheel contradicts, fails with a typed error and leaves nothing
 * cached. The PEP 691 JSON path runs against the in-process index (test/python/index-server.ts):
 * http.server answers index.html as text/html whatever the Accept header asks (no content
 * negotiation), so it cannot serve the JSON form.
 */
import assert from "node:assert/strict";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isMapBuildError } from "../../src/errors.js";
import { parseRequirement } from "../../src/python/requirement.js";
import { selectWheels, type SelectResult } from "../../src/python/select.js";
import { findLinksPageSource, simpleIndexSource } from "../../src/python/sources.js";
import { PYTHON_BASE_TARGET } from "../../src/python/target.js";
import { fixture } from "../helpers/fixtures.js";
import { makeTempDir } from "../helpers/tmp.js";
import { BACKTRACK_REQUIREMENTS, backtrackProjects } from "./backtrack-index.js";
import { servePythonDirectory, startIndex, writeStaticIndex, type IndexFileSpec } from "./index-server.js";
import { makeWheel, type WheelSpec } from "./wheel-factory.js";

const PIP_CHOICE = fixture("python", "backtrack-pip.json");

const spec = (name: string, requires: string[]): WheelSpec => ({ name, version: "1.0", requires, files: { [`${name}/__init__.py`]: "" } });

/** A project whose metadata file is announced with a hash it does not have. */
const BADHASH = makeWheel(spec("badhash", []));
/** A project whose metadata file (hash announced correctly) leaves out the wheel's own Requires-Dist. */
const LIAR = makeWheel(spec("liar", ["shared<2"]));
const liarFile = LIAR.metadata.replace(/^Requires-Dist: .*\n/m, "");

const TAMPERED: Record<string, IndexFileSpec[]> = {
  badhash: [{ filename: BADHASH.filename, bytes: BADHASH.bytes, sha256: BADHASH.sha256, metadata: BADHASH.metadata, metadataSha256: "0".repeat(64) }],
  liar: [{ filename: LIAR.filename, bytes: LIAR.bytes, sha256: LIAR.sha256, metadata: liarFile }],
};

/** The request paths' last segments in an http.server log that end with `suffix`. */
const gets = (log: string, suffix: string) => [...log.matchAll(/"GET (\S+) HTTP/g)].map((m) => m[1]!.split("/").pop()!).filter((f) => f.endsWith(suffix));
const pinsOf = (r: SelectResult) => r.wheels.map((w) => `${w.name}==${w.version}`);
const exists = (p: string) => access(p).then(() => true, () => false);

describe("PEP 658/714 metadata files: a resolve downloads only the wheels it chooses", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: Awaited<ReturnType<typeof servePythonDirectory>>;
  let pip: string[];
  let caches = 0;
  before(async () => {
    tmp = await makeTempDir("mb-metadata-files-");
    await writeStaticIndex(join(tmp.dir, "index"), { ...backtrackProjects({ metadata: true }), ...TAMPERED });
    server = await servePythonDirectory(join(tmp.dir, "index"));
    pip = (JSON.parse(await readFile(PIP_CHOICE, "utf8")) as { install: string[] }).install;
  });
  after(async () => {
    await server?.close();
    await tmp?.cleanup();
  });

  const newCache = () => join(tmp.dir, `cache-${++caches}`);
  /** Resolve `lines` from `url` with `cache` as blob store and facts cache, closing the source after. */
  const resolve = async (url: string, lines: readonly string[], cache: string) => {
    const source = simpleIndexSource(url, { cacheDir: cache });
    try {
      return await selectWheels({
        requirements: lines.map((l, i) => parseRequirement(l, `req:${i + 1}`)),
        sources: [source], target: PYTHON_BASE_TARGET, factsCacheDir: cache,
      });
    } finally {
      await source.close?.();
    }
  };
  /** The server log written while `f` runs. */
  const logOf = async <T>(f: () => Promise<T>): Promise<{ value: T; log: string }> => {
    const from = server.requests().length;
    const value = await f();
    return { value, log: server.requests().slice(from) };
  };

  it("backtracking reads metadata files of the versions it tries, downloads only the chosen wheels, and answers pip's choice", async () => {
    const cache = newCache();
    const { value: r, log } = await logOf(() => resolve(`${server.url}simple/`, BACKTRACK_REQUIREMENTS, cache));
    assert.deepEqual(pinsOf(r), pip);
    assert.deepEqual(gets(log, ".whl").sort(), r.wheels.map((w) => w.filename).sort(), `only the chosen wheels are downloaded:\n${log}`);
    const metadata = gets(log, ".metadata");
    assert.equal(new Set(metadata).size, metadata.length, "each metadata file is read once");
    // app-b 2.0 needs mid, whose shared<2 conflicts with app-a 3.0's shared>=2: tried over two shared versions, then undone
    for (const tried of ["app_b-2.0", "mid-1.0", "shared-2.0", "shared-2.1", "app_b-1.0"]) {
      assert.ok(metadata.includes(`${tried}-py3-none-any.whl.metadata`), `${tried} looked at through its metadata file:\n${log}`);
    }
    // the chosen wheels' metadata is their own (read from the wheel), e.g. the SBOM's licence fields come from it
    assert.deepEqual(r.wheels.find((w) => w.name === "app-a")!.metadata.requiresDist, ["shared>=2"]);

    // the same resolve again: metadata from the facts cache (by the wheel's sha256), wheels from the blob store
    const again = await logOf(() => resolve(`${server.url}simple/`, BACKTRACK_REQUIREMENTS, cache));
    assert.deepEqual(pinsOf(again.value), pip);
    assert.deepEqual([...gets(again.log, ".whl"), ...gets(again.log, ".metadata")], [], again.log);
  });

  it("a metadata file that does not hash to the announced digest: E_DIGEST_MISMATCH, nothing cached, no wheel downloaded", async () => {
    const cache = newCache();
    const { log } = await logOf(() => assert.rejects(resolve(`${server.url}simple/`, ["badhash"], cache), (e: unknown) => {
      assert.ok(isMapBuildError(e) && e.code === "E_DIGEST_MISMATCH", String(e));
      assert.match(e.message, new RegExp(`${BADHASH.filename}\\.metadata has sha256 [0-9a-f]{64}, the index says 0{64}`));
      return true;
    }));
    assert.deepEqual(gets(log, ".whl"), []);
    assert.equal(await exists(join(cache, "python-metadata-file", `${BADHASH.sha256}.json`)), false, "nothing cached");
  });

  it("a metadata file the chosen wheel contradicts: a clear error once the wheel is downloaded, and the kept metadata is dropped", async () => {
    const cache = newCache();
    await assert.rejects(resolve(`${server.url}simple/`, ["liar"], cache), (e: unknown) => {
      assert.ok(isMapBuildError(e) && e.code === "E_PYTHON_DEPS", String(e));
      assert.match(e.message, /liar-1\.0-py3-none-any\.whl: its METADATA disagrees with the index's metadata file .*Requires-Dist "shared<2" only in the wheel/);
      assert.match(e.hint ?? "", /does not belong to this wheel/);
      return true;
    });
    assert.equal(await exists(join(cache, "python-metadata-file", `${LIAR.sha256}.json`)), false, "the contradicted metadata is not kept");
  });

  it("a PEP 691 JSON index announces metadata files too (core-metadata and dist-info-metadata keys)", async () => {
    const index = await startIndex(backtrackProjects({ metadata: true }));
    try {
      const r = await resolve(index.url, BACKTRACK_REQUIREMENTS, newCache());
      assert.deepEqual(pinsOf(r), pip);
      const pages = index.requests.filter((q) => q.path.startsWith("/simple/"));
      assert.ok(pages.length && pages.every((q) => q.accept.startsWith("application/vnd.pypi.simple.v1+json")), "asked for (and served) JSON pages");
      const files = index.requests.map((q) => q.path.split("/").pop()!);
      assert.deepEqual(files.filter((f) => f.endsWith(".whl")).sort(), r.wheels.map((w) => w.filename).sort());
      assert.ok(files.includes("mid-1.0-py3-none-any.whl.metadata") && files.includes("shared-2.0-py3-none-any.whl.metadata"), files.join(" "));
    } finally {
      await index.close();
    }
  });

  it("a find-links page keeps downloading wheels: its links' metadata attributes are not used", async () => {
    const source = findLinksPageSource(`${server.url}simple/shared/`, { cacheDir: newCache() });
    try {
      const { wheels } = await source.list("shared");
      assert.equal(wheels.length, 5);
      assert.ok(wheels.every((w) => w.metadataFile === undefined));
    } finally {
      await source.close?.();
    }
  });
});
