#!/bin/sh
# Run one guest image on hvsim (or on QEMU, the reference) and judge it.
#
#   run_guest.sh --emu hvsim|qemu --bin EMULATOR --image IMAGE.elf
#                [--timeout SECONDS] [--status N] [--expect REGEX]...
#                [--allow-fail] [--twice] -- [extra emulator arguments]
#
# Passes when the emulator exits with status N (default 1: the guest wrote 0
# to isa-debug-exit), every --expect regex (grep -E) matches a line of the
# output, and no line starts with "FAIL" (unless --allow-fail).
# --twice (hvsim only): run again with --report and require the same guest
# output and the same instruction count, cycles and virtual time: hvsim's
# runs are deterministic by design (DESIGN.md, "Execution and time").
set -u

emu=hvsim bin= image= timeout_s=60 status=1 allow_fail=0 twice=0
expects_file=$(mktemp) || exit 2
out=$(mktemp) || exit 2
out2=$(mktemp) || exit 2
trap 'rm -f "$expects_file" "$out" "$out2"' EXIT INT TERM

while [ $# -gt 0 ]; do
    case "$1" in
    --emu) emu=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --status) status=$2; shift 2 ;;
    --expect) printf '%s\n' "$2" >>"$expects_file"; shift 2 ;;
    --allow-fail) allow_fail=1; shift ;;
    --twice) twice=1; shift ;;
    --) shift; break ;;
    *) echo "run_guest.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "run_guest.sh: emulator '$bin' not found or not executable (is hvsim built?)" >&2
    exit 2
fi
if [ ! -f "$image" ]; then
    echo "run_guest.sh: guest image '$image' not found (build target guest_images)" >&2
    exit 2
fi

set -- -kernel "$image" -serial stdio -display none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot "$@"
if [ "$emu" = qemu ]; then
    set -- -nodefaults -machine accel=tcg "$@"
fi

if [ "$twice" -eq 1 ]; then
    set -- --report "$@"
fi
echo "run_guest.sh: $bin $*"
timeout -k 5 "$timeout_s" "$bin" "$@" </dev/null >"$out" 2>&1
rc=$?
cat "$out"
echo "run_guest.sh: exit status $rc (expected $status)"

ok=1
if [ "$rc" -eq 124 ]; then
    echo "run_guest.sh: FAILED: timed out after ${timeout_s}s"
    ok=0
elif [ "$rc" -ne "$status" ]; then
    echo "run_guest.sh: FAILED: exit status $rc, expected $status"
    ok=0
fi
while IFS= read -r re; do
    [ -n "$re" ] || continue
    if ! tr -d '\r' <"$out" | grep -Eq -- "$re"; then
        echo "run_guest.sh: FAILED: no output line matches '$re'"
        ok=0
    fi
done <"$expects_file"
if [ "$allow_fail" -eq 0 ] && tr -d '\r' <"$out" | grep -q '^FAIL'; then
    echo "run_guest.sh: FAILED: the guest reported failures:"
    tr -d '\r' <"$out" | grep '^FAIL' | head -20
    ok=0
fi
if [ "$twice" -eq 1 ] && [ "$ok" -eq 1 ]; then
    echo "run_guest.sh: second run for determinism"
    timeout -k 5 "$timeout_s" "$bin" "$@" </dev/null >"$out2" 2>&1
    rc2=$?
    # Everything but host-time figures must match.
    strip() { tr -d '\r' <"$1" | grep -v -e 'host time' -e 'MIPS'; }
    if [ "$rc2" -ne "$rc" ]; then
        echo "run_guest.sh: FAILED: second run exited with $rc2, first with $rc"
        ok=0
    elif ! strip "$out" >"$out.a" || ! strip "$out2" >"$out.b" || ! cmp -s "$out.a" "$out.b"; then
        echo "run_guest.sh: FAILED: the two runs differ:"
        diff "$out.a" "$out.b" | head -20
        ok=0
    elif ! grep -q 'instructions:' "$out.a"; then
        echo "run_guest.sh: FAILED: --report printed no instruction count to compare"
        ok=0
    else
        echo "run_guest.sh: both runs identical: $(grep -E 'instructions:|virtual time:' "$out.a" | tr -s ' ' | tr '\n' ' ')"
    fi
    rm -f "$out.a" "$out.b"
fi
[ "$ok" -eq 1 ] && { echo "run_guest.sh: ok"; exit 0; }
exit 1
