#!/bin/sh
# Compare a guest image on the model and on KVM at one of its functions:
#   image_point.sh HVSIM IMAGE.elf SYMBOL [HITS]
# The point is the symbol's address (from the 64-bit link's symbol table
# when the image is a 64-bit guest in an ELF32 container). Exits 0 when
# they agree or KVM is absent (the output says "skipped"), 1 on a
# divergence, 2 on a usage or tool error.
set -u
hvsim=$1 image=$2 sym=$3 hits=${4:-1}
syms=$image
[ -f "$image.64" ] && syms=$image.64
addr=$(nm "$syms" 2>/dev/null | awk -v s="$sym" '$3 == s { print $1; exit }')
if [ -z "$addr" ]; then
    echo "image_point.sh: no symbol '$sym' in $syms" >&2
    exit 2
fi
exec "$hvsim" difftest --image "$image" --until "0x$addr" --hits "$hits" --timeout 60
