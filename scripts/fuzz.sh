#!/usr/bin/env bash
# Fuzzes the codec and the manager server (tests/fuzz): libFuzzer targets decoding arbitrary
# bytes as every dispatcher, control and storage message, and a fuzzed connection to a manager
# server beside a well-behaved one (fuzz-server), built with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz/.
#
#   scripts/fuzz.sh --smoke       builds the whole tree with clang in build-fuzz/, then runs each
#                                 target ~20 s from the committed corpus as meson tests (suite
#                                 "fuzz") and prints "N passed, M failed"
#   scripts/fuzz.sh --minutes N   runs each target N minutes, keeping what it finds in
#                                 build-fuzz/fuzz-work/<target>/ across runs
#
# A failure names the input that caused it (under build-fuzz/tests/fuzz/artifacts/ for the smoke
# run, build-fuzz/fuzz-artifacts/ for long runs) and the command that replays it.
set -uo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/fuzz.sh --smoke | --minutes N" >&2
  exit 2
}

mode="${1:-}"
minutes=""
case "$mode" in
  --smoke) ;;
  --minutes)
    minutes="${2:-}"
    [[ "$minutes" =~ ^[1-9][0-9]*$ ]] || usage
    ;;
  *) usage ;;
esac

scripts/ensure-deps.sh clang libclang-rt-14-dev || exit 1

dir=build-fuzz
families=(dispatcher control storage server)
if [ ! -f "$dir/build.ninja" ]; then
  CXX=clang++ meson setup "$dir" -Dwerror=true -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true || exit 1
fi

if [ "$mode" = "--smoke" ]; then
  # The whole tree: this is also the check that everything builds with clang.
  nice ninja -C "$dir" -j 2 || { echo "0 passed, 1 failed"; exit 1; }
  log="$dir/meson-logs/testlog.junit.xml"
  rm -f "$log"
  meson test -C "$dir" --suite fuzz --print-errorlogs --num-processes 2
  status=$?
  python3 scripts/test-summary.py "$log" || status=1
  exit $status
fi

targets=()
for family in "${families[@]}"; do targets+=("tests/fuzz/fuzz-$family"); done
nice ninja -C "$dir" -j 2 "${targets[@]}" || exit 1
status=0
for family in "${families[@]}"; do
  python3 tests/fuzz/run-fuzz.py "$dir/tests/fuzz/fuzz-$family" "tests/fuzz/corpus/$family" \
    $((minutes * 60)) "$dir/fuzz-artifacts/$family" "$dir/fuzz-work/$family" || status=1
done
exit $status
