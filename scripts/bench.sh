#!/usr/bin/env bash
# Every benchmark, one table: each figure with its floor and target from targets.md and its ratio
# to the floor (scripts/bench.py, bench/figures.json, docs/benchmarks.md).
# Usage: scripts/bench.sh [--smoke] [--json FILE] [--html DIR] [--only PROGRAM,...]
#   Configures (once) and builds build-release/ (release, warnings not fatal) and measures there;
#   BENCH_BUILD=DIR measures an existing build instead (the test suite's smoke run uses build/).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BENCH_BUILD:-build-release}"
if [ -z "${BENCH_BUILD:-}" ]; then
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" --buildtype=release -Dwerror=false >&2
  fi
  # Two jobs: the heaviest translation units need several hundred MB each.
  ninja -C "$dir" -j 2 >&2
fi
exec python3 scripts/bench.py --build "$dir" "$@"
