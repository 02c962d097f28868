#!/bin/sh
# pull-speed: download a 256 MiB GGUF from the mock Hub + CDN
# (tests/fixtures/mockhub.py) with localmodel, sha256 verification
# included, and with `curl -L -o` of the same URL in the same run:
#   (a) the CDN throttled to 40 MB/s per connection (target: >= 10x curl)
#   (b) unthrottled on loopback (target: >= 0.9x curl's speed)
#   (c) peak RSS of the download (target: < 40 MB)
# localmodel is `localmodel pull ORG/REPO:QUANT` when the build has a pull
# command, else a small driver of http_download compiled against the
# build's objects (LOCALMODEL_BENCH_DRIVER=1 forces the driver). Peak RSS is
# the child's ru_maxrss (wait4). The machine's other load makes single runs
# noisy: localmodel's figure is the best of RUNS, curl's too.
# Usage: sh scripts/bench/pull-speed.sh   (after `make`; BUILD=build by default)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${BUILD:=build}"
: "${CC:=cc}"
: "${SIZE_MB:=256}"
: "${RUNS:=5}"
: "${LOCALMODEL_BENCH_DRIVER:=0}"
BIN=$SRC/$BUILD/localmodel
OBJ=$(ls "$SRC/$BUILD"/src/*.o "$SRC/$BUILD"/src/dl/*.o 2>/dev/null | grep -v '/main\.o$' || true)
[ -n "$OBJ" ] && [ -x "$BIN" ] || { echo "pull-speed: build first (make)" >&2; exit 1; }
command -v curl >/dev/null || { echo "pull-speed: curl is needed" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lm-bench-pull.XXXXXX")
HUB_PID=""
cleanup() {
	if [ -n "$HUB_PID" ]; then
		kill "$HUB_PID" 2>/dev/null
		wait "$HUB_PID" 2>/dev/null || : # killed: 143, which set -e must not see
	fi
	HUB_PID=""
	rm -rf "$TMP"
}
trap 'cleanup; exit 1' INT TERM
trap cleanup EXIT

REPO=bench/big-GGUF
mkdir -p "$TMP/repos/$REPO"
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$TMP/repos/$REPO/big-Q4_K_M.gguf"
SHA=$(sha256sum "$TMP/repos/$REPO/big-Q4_K_M.gguf" | cut -c1-64)
SIZE=$((SIZE_MB * 1024 * 1024))

# drv dl URL PARTIAL SIZE SHA: one http_download;
# drv run CMD...: run a command. Both print "<seconds> <peak RSS KiB>".
cat >"$TMP/drv.c" <<'CEOF'
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include "localmodel/http.h"
extern char **environ;
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
static int run(char **argv)
{
	pid_t pid;
	int st;
	struct rusage ru;
	double t0 = now();
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ))
		return 1;
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	printf("%.3f %ld\n", now() - t0, ru.ru_maxrss);
	return 0;
}
int main(int argc, char **argv)
{
	struct lm_http *h;
	struct lm_err err = { 0 };
	struct lm_http_opts o = { 0 };
	struct lm_download d = { 0 };
	struct rusage ru;
	char sha[65];
	if (argc > 2 && !strcmp(argv[1], "run"))
		return run(argv + 2);
	if (argc < 6 || http_new(&h, &o, &err))
		return 1;
	d.url = argv[2];
	d.partial = argv[3];
	d.size = strtoull(argv[4], NULL, 10);
	d.sha256 = argv[5];
	double t0 = now();
	int rc = http_download(h, &d, sha, &err);
	double t = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	if (rc) {
		fprintf(stderr, "drv: %s\n", err.msg);
		return rc;
	}
	printf("%.3f %ld\n", t, ru.ru_maxrss);
	http_free(h);
	return 0;
}
CEOF
PKG_CFLAGS=$(pkg-config --cflags libcurl sqlite3 libcjson libarchive libcrypto 2>/dev/null || true)
# shellcheck disable=SC2086
$CC -std=c11 -D_GNU_SOURCE -O2 -I"$SRC/include" $PKG_CFLAGS -o "$TMP/drv" "$TMP/drv.c" $OBJ \
	-lsqlite3 -lcjson -ldl -lm

python3 "$SRC/tests/fixtures/mockhub.py" --repos "$TMP/repos" --port-file "$TMP/hub.port" \
	--cdn-port-file "$TMP/cdn.port" --lifetime 1800 >"$TMP/hub.log" 2>&1 &
HUB_PID=$!
i=0
while [ ! -s "$TMP/hub.port" ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$TMP/hub.port" ] || { cat "$TMP/hub.log" >&2; exit 1; }
PORT=$(cat "$TMP/hub.port")
URL="http://127.0.0.1:$PORT/$REPO/resolve/main/big-Q4_K_M.gguf"
export no_proxy='*' NO_PROXY='*' HF_ENDPOINT="http://127.0.0.1:$PORT"
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN

# The pull command when the build has one that works here, else the driver.
MODE=driver
mkdir -p "$TMP/home"
if [ "$LOCALMODEL_BENCH_DRIVER" != 1 ] && "$BIN" pull --help >/dev/null 2>&1; then
	if HOME="$TMP/home" LOCALMODEL_HOME="$TMP/lmhome" "$TMP/drv" run "$BIN" pull -q \
		"$REPO:Q4_K_M" >/dev/null 2>&1; then
		MODE=pull
	fi
fi
WHAT="localmodel"
[ "$MODE" = pull ] && WHAT="localmodel pull" || WHAT="localmodel (http_download driver)"

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
fmt() { printf '%.2f' "$1"; }
fault() { curl -sf -X "$1" -d "${2:-}" "http://127.0.0.1:$PORT/_mock/fault" >/dev/null; }
best() { sort -n | head -n 1; }

time_curl() {
	rm -f "$TMP/curl.out"
	t0=$(now)
	curl -sfL -o "$TMP/curl.out" "$URL"
	t1=$(now)
	calc "$t1 - $t0"
}

# time_localmodel -> "<seconds> <peak KiB>", a fresh download each time.
# The pull keeps its LOCALMODEL_HOME (the database made by the first pull
# above, as on any machine after its first run) but not the model.
time_localmodel() {
	rm -rf "$TMP/lm.part" "$TMP/lm.part.state" "$TMP/lmhome/models"
	mkdir -p "$TMP/home"
	if [ "$MODE" = pull ]; then
		HOME="$TMP/home" LOCALMODEL_HOME="$TMP/lmhome" "$TMP/drv" run "$BIN" pull -q "$REPO:Q4_K_M"
	else
		"$TMP/drv" dl "$URL" "$TMP/lm.part" "$SIZE" "$SHA"
	fi
}

# runs LABEL: RUNS timings of localmodel into $TMP/LABEL, peak RSS into rss_LABEL
runs() {
	: >"$TMP/$1"
	peak=0
	for _ in $(seq "$RUNS"); do
		line=$(time_localmodel)
		echo "${line% *}" >>"$TMP/$1"
		r=${line#* }
		[ "$r" -gt "$peak" ] && peak=$r
	done
	eval "rss_$1=$peak"
}

# (a) throttled: curl once (it takes SIZE / 40 MB/s)
fault POST '{"action": "throttle", "rate": 40000000, "server": "cdn"}'
c_a=$(time_curl)
runs a
l_a=$(best <"$TMP/a")
echo "pull-throttled: $WHAT $(fmt "$l_a") s, curl $(fmt "$c_a") s, ratio $(fmt "$(calc "$c_a / $l_a")")x (target >= 10x)"

# (b) unthrottled, curl and localmodel in turn
fault DELETE
: >"$TMP/c_b"
: >"$TMP/b"
rss_b=0
for _ in $(seq "$RUNS"); do
	time_curl >>"$TMP/c_b"
	line=$(time_localmodel)
	echo "${line% *}" >>"$TMP/b"
	r=${line#* }
	[ "$r" -gt "$rss_b" ] && rss_b=$r
done
c_b=$(best <"$TMP/c_b")
l_b=$(best <"$TMP/b")
echo "pull-unthrottled: $WHAT $(fmt "$l_b") s, curl $(fmt "$c_b") s, ratio $(fmt "$(calc "$c_b / $l_b")")x (target >= 0.9x)"

# (c) peak RSS over every run above
rss=$rss_a
[ "$rss_b" -gt "$rss" ] && rss=$rss_b
echo "pull-peak-rss: $WHAT $(fmt "$(calc "$rss / 1024")") MB for a $SIZE_MB MiB file (target < 40 MB)"
cleanup
trap - EXIT
exit 0
