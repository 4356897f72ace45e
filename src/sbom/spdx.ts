/**
 * SPDX 2.3 JSON for a MAP, the second choice. Everything is a package (an SPDX file entry would need
 * a SHA1 the build never computes): the MAP, the base image, each Python distribution, each model
 * and each file, with relationships from the MAP. Deterministic like the CycloneDX writer.
 */
import type { BuildFacts, DistributionLicense, ImageFile } from "./facts.js";
import { platformString } from "./cyclonedx.js";
import { contentUuid, hexOf, isoSeconds } from "./ids.js";
import { ociPurl, pypiPurl } from "./purl.js";

type Json = Record<string, unknown>;

export const SPDX_MEDIA_TYPE = "application/spdx+json";

const checksum = (hex: string) => [{ algorithm: "SHA256", checksumValue: hex }];
const purlRef = (purl: string) => [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: purl }];

/** SPDX ids allow letters, digits, `.` and `-` only. */
function spdxId(kind: string, name: string, used: Set<string>): string {
  const base = `SPDXRef-${kind}-${name.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "")}`;
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}

function licenseFields(l: DistributionLicense | undefined): Json {
  const comment = l && !l.expression ? [l.text && !l.text.includes("\n") ? l.text : undefined, ...l.classifiers].filter(Boolean).join("; ") : "";
  return {
    licenseConcluded: "NOASSERTION",
    // an expression from metadata may name non-SPDX ids; it is kept as written, else NOASSERTION
    licenseDeclared: l?.expression && /^[A-Za-z0-9.+\-() ]+$/.test(l.expression) ? l.expression : "NOASSERTION",
    ...(comment ? { licenseComments: comment } : {}),
  };
}

function pkg(id: string, name: string, extra: Json): Json {
  return { SPDXID: id, name, downloadLocation: "NOASSERTION", filesAnalyzed: false, ...extra };
}

export function spdxDocument(f: BuildFacts): Json {
  const used = new Set<string>();
  const mapId = spdxId("Package", "map", used);
  const tag = f.map.reference.slice(f.map.name.length + 1) || undefined;
  const packages: Json[] = [
    pkg(mapId, f.map.name, {
      versionInfo: f.map.version,
      primaryPackagePurpose: "CONTAINER",
      ...(f.map.digest ? { checksums: checksum(hexOf(f.map.digest)), externalRefs: purlRef(ociPurl(f.map.name, f.map.digest, tag)) } : {}),
      comment: `MONAI Application Package ${f.map.reference} (${platformString(f.platform)}), SDK ${f.map.sdkVersion}`,
    }),
  ];
  const relationships: Json[] = [{ spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: mapId }];
  const add = (p: Json, type: string) => {
    packages.push(p);
    relationships.push({ spdxElementId: mapId, relationshipType: type, relatedSpdxElement: p.SPDXID });
  };
  add(pkg(spdxId("Package", "base", used), f.base.reference, { primaryPackagePurpose: "CONTAINER", checksums: checksum(hexOf(f.base.digest)), comment: `base image ${f.base.digest}` }), "DESCENDANT_OF");
  for (const d of f.python) {
    add(
      pkg(spdxId("Package", `pypi-${d.name}-${d.version}`, used), d.name, {
        versionInfo: d.version,
        primaryPackagePurpose: d.sdk ? "FRAMEWORK" : "LIBRARY",
        ...(d.wheel ? { packageFileName: d.wheel.filename, checksums: checksum(d.wheel.sha256) } : {}),
        ...licenseFields(d.license),
        copyrightText: "NOASSERTION",
        externalRefs: purlRef(pypiPurl(d.name, d.version)),
        ...(d.requestedBy.length ? { comment: `requested by: ${d.requestedBy.join(", ")}` } : {}),
      }),
      "DEPENDS_ON",
    );
  }
  const filePkg = (x: ImageFile, role: string) =>
    pkg(spdxId("File", x.path, used), x.path, { primaryPackagePurpose: "FILE", packageFileName: x.path, checksums: checksum(x.sha256), comment: `${role}, ${x.size} bytes` });
  for (const m of f.models) {
    const id = spdxId("Model", m.name, used);
    add(pkg(id, m.name, { primaryPackagePurpose: "OTHER", packageFileName: m.path, checksums: checksum(m.sha256), comment: `machine-learning model at ${m.path}, ${m.size} bytes` }), "CONTAINS");
    for (const file of m.files) {
      const p = filePkg(file, "model file");
      packages.push(p);
      relationships.push({ spdxElementId: id, relationshipType: "CONTAINS", relatedSpdxElement: p.SPDXID });
    }
  }
  for (const x of f.appFiles) add(filePkg(x, "app file"), "CONTAINS");
  for (const x of f.mapFiles) add(filePkg(x, "MAP file"), "CONTAINS");

  const body = { packages, relationships };
  const name = `${f.map.reference}${f.map.digest ? `@${f.map.digest}` : ""}`;
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name,
    documentNamespace: `urn:uuid:${contentUuid(JSON.stringify({ name, body }))}`,
    creationInfo: { created: isoSeconds(f.sourceDateEpoch), creators: [`Tool: ${f.tool.name}-${f.tool.version}`] },
    documentDescribes: [mapId],
    ...body,
  };
}

export function renderSpdx(f: BuildFacts): Buffer {
  return Buffer.from(`${JSON.stringify(spdxDocument(f), null, 2)}\n`, "utf8");
}
