#!/usr/bin/env bash
# Configures (once) and builds swarmlet. Usage: scripts/build.sh [--sanitize]
#   default     build/       debugoptimized, warnings as errors
#   --sanitize  build-asan/  debug with AddressSanitizer and UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
options=(-Dwerror=true -Dbuildtype=debugoptimized)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  options=(-Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined)
fi

if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "${options[@]}"
fi
# Two jobs: the heaviest translation units need several hundred MB each.
ninja -C "$dir" -j 2
