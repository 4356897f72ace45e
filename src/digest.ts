import { createHash } from "node:crypto";
import { MapBuildError } from "./errors.js";

/** An OCI content digest. Only sha256 is produced; sha512 is accepted when reading. */
export type Digest = `sha256:${string}` | `sha512:${string}`;

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function parseDigest(s: string): Digest {
  if (!isDigest(s)) {
    throw new MapBuildError("E_MANIFEST_INVALID", `invalid digest "${s.slice(0, 80)}"`, {
      hint: "a digest is sha256: followed by 64 lowercase hex digits",
    });
  }
  return s;
}

export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** The hex part, for blob paths such as blobs/sha256/<hex>. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(":") + 1);
}

export function digestAlgorithm(d: Digest): "sha256" | "sha512" {
  return d.startsWith("sha512:") ? "sha512" : "sha256";
}
