#!/usr/bin/env bash
# The core story: installs what is missing, builds, and runs the scripted demonstration of the
# agent core (one agent, two managers, a crash, a failover, a description change, a promotion,
# leave and stop), printing every input and effect. Extra arguments go to the demo
# (e.g. --seed 7).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
scripts/build.sh >&2
exec build/sim/swarmlet-demo "$@"
