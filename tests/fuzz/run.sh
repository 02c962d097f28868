#!/bin/sh
# run.sh: build every tests/fuzz/fuzz_*.c with libFuzzer + ASan + UBSan and
# run each for FUZZ_SECONDS (30) on a copy of its seed corpus
# tests/fuzz/corpus/<name>/. FUZZ_TARGETS="runtime hub" limits the run to
# those targets. A crash fails the run and leaves the input in
# build-fuzz/crashes/ (turn it into a regression test).
set -eu
cd "$(dirname "$0")/../.."
SECS=${FUZZ_SECONDS:-30}
FLAGS='-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer'
make -s CC=clang BUILD=build-fuzz CFLAGS="$FLAGS" LDFLAGS= \
	$(ls src/*.c src/cmd/*.c src/dl/*.c | grep -v '^src/main.c$' | sed 's|^|build-fuzz/|; s|\.c$|.o|')
OBJS=$(ls build-fuzz/src/*.o build-fuzz/src/cmd/*.o build-fuzz/src/dl/*.o | grep -v '/main.o$')
CFLAGS_ALL="-std=c11 -D_GNU_SOURCE -Iinclude $(pkg-config --cflags libcurl sqlite3 libcjson libarchive libcrypto)"
LIBS="$(pkg-config --libs sqlite3 libcjson) -ldl -lm"
mkdir -p build-fuzz/crashes
rc=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	case " ${FUZZ_TARGETS:-$short} " in *" $short "*) ;; *) continue ;; esac
	# a target that includes a source file (to reach its static readers)
	# links every object but that one
	objs=$OBJS
	for inc in $(sed -n 's|^#include "\.\./\.\./src/\(.*\)\.c"$|\1|p' "$src"); do
		objs=$(echo "$objs" | tr ' ' '\n' | grep -v "^build-fuzz/src/$inc\.o\$")
	done
	clang $CFLAGS_ALL -O1 -g -fsanitize=fuzzer,address,undefined -o "build-fuzz/$name" "$src" $objs $LIBS
	work=build-fuzz/corpus-$short
	rm -rf "$work" && mkdir -p "$work"
	[ -d "tests/fuzz/corpus/$short" ] && cp -r "tests/fuzz/corpus/$short/." "$work/"
	echo "fuzz: $name for ${SECS}s"
	if ! "./build-fuzz/$name" -max_total_time="$SECS" -artifact_prefix=build-fuzz/crashes/ \
		-print_final_stats=0 "$work" >"build-fuzz/$name.log" 2>&1; then
		echo "fuzz: $name found a problem:"
		tail -n 40 "build-fuzz/$name.log"
		rc=1
	else
		grep -E '^(#[0-9]+.*DONE|Done)' "build-fuzz/$name.log" | tail -n 1 || true
	fi
done
exit $rc
