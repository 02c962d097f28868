#!/bin/sh
test_description='pull: the same split model pulled by three processes at once'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

mkdir -p repos/org/split
python3 "$FIXTURES/mkgguf.py" repos/org/split/s-Q4_K_M.gguf --split-count 3 \
	--data-bytes 1000000 >/dev/null
random_fill repos/org/split/s-Q4_K_M-0000[123]-of-00003.gguf
TOTAL=$(cat repos/org/split/*.gguf | wc -c)

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl --throttle 2000000 >/dev/null || exit 1
H=http://127.0.0.1:$(cat hub.port)
export HF_ENDPOINT=$H LOCALMODEL_HTTP_BACKOFF_MS=20
M=$LOCALMODEL_HOME/models/org/split
DB=$LOCALMODEL_HOME/localmodel.db

same() {
	for p in 1 2 3; do
		cmp "$M/s-Q4_K_M-0000$p-of-00003.gguf" repos/org/split/s-Q4_K_M-0000$p-of-00003.gguf || return 1
	done
}

test_expect_success 'three pulls at once: all succeed, every byte fetched once, one row' '
	{ localmodel pull org/split >o1 2>e1 & } &&
	p1=$! &&
	{ localmodel pull org/split >o2 2>e2 & } &&
	p2=$! &&
	{ localmodel pull org/split >o3 2>e3 & } &&
	p3=$! &&
	rc=0 &&
	{ wait $p1 || rc=1; } &&
	{ wait $p2 || rc=1; } &&
	{ wait $p3 || rc=1; } &&
	cat e1 e2 e3 &&
	test $rc = 0 &&
	same &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory")" = 1 &&
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok &&
	sent=$(cdn_bytes) &&
	i=0 &&
	while [ "$sent" -lt "$TOTAL" ] && [ $i -lt 40 ]; do
		# the mock logs a request once its handler returns: give it a moment
		sleep 0.05
		sent=$(cdn_bytes)
		i=$((i + 1))
	done &&
	echo "CDN sent $sent bytes for $TOTAL" &&
	test "$sent" = "$TOTAL" &&
	test -z "$(ls "$M" | grep -v "\.gguf$")"
'

test_expect_success 'two pulls at once, one killed -9 midway: the other still ends verified' '
	localmodel models rm org/split:Q4_K_M >/dev/null &&
	{ localmodel pull org/split >o1 2>e1 & } &&
	p1=$! &&
	{ localmodel pull org/split >o2 2>e2 & } &&
	p2=$! &&
	sleep 0.5 &&
	kill -9 $p1 &&
	{ wait $p1 || :; } &&
	wait $p2 &&
	same &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory")" = 1
'

test_expect_success 'a pull racing models rm of the same model: no unverified file, store sound' '
	localmodel models rm org/split:Q4_K_M >/dev/null &&
	{ localmodel pull org/split >o1 2>e1 & } &&
	p1=$! &&
	# the rm lands while the pull is writing, however slow the machine is
	wait_until 20 "ls \"\$M\" 2>/dev/null | grep -q part" &&
	{ localmodel models rm org/split:Q4_K_M >o2 2>e2 || :; } &&
	{ rc=0 && wait $p1 || rc=$?; } &&
	echo "pull exit $rc; rm: $(cat e2 o2)" &&
	for p in 1 2 3; do
		f=$M/s-Q4_K_M-0000$p-of-00003.gguf
		if [ -e "$f" ]; then cmp "$f" repos/org/split/s-Q4_K_M-0000$p-of-00003.gguf || exit 1; fi
	done &&
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok &&
	localmodel pull org/split >o3 2>e3 &&
	same
'

test_done
