#!/bin/sh
# pull.sh: `localmodel pull` of a 256 MiB GGUF from the mock Hub + CDN, hash
# verification included, against `curl -L -o` of the same resolve URL in the
# same run: throttled to 40 MB/s per connection, then unthrottled. Prints one
# line per figure with the reference and the ratio, and the peak RSS of the pull.
set -eu
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${LOCALMODEL_BIN:-$SRC_DIR/localmodel}
SIZE_MB=${BENCH_SIZE_MB:-256}
W=$(mktemp -d "${TMPDIR:-/tmp}/lm-bench-pull.XXXXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM

mkdir -p "$W/repos/bench/big"
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$W/repos/bench/big/big-Q4_K_M.gguf"
printf 'GGUF' | dd of="$W/repos/bench/big/big-Q4_K_M.gguf" conv=notrunc 2>/dev/null

now() { python3 -c 'import time; print(time.monotonic())'; }
secs() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# run LABEL THROTTLE: start the mock, time curl then localmodel
run() {
	label=$1
	rm -f "$W/hub.port"
	python3 "$SRC_DIR/tests/fixtures/mockhub.py" --repos "$W/repos" --port-file "$W/hub.port" \
		--cdn-port-file "$W/cdn.port" $2 >"$W/mock.log" 2>&1 &
	pid=$!
	i=0
	while [ ! -s "$W/hub.port" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	url=http://127.0.0.1:$(cat "$W/hub.port")
	t0=$(now)
	curl -sfL -o "$W/curl.out" "$url/bench/big/resolve/main/big-Q4_K_M.gguf"
	t1=$(now)
	rm -rf "$W/home"
	HF_ENDPOINT=$url LOCALMODEL_HOME=$W/home /usr/bin/time -f %M -o "$W/rss" \
		"$BIN" pull bench/big --quiet
	t2=$(now)
	cmp "$W/curl.out" "$W/home/models/bench/big/big-Q4_K_M.gguf"
	c=$(secs "$t0" "$t1")
	l=$(secs "$t1" "$t2")
	echo "pull-$label: localmodel $l s, curl $c s, ratio $(python3 -c "print('%.1fx' % ($c / $l))")"
	echo "pull-$label-rss: localmodel $(($(cat "$W/rss") / 1024)) MB peak RSS"
	kill "$pid"
	wait "$pid" 2>/dev/null || :
	pid=""
}

run throttled "--throttle 40000000"
run loopback ""
