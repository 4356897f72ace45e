/** Deterministic identifiers and timestamps for SBOM documents: derived from content, never random. */
import { createHash } from "node:crypto";

/** A name-based UUID (RFC 9562 v5 layout) from the document's content, so equal content gives one serial. */
export function contentUuid(content: string | Uint8Array): string {
  const h = createHash("sha256").update(content).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** ISO 8601 UTC without milliseconds, e.g. `1970-01-01T00:00:00Z`. */
export function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1);
}
