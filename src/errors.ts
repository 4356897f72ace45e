/**
 * Typed errors with stable codes. A code never changes once released; the CLI maps codes to exit
 * statuses (src/cli/exit-codes.ts) and prints `message` plus `hint`. Never throw strings.
 */
export type ErrorCode =
  // user input
  | "E_USAGE" // a flag or argument is invalid
  | "E_INVALID_REFERENCE" // image reference does not parse
  | "E_APP_INVALID" // APP_PATH missing, wrong kind, no __main__.py, …
  | "E_MODEL_INVALID" // --model path missing, empty, unreadable
  | "E_LAYER_INPUT" // a file cannot go into a layer (special file, escaping symlink, unreadable)
  | "E_PYTHON_DEPS" // requirements cannot be satisfied from the wheel sources
  | "E_OUTPUT" // an output path cannot be written (missing dir, is a directory, disk full)
  | "E_INPUT_FORMAT" // a local base (OCI layout, docker-archive) is malformed
  // registry and network
  | "E_UNAUTHORIZED" // 401: no or wrong credentials
  | "E_DENIED" // 403 / insufficient scope
  | "E_NAME_UNKNOWN" // repository does not exist
  | "E_MANIFEST_UNKNOWN" // tag or digest does not exist
  | "E_BLOB_UNKNOWN"
  | "E_PLATFORM_NOT_FOUND" // index has no entry for the requested platform
  | "E_MANIFEST_INVALID" // manifest/config/index failed validation
  | "E_UNSUPPORTED_MEDIA_TYPE"
  | "E_DIGEST_MISMATCH" // bytes do not hash to the expected digest
  | "E_SIZE_MISMATCH" // byte count differs from the descriptor
  | "E_REGISTRY" // any other registry error response
  | "E_NETWORK" // connection refused/reset, DNS, TLS
  | "E_TIMEOUT" // a request exceeded its timeout
  | "E_ENGINE" // docker engine API failure (--load)
  // process
  | "E_INTERRUPTED" // SIGINT/SIGTERM or AbortSignal
  | "E_INTERNAL"; // a bug in map-build: please report

export interface ErrorOptions {
  /** What the user should do next, one sentence. */
  hint?: string;
  cause?: unknown;
}

const brand = Symbol.for("map-build.error");

const OPTION_REF = /\u2039([A-Za-z][A-Za-z0-9]*)\u203a/g;

/**
 * An option named in a message or hint. Core code never spells a CLI flag: it writes
 * `optionName("sdkVersion")`, which reads `sdkVersion` (the library option) in `message` and `hint`,
 * and the CLI renders the error with its own flag names (`renderOptionNames`), e.g. `--sdk-version`.
 */
export function optionName(name: string): string {
  return `\u2039${name}\u203a`;
}

/** Replace option references in `text` with the caller's names for them (library option names by default). */
export function renderOptionNames(text: string, names: Readonly<Record<string, string>> = {}): string {
  return text.replace(OPTION_REF, (_, name: string) => names[name] ?? name);
}

export class MapBuildError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** message and hint as written, option references intact, for a caller that names options its own way. */
  readonly template: { message: string; hint: string | undefined };
  readonly [brand] = true;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(renderOptionNames(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MapBuildError";
    this.code = code;
    this.hint = options.hint === undefined ? undefined : renderOptionNames(options.hint);
    this.template = { message, hint: options.hint };
  }
}

/** One entry of the distribution spec's `{"errors":[…]}` body. */
export interface RegistryErrorDetail {
  code: string;
  message?: string;
  detail?: unknown;
}

export interface RegistryErrorOptions extends ErrorOptions {
  status?: number;
  method?: string;
  /** Already redacted: no credentials, no query-string secrets. */
  url?: string;
  registryErrors?: RegistryErrorDetail[];
}

export class RegistryError extends MapBuildError {
  readonly status: number | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly registryErrors: RegistryErrorDetail[];

  constructor(code: ErrorCode, message: string, options: RegistryErrorOptions = {}) {
    super(code, message, options);
    this.name = "RegistryError";
    this.status = options.status;
    this.method = options.method;
    this.url = options.url;
    this.registryErrors = options.registryErrors ?? [];
  }
}

/** Works across duplicate copies of this package (a Symbol.for brand, like undici's errors). */
export function isMapBuildError(e: unknown): e is MapBuildError {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}

/** Wrap anything thrown into a MapBuildError, keeping it as the cause. */
export function toMapBuildError(e: unknown): MapBuildError {
  if (isMapBuildError(e)) return e;
  if (e instanceof Error && e.name === "AbortError") {
    return new MapBuildError("E_INTERRUPTED", "interrupted", { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new MapBuildError("E_INTERNAL", `internal error: ${message}`, {
    cause: e,
    hint: `this is a bug in map-build; please report it with the output of ${optionName("verbose")}`,
  });
}
