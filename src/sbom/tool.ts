/** map-build's own name and version, for the SBOM's tool and the provenance's builder id. */
import { readFileSync } from "node:fs";

let cached: { name: string; version: string } | undefined;

/** From package.json (two levels above both src/sbom and dist/sbom). */
export function toolIdentity(): { name: string; version: string } {
  if (cached) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { name?: string; version?: string };
    cached = { name: pkg.name ?? "map-build", version: pkg.version ?? "0.0.0" };
  } catch {
    cached = { name: "map-build", version: "0.0.0" };
  }
  return cached;
}
