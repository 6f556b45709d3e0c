#!/usr/bin/env bash
# The line coverage of core/ by the simulator alone: builds swarmsim with coverage in
# build-coverage/, runs the reach sweeps (seeds 1..300 at the default faults, 1..100 heavy; other
# ranges with --seeds A..B and --heavy-seeds A..B), and prints gcovr's table of core/, the
# printers (core/format*.c++) left out, with the total last. --html DIR also writes gcovr's
# annotated pages, to see which lines no run executed.
#
#   scripts/sim-coverage.sh [--seeds 1..300] [--heavy-seeds 1..100] [--html DIR]
#
# The target is 95% of the lines (docs/simulator.md, "Reach"); the script reports, it does not
# judge.
set -euo pipefail
cd "$(dirname "$0")/.."

seeds=1..300
heavy=1..100
html=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --heavy-seeds) heavy="$2"; shift 2 ;;
    --html) html="$2"; shift 2 ;;
    *) echo "usage: scripts/sim-coverage.sh [--seeds A..B] [--heavy-seeds A..B] [--html DIR]" >&2
       exit 2 ;;
  esac
done

scripts/ensure-deps.sh gcovr

dir=build-coverage
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" -Dbuildtype=debug -Db_coverage=true -Dwerror=false >/dev/null
fi
nice ninja -C "$dir" -j 2 sim/swarmsim
find "$dir" -name '*.gcda' -delete

"$dir/sim/swarmsim" --seeds "$seeds" --faults default | tail -n 1
"$dir/sim/swarmsim" --seeds "$heavy" --faults heavy | tail -n 1

filters=(--root . --filter 'core/' --exclude 'core/format.*\.c\+\+' --gcov-ignore-parse-errors)
gcovr "${filters[@]}" "$dir"
if [ -n "$html" ]; then
  mkdir -p "$html"
  gcovr "${filters[@]}" --html-details "$html/index.html" "$dir" >/dev/null
  echo "annotated sources: $html/index.html"
fi
