#!/bin/sh
# pull-speed: `localmodel pull` (sha256 verification and inventory record
# included) against the mock Hub + CDN (tests/fixtures/mockhub.py), each
# figure beside references measured in the same run on the same mock:
#   curl       `curl -sfL -o` of the same file(s), one after another
#   aria2c     `aria2c -x16 -s16` (when installed; else "not installed")
#   ceiling    16 `curl -r` ranges of the file started together; for the
#              throttled run also the per-connection limit x 16
# Figures:
#   throttled  256 MiB, CDN limited to 40 MB/s per connection
#              (target: >= 85% of 16 x 40 MB/s)
#   unthrottled 256 MiB on loopback (target: >= 0.95x curl)
#   small      one 223 KB GGUF (target: within 2x curl)
#   split      a 3-part split model, 3 x 32 MiB (target: within 1.3x curl
#              fetching the three files one after another)
#   rss        peak RSS of the 256 MiB pulls (target: < 40 MB)
# Every time is the median of RUNS runs (default 5), with min-max beside
# it: the machine's other load makes single runs noisy. Times come from
# wait4 around the process (posix_spawn), so they include start-up.
# Usage: sh scripts/bench/pull-speed.sh   (after `make`; BUILD=build by default)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${BUILD:=build}"
: "${CC:=cc}"
: "${SIZE_MB:=256}"
: "${RUNS:=5}"
: "${RATE:=40000000}"
: "${CONNS:=16}"
BIN=$SRC/$BUILD/localmodel
[ -x "$BIN" ] || { echo "pull-speed: build first (make)" >&2; exit 1; }
command -v curl >/dev/null || { echo "pull-speed: curl is needed" >&2; exit 1; }
ARIA=$(command -v aria2c || :)

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

# repos: one big file, one small file, one split model
BIG=bench/big-GGUF
SMALL=bench/small-GGUF
SPLIT=bench/split-GGUF
mkdir -p "$TMP/repos/$BIG" "$TMP/repos/$SMALL" "$TMP/repos/$SPLIT"
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$TMP/repos/$BIG/big-Q4_K_M.gguf"
head -c 223000 /dev/urandom >"$TMP/repos/$SMALL/small-Q4_K_M.gguf"
for i in 1 2 3; do
	head -c $((32 * 1024 * 1024)) /dev/urandom \
		>"$TMP/repos/$SPLIT/split-Q4_K_M-0000$i-of-00003.gguf"
done
SIZE=$((SIZE_MB * 1024 * 1024))

# drv CMD...: run a command, print "<seconds> <peak RSS KiB>"
cat >"$TMP/drv.c" <<'CEOF'
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
int main(int argc, char **argv)
{
	pid_t pid;
	int st;
	struct rusage ru;
	double t0 = now();
	if (argc < 2 || posix_spawnp(&pid, argv[1], NULL, NULL, argv + 1, environ))
		return 1;
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	printf("%.4f %ld\n", now() - t0, ru.ru_maxrss);
	return 0;
}
CEOF
$CC -O2 -o "$TMP/drv" "$TMP/drv.c"

python3 "$SRC/tests/fixtures/mockhub.py" --repos "$TMP/repos" --port-file "$TMP/hub.port" \
	--cdn-port-file "$TMP/cdn.port" --lifetime 3600 >"$TMP/hub.log" 2>&1 &
HUB_PID=$!
i=0
while [ ! -s "$TMP/hub.port" ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$TMP/hub.port" ] || { cat "$TMP/hub.log" >&2; exit 1; }
PORT=$(cat "$TMP/hub.port")
H="http://127.0.0.1:$PORT"
export no_proxy='*' NO_PROXY='*' HF_ENDPOINT="$H"
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN
mkdir -p "$TMP/home"
export HOME="$TMP/home" LOCALMODEL_HOME="$TMP/lmhome"

calc() { awk "BEGIN { print $1 }"; }
fmt() { printf '%.3f' "$1"; }
fault() { curl -sf -X "$1" -d "${2:-}" "$H/_mock/fault" >/dev/null; }
# stats FILE -> "median min max"
stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[1], v[NR] }'; }
med() { stats "$1" | cut -d' ' -f1; }
spread() { stats "$1" | awk '{ printf "%.3f s (%.3f-%.3f)", $1, $2, $3 }'; }
url() { echo "$H/$1/resolve/main/$2"; }

# the pull command works here (also creates the database: later pulls run
# as on any machine after its first one)
"$BIN" pull -q "$SMALL:Q4_K_M" >/dev/null
PEAK=0

