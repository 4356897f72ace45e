/** The SBOM and provenance writers: schema-valid, deterministic, complete for a known set of facts. */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { externalParameters, renderCycloneDx, renderProvenance, renderSpdx, type BuildFacts } from "../../src/sbom/index.js";
import { cycloneDx16Validator, isValid, schemaErrors, spdx23Validator } from "./schemas.js";

const hex = (c: string) => c.repeat(64);

export function sampleFacts(over: Partial<BuildFacts> = {}): BuildFacts {
  return {
    map: { name: "127.0.0.1:5000/apps/seg", reference: "127.0.0.1:5000/apps/seg:1.0", version: "1.0.0", sdkVersion: "0.5.1", digest: `sha256:${hex("a")}` },
    base: { reference: "nvcr.io/nvidia/pytorch:21.07-py3", digest: `sha256:${hex("b")}` },
    python: [
      { name: "monai-deploy-app-sdk", version: "0.5.1", wheel: { filename: "monai_deploy_app_sdk-0.5.1-py3-none-any.whl", sha256: hex("c") }, requestedBy: ["map-build (SDK)"], sdk: true, license: { expression: "Apache-2.0", classifiers: [], files: ["LICENSE"] } },
      { name: "Pillow", version: "10.0.0", wheel: { filename: "Pillow-10.0.0-cp311-cp311-manylinux_2_28_x86_64.whl", sha256: hex("d") }, requestedBy: ["requirements.txt"], license: { text: "HPND", classifiers: ["License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)"], files: [] } },
      { name: "typeguard", version: "4.1.0", requestedBy: ["monai-deploy-app-sdk 0.5.1"] },
    ],
    models: [{ name: "seg", path: "/opt/monai/models/seg/model.ts", sha256: hex("e"), size: 42, files: [{ path: "/opt/monai/models/seg/model.ts", sha256: hex("e"), size: 42 }] }],
    appFiles: [{ path: "/opt/monai/app/__main__.py", sha256: hex("f"), size: 10 }],
    mapFiles: [{ path: "/etc/monai/pkg.json", sha256: hex("1"), size: 300 }],
    appTreeDigest: `sha256:${hex("2")}`,
    tool: { name: "map-build", version: "0.1.0" },
    sourceDateEpoch: 0,
    platform: { os: "linux", architecture: "amd64" },
    ...over,
  };
}

test("CycloneDX 1.6: valid against the official schema, every component present", () => {
  const validate = cycloneDx16Validator();
  const bom = JSON.parse(renderCycloneDx(sampleFacts()).toString("utf8"));
  assert.ok(isValid(validate, bom), schemaErrors(validate));
  assert.equal(bom.specVersion, "1.6");
  assert.equal(bom.metadata.component.hashes[0].content, hex("a"));
  assert.deepEqual(bom.metadata.tools.components.map((c: { name: string }) => c.name), ["map-build"]);
  const purls = bom.components.filter((c: { purl?: string }) => c.purl).map((c: { purl: string }) => c.purl);
  assert.deepEqual(purls, ["pkg:pypi/monai-deploy-app-sdk@0.5.1", "pkg:pypi/pillow@10.0.0", "pkg:pypi/typeguard@4.1.0"]);
  const model = bom.components.find((c: { type: string }) => c.type === "machine-learning-model");
  assert.equal(model.hashes[0].content, hex("e"));
  assert.equal(model.components[0].name, "/opt/monai/models/seg/model.ts");
  assert.ok(bom.components.some((c: { name: string }) => c.name === "/opt/monai/app/__main__.py"));
  const base = bom.components.find((c: { "bom-ref": string }) => c["bom-ref"] === "base");
  assert.equal(base.hashes[0].content, hex("b"));
  assert.equal(bom.metadata.timestamp, "1970-01-01T00:00:00Z");
});

test("CycloneDX without the image digest (an SBOM inside the image) is still valid", () => {
  const validate = cycloneDx16Validator();
  const f = sampleFacts();
  const bom = JSON.parse(renderCycloneDx({ ...f, map: { ...f.map, digest: undefined } }).toString("utf8"));
  assert.ok(isValid(validate, bom), schemaErrors(validate));
  assert.equal(bom.metadata.component.hashes, undefined);
});

