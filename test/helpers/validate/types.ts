/** Shared types of the validation harness (see validate.ts). */
import type { TestContainerd } from "../containerd.js";
import type { TestDockerd } from "../dockerd.js";

export type ImageSource =
  /** A pushed image on a loopback registry; creds `user:password`. */
  | { kind: "registry"; ref: string; creds?: string }
  /** A `docker save`-style tar (manifest.json; a hybrid OCI+docker tar works too). */
  | { kind: "docker-archive"; path: string }
  /** An OCI image layout directory and the tag (org.opencontainers.image.ref.name) to check. */
  | { kind: "oci-layout"; path: string; tag: string };

export type ConsumerName = "skopeo" | "umoci" | "docker" | "containerd" | "podman";

export interface Verdict {
  consumer: ConsumerName;
  /** The consumer accepted the image (and ran it with the expected output, when asked). */
  ok: boolean;
  /** On failure the step and the tool's own message (for matching in tests); on success a summary. */
  detail: string;
}

export interface RunCheck {
  /** Command run in the container, e.g. ["python3", "-c", "print(42)"]. */
  cmd: string[];
  /** Expected stdout: a string is compared after trimming both sides; a RegExp is matched. */
  stdout?: string | RegExp;
}

export interface ValidateOptions {
  /** Default: skopeo, umoci, docker, containerd. podman only when listed. */
  consumers?: ConsumerName[];
  /** Run a command in docker, containerd (ctr run) and podman and compare its stdout. */
  run?: RunCheck;
  /** Called with the unpacked rootfs (umoci) to check files, modes, contents; a throw fails umoci. */
  checkRootfs?: (rootfs: string) => void | Promise<void>;
  /** Keep the umoci bundle; its rootfs path is returned, remove it with the report's cleanup(). */
  keepRootfs?: boolean;
  /**
   * Daemons to reuse (their images are wiped first, so a negative check starts from an empty store).
   * When absent, a fresh private daemon is started for this call and stopped afterwards.
   */
  dockerd?: TestDockerd;
  containerd?: TestContainerd;
  /** Per-command timeout, default 120 s. */
  timeoutMs?: number;
}

export interface ValidationReport {
  verdicts: Verdict[];
  /** Every consumer said ok. */
  ok: boolean;
  /** The verdict of one consumer. */
  verdict(consumer: ConsumerName): Verdict | undefined;
  /** Consumers that rejected the image. */
  rejectedBy: ConsumerName[];
  /** With keepRootfs: the unpacked rootfs of the image (umoci). */
  rootfs?: string;
  /** Removes what keepRootfs kept; safe to call more than once. */
  cleanup(): Promise<void>;
}

/** What each consumer gets: the source, the options, and a private scratch dir. */
export interface ConsumerContext {
  source: ImageSource;
  opts: ValidateOptions;
  work: string;
  timeoutMs: number;
}
