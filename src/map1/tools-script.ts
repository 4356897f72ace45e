/**
 * /var/holoscan/tools, the MAP 1.0 entrypoint: upstream's sub-commands (show app|pkg, env,
 * extract, help; anything else runs the app), as a POSIX sh script that needs neither bash nor jq.
 * The app command is written into the script at build time from the same argv as app.json, so
 * nothing has to parse JSON at run time.
 */
import { shQuote } from "../map/index.js";
import { MAP1_APP_DIR, MAP1_APP_JSON, MAP1_CONFIG_PATH, MAP1_DOCS_DIR, MAP1_EXPORT_ROOT, MAP1_MODELS_DIR, MAP1_PKG_JSON } from "./layout.js";

/** Settings, logging and `show`. */
const PRELUDE = `#!/bin/sh
# MAP 1.0 entrypoint written by map-build (sub-commands as holoscan-cli's tools.sh; POSIX sh, no jq).
#   tools show [app|pkg]   print the manifests
#   tools env              print the environment
#   tools extract          copy app, manifests, models or docs to a mount under ${MAP1_EXPORT_ROOT}
#   tools help             this list
#   tools [ARGS...]        run the application with ARGS appended
set -u

: "\${HOLOSCAN_APPLICATION:=${MAP1_APP_DIR}}"
: "\${HOLOSCAN_MODEL_PATH:=${MAP1_MODELS_DIR}}"
: "\${HOLOSCAN_DOCS_PATH:=${MAP1_DOCS_DIR}}"
: "\${HOLOSCAN_CONFIG_PATH:=${MAP1_CONFIG_PATH}}"
: "\${HOLOSCAN_APP_MANIFEST_PATH:=${MAP1_APP_JSON}}"
: "\${HOLOSCAN_PKG_MANIFEST_PATH:=${MAP1_PKG_JSON}}"
EXPORT_ROOT=${MAP1_EXPORT_ROOT}

info() { printf '%s [INFO] %s\\n' "$(date -u '+%Y-%m-%d %H:%M:%S')" "$*" >&2; }
fatal() { printf '%s [FATAL] %s\\n' "$(date -u '+%Y-%m-%d %H:%M:%S')" "$*" >&2; exit 1; }

show_json() {
  if [ ! -f "$2" ]; then printf '%s does not exist!\\n' "$2" >&2; return 1; fi
  echo "============================== $1 =============================="
  # pretty-printed when the image's python has json (python3-minimal has not), else as stored
  python3 -m json.tool "$2" 2>/dev/null || { cat "$2"; echo; }
}

show() {
  case "\${1:-all}" in
    app) show_json app.json "$HOLOSCAN_APP_MANIFEST_PATH" ;;
    pkg) show_json pkg.json "$HOLOSCAN_PKG_MANIFEST_PATH" ;;
    *) show_json app.json "$HOLOSCAN_APP_MANIFEST_PATH"; show_json pkg.json "$HOLOSCAN_PKG_MANIFEST_PATH" ;;
  esac
}

# copy_into SOURCE DEST: the contents of a folder, or one file
copy_into() {
  if [ -d "$1" ]; then
    info "Copying $1 to $2"
    mkdir -p "$2" && cp -R "$1"/. "$2"/ || fatal "cannot copy $1 to $2"
  elif [ -f "$1" ]; then
    info "Copying $1 to $2"
    cp "$1" "$2" || fatal "cannot copy $1 to $2"
  else
    info "'$1' cannot be found."
  fi
}

`;

/** `extract`: copy what a mount under the export root asks for. */
const EXTRACT = `writable() {
  [ -w "$1" ] || fatal "Permission error: create $1 on the host first, writable by uid $(id -u), before using 'extract'."
}

export_config() {
  mkdir -p "$EXPORT_ROOT/config"
  copy_into "$HOLOSCAN_APP_MANIFEST_PATH" "$EXPORT_ROOT/config/app.json"
  copy_into "$HOLOSCAN_PKG_MANIFEST_PATH" "$EXPORT_ROOT/config/pkg.json"
  copy_into "$HOLOSCAN_CONFIG_PATH" "$EXPORT_ROOT/config/$(basename "$HOLOSCAN_CONFIG_PATH")"
}

extract() {
  [ -d "$EXPORT_ROOT" ] || fatal "No volume mount found $EXPORT_ROOT."
  if [ -d "$EXPORT_ROOT/app" ]; then writable "$EXPORT_ROOT/app"; copy_into "$HOLOSCAN_APPLICATION" "$EXPORT_ROOT/app"
  elif [ -d "$EXPORT_ROOT/config" ]; then writable "$EXPORT_ROOT/config"; export_config
  elif [ -d "$EXPORT_ROOT/models" ]; then writable "$EXPORT_ROOT/models"; copy_into "$HOLOSCAN_MODEL_PATH" "$EXPORT_ROOT/models"
  elif [ -d "$EXPORT_ROOT/docs" ]; then writable "$EXPORT_ROOT/docs"; copy_into "$HOLOSCAN_DOCS_PATH" "$EXPORT_ROOT/docs"
  else
    writable "$EXPORT_ROOT"
    copy_into "$HOLOSCAN_APPLICATION" "$EXPORT_ROOT/app"
    export_config
    copy_into "$HOLOSCAN_MODEL_PATH" "$EXPORT_ROOT/models"
    copy_into "$HOLOSCAN_DOCS_PATH" "$EXPORT_ROOT/docs"
  fi
}

`;

/** `help`, worded as upstream's. */
const USAGE = `usage() {
  cat <<'USAGE'
USAGE: /var/holoscan/tools [command] [arguments]...
 Command List
    extract  ---------------------------  Extract data based on mounted volume paths.
        /var/run/holoscan/export/app        extract the application
        /var/run/holoscan/export/config     extract app.json and pkg.json manifest files and application YAML.
        /var/run/holoscan/export/models     extract models
        /var/run/holoscan/export/docs       extract documentation files
        /var/run/holoscan/export            extract all of the above
        IMPORTANT: ensure the directory to be mounted for data extraction is created first on the host system
                   and has the correct permissions.
    show  -----------------------------  Print manifest file(s): [app|pkg] to the terminal.
        app                                 print app.json
        pkg                                 print pkg.json
    env  -------------------------  Print all environment variables to the terminal.
USAGE
}

`;

export function renderToolsScript(command: readonly string[]): string {
  const argv = command.map(shQuote).join(" ");
  return `${PRELUDE}${EXTRACT}${USAGE}case "\${1:-}" in
  show) shift; show "$@" ;;
  env) env | sort ;;
  extract) extract ;;
  help) usage ;;
  *)
    set -- ${argv} "$@"
    info "Launching application $*..."
    exec "$@"
    ;;
esac
`;
}
