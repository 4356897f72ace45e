import { createHash } from "node:crypto";
import { MapBuildError, type ErrorCode } from "./errors.js";

/** An OCI content digest. Only sha256 is produced; sha512 is accepted when reading. */
export type Digest = `sha256:${string}` | `sha512:${string}`;

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const SHA256_HEX_RE = /^[0-9a-f]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

function parseDigest(s: string): Digest {
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

/** The hex part, for blob paths such as blobs/sha256/<hex>; checked again here because it becomes a path. */
export function digestHex(d: Digest): string {
  parseDigest(d);
  return d.slice(d.indexOf(":") + 1);
}

function isSha256Hex(s: string): boolean {
  return SHA256_HEX_RE.test(s);
}

/**
 * The one check for a sha256 that is about to name a file: anything but 64 lowercase hex digits
 * (`../../victim`, `/etc/x`) could point outside the folder. Call it where the path is made.
 */
export function sha256HexForPath(hex: string, source: string, code: ErrorCode = "E_MANIFEST_INVALID"): string {
  if (isSha256Hex(hex)) return hex;
  throw new MapBuildError(code, `${source} gives an invalid sha256 ${JSON.stringify(hex.slice(0, 80))}`, {
    hint: "a sha256 is 64 lowercase hex digits; the source is broken or hostile",
  });
}

export function digestAlgorithm(d: Digest): "sha256" | "sha512" {
  return d.startsWith("sha512:") ? "sha512" : "sha256";
}
