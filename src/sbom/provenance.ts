/**
 * Build provenance: an in-toto Statement v1 with a SLSA v1 provenance predicate. The subject is
 * the MAP's manifest digest; resolved dependencies are the base (by digest), each wheel, each
 * model and the app tree. External parameters are what the caller passes (already free of
 * secrets); start and finish times only when the caller gives them (not for reproducible builds).
 */
import { MapBuildError } from "../errors.js";
import type { BuildFacts } from "./facts.js";
import { platformString } from "./cyclonedx.js";
import { hexOf } from "./ids.js";
import { pypiPurl } from "./purl.js";

export const IN_TOTO_MEDIA_TYPE = "application/vnd.in-toto+json";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** Identifies how map-build turns its parameters into a MAP; bump when that meaning changes. */
export const MAP_BUILD_TYPE = "urn:map-build:build-type:package:v1";

export interface ProvenanceOptions {
  /** The parameters as given by the caller, secrets removed. */
  externalParameters: Record<string, unknown>;
  /** Wall-clock times of the build; omit for reproducible output. */
  times?: { startedOn: Date; finishedOn: Date };
}

const digestSet = (d: string) => ({ [d.slice(0, d.indexOf(":"))]: hexOf(d) });

export function provenanceStatement(f: BuildFacts, opts: ProvenanceOptions): Record<string, unknown> {
  if (!f.map.digest) throw new MapBuildError("E_INTERNAL", "provenance needs the image digest");
  const deps: Record<string, unknown>[] = [
    { name: "base", uri: f.base.reference, digest: digestSet(f.base.digest) },
    ...f.python.filter((d) => d.wheel).map((d) => ({ name: d.wheel!.filename, uri: pypiPurl(d.name, d.version), digest: { sha256: d.wheel!.sha256 } })),
    ...f.models.map((m) => ({ name: `model:${m.name}`, uri: `file:${m.path}`, digest: { sha256: m.sha256 } })),
    ...(f.appTreeDigest ? [{ name: "app", uri: "file:/opt/monai/app", digest: digestSet(f.appTreeDigest) }] : []),
  ];
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: f.map.reference, digest: digestSet(f.map.digest) }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: MAP_BUILD_TYPE,
        externalParameters: opts.externalParameters,
        internalParameters: { sourceDateEpoch: f.sourceDateEpoch, platform: platformString(f.platform) },
        resolvedDependencies: deps,
      },
      runDetails: {
        builder: { id: `pkg:npm/${f.tool.name}@${f.tool.version}`, version: { [f.tool.name]: f.tool.version } },
        metadata: opts.times ? { startedOn: opts.times.startedOn.toISOString(), finishedOn: opts.times.finishedOn.toISOString() } : {},
      },
    },
  };
}

export function renderProvenance(f: BuildFacts, opts: ProvenanceOptions): Buffer {
  return Buffer.from(`${JSON.stringify(provenanceStatement(f, opts), null, 2)}\n`, "utf8");
}
