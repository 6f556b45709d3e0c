#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test and prints
# "N passed, M failed" counting real test cases (each gtest case, each transcript file, each
# lint and smoke check). Usage: scripts/test.sh [--sanitize | --fuzz]
#   --fuzz  the clang phase: builds the whole tree with clang and runs the codec's fuzz targets
#           briefly (scripts/fuzz.sh --smoke)
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--fuzz" ]; then
  exec scripts/fuzz.sh --smoke
fi
scripts/ensure-deps.sh || exit 1

dir=build
setup=()
log=build/meson-logs/testlog.junit.xml
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  setup=(--setup=sanitize)
  log=build-asan/meson-logs/testlog-sanitize.junit.xml
fi

scripts/build.sh "$@" || { echo "0 passed, 1 failed"; exit 1; }
rm -f "$log"
meson test -C "$dir" "${setup[@]}" --print-errorlogs --num-processes 2
status=$?
python3 scripts/test-summary.py "$log" || status=1
exit $status
