#!/bin/sh
# startup.sh: start-up cost of commands that must not load libcurl or
# libarchive, against a C hello-world linked only with sqlite3 (the
# reference) and one linked with libcurl and libarchive directly, measured in
# the same run: median whole-process wall time over N runs.
set -eu
cd "$(dirname "$0")/../.."
N=${N:-400}
BIN=${LOCALMODEL_BIN:-./localmodel}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -O2 -o "$T/spawntime" scripts/bench/spawntime.c
cat >"$T/hello.c" <<'C'
#include <stdio.h>
#include <sqlite3.h>
int main(void) { printf("hello %s\n", sqlite3_libversion()); return 0; }
C
cc -O2 -o "$T/hello-sqlite" "$T/hello.c" -lsqlite3
cc -O2 -o "$T/hello-curl" "$T/hello.c" -Wl,--no-as-needed -lsqlite3 $(pkg-config --libs libcurl libarchive)
export LOCALMODEL_HOME="$T/home"
ref=$("$T/spawntime" "$N" "$T/hello-sqlite")
curl=$("$T/spawntime" "$N" "$T/hello-curl")
ver=$("$T/spawntime" "$N" "$BIN" --version)
models=$("$T/spawntime" "$N" "$BIN" models)
status=$("$T/spawntime" "$N" "$BIN" status)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "startup reference: hello-world+sqlite3 ${ref} us"
echo "startup linked-curl: ${curl} us, ratio $(ratio "$curl" "$ref")x (for comparison)"
echo "startup --version: localmodel ${ver} us, hello-world ${ref} us, ratio $(ratio "$ver" "$ref")x (target <= 1.5x)"
echo "startup models (empty): localmodel ${models} us, hello-world ${ref} us, ratio $(ratio "$models" "$ref")x (target <= 1.5x)"
echo "startup status (empty): localmodel ${status} us, hello-world ${ref} us, ratio $(ratio "$status" "$ref")x"
