/**
 * Issue 19 acceptance: a MAP built with generated wheels and a model gets an SBOM and provenance
 * that are exact (the deps layer's *.dist-info, the model file in the image, the base's digest),
 * schema-valid, reproducible and free of secrets; with --push both are attached as OCI referrers
 * (registry 2.8: the `sha256-<hex>` fallback tag; a proxy with the referrers API: the API), skopeo
 * still copies the image, the OCI layout lists them, and `inspect --sbom` prints them.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCliInProcess } from "../helpers/cli.js";
import { pushPythonBase, pythonBaseLayout } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { runOk } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";
import { EXAMPLE_MODEL, exampleAppWithWheels, layoutLayerDigests, readLayout } from "../package/fixtures.js";
import { startReferrersServer } from "./referrers-server.js";
import { cycloneDx16Validator, isValid, schemaErrors, spdx23Validator } from "./schemas.js";

const SITE = "/root/.local/lib/python3.11/site-packages";
const SECRETS = ["ngc-key-s3cret-1", "env-password-s3cret-2", "docker-config-s3cret-3"];
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const ACCEPT = [OCI_INDEX, "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"].join(", ");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Bom {
  metadata: { component: { hashes?: { content: string }[] } };
  components: { type: string; name: string; version?: string; purl?: string; "bom-ref": string; hashes?: { content: string }[]; properties?: { name: string; value: string }[] }[];
}

describe("SBOM and provenance of a MAP: exact, attached, reproducible", () => {
  let registry: TestRegistry;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: string;
  let app: string;
  let wheelhouse: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    tmp = await makeTempDir("mb-sbom-");
    registry = await startRegistry();
    base = await pushPythonBase(registry.host);
    ({ app, wheelhouse } = await exampleAppWithWheels(tmp.dir));
    const dockerConfig = join(tmp.dir, "docker");
    await mkdir(dockerConfig);
    const auth = Buffer.from(`someone:${SECRETS[2]}`).toString("base64");
    await writeFile(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [registry.host]: { auth }, "nvcr.io": { auth } } }));
    env = {
      MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache"),
      SOURCE_DATE_EPOCH: "1700000000",
      MONAI_BASEIMAGE: undefined,
      DOCKER_HOST: undefined,
      DOCKER_CONFIG: dockerConfig,
      NGC_API_KEY: SECRETS[0],
      MAP_BUILD_REGISTRY_USER: "someone",
      MAP_BUILD_REGISTRY_PASSWORD: SECRETS[1],
      MAP_BUILD_REGISTRY_HOST: "registry.invalid",
    };
  });
  after(async () => {
    await registry?.stop();
    await tmp?.cleanup();
  });

  const build = async (name: string, tag: string, extra: string[]) => {
    const out = { layout: join(tmp.dir, `${name}-layout`), sbom: join(tmp.dir, `${name}.sbom.json`), provenance: join(tmp.dir, `${name}.prov.json`) };
    const args = ["package", app, "-t", tag, "-b", base, "-m", EXAMPLE_MODEL, "--no-sdk", "--wheelhouse", wheelhouse, "--oci-layout", out.layout, "--sbom", out.sbom, "--provenance", out.provenance, "--json", ...extra];
    const r = await runCliInProcess(args, { env, cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { digest: string; outputs: { kind: string; referrers?: { digests: string[]; via?: string; tag?: string } }[] };
    return { ...out, result, sbomBytes: await readFile(out.sbom), provBytes: await readFile(out.provenance) };
  };

  const get = async (path: string, accept = ACCEPT) => {
    const res = await fetch(`http://${registry.host}${path}`, { headers: { accept } });
    assert.equal(res.status, 200, `GET ${path}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  };

  it("pushes with the fallback tag; the SBOM is exact, valid and reproducible; skopeo and inspect see it", async () => {
    const tag = `${registry.host}/apps/ws:1.0`;
    const tarball = join(tmp.dir, "one.tar");
    const first = await build("one", tag, ["--push", "--tarball", tarball]);
    const digest = first.result.digest;
    const bom = JSON.parse(first.sbomBytes.toString("utf8")) as Bom;
    const validate = cycloneDx16Validator();
    assert.ok(isValid(validate, bom), schemaErrors(validate));
    assert.equal(bom.metadata.component.hashes?.[0]?.content, digest.slice(7));

    // exactly the distributions in the deps layer
    const image = await readLayout(first.layout, await layoutLayerDigests(await pythonBaseLayout()));
    const distInfos = [...image.files.keys()].map((p) => new RegExp(`^${SITE}/([^/]+)-([^/-]+)\\.dist-info/METADATA$`).exec(p)).filter((m) => m !== null).map((m) => `${m[1]!.toLowerCase()}@${m[2]}`).sort();
    const listed = bom.components.filter((c) => c.purl?.startsWith("pkg:pypi/")).map((c) => `${c.name.toLowerCase()}@${c.version}`).sort();
    assert.deepEqual(listed, distInfos);
    assert.deepEqual(listed, ["colorfmt@1.2", "greet@1.0"]);
    const greet = bom.components.find((c) => c.name === "greet")!;
    assert.equal(greet.hashes?.[0]?.content, sha256(await readFile(join(wheelhouse, "greet-1.0-py3-none-any.whl"))));
    assert.ok(greet.properties?.some((p) => p.name === "map-build:requested-by"), "the requirement that brought it in");

    // the model's hash is the file's in the image; app files are listed with their hashes
    const modelFile = image.files.get("/opt/monai/models/word_weights/word_weights.tsv")!;
    const model = bom.components.find((c) => c.type === "machine-learning-model")!;
    assert.equal(model.hashes?.[0]?.content, sha256(modelFile.data));
    const appPy = bom.components.find((c) => c.name === "/opt/monai/app/app.py")!;
    assert.equal(appPy.hashes?.[0]?.content, sha256(image.files.get("/opt/monai/app/app.py")!.data));

    // the base: its digest, and its layers are the MAP's first layers
    const baseManifestBytes = await get("/v2/base/python/manifests/3");
    const baseComponent = bom.components.find((c) => c["bom-ref"] === "base")!;
    assert.equal(baseComponent.hashes?.[0]?.content, sha256(baseManifestBytes));
    const baseLayers = (JSON.parse(baseManifestBytes.toString()) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
    assert.deepEqual(image.manifest.layers.slice(0, baseLayers.length).map((l) => l.digest), baseLayers);

    // provenance: subject, builder, resolved inputs; no start/finish with SOURCE_DATE_EPOCH
    const prov = JSON.parse(first.provBytes.toString("utf8")) as { subject: { digest: { sha256: string } }[]; predicate: { buildDefinition: { resolvedDependencies: { name: string; digest: Record<string, string> }[] }; runDetails: { metadata: object } } };
    assert.equal(prov.subject[0]!.digest.sha256, digest.slice(7));
    const deps = prov.predicate.buildDefinition.resolvedDependencies;
    assert.equal(deps.find((d) => d.name === "base")!.digest.sha256, sha256(baseManifestBytes));
    assert.ok(deps.some((d) => d.name === "greet-1.0-py3-none-any.whl"));
    assert.deepEqual(prov.predicate.runDetails.metadata, {});

    // no secret from any credential source
    for (const text of [first.sbomBytes.toString(), first.provBytes.toString()]) for (const s of SECRETS) assert.ok(!text.includes(s), `secret ${s} leaked`);

    // registry 2.8: the referrers tag schema
    const push = first.result.outputs.find((o) => o.kind === "push")!;
    assert.equal(push.referrers?.via, "tag");
    const fallback = JSON.parse((await get(`/v2/apps/ws/manifests/sha256-${digest.slice(7)}`, OCI_INDEX)).toString()) as { manifests: { digest: string; artifactType: string }[] };
    assert.deepEqual(fallback.manifests.map((m) => m.artifactType).sort(), ["application/vnd.cyclonedx+json", "application/vnd.in-toto+json"]);
    for (const m of fallback.manifests) {
      const art = JSON.parse((await get(`/v2/apps/ws/manifests/${m.digest}`)).toString()) as { artifactType: string; subject: { digest: string }; layers: { digest: string }[] };
      assert.equal(art.artifactType, m.artifactType);
      assert.equal(art.subject.digest, digest);
      const payload = await get(`/v2/apps/ws/blobs/${art.layers[0]!.digest}`, "*/*");
      assert.deepEqual(payload, m.artifactType.includes("cyclonedx") ? first.sbomBytes : first.provBytes);
    }

    // the OCI layout lists both beside the image
    const index = JSON.parse(await readFile(join(first.layout, "index.json"), "utf8")) as { manifests: { digest: string; artifactType?: string }[] };
    assert.equal(index.manifests[0]!.digest, digest);
    assert.deepEqual(index.manifests.filter((m) => m.artifactType).map((m) => m.digest).sort(), fallback.manifests.map((m) => m.digest).sort());

    // skopeo copies the image unaffected
    const copy = join(tmp.dir, "skopeo-copy");
    await runOk("skopeo", ["copy", "--quiet", "--preserve-digests", "--src-tls-verify=false", `docker://${tag}`, `oci:${copy}:x`]);
    const copied = JSON.parse(await readFile(join(copy, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    assert.equal(copied.manifests[0]!.digest, digest);

    // inspect --sbom prints it, from the registry, the layout and the tarball (blobs found by subject)
    for (const ref of [tag, `oci:${first.layout}:1.0`, `docker-archive:${tarball}`]) {
      const r = await runCliInProcess(["inspect", ref, "--sbom"], { env, cwd: tmp.dir });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.startsWith("# application/vnd.cyclonedx+json sha256:"), r.stdout.slice(0, 200));
      assert.equal(r.stdout.slice(r.stdout.indexOf("\n") + 1), first.sbomBytes.toString("utf8"));
    }

    // a rebuild gives the same bytes, and the fallback index does not grow
    const second = await build("two", tag, ["--push"]);
    assert.equal(second.result.digest, digest);
    assert.deepEqual(second.sbomBytes, first.sbomBytes);
    assert.deepEqual(second.provBytes, first.provBytes);
    const again = JSON.parse((await get(`/v2/apps/ws/manifests/sha256-${digest.slice(7)}`, OCI_INDEX)).toString()) as { manifests: unknown[] };
    assert.equal(again.manifests.length, 2);
  });

  it("SPDX 2.3 on request, and an SBOM inside the image only on request", async () => {
    const r = await build("spdx", `${registry.host}/apps/ws:spdx`, ["--sbom-format", "spdx", "--sbom-in-image"]);
    const doc = JSON.parse(r.sbomBytes.toString("utf8")) as { packages: { name: string }[] };
    const validate = spdx23Validator();
    assert.ok(isValid(validate, doc), schemaErrors(validate));
    assert.ok(doc.packages.some((p) => p.name === "greet"));
    const image = await readLayout(r.layout, await layoutLayerDigests(await pythonBaseLayout()));
    const inImage = JSON.parse(image.text("/opt/monai/sbom.spdx.json")) as { spdxVersion: string; packages: { name: string }[] };
    assert.equal(inImage.spdxVersion, "SPDX-2.3");
    assert.ok(inImage.packages.some((p) => p.name === "colorfmt"));
  });

  it("a registry with the referrers API: attached through it, no fallback tag", async () => {
    const proxy = await startReferrersServer(registry.host);
    try {
      const r = await build("api", `${proxy.host}/apps/api:1.0`, ["--push"]);
      const push = r.result.outputs.find((o) => o.kind === "push")!;
      assert.equal(push.referrers?.via, "api");
      assert.ok(proxy.referrerRequests > 0);
      const tags = JSON.parse((await get("/v2/apps/api/tags/list", "application/json")).toString()) as { tags: string[] };
      assert.deepEqual(tags.tags, ["1.0"]);
      const listed = await fetch(`http://${proxy.host}/v2/apps/api/referrers/${r.result.digest}`);
      const idx = (await listed.json()) as { manifests: { artifactType: string }[] };
      assert.deepEqual(idx.manifests.map((m) => m.artifactType).sort(), ["application/vnd.cyclonedx+json", "application/vnd.in-toto+json"]);
      const insp = await runCliInProcess(["inspect", `${proxy.host}/apps/api:1.0`, "--sbom", "--json"], { env, cwd: tmp.dir });
      assert.equal(insp.code, 0, insp.stderr);
      assert.equal((JSON.parse(insp.stdout) as unknown[]).length, 1);
    } finally {
      await proxy.stop();
    }
  });
});
