#!/usr/bin/env bash
# Installs the Debian 12 packages swarmlet needs to build and test, skipping those already
# present (so a prepared machine does not touch the network). Needs root, or sudo. Extra package
# names given as arguments are ensured too (scripts/report-screenshot.sh asks for chromium).
set -euo pipefail

PACKAGES=(
  g++ meson ninja-build pkg-config python3 binutils
  capnproto libcapnp-dev libleveldb-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev git
  clang-format
  "$@"
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "swarmlet: missing packages (${missing[*]}) and not root: run as root or install them" >&2
    exit 1
  fi
  sudo=sudo
fi
echo "swarmlet: installing ${missing[*]}" >&2
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
