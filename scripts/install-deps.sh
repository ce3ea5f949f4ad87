#!/usr/bin/env bash
# Install the Debian 12 packages kbisect needs, only those that are missing.
# Usage: scripts/install-deps.sh [base|kernel|all]   (default: base)
set -euo pipefail

base=(build-essential pkg-config meson ninja-build git python3 clang libclang-rt-14-dev
      libcmocka-dev libpcre2-dev libjansson-dev libsqlite3-dev libelf-dev libdw-dev
      libcapstone-dev libssl-dev binutils binutils-aarch64-linux-gnu binutils-arm-linux-gnueabi)
kernel=(qemu-system-x86 busybox-static linux-source-6.1 ccache flex bison bc cpio clang-14
        xz-utils kmod dwarves rsync libelf-dev)

case "${1:-base}" in
  base) want=("${base[@]}") ;;
  kernel) want=("${kernel[@]}") ;;
  all) want=("${base[@]}" "${kernel[@]}") ;;
  *) echo "usage: $0 [base|kernel|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# A stale package list makes installs fail with 404s; refresh once per run.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