test("SPDX 2.3: valid against the SPDX schema", () => {
  const validate = spdx23Validator();
  const doc = JSON.parse(renderSpdx(sampleFacts()).toString("utf8"));
  assert.ok(isValid(validate, doc), schemaErrors(validate));
  assert.equal(doc.spdxVersion, "SPDX-2.3");
  const names = doc.packages.map((p: { name: string }) => p.name);
  for (const n of ["Pillow", "typeguard", "seg", "/opt/monai/app/__main__.py", "nvcr.io/nvidia/pytorch:21.07-py3"]) assert.ok(names.includes(n), n);
  const ids = doc.packages.map((p: { SPDXID: string }) => p.SPDXID);
  assert.equal(new Set(ids).size, ids.length);
});

test("same facts, same bytes; other facts, other serial numbers", () => {
  assert.deepEqual(renderCycloneDx(sampleFacts()), renderCycloneDx(sampleFacts()));
  assert.deepEqual(renderSpdx(sampleFacts()), renderSpdx(sampleFacts()));
  const a = JSON.parse(renderCycloneDx(sampleFacts()).toString()).serialNumber;
  const b = JSON.parse(renderCycloneDx(sampleFacts({ sourceDateEpoch: 5 })).toString()).serialNumber;
  assert.notEqual(a, b);
});

test("provenance: in-toto v1 with a SLSA v1 predicate, times only when given, no secrets", () => {
  const params = externalParameters({
    appPath: "app", tag: "r/a:1", base: "b", indexUrl: "https://user:s3cret@pypi.example/simple?token=abc", extraIndexUrls: [], wheelhouse: ["wh"],
  });
  const st = JSON.parse(renderProvenance(sampleFacts(), { externalParameters: params }).toString("utf8"));
  assert.equal(st._type, "https://in-toto.io/Statement/v1");
  assert.equal(st.predicateType, "https://slsa.dev/provenance/v1");
  assert.deepEqual(st.subject, [{ name: "127.0.0.1:5000/apps/seg:1.0", digest: { sha256: hex("a") } }]);
  assert.equal(st.predicate.runDetails.builder.id, "pkg:npm/map-build@0.1.0");
  const deps = st.predicate.buildDefinition.resolvedDependencies;
  assert.deepEqual(deps[0], { name: "base", uri: "nvcr.io/nvidia/pytorch:21.07-py3", digest: { sha256: hex("b") } });
  assert.ok(deps.some((d: { digest: { sha256: string } }) => d.digest.sha256 === hex("d")));
  assert.ok(deps.some((d: { name: string }) => d.name === "model:seg"));
  assert.ok(deps.some((d: { name: string }) => d.name === "app"));
  assert.deepEqual(st.predicate.runDetails.metadata, {});
  const text = JSON.stringify(st);
  assert.ok(!text.includes("s3cret") && !text.includes("abc"), text);
  assert.equal("extraIndexUrls" in st.predicate.buildDefinition.externalParameters, false);
  const timed = JSON.parse(renderProvenance(sampleFacts(), { externalParameters: {}, times: { startedOn: new Date(1000), finishedOn: new Date(2000) } }).toString());
  assert.deepEqual(timed.predicate.runDetails.metadata, { startedOn: "1970-01-01T00:00:01.000Z", finishedOn: "1970-01-01T00:00:02.000Z" });
});

test("the validators reject what the specs forbid (they do validate)", () => {
  const cdx = cycloneDx16Validator();
  const bom = JSON.parse(renderCycloneDx(sampleFacts()).toString("utf8"));
  bom.components[0].type = "not-a-type";
  assert.equal(isValid(cdx, bom), false);
  const spdx = spdx23Validator();
  const doc = JSON.parse(renderSpdx(sampleFacts()).toString("utf8"));
  delete doc.spdxVersion;
  assert.equal(isValid(spdx, doc), false);
});
