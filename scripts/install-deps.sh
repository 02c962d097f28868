#!/bin/sh
# install-deps.sh: install what localmodel needs to build and test, on
# Debian/Ubuntu (apt-get), Fedora (dnf) or macOS (brew). Does nothing when
# everything is already present.
set -eu

have_all() {
	command -v cc >/dev/null 2>&1 || return 1
	command -v make >/dev/null 2>&1 || return 1
	command -v pkg-config >/dev/null 2>&1 || return 1
	command -v python3 >/dev/null 2>&1 || return 1
	command -v curl >/dev/null 2>&1 || return 1
	command -v valgrind >/dev/null 2>&1 || [ "$(uname)" = Darwin ] || return 1
	command -v sqlite3 >/dev/null 2>&1 || return 1
	pkg-config --exists libcurl sqlite3 libcjson libarchive libcrypto 2>/dev/null || return 1
}

if have_all; then
	echo "install-deps: everything is present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
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
	brew install pkg-config curl sqlite cjson libarchive openssl@3 python3
	echo "install-deps: with Homebrew, export PKG_CONFIG_PATH for curl, sqlite, libarchive and openssl@3 (see 'brew info')"
else
	echo "install-deps: no apt-get, dnf or brew; install libcurl, sqlite3, cJSON, libarchive, libcrypto (OpenSSL) and pkg-config by hand" >&2
	exit 1
fi
have_all || { echo "install-deps: something is still missing" >&2; exit 1; }
