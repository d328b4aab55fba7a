#!/usr/bin/env bash
# Installs the Debian packages hvsim needs, only those that are missing.
# Runs apt-get as root, or through sudo otherwise.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang-format
  libcapstone-dev libunicorn-dev libsdl2-dev check libzstd-dev libssl-dev
  binutils qemu-system-x86
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
