#!/usr/bin/env bash
# npm run bench: map-build against buildah, pigz, sha256sum and skopeo, all in one run on this
# machine; prints a table of ratios, writes docs/bench.md, exits 1 when a goal is missed.
#   bash scripts/bench.sh
# env: BENCH_QUICK=1 (32 MiB model, 256 MiB big model, one repetition: < 2 min)
#      BENCH_MODEL_MB, BENCH_BIG_MODEL_MB (defaults 256, 2048), BENCH_REPS (best of N; default 2)
#      BENCH_ONLY=scale   only the scale rows 7a-7c (NGC-shaped base, --cache-repo, 3-platform RSS)
#      BENCH_ONLY=python-deps   only the deps-layer rows 6a-6c (torch-sized wheel vs pip + pigz)
#      BENCH_TORCH=0      rows 6 use the synthetic wheel even when pip's configuration names a
#                         local folder with a torch wheel (default: that torch and its dependencies)
#      BENCH_NGC_GB, BENCH_DEPS_MB  rows 7: NGC-shaped base size (default 4, kept in a registry under
#                         MAP_BUILD_TEST_CACHE/bench-kept, generated on first use) and deps .so (default 500)
#      BENCH_PROFILE=DIR  write node --cpu-prof profiles of every map-build run there
#      BENCH_OUT=FILE     markdown output (default docs/bench.md)
#      MAP_BUILD_TEST_CACHE  where the python base layout is kept (as scripts/test.sh)
# Needs the test set-up (scripts/test.sh or scripts/install-test-tools.sh + npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in node buildah skopeo pigz docker-registry tar sha256sum curl flock; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed (run scripts/install-test-tools.sh)" >&2; exit 2; }
done

# the python base, built once and shared with the tests (same lock as test/helpers/python-base.ts)
cache=${MAP_BUILD_TEST_CACHE:-$HOME/.cache/map-build-test}
layout=$cache/python-base-layout
mkdir -p "$cache"
flock "$cache/.python-base.lock" bash -c '[ -f "$1/index.json" ] || bash scripts/make-python-base.sh "$1" "$2" >&2' \
  build "$layout" "$cache/python-base-rootfs"

# the CLI as users run it (compiled, no tsx start-up cost), in a private folder inside the repo
# so node_modules resolves; never touches dist/ that other work may be using
dist=.work/bench-dist-$$
cleanup() { rm -rf "$dist" "$dist.log"; }
trap cleanup EXIT
mkdir -p .work
if ! npx tsc -p tsconfig.build.json --outDir "$dist" >"$dist.log" 2>&1; then
  # tsc still emits on type errors; go on only if the CLI came out
  echo "bench: warning: tsc reported errors (see below); benchmarking what it emitted" >&2
  head -20 "$dist.log" >&2
fi
rm -f "$dist.log"
[ -f "$dist/cli/map-build.js" ] || { echo "bench: compiling the CLI failed" >&2; exit 2; }
# as `npm run build` ships it: the CLI entries bundled (scripts/bundle-cli.mjs)
node scripts/bundle-cli.mjs "$dist" || { echo "bench: bundling the CLI failed" >&2; exit 2; }

status=0
node --import tsx scripts/bench/main.ts "$dist/cli/map-build.js" "$layout" bookworm-python || status=$?
exit "$status"
