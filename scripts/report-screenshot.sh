#!/usr/bin/env bash
# Renders one swarmsim report in headless Chromium (Debian's chromium package, installed if
# missing) and saves a full-page PNG: scripts/report-screenshot.sh [OUT.png] [swarmsim args...]
# Default: docs/report-screenshot.png of `swarmsim --seed 4 --faults heavy --duration 60s`.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/report-screenshot.png}"
shift || true
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--seed 4 --faults heavy --duration 60s)
scripts/ensure-deps.sh chromium
scripts/build.sh >&2
folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
build/sim/swarmsim "${args[@]}" --report "$folder" >/dev/null || true
[ -s "$folder/report.html" ] || { echo "report-screenshot: swarmsim wrote no report" >&2; exit 1; }
# A tall window: the report is one long page (summary, timeline, distributions).
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --hide-scrollbars --window-size=1400,1350 --screenshot="$folder/shot.png" \
  "file://$folder/report.html" >/dev/null 2>&1
[ -s "$folder/shot.png" ] || { echo "report-screenshot: chromium made no screenshot" >&2; exit 1; }
cp "$folder/shot.png" "$out"
echo "report-screenshot: $out"
