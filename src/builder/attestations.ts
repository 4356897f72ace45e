/**
 * The SBOM and provenance of a build: rendered from its facts, written to the requested files, and
 * turned into OCI referrers of the image for the outputs to store beside it.
 */
import type { Descriptor } from "../image/index.js";
import { referrerArtifact, type ReferrerArtifact } from "../image/index.js";
import { writeOutputFile } from "../sinks/index.js";
import { expectOutputFile } from "../sinks/index.js";
import { sha256Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import type { Image } from "../image/index.js";
import type { BuildAttestations } from "./options.js";
import {
  CYCLONEDX_MEDIA_TYPE,
  IN_TOTO_MEDIA_TYPE,
  SLSA_PROVENANCE_V1,
  SPDX_MEDIA_TYPE,
  externalParameters,
  renderCycloneDx,
  renderProvenance,
  renderSpdx,
  type BuildFacts,
  type BuildParameters,
} from "../sbom/index.js";
import { isoSeconds } from "../sbom/index.js";

export type SbomFormat = "cyclonedx" | "spdx";

export interface SupplyChainOptions {
  /** Default cyclonedx (CycloneDX 1.6 JSON); spdx is SPDX 2.3 JSON. */
  sbomFormat?: SbomFormat;
  /** Write the SBOM here. */
  sbomFile?: string;
  /** Write the provenance (in-toto statement) here. */
  provenanceFile?: string;
  /** Also put the SBOM into the image at this path (changes the digest; it cannot name the image's own digest). */
  sbomInImage?: string;
  /** Store both as referrers of the image in every output that can hold them (default true). */
  attach?: boolean;
  /** The wall clock, for the provenance's start and finish times; leave out for reproducible bytes. */
  clock?: () => Date;
}

export interface RenderedAttestations {
  sbom: { mediaType: string; bytes: Buffer };
  provenance: { mediaType: string; bytes: Buffer };
}

export function sbomMediaType(format: SbomFormat = "cyclonedx"): string {
  return format === "spdx" ? SPDX_MEDIA_TYPE : CYCLONEDX_MEDIA_TYPE;
}

export function renderSbom(facts: BuildFacts, format: SbomFormat = "cyclonedx"): Buffer {
  return format === "spdx" ? renderSpdx(facts) : renderCycloneDx(facts);
}

export function renderAttestations(facts: BuildFacts, params: BuildParameters, sc: SupplyChainOptions, startedOn: Date | undefined): RenderedAttestations {
  const times = sc.clock && startedOn ? { startedOn, finishedOn: sc.clock() } : undefined;
  return {
    sbom: { mediaType: sbomMediaType(sc.sbomFormat), bytes: renderSbom(facts, sc.sbomFormat) },
    provenance: { mediaType: IN_TOTO_MEDIA_TYPE, bytes: renderProvenance(facts, { externalParameters: externalParameters(params), ...(times ? { times } : {}) }) },
  };
}

/** Both as OCI artifacts whose subject is the image. */
export function attestationReferrers(r: RenderedAttestations, subject: Descriptor, sourceDateEpoch: number): ReferrerArtifact[] {
  const created = { "org.opencontainers.image.created": isoSeconds(sourceDateEpoch) };
  return [
    referrerArtifact(subject, r.sbom.mediaType, r.sbom.bytes, created),
    referrerArtifact(subject, r.provenance.mediaType, r.provenance.bytes, { ...created, "in-toto.io/predicate-type": SLSA_PROVENANCE_V1 }),
  ];
}

/** Before any work: the files can be written and the in-image path is absolute. */
export async function preflightAttestations(sc: SupplyChainOptions | undefined): Promise<void> {
  if (sc?.sbomInImage !== undefined && !sc.sbomInImage.startsWith("/")) {
    throw new MapBuildError("E_USAGE", `the in-image SBOM path ${sc.sbomInImage} is not absolute`, { hint: "give an absolute path in the image, e.g. /opt/monai/sbom.cdx.json" });
  }
  if (sc?.sbomFile) await expectOutputFile("SBOM file", sc.sbomFile, "sbom.cdx.json");
  if (sc?.provenanceFile) await expectOutputFile("provenance file", sc.provenanceFile, "provenance.json");
}

/** Render both for the finished image, write the files asked for, and make the referrers to attach. */
export async function attest(
  image: Image,
  facts: BuildFacts,
  params: BuildParameters,
  sc: SupplyChainOptions,
  startedOn: Date | undefined,
  sourceDateEpoch: number,
): Promise<{ referrers: ReferrerArtifact[]; summary: BuildAttestations }> {
  const digest = await image.digest();
  const rendered = renderAttestations({ ...facts, map: { ...facts.map, digest } }, params, sc, startedOn);
  await writeAttestationFiles(rendered, sc);
  const subject = { mediaType: await image.mediaType(), digest, size: (await image.rawManifest()).length };
  const describe = (x: { mediaType: string; bytes: Buffer }) => ({ mediaType: x.mediaType, digest: sha256Digest(x.bytes), size: x.bytes.length });
  return {
    referrers: sc.attach === false ? [] : attestationReferrers(rendered, subject, sourceDateEpoch),
    summary: { sbom: describe(rendered.sbom), provenance: describe(rendered.provenance) },
  };
}

export async function writeAttestationFiles(r: RenderedAttestations, sc: SupplyChainOptions): Promise<void> {
  const put = (file: string, bytes: Buffer, what: string) => writeOutputFile(file, (out) => new Promise<void>((res, rej) => out.end(bytes, (e?: Error | null) => (e ? rej(e) : res()))), what);
  if (sc.sbomFile) await put(sc.sbomFile, r.sbom.bytes, "SBOM file");
  if (sc.provenanceFile) await put(sc.provenanceFile, r.provenance.bytes, "provenance file");
}
