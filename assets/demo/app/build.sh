#!/bin/sh
# Compile inistat with tcc. Objects go to a build cache, as many real builds leave one behind;
# the single-stage image keeps it, the multi-stage runtime does not.
set -eu
cache=${BUILD_CACHE:-/root/.cache/inistat}
out=${1:-/usr/local/bin/inistat}
mkdir -p "$cache" "$(dirname "$out")"
for src in ini.c main.c; do
    tcc ${TCCFLAGS:-} -c "$src" -o "$cache/${src%.c}.o"
done
tcc ${TCCFLAGS:-} ${LDFLAGS:-} -o "$out" "$cache/ini.o" "$cache/main.o"
