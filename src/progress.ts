/**
 * Progress events from the core; the CLI renders them (TTY bars or log lines). The core never
 * prints. `id` is a short stable label such as a layer's role ("app", "model:seg") or a digest.
 */
export type ProgressPhase =
  | "build" // tarring + hashing + compressing a new layer
  | "download" // fetching a blob
  | "upload" // sending a blob
  | "exists" // blob already in the target; skipped
  | "mounted" // blob mounted from another repository; skipped
  | "cached" // layer reused from map-build's cache
  | "write" // writing an output file
  | "done";

export interface ProgressEvent {
  id: string;
  phase: ProgressPhase;
  /** Bytes processed so far in this phase. */
  bytes?: number;
  /** Expected total bytes, when known. */
  total?: number;
  detail?: string;
  /** The output this event belongs to (`push host/repo`, `tarball x.tar`); absent while building. */
  output?: string;
}

export type ProgressSink = (event: ProgressEvent) => void;

export const noProgress: ProgressSink = () => {};

/** Diagnostics for --verbose; secrets must never be passed in. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };
