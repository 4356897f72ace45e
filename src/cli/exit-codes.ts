/** Exit statuses by error code. Stable: scripts depend on them (documented in the README). */
import type { ErrorCode } from "../errors.js";

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  auth: 4,
  notFound: 5,
  integrity: 6,
  network: 7,
  output: 8,
  /** `inspect` found a MAP that does not conform. */
  nonConformant: 10,
  interrupted: 130,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  E_USAGE: ExitCode.usage,
  E_INVALID_REFERENCE: ExitCode.usage,
  E_APP_INVALID: ExitCode.input,
  E_MODEL_INVALID: ExitCode.input,
  E_LAYER_INPUT: ExitCode.input,
  E_PYTHON_DEPS: ExitCode.input,
  E_INPUT_FORMAT: ExitCode.input,
  E_UNAUTHORIZED: ExitCode.auth,
  E_DENIED: ExitCode.auth,
  E_NAME_UNKNOWN: ExitCode.notFound,
  E_MANIFEST_UNKNOWN: ExitCode.notFound,
  E_BLOB_UNKNOWN: ExitCode.notFound,
  E_PLATFORM_NOT_FOUND: ExitCode.notFound,
  E_MANIFEST_INVALID: ExitCode.integrity,
  E_UNSUPPORTED_MEDIA_TYPE: ExitCode.integrity,
  E_DIGEST_MISMATCH: ExitCode.integrity,
  E_SIZE_MISMATCH: ExitCode.integrity,
  E_REGISTRY: ExitCode.network,
  E_NETWORK: ExitCode.network,
  E_TIMEOUT: ExitCode.network,
  E_OUTPUT: ExitCode.output,
  E_ENGINE: ExitCode.output,
  E_INTERRUPTED: ExitCode.interrupted,
  E_INTERNAL: ExitCode.internal,
};

export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code] ?? ExitCode.internal;
}
