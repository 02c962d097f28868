#!/bin/sh
test_description='pull: kill -9 and Ctrl-C keep the partial file; the next pull resumes it'
. "$(dirname "$0")/lib.sh"

mkdir -p repos/org/big
python3 "$FIXTURES/mkgguf.py" repos/org/big/big-Q4_K_M.gguf --data-bytes 7000000 >/dev/null
# sparse zeros compress the test's meaning away: give the data real bytes
random_fill repos/org/big/big-Q4_K_M.gguf
SIZE=$(wc -c <repos/org/big/big-Q4_K_M.gguf)

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl >/dev/null || exit 1
P=$(cat hub.port)
export HF_ENDPOINT=http://127.0.0.1:$P
F=$LOCALMODEL_HOME/models/org/big/big-Q4_K_M.gguf

# slow the CDN down to 1 MB/s per connection (the file is one 8 MiB chunk)
throttle() {
	curl -sf -X POST --data "{\"action\": \"throttle\", \"rate\": 1000000, \"server\": \"cdn\"}" \
		"$HF_ENDPOINT/_mock/fault" >/dev/null
}
unthrottle() { curl -sf -X DELETE "$HF_ENDPOINT/_mock/fault" >/dev/null; }

test_expect_success 'kill -9 mid-download: nothing at the final path, the partial kept' '
	throttle &&
	{ localmodel pull org/big >out 2>err & } &&
	pid=$! &&
	wait_until 15 "test -e \"\$F.part.state\"" &&
	kill -9 $pid &&
	{ wait $pid || :; } &&
	test ! -e "$F" &&
	test -e "$F.part"
'

test_expect_success 'the next pull resumes and verifies' '
	unthrottle && sleep 1 && : >req.jsonl &&
	# the space the partial file holds counts as available: 1 GiB + 1 MiB free is enough
	LOCALMODEL_TEST_FREE_BYTES=1074790400 localmodel pull org/big >out 2>err &&
	cmp "$F" repos/org/big/big-Q4_K_M.gguf &&
	test ! -e "$F.part" &&
	sent=$(cdn_bytes) &&
	echo "resumed: $sent of $SIZE bytes sent again" &&
	test "$sent" -lt "$SIZE"
'

test_expect_success 'Ctrl-C: exit non-zero, interrupted, partial kept; then resumed' '
	localmodel models rm org/big:Q4_K_M >/dev/null &&
	throttle &&
	{ localmodel pull org/big >out 2>err & } &&
	pid=$! &&
	wait_until 15 "test -e \"\$F.part\"" && sleep 1 &&
	kill -INT $pid &&
	{ rc=0 && wait $pid || rc=$?; } &&
	test "$rc" = 1 &&
	test_grep "interrupted" err &&
	test ! -e "$F" && test -e "$F.part" && test -e "$F.part.state" &&
	unthrottle && sleep 1 && : >req.jsonl &&
	localmodel pull org/big >out 2>err &&
	cmp "$F" repos/org/big/big-Q4_K_M.gguf &&
	test "$(cdn_bytes)" -lt "$SIZE"
'

test_expect_success 'a connection dropped mid-body is resumed within the same run' '
	localmodel models rm org/big:Q4_K_M >/dev/null &&
	curl -sf -X POST --data "{\"action\": \"drop\", \"after\": 300000, \"count\": 1, \"server\": \"cdn\"}" \
		"$HF_ENDPOINT/_mock/fault" >/dev/null &&
	localmodel pull org/big >out 2>err &&
	cmp "$F" repos/org/big/big-Q4_K_M.gguf
'

test_done
