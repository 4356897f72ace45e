/**
 * CycloneDX 1.6 JSON for a MAP: the image as the root component, the base image it depends on,
 * every installed Python distribution (the SDK marked), every model with its files, the app and
 * MAP files, map-build as the tool. Key order and component order are fixed, and the serial number
 * is derived from the content: the same facts give the same bytes.
 */
import type { BuildFacts, DistributionLicense, ImageFile, ModelFacts, PythonDistribution } from "./facts.js";
import { contentUuid, hexOf, isoSeconds } from "./ids.js";
import { ociPurl, pypiPurl } from "./purl.js";

type Json = Record<string, unknown>;
type Property = { name: string; value: string };

const prop = (name: string, value: string | number): Property => ({ name: `map-build:${name}`, value: String(value) });
const sha256 = (hex: string) => [{ alg: "SHA-256", content: hex }];

export const CYCLONEDX_MEDIA_TYPE = "application/vnd.cyclonedx+json";

function licenses(l: DistributionLicense | undefined): Json[] | undefined {
  if (!l) return undefined;
  // CycloneDX allows one expression, or any number of named licenses (never both)
  if (l.expression) return [{ expression: l.expression }];
  const names = [...(l.text && !l.text.includes("\n") && l.text.length <= 200 ? [l.text] : []), ...l.classifiers];
  const out: Json[] = [...new Set(names)].map((name) => ({ license: { name } }));
  if (out.length === 0 && l.text) out.push({ license: { name: "see text", text: { content: l.text } } });
  return out.length ? out : undefined;
}

function pythonComponent(d: PythonDistribution): Json {
  const purl = pypiPurl(d.name, d.version);
  const properties: Property[] = [
    ...(d.sdk ? [prop("role", "sdk")] : []),
    ...(d.wheel ? [prop("wheel", d.wheel.filename)] : []),
    ...d.requestedBy.map((r) => prop("requested-by", r)),
    ...(d.license?.files ?? []).map((f) => prop("license-file", f)),
  ];
  return {
    type: d.sdk ? "framework" : "library",
    "bom-ref": purl,
    name: d.name,
    version: d.version,
    ...(d.wheel ? { hashes: sha256(d.wheel.sha256) } : {}),
    ...(licenses(d.license) ? { licenses: licenses(d.license) } : {}),
    purl,
    ...(properties.length ? { properties } : {}),
  };
}

function fileComponent(f: ImageFile, role: string): Json {
  return {
    type: "file",
    "bom-ref": `file:${f.path}`,
    name: f.path,
    hashes: sha256(f.sha256),
    properties: [prop("role", role), prop("size", f.size)],
  };
}

function modelComponent(m: ModelFacts): Json {
  return {
    type: "machine-learning-model",
    "bom-ref": `model:${m.name}`,
    name: m.name,
    hashes: sha256(m.sha256),
    properties: [prop("path", m.path), prop("size", m.size)],
    components: m.files.map((f) => fileComponent(f, "model-file")),
  };
}

function rootComponent(f: BuildFacts): Json {
  const tag = f.map.reference.slice(f.map.name.length + 1) || undefined;
  return {
    type: "container",
    "bom-ref": "map",
    name: f.map.name,
    version: f.map.version,
    description: "MONAI Application Package",
    ...(f.map.digest ? { hashes: sha256(hexOf(f.map.digest)), purl: ociPurl(f.map.name, f.map.digest, tag) } : {}),
    properties: [prop("reference", f.map.reference), prop("sdk-version", f.map.sdkVersion), prop("platform", platformString(f.platform))],
  };
}

export function platformString(p: BuildFacts["platform"]): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

function baseComponent(f: BuildFacts): Json {
  return {
    type: "container",
    "bom-ref": "base",
    name: f.base.reference,
    hashes: sha256(hexOf(f.base.digest)),
    properties: [prop("role", "base-image"), prop("digest", f.base.digest)],
  };
}

/** The BOM as a JSON value (fixed key order); `renderCycloneDx` gives its bytes. */
export function cycloneDxDocument(f: BuildFacts): Json {
  const python = f.python.map(pythonComponent);
  const models = f.models.map(modelComponent);
  const files = [...f.appFiles.map((x) => fileComponent(x, "app")), ...f.mapFiles.map((x) => fileComponent(x, "map"))];
  const body = {
    metadata: {
      timestamp: isoSeconds(f.sourceDateEpoch),
      lifecycles: [{ phase: "build" }],
      tools: { components: [{ type: "application", name: f.tool.name, version: f.tool.version, purl: `pkg:npm/${f.tool.name}@${f.tool.version}` }] },
      component: rootComponent(f),
    },
    components: [baseComponent(f), ...python, ...models, ...files],
    dependencies: [
      { ref: "map", dependsOn: ["base", ...python.map((c) => c["bom-ref"] as string), ...models.map((c) => c["bom-ref"] as string)] },
      { ref: "base", dependsOn: [] },
    ],
  };
  const serial = `urn:uuid:${contentUuid(JSON.stringify(body))}`;
  return { $schema: "http://cyclonedx.org/schema/bom-1.6.schema.json", bomFormat: "CycloneDX", specVersion: "1.6", serialNumber: serial, version: 1, ...body };
}

export function renderCycloneDx(f: BuildFacts): Buffer {
  return Buffer.from(`${JSON.stringify(cycloneDxDocument(f), null, 2)}\n`, "utf8");
}
