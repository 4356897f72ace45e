/**
 * `/opt/monai/executor/monai-exec`: map-build's stand-in for the SDK's prebuilt .NET executor
 * (map-format.md §1.7). A POSIX sh script, so it runs on any base with /bin/sh (dash, busybox, bash).
 *
 * - Export mode, when an export directory is mounted (i.e. exists): `/var/run/monai/export/config`
 *   gets app.json and pkg.json, `…/app` the app folder, `…/models` the models; a bare
 *   `/var/run/monai/export` gets all three. The 0.1.x runner and every Windows runner read manifests
 *   this way. It prints what it exported and exits 0.
 * - Otherwise it runs the app command with the MONAI_* defaults of the spec and the timeout,
 *   passing container arguments through and exiting with the app's status.
 *
 * The command is baked in at build time rather than parsed out of app.json: no jq or python needed
 * at run time, and no JSON parsing in sh. `MONAI_EXEC_ROOT` prefixes every absolute path the script
 * reads or writes; it exists for tests and defaults to empty (the real root).
 */
import { MAP_APP_DIR, MAP_MANIFEST_DIR } from "./layout.js";
import { DEFAULT_MODELS_DIR } from "./models.js";

export const EXPORT_ROOT = "/var/run/monai/export";

export interface ExecutorOptions {
  /** app.json `command`, e.g. `python3 -u /opt/monai/app/app.py`. */
  command: string;
  /** Defaults for variables the image Env normally sets already. */
  workingDir?: string;
  inputPath?: string;
  outputPath?: string;
  modelsDir?: string;
  timeout?: number;
}

/** Quote for sh: single quotes, with `'` as `'\''`. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Escape for the inside of sh double quotes, within `${VAR:=…}` (where `}` would end the word). */
export function dq(s: string): string {
  return s.replace(/[\\"$`}]/g, "\\$&");
}

export function renderExecutor(opts: ExecutorOptions): string {
  const models = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const workingDir = opts.workingDir ?? "/var/monai/";
  return `#!/bin/sh
# monai-exec: entrypoint of a MONAI Application Package, written by map-build.
# Export mode (a mounted ${EXPORT_ROOT}[/config|/app|/models]) copies the manifests, app and
# models out and exits; otherwise the app command below runs with the MONAI_* environment.
set -u

ROOT="\${MONAI_EXEC_ROOT:-}"
APP_COMMAND=${shQuote(opts.command)}
MANIFEST_DIR=${shQuote(MAP_MANIFEST_DIR)}
APP_DIR=${shQuote(MAP_APP_DIR)}
EXPORT=${shQuote(EXPORT_ROOT)}

: "\${MONAI_APPLICATION:=$APP_DIR}"
: "\${MONAI_HOSTNAME:=none}"
: "\${MONAI_HOSTVERSION:=0.0.0}"
: "\${MONAI_JOBID:=00000000000000000000000000000000}"
: "\${MONAI_WORKDIR:=${dq(workingDir)}}"
: "\${MONAI_INPUTPATH:=${dq(opts.inputPath ?? "/var/monai/input")}}"
: "\${MONAI_OUTPUTPATH:=${dq(opts.outputPath ?? "/var/monai/output")}}"
: "\${MONAI_MODELPATH:=${dq(models)}}"
: "\${MONAI_TIMEOUT:=${opts.timeout ?? 0}}"
export MONAI_APPLICATION MONAI_HOSTNAME MONAI_HOSTVERSION MONAI_JOBID MONAI_WORKDIR \\
  MONAI_INPUTPATH MONAI_OUTPUTPATH MONAI_MODELPATH MONAI_TIMEOUT

fail() {
  echo "monai-exec: $*" >&2
  exit 1
}

export_config() {
  echo " > export '$1' detected"
  cp "$ROOT$MANIFEST_DIR/app.json" "$ROOT$MANIFEST_DIR/pkg.json" "$ROOT$1/" || fail "cannot write to $1"
  echo " > exported app.json and pkg.json to $1"
}

export_tree() {
  echo " > export '$2' detected"
  if [ -d "$ROOT$1" ]; then
    cp -R "$ROOT$1/." "$ROOT$2/" || fail "cannot write to $2"
  fi
  echo " > exported $1 to $2"
}

exported=0
if [ -d "$ROOT$EXPORT/config" ]; then export_config "$EXPORT/config"; exported=1; fi
if [ -d "$ROOT$EXPORT/app" ]; then export_tree "$APP_DIR" "$EXPORT/app"; exported=1; fi
if [ -d "$ROOT$EXPORT/models" ]; then export_tree "$MONAI_MODELPATH" "$EXPORT/models"; exported=1; fi
if [ "$exported" = 0 ] && [ -d "$ROOT$EXPORT" ]; then
  echo " > export '$EXPORT/' detected"
  mkdir -p "$ROOT$EXPORT/config" "$ROOT$EXPORT/app" "$ROOT$EXPORT/models" || fail "cannot write to $EXPORT"
  export_config "$EXPORT/config"
  export_tree "$APP_DIR" "$EXPORT/app"
  export_tree "$MONAI_MODELPATH" "$EXPORT/models"
  exported=1
fi
[ "$exported" = 1 ] && exit 0

case "$MONAI_TIMEOUT" in
  ''|*[!0-9]*) fail "MONAI_TIMEOUT must be a whole number of seconds, got '$MONAI_TIMEOUT'" ;;
esac

# Container arguments are appended to the command, as "$@" inside sh -c.
if [ "$MONAI_TIMEOUT" -gt 0 ] && command -v timeout >/dev/null 2>&1; then
  exec timeout "$MONAI_TIMEOUT" /bin/sh -c "$APP_COMMAND \\"\\$@\\"" monai-app "$@"
fi
[ "$MONAI_TIMEOUT" -gt 0 ] && echo "monai-exec: no 'timeout' command in the image; running without the $MONAI_TIMEOUT s limit" >&2
exec /bin/sh -c "$APP_COMMAND \\"\\$@\\"" monai-app "$@"
`;
}
