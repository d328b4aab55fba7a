#!/bin/sh
# Differential run of fuzz_user.elf: the same random CPL-3 sequences on
# hvsim and on QEMU TCG, then every sequence whose ending differs (exception
# vector, error code or faulting RIP), with its bytes, for the CPU owners.
# Sequences preempted by the timer on either side are not compared, nor
# QEMU's documented deviations (see README.md).
#
#   tests/guest/fuzz_diff.sh BUILD_DIR [rounds=N] [seed=N]
set -u
build=${1:-build}
shift 2>/dev/null || true
img=$build/tests/guest/fuzz_user.elf
[ -f "$img" ] || { echo "fuzz_diff: $img not found; build first"; exit 2; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
args="verbose $*"
common="-kernel $img -serial stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot"
# shellcheck disable=SC2086
timeout 300 "$build/hvsim" $common -append "$args" </dev/null 2>&1 | tr -d '\r' | grep '^R ' >"$tmp/hvsim"
# shellcheck disable=SC2086
timeout 300 qemu-system-x86_64 -nodefaults -machine accel=tcg $common -append "$args" </dev/null 2>&1 |
    tr -d '\r' | grep '^R ' >"$tmp/qemu"
echo "fuzz_diff: $(wc -l <"$tmp/hvsim") sequences on hvsim, $(wc -l <"$tmp/qemu") on QEMU"
# Lines: "R round bytes ending..." where ending is "timer", "returned" or
# "v=N e=E ip=I" (ip relative to the code page when inside it).
awk 'NR == FNR { k = $2; $1 = $2 = ""; h[k] = $0; next }
     { k = $2; $1 = $2 = ""; q = $0
       if (!(k in h)) next
       if (h[k] ~ /timer/ || q ~ /timer/) next
       if (h[k] != q) { n++; printf "round %s\n  hvsim:%s\n  qemu: %s\n", k, h[k], q } }
     END { printf "fuzz_diff: %d sequences end differently\n", n }' "$tmp/hvsim" "$tmp/qemu"
