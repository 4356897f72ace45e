/**
 * PEP 658/714 metadata files: an index may serve a wheel's METADATA alone at `<wheel URL>.metadata`,
 * so the resolver reads Requires-Dist without downloading every wheel it looks at (an unpinned
 * torch is ~800 MB per candidate). The file must hash to what the index announced and name the
 * wheel's project and version; once the chosen wheel is downloaded, its own METADATA must say the
 * same thing (pip treats a disagreement as an error too).
 */
import { createHash } from "node:crypto";
import { compare, valid } from "@renovatebot/pep440";
import { MapBuildError } from "../errors.js";
import { normalizeName } from "./names.js";
import type { MetadataFile } from "./sources.js";
import { parseMetadata, type CoreMetadata } from "./wheel-metadata.js";
import type { WheelFilename } from "./wheel-tags.js";

const sameVersion = (a: string, b: string) => a === b || (valid(a) !== null && valid(b) !== null && compare(a, b) === 0);

function inconsistent(message: string): MapBuildError {
  return new MapBuildError("E_PYTHON_DEPS", message, {
    hint: "the index serves a metadata file that does not belong to this wheel; report it to the index's operator (pip refuses it too)",
  });
}

/** Fetch a metadata file, check it against the announced hash, parse it, and match it to the wheel's filename. */
export async function readMetadataFile(wheel: WheelFilename, m: MetadataFile): Promise<CoreMetadata> {
  const bytes = await m.fetch();
  if (m.hash) {
    const got = createHash(m.hash.algorithm).update(bytes).digest("hex");
    if (got !== m.hash.hex) {
      throw new MapBuildError("E_DIGEST_MISMATCH", `${m.url} has ${m.hash.algorithm} ${got}, the index says ${m.hash.hex}`, {
        hint: "the index or a proxy serves a corrupted or substituted metadata file; retry, or check the index",
      });
    }
  }
  const md = parseMetadata(bytes.toString("utf8"));
  if (normalizeName(md.name) !== wheel.name || !sameVersion(md.version, wheel.version)) {
    throw inconsistent(`${m.url} describes ${md.name || "(no Name)"} ${md.version || "(no Version)"}, not ${wheel.filename}`);
  }
  return md;
}

/** What a resolution decided on from a metadata file, compared with the downloaded wheel's own METADATA. */
export function checkMetadataAgrees(m: MetadataFile, filename: string, claimed: CoreMetadata, own: CoreMetadata): void {
  const diffs: string[] = [];
  if (normalizeName(claimed.name) !== normalizeName(own.name)) diffs.push(`Name ${claimed.name} / ${own.name}`);
  if (!sameVersion(claimed.version, own.version)) diffs.push(`Version ${claimed.version} / ${own.version}`);
  const rp = (md: CoreMetadata) => (md.requiresPython ?? "").replace(/\s+/g, "");
  if (rp(claimed) !== rp(own)) diffs.push(`Requires-Python ${claimed.requiresPython ?? "(none)"} / ${own.requiresPython ?? "(none)"}`);
  const deps = (md: CoreMetadata) => new Set(md.requiresDist.map((d) => d.trim()));
  const [a, b] = [deps(claimed), deps(own)];
  const onlyFile = [...a].filter((d) => !b.has(d)), onlyWheel = [...b].filter((d) => !a.has(d));
  if (onlyFile.length || onlyWheel.length) {
    diffs.push(`Requires-Dist ${[...onlyFile.map((d) => `"${d}" only in the metadata file`), ...onlyWheel.map((d) => `"${d}" only in the wheel`)].join(", ")}`);
  }
  if (diffs.length) throw inconsistent(`${filename}: its METADATA disagrees with the index's metadata file ${m.url} (metadata file / wheel): ${diffs.join("; ")}`);
}
