#!/bin/sh
test_description='pull: two pulls of the same file never write the same partial file'
. "$(dirname "$0")/lib.sh"

mkdir -p repos/org/big
python3 "$FIXTURES/mkgguf.py" repos/org/big/big-Q4_K_M.gguf --data-bytes 3000000 >/dev/null
SIZE=$(wc -c <repos/org/big/big-Q4_K_M.gguf)

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl --throttle 1000000 >/dev/null || exit 1
P=$(cat hub.port)
export HF_ENDPOINT=http://127.0.0.1:$P
F=$LOCALMODEL_HOME/models/org/big/big-Q4_K_M.gguf


test_expect_success 'the second pull waits for the first, then finds the file' '
	{ localmodel pull org/big >out1 2>err1 & } &&
	pid=$! &&
	i=0 && while [ ! -e "$F.part" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done &&
	test -e "$F.part" &&
	localmodel pull org/big >out2 2>err2 &&
	wait $pid &&
	test_grep "being downloaded by another localmodel" err2 &&
	test_grep "already present" out2 &&
	cmp "$F" repos/org/big/big-Q4_K_M.gguf &&
	test "$(cdn_bytes)" = "$SIZE"
'

test_expect_success 'the inventory has the model once' '
	test "$(sqlite3 "$LOCALMODEL_HOME/localmodel.db" "SELECT count(*) FROM model_inventory")" = 1
'

test_expect_success 'Ctrl-C while waiting: exit 1, the first pull goes on' '
	localmodel models rm org/big:Q4_K_M >/dev/null &&
	{ localmodel pull org/big >out3 2>err3 & } &&
	pid=$! &&
	wait_until 10 "test -e \"\$F.part\"" &&
	{ localmodel pull org/big >out4 2>err4 & } &&
	pid2=$! &&
	wait_until 10 "grep -q waiting err4" &&
	kill -INT $pid2 &&
	{ rc=0 && wait $pid2 || rc=$?; } &&
	test "$rc" = 1 &&
	test_grep "interrupted" err4 &&
	test_grep -v "already present" out4 &&
	wait $pid &&
	cmp "$F" repos/org/big/big-Q4_K_M.gguf
'

test_done
