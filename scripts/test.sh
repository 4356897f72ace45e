#!/usr/bin/env bash
# The test command: install the Debian test tools and npm packages, build the python base image
# (cached), then run the whole suite (what `npm test` means: type check, then every test/**/*.test.ts).
#   bash scripts/test.sh
# env: MAP_BUILD_TEST_CACHE  where the python base rootfs and layout are kept (default ~/.cache/map-build-test)
#      SKIP_APT_UPDATE=1     the caller already ran apt-get update (.ci/run does)
# Fails loudly when a tool is missing: no test is ever skipped for want of one.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
say() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

export MAP_BUILD_TEST_CACHE=${MAP_BUILD_TEST_CACHE:-$HOME/.cache/map-build-test}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

say "node"
command -v node >/dev/null || { echo "node is not installed (need Node >= 20.15)" >&2; exit 1; }
node -e 'const [a, b] = process.versions.node.split(".").map(Number);
  if (a < 20 || (a === 20 && b < 15)) { console.error("Node >= 20.15 needed, found " + process.version); process.exit(1); }'
node --version

if [ "${SKIP_APT_UPDATE:-0}" != 1 ]; then
  say "apt-get update"   # once: install-test-tools.sh and make-python-base.sh (mirror list) need it
  $sudo apt-get update -q >/dev/null
fi

say "test tools"
SKIP_APT_UPDATE=1 bash scripts/install-test-tools.sh

say "npm ci"
npm ci --no-audit --no-fund

say "python base image"   # built here once so parallel test files never wait on it
bash scripts/make-python-base.sh "$MAP_BUILD_TEST_CACHE/python-base-layout" "$MAP_BUILD_TEST_CACHE/python-base-rootfs"

say "two-platform python base image (amd64 + arm64; arm64 under qemu)"
bash scripts/make-python-base-multiarch.sh "$MAP_BUILD_TEST_CACHE/python-base-multiarch-layout" "$MAP_BUILD_TEST_CACHE/python-base-rootfs"

say "npm test (type check, then every test/**/*.test.ts)"
npm test
say "tests passed"
