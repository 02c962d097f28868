#!/bin/sh
test_description='pull: a CDN connection that stalls past the 30 s limit is dropped and resumed'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

mkdir -p repos/org/m
python3 "$FIXTURES/mkgguf.py" repos/org/m/m-Q4_K_M.gguf --data-bytes 1500000 >/dev/null
random_fill repos/org/m/m-Q4_K_M.gguf
WANT=$(sha256sum repos/org/m/m-Q4_K_M.gguf | cut -c1-64)

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl >/dev/null || exit 1
H=http://127.0.0.1:$(cat hub.port)
export HF_ENDPOINT=$H LOCALMODEL_HTTP_BACKOFF_MS=20
F=$LOCALMODEL_HOME/models/org/m/m-Q4_K_M.gguf

fault() { curl -sf -X POST --data "$1" "$H/_mock/fault" >/dev/null; }

# The stall limit is 30 s (http.c, not configurable): this case costs ~31 s.
test_expect_success 'a stall of 45 s: aborted after ~30 s, resumed, verified, bounded' '
	fault "{\"action\": \"stall\", \"after\": 100000, \"seconds\": 45, \"count\": 1, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	start=$(date +%s) &&
	timeout 50 localmodel pull org/m --connections 1 >out 2>err &&
	secs=$(($(date +%s) - start)) &&
	echo "pull took $secs s" &&
	test "$secs" -ge 29 && test "$secs" -lt 45 &&
	test "$(sha256sum "$F" | cut -c1-64)" = "$WANT" &&
	test ! -e "$F.part"
'

test_done
