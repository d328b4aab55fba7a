#!/bin/sh
# hvsim benchmark: guest MIPS on a register/branch loop and on a memory loop
# over a 64 KiB array (10 instructions per iteration each), plus peak host
# RSS. Figures only, never pass/fail.
#
#   tests/bench/run.sh BUILD_DIR
#
# Environment: BENCH_ITERS (default 50000000 iterations per loop),
# BENCH_EMU (default BUILD_DIR/hvsim), BENCH_QEMU=1 to also time QEMU TCG
# on the same image for reference.
#
# Each loop runs twice: with N iterations and with 0 (boot and exit only);
# MIPS = (10 * N) / (time(N) - time(0)), so start-up cost is not counted.
# hvsim's --report output is shown; where it gives an instruction count the
# measured count is used instead of 10 * N.
set -u
build=${1:-build}
iters=${BENCH_ITERS:-50000000}
emu=${BENCH_EMU:-$build/hvsim}
image=$build/tests/bench/bench.elf
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

[ -f "$image" ] || { echo "bench: $image not found; build first (cmake --build $build)"; exit 1; }
[ -x "$emu" ] || { echo "bench: $emu not found; build first"; exit 1; }

now_ns() { date +%s%N; }

# run EMULATOR_KIND LOOP ITERS -> sets secs, rss_kb, insns (empty if unknown)
run() {
    kind=$1 loop=$2 n=$3
    if [ "$kind" = qemu ]; then
        set -- qemu-system-x86_64 -nodefaults -machine accel=tcg
    else
        set -- "$emu" --report
    fi
    t0=$(now_ns)
    /usr/bin/time -f 'maxrss_kb %M' -o "$tmp/time" "$@" -kernel "$image" -serial stdio \
        -display none -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot \
        -append "$loop $n" </dev/null >"$tmp/out" 2>&1
    rc=$?
    t1=$(now_ns)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    rss_kb=$(awk '/maxrss_kb/ { print $2 }' "$tmp/time")
    # First number on the report line that mentions instructions.
    insns=$(tr -d '\r' <"$tmp/out" | grep -v '^bench:' | grep -i 'instructions' | head -1 |
        sed 's/,//g' | grep -Eo '[0-9]+' | head -1)
    # Status 1 is the guest's isa-debug-exit; 0 (every vCPU halted) is
    # accepted too, for a machine without that device.
    if { [ "$rc" -ne 1 ] && [ "$rc" -ne 0 ]; } || ! grep -q 'bench: done' "$tmp/out"; then
        echo "bench: $kind $loop $n did not complete (exit status $rc); its output:"
        sed 's/^/    /' "$tmp/out" | tail -20
        return 1
    fi
    return 0
}

report() {
    kind=$1 loop=$2 label=$3
    run "$kind" "$loop" 0 || return
    base_s=$secs base_i=$insns
    run "$kind" "$loop" "$iters" || return
    [ "$kind" = hvsim ] && { echo "  hvsim --report ($loop $iters):"; tr -d '\r' <"$tmp/out" |
        grep -v -e '^bench:' -e '^guest:' -e '^PASS' -e '^RESULT' | sed 's/^/    /'; }
    if [ -n "$insns" ] && [ -n "$base_i" ] && [ "$insns" -gt "$base_i" ]; then
        n_insns=$((insns - base_i)) src="counted by --report"
    else
        n_insns=$((iters * 10)) src="10 x iterations"
    fi
    awk -v l="$label" -v k="$kind" -v i="$n_insns" -v s="$secs" -v b="$base_s" -v r="$rss_kb" \
        -v src="$src" 'BEGIN {
            d = s - b; if (d <= 0) d = s;
            printf "%-5s %-26s %8.1f MIPS  (%d instructions [%s] in %.3f s; boot+exit %.3f s; peak RSS %d MiB)\n",
                   k, l, i / d / 1e6, i, src, d, b, r / 1024 }'
}

echo "bench: $iters iterations x 10 instructions per loop; image $image"
report hvsim reg "register/branch loop"
report hvsim mem "memory loop (64 KiB array)"
if [ "${BENCH_QEMU:-0}" = 1 ] && command -v qemu-system-x86_64 >/dev/null; then
    report qemu reg "register/branch loop"
    report qemu mem "memory loop (64 KiB array)"
fi
echo "bench: reference: Bochs 2.7 ~114 / ~92 MIPS; hvsim target 250 / 200 MIPS"
exit 0