# t_pull LABEL SPEC: one pull of SPEC (its model removed first)
t_pull() {
	rm -rf "$LOCALMODEL_HOME/models"
	line=$("$TMP/drv" "$BIN" pull -q "$2")
	echo "${line% *}" >>"$TMP/$1"
	r=${line#* }
	[ "$r" -le "$PEAK" ] || PEAK=$r
}
# t_curl LABEL URL...: curl fetching the URLs one after another
t_curl() {
	l=$1
	shift
	set -- $(for u in "$@"; do printf '%s -o %s/c.%s ' "$u" "$TMP" "${u##*/}"; done)
	line=$("$TMP/drv" curl -sfL "$@")
	rm -f "$TMP"/c.*
	echo "${line% *}" >>"$TMP/$l"
}
# t_aria LABEL URL
t_aria() {
	if [ -z "$ARIA" ]; then
		return 0
	fi
	line=$("$TMP/drv" aria2c -q -x16 -s16 -k1M --file-allocation=none --allow-overwrite=true \
		--auto-file-renaming=false -d "$TMP" -o a.out "$2")
	rm -f "$TMP/a.out"
	echo "${line% *}" >>"$TMP/$1"
}
# t_ranges LABEL URL: CONNS `curl -r` processes started together
t_ranges() {
	part=$(((SIZE + CONNS - 1) / CONNS))
	t0=$(date +%s.%N)
	k=0
	pids=""
	while [ $k -lt "$CONNS" ]; do
		a=$((k * part))
		b=$((a + part - 1))
		[ $b -lt $SIZE ] || b=$((SIZE - 1))
		curl -sfL -r "$a-$b" -o "$TMP/r.$k" "$2" &
		pids="$pids $!"
		k=$((k + 1))
	done
	for p in $pids; do wait "$p"; done
	t1=$(date +%s.%N)
	rm -f "$TMP"/r.*
	calc "$t1 - $t0" >>"$TMP/$1"
}
aria_txt() {
	if [ -z "$ARIA" ]; then
		echo "aria2c -x16 not installed"
	else
		echo "aria2c -x16 $(spread "$TMP/$1"), ratio $(fmt "$(calc "$(med "$TMP/$1") / $2")")x"
	fi
}

BIGURL=$(url "$BIG" big-Q4_K_M.gguf)
SMALLURL=$(url "$SMALL" small-Q4_K_M.gguf)
S1=$(url "$SPLIT" split-Q4_K_M-00001-of-00003.gguf)
S2=$(url "$SPLIT" split-Q4_K_M-00002-of-00003.gguf)
S3=$(url "$SPLIT" split-Q4_K_M-00003-of-00003.gguf)

# (a) throttled per connection on the CDN; curl once (SIZE / RATE is long)
fault POST "{\"action\": \"throttle\", \"rate\": $RATE, \"server\": \"cdn\"}"
t_curl a_curl "$BIGURL"
for _ in $(seq "$RUNS"); do
	t_pull a "$BIG:Q4_K_M"
	t_aria a_aria "$BIGURL"
	t_ranges a_ranges "$BIGURL"
done
ceil=$(calc "$SIZE / ($RATE * $CONNS)")
la=$(med "$TMP/a")
echo "pull-throttled: localmodel $(spread "$TMP/a") for $SIZE_MB MiB at $((RATE / 1000000)) MB/s" \
	"per connection; limit x $CONNS $(fmt "$ceil") s: $(calc "int($ceil / $la * 100 + 0.5)")%" \
	"(target >= 85%); $CONNS curl -r $(spread "$TMP/a_ranges");" \
	"$(aria_txt a_aria "$la"); curl $(spread "$TMP/a_curl"), ratio" \
	"$(fmt "$(calc "$(med "$TMP/a_curl") / $la")")x"

# (b) unthrottled; the references in turn with localmodel
fault DELETE
for _ in $(seq "$RUNS"); do
	t_curl b_curl "$BIGURL"
	t_pull b "$BIG:Q4_K_M"
	t_aria b_aria "$BIGURL"
	t_ranges b_ranges "$BIGURL"
done
lb=$(med "$TMP/b")
echo "pull-unthrottled: localmodel $(spread "$TMP/b"), curl $(spread "$TMP/b_curl"), ratio" \
	"$(fmt "$(calc "$(med "$TMP/b_curl") / $lb")")x (target >= 0.95x);" \
	"$(aria_txt b_aria "$lb"); ceiling $CONNS curl -r $(spread "$TMP/b_ranges")"

# (c) a small file
for _ in $(seq "$RUNS"); do
	t_curl c_curl "$SMALLURL"
	t_pull c "$SMALL:Q4_K_M"
done
lc=$(med "$TMP/c")
echo "pull-small: localmodel $(spread "$TMP/c") for 223 KB, curl $(spread "$TMP/c_curl")," \
	"localmodel/curl $(fmt "$(calc "$lc / $(med "$TMP/c_curl")")") (target <= 2)"

# (d) a split model against curl fetching its parts one after another
for _ in $(seq "$RUNS"); do
	t_curl d_curl "$S1" "$S2" "$S3"
	t_pull d "$SPLIT:Q4_K_M"
done
ld=$(med "$TMP/d")
echo "pull-split: localmodel $(spread "$TMP/d") for 3 x 32 MiB, curl one after another" \
	"$(spread "$TMP/d_curl"), localmodel/curl $(fmt "$(calc "$ld / $(med "$TMP/d_curl")")")" \
	"(target <= 1.3)"

echo "pull-peak-rss: localmodel $(fmt "$(calc "$PEAK / 1024")") MB at most (target < 40 MB)"
cleanup
trap - EXIT
exit 0
