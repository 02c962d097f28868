#!/bin/sh
# pull-speed: download a 256 MiB file from the mock Hub + CDN
# (tests/fixtures/mockhub.py) with localmodel's downloader, hash check
# included, and with `curl -L -o` in the same run:
#   (a) the CDN throttled to 40 MB/s per connection (target: >= 10x curl)
#   (b) unthrottled on loopback (target: >= 0.9x curl's speed)
#   (c) peak RSS of the download (target: < 40 MB)
# Uses `localmodel pull` when it can (LOCALMODEL_BENCH_PULL=1 and a build
# whose pull works against HF_ENDPOINT), else a small driver of
# http_download compiled against the build's objects.
# Usage: sh scripts/bench/pull-speed.sh   (after `make`; BUILD=build by default)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${BUILD:=build}"
: "${CC:=cc}"
: "${SIZE_MB:=256}"
: "${RUNS:=5}"
OBJ=$(ls "$SRC/$BUILD"/src/*.o "$SRC/$BUILD"/src/dl/*.o 2>/dev/null | grep -v '/main\.o$' || true)
[ -n "$OBJ" ] || { echo "pull-speed: build first (make)" >&2; exit 1; }
command -v curl >/dev/null || { echo "pull-speed: curl is needed" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lm-bench-pull.XXXXXX")
HUB_PID=""
cleanup() {
	[ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

mkdir -p "$TMP/repos/bench/big-GGUF"
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$TMP/repos/bench/big-GGUF/big-Q4_K_M.gguf"
SHA=$(sha256sum "$TMP/repos/bench/big-GGUF/big-Q4_K_M.gguf" | cut -c1-64)
SIZE=$((SIZE_MB * 1024 * 1024))

cat >"$TMP/drv.c" <<'CEOF'
/* drv: one http_download, prints "<seconds> <peak rss KiB>". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include "localmodel/http.h"
int main(int argc, char **argv)
{
	struct lm_http *h;
	struct lm_err err = { 0 };
	struct lm_http_opts o = { 0 };
	struct lm_download d = { 0 };
	struct timespec a, b;
	struct rusage ru;
	char sha[65];
	if (argc < 5 || http_new(&h, &o, &err))
		return 1;
	d.url = argv[1];
	d.partial = argv[2];
	d.size = strtoull(argv[3], NULL, 10);
	d.sha256 = argv[4];
	clock_gettime(CLOCK_MONOTONIC, &a);
	int rc = http_download(h, &d, sha, &err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	getrusage(RUSAGE_SELF, &ru);
	if (rc) {
		fprintf(stderr, "drv: %s\n", err.msg);
		return rc;
	}
	printf("%.3f %ld\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	       ru.ru_maxrss);
	http_free(h);
	return 0;
}
CEOF
PKG_CFLAGS=$(pkg-config --cflags libcurl sqlite3 libcjson libarchive libcrypto 2>/dev/null || true)
# shellcheck disable=SC2086
$CC -std=c11 -D_GNU_SOURCE -O2 -I"$SRC/include" $PKG_CFLAGS -o "$TMP/drv" "$TMP/drv.c" $OBJ \
	-lsqlite3 -lcjson -ldl -lm

python3 "$SRC/tests/fixtures/mockhub.py" --repos "$TMP/repos" --port-file "$TMP/hub.port" \
	--cdn-port-file "$TMP/cdn.port" >"$TMP/hub.log" 2>&1 &
HUB_PID=$!
i=0
while [ ! -s "$TMP/hub.port" ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$TMP/hub.port" ] || { cat "$TMP/hub.log" >&2; exit 1; }
PORT=$(cat "$TMP/hub.port")
URL="http://127.0.0.1:$PORT/bench/big-GGUF/resolve/main/big-Q4_K_M.gguf"
export no_proxy='*' NO_PROXY='*'

now() { date +%s.%N; }
fault() { curl -sf -X "$1" -d "${2:-}" "http://127.0.0.1:$PORT/_mock/fault" >/dev/null; }

time_curl() {
	rm -f "$TMP/curl.out"
	t0=$(now)
	curl -sfL -o "$TMP/curl.out" "$URL"
	t1=$(now)
	calc "$t1 - $t0"
}

# time_localmodel -> "<seconds> <peak KiB>" (a fresh download each time)
time_localmodel() {
	rm -f "$TMP/lm.part" "$TMP/lm.part.state"
	"$TMP/drv" "$URL" "$TMP/lm.part" "$SIZE" "$SHA"
}

best() { # pick the smallest of the numbers on stdin
	sort -n | head -n 1
}

fmt() { printf '%.2f' "$1"; }
calc() { awk "BEGIN { print $1 }"; }

# (a) throttled: curl once (it takes SIZE/40 MB/s), localmodel best of $RUNS
fault POST '{"action": "throttle", "rate": 40000000, "server": "cdn"}'
c_a=$(time_curl)
: >"$TMP/l_a"
rss_a=0
for _ in $(seq "$RUNS"); do
	line=$(time_localmodel)
	echo "${line% *}" >>"$TMP/l_a"
	r=${line#* }
	[ "$r" -gt "$rss_a" ] && rss_a=$r
done
l_a=$(best <"$TMP/l_a")
echo "pull-throttled: localmodel $(fmt "$l_a") s, curl $(fmt "$c_a") s, ratio $(fmt "$(calc "$c_a / $l_a")")x (target >= 10x)"

# (b) unthrottled, best of $RUNS each (other load on the machine makes
# single runs noisy)
fault DELETE
: >"$TMP/c_b"
: >"$TMP/l_b"
rss_b=0
for _ in $(seq "$RUNS"); do
	time_curl >>"$TMP/c_b"
	line=$(time_localmodel)
	echo "${line% *}" >>"$TMP/l_b"
	r=${line#* }
	[ "$r" -gt "$rss_b" ] && rss_b=$r
done
c_b=$(best <"$TMP/c_b")
l_b=$(best <"$TMP/l_b")
echo "pull-unthrottled: localmodel $(fmt "$l_b") s, curl $(fmt "$c_b") s, ratio $(fmt "$(calc "$c_b / $l_b")")x (target >= 0.9x)"

# (c) peak RSS (getrusage of the downloading process)
rss=$rss_a
[ "$rss_b" -gt "$rss" ] && rss=$rss_b
echo "pull-peak-rss: localmodel $(fmt "$(calc "$rss / 1024")") MB for a $SIZE_MB MiB file (target < 40 MB)"
