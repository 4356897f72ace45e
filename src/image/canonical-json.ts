/**
 * Deterministic JSON bytes: no whitespace and a key order fixed by construction (spec order for
 * what we build, the source's order for what we carry over), so equal inputs give equal digests.
 */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}
