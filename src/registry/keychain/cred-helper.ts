/**
 * Docker credential helpers (https://github.com/docker/docker-credential-helpers): run
 * `docker-credential-<name> get`, write the server URL on stdin, read `{ServerURL, Username, Secret}`.
 * A `<token>` user name means Secret is an identity (refresh) token. The helper's own output never
 * goes into an error: it may echo what it holds.
 */
import { spawn } from "node:child_process";
import { MapBuildError } from "../../errors.js";
import type { Credential } from "../credentials-types.js";
import { sealCredential } from "./credential.js";

/** Helpers may unlock a keyring or call a cloud API (ecr-login); a minute is generous. */
export const DEFAULT_HELPER_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 1 << 20;
/** What docker-credential-helpers prints (credentials.errCredentialsNotFoundMessage). */
const NOT_FOUND_RE = /credentials not found/i;
const HELPER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface HelperOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

interface HelperRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runHelper(program: string, input: string, opts: HelperOptions): Promise<HelperRun> {
  return new Promise((resolve, reject) => {
    // spawn looks the program up on options.env.PATH, so tests can put a fake helper first.
    // Own process group, so a timeout also kills whatever the helper started (a shell's children
    // would otherwise keep the pipes open and the promise pending).
    const child = spawn(program, ["get"], { env: opts.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const collect = (into: Buffer[]) => (b: Buffer) => {
      size += b.length;
      if (size <= MAX_OUTPUT) into.push(b);
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, opts.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), timedOut });
    });
    child.stdin.on("error", () => {}); // a helper that exits without reading stdin is reported by its exit code
    child.stdin.end(input);
  });
}

/**
 * Ask `docker-credential-<helper>` for `serverUrl`. Returns undefined when the helper has no
 * credentials for it; throws E_USAGE (naming the helper, never its output) when it fails.
 */
export async function credentialFromHelper(helper: string, serverUrl: string, opts: HelperOptions): Promise<Credential | undefined> {
  const program = `docker-credential-${helper}`;
  const manual = `try: echo ${serverUrl} | ${program} get`;
  if (!HELPER_NAME_RE.test(helper)) {
    throw new MapBuildError("E_USAGE", `invalid docker credential helper name "${helper.slice(0, 60)}"`, {
      hint: "fix credsStore/credHelpers in your docker config.json",
    });
  }
  let r: HelperRun;
  try {
    r = await runHelper(program, serverUrl, opts);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new MapBuildError(
      "E_USAGE",
      missing ? `docker credential helper ${program} is not on PATH (needed for ${serverUrl})` : `cannot run docker credential helper ${program}`,
      {
        hint: missing
          ? "install the helper, or remove it from credsStore/credHelpers in your docker config.json (or point DOCKER_CONFIG elsewhere)"
          : manual,
        cause: e,
      },
    );
  }
  if (r.timedOut) {
    throw new MapBuildError("E_USAGE", `docker credential helper ${program} did not answer for ${serverUrl}`, { hint: manual });
  }
  if (r.code !== 0) {
    if (NOT_FOUND_RE.test(r.stdout) || NOT_FOUND_RE.test(r.stderr)) return undefined;
    throw new MapBuildError("E_USAGE", `docker credential helper ${program} failed for ${serverUrl} (exit status ${r.code})`, {
      hint: `${manual} to see its error`,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    parsed = undefined; // no cause: the parse error quotes the helper's output
  }
  const rec = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  const username = rec?.Username;
  const secret = rec?.Secret;
  if (rec === undefined || (username !== undefined && typeof username !== "string") || (secret !== undefined && typeof secret !== "string")) {
    throw new MapBuildError("E_USAGE", `docker credential helper ${program} returned malformed output for ${serverUrl}`, {
      hint: `${manual}; it should print {"Username": …, "Secret": …}`,
    });
  }
  if (!secret) return undefined;
  if (username === "<token>") return sealCredential({ identityToken: secret });
  return sealCredential({ username: username || undefined, password: secret });
}
