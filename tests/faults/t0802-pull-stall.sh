#!/bin/sh
test_description='pull: a CDN connection that stalls past the stall limit is dropped and resumed'
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
# the stall limit is 30 s; the test knob LOCALMODEL_HTTP_STALL_S makes it 2 s
export HF_ENDPOINT=$H LOCALMODEL_HTTP_BACKOFF_MS=20 LOCALMODEL_HTTP_STALL_S=2
F=$LOCALMODEL_HOME/models/org/m/m-Q4_K_M.gguf

test_expect_success 'a stall of 30 s: aborted after the 2 s limit, resumed, verified, bounded' '
	fault "{\"action\": \"stall\", \"after\": 100000, \"seconds\": 30, \"count\": 1, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	start=$(date +%s) &&
	timeout 40 localmodel pull org/m --connections 1 >out 2>err &&
	secs=$(($(date +%s) - start)) &&
	echo "pull took $secs s" &&
	test "$secs" -ge 2 && test "$secs" -lt 25 &&
	test "$(sha "$F")" = "$WANT" &&
	test ! -e "$F.part"
'

test_done
