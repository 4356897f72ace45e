#!/usr/bin/env bash
# The main job, on a fresh machine: build the bundled example MAP (examples/word_score_app with
# its word-weight model) onto a small real python base made locally, check it with
# `map-build inspect`, then run it in a sandbox Docker engine on examples/input.
#   bash scripts/demo.sh
# env: MAP_BUILD_TEST_CACHE  where the python base is cached (default ~/.cache/map-build-test)
#      DEMO_OUT              output folder (default ./demo-out)
#      DEMO_RUN=0            build and inspect only; do not start a Docker engine
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n== %s\n' "$*"; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
cache=${MAP_BUILD_TEST_CACHE:-$HOME/.cache/map-build-test}
out=$(mkdir -p "${DEMO_OUT:-demo-out}" && cd "${DEMO_OUT:-demo-out}" && pwd)

say "tools (Debian packages: mmdebstrap and umoci make the base; dockerd runs the result)"
if ! command -v mmdebstrap >/dev/null || ! command -v umoci >/dev/null || ! command -v dockerd >/dev/null; then
  $sudo apt-get update -q >/dev/null
fi
SKIP_APT_UPDATE=1 bash scripts/install-test-tools.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent

say "python base image (Debian bookworm + python3-minimal, OCI layout, cached)"
layout=$cache/python-base-layout
bash scripts/make-python-base.sh "$layout" "$cache/python-base-rootfs"

say "map-build package (no Docker daemon involved)"
rm -rf "$out/layout" "$out/word-score.tar"
node bin/map-build.js package examples/word_score_app \
  --tag localhost/word-score:1.0 \
  --model examples/models/word_weights.tsv \
  --base "oci:$layout:bookworm-python" \
  --no-sdk \
  --tarball "$out/word-score.tar" \
  --oci-layout "$out/layout"

say "map-build inspect (manifests, layers, conformance checklist)"
node bin/map-build.js inspect "docker-archive:$out/word-score.tar" --no-sdk --no-base

if [ "${DEMO_RUN:-1}" = 0 ]; then exit 0; fi
say "run the MAP in a sandbox dockerd (private socket; stopped afterwards)"
d=$(mktemp -d /tmp/mb-demo-XXXX)
trap 'bash scripts/start-dockerd.sh --stop "$d" >/dev/null 2>&1 || true; rm -rf "$d"' EXIT
bash scripts/start-dockerd.sh "$d" >/dev/null
export DOCKER_HOST=unix://$d/docker.sock
docker=/usr/bin/docker
$docker load -i "$out/word-score.tar"
rm -rf "$out/output" && mkdir -p "$out/output"
$docker run --rm --network none \
  -v "$PWD/examples/input:/var/monai/input:ro" -v "$out/output:/var/monai/output" \
  localhost/word-score:1.0
say "result: $out/output/scores.csv"
cat "$out/output/scores.csv"
