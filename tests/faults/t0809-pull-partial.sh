#!/bin/sh
test_description='pull: a killed or disk-full download leaves a partial that models, status and cleanup show and remove'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

mkdir -p repos/org/big
python3 "$FIXTURES/mkgguf.py" repos/org/big/big-Q4_K_M.gguf --name big --data-bytes 3000000 >/dev/null
random_fill repos/org/big/big-Q4_K_M.gguf
SIZE=$(wc -c <repos/org/big/big-Q4_K_M.gguf)

cc -shared -fPIC -o failwrite.so "$FIXTURES/failwrite.c" -ldl || exit 1
# a sanitized binary wants its runtime first in the library list
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
H=http://127.0.0.1:$(cat hub.port)
export HF_ENDPOINT=$H LOCALMODEL_HTTP_BACKOFF_MS=20
M=$LOCALMODEL_HOME/models
F=$M/org/big/big-Q4_K_M.gguf
DB=$LOCALMODEL_HOME/localmodel.db

fault() { curl -sf -X POST --data "$1" "$H/_mock/fault" >/dev/null; }
clear_faults() { curl -sf -X DELETE "$H/_mock/fault" >/dev/null; }
rows() { sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = 'org/big'"; }

# kill_midway: a throttled pull, killed -9 once its resume state is written
kill_midway() {
	fault "{\"action\": \"throttle\", \"rate\": 500000, \"server\": \"cdn\"}" &&
	{ localmodel pull org/big >pull.out 2>pull.err & } &&
	pid=$! &&
	wait_until 20 "test -s \"$F.part.state\"" &&
	kill -9 $pid &&
	{ wait $pid 2>/dev/null || test $? = 137; } &&
	clear_faults
}

test_expect_success 'a pull killed midway leaves a partial file, no row, nothing at the final path' '
	kill_midway &&
	test -f "$F.part" &&
	test ! -e "$F" &&
	test "$(rows)" = 0
'

test_expect_success 'models and status show it, with bytes so far, total and age' '
	localmodel models --json >m.json &&
	python3 -c "
import json
d = {m[\"name\"]: m for m in json.load(open(\"m.json\"))[\"models\"]}
p = d[\"org/big/big-Q4_K_M.gguf\"]
assert p[\"partial\"] is True and p[\"total_bytes\"] == $SIZE, p
assert 0 < p[\"bytes\"] < $SIZE and p[\"age_seconds\"] >= 0, p
assert p[\"downloading\"] is False, p
" &&
	localmodel models >out 2>err &&
	test_grep "org/big/big-Q4_K_M.gguf (partial)" out &&
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"partials\"][0][\"name\"]")" = org/big/big-Q4_K_M.gguf &&
	test "$(json_get st.json "[\"partials\"][0][\"total_bytes\"]")" = "$SIZE"
'

test_expect_success 'pull resumes it' '
	localmodel pull org/big >out 2>err &&
	cmp "$F" repos/org/big/big-Q4_K_M.gguf &&
	test ! -e "$F.part" &&
	test "$(rows)" = 1 &&
	localmodel models --json >m.json &&
	test "$(json_get m.json "[\"models\"][0][\"partial\"]")" = false
'

test_expect_success 'killed again: cleanup --partial --yes removes only the partial' '
	localmodel models rm org/big:Q4_K_M >/dev/null &&
	kill_midway &&
	test -f "$F.part" &&
	localmodel cleanup --partial --yes --json >c.json &&
	test "$(json_get c.json "[\"deleted\"]")" = 1 &&
	test "$(json_get c.json "[\"models\"][0][\"partial\"]")" = true &&
	test ! -e "$F.part" && test ! -e "$F.part.state" && test ! -e "$F" &&
	localmodel models --json >m.json &&
	test "$(json_get m.json "[\"models\"]")" = "[]"
'

test_expect_success 'a full disk: exit 7, the error names the partial kept and how to resume or remove it' '
	{ rc=0 &&
	  LD_PRELOAD=$TRASH/failwrite.so FAILWRITE_LOG=$TRASH/fw.log FAILWRITE_AFTER=1000000 \
		FAILWRITE_MATCH=.part localmodel pull org/big >out 2>err || rc=$?; } &&
	test "$rc" = 7 &&
	test "$(wc -l <err)" = 1 &&
	test_grep "No space left on device" err &&
	test_grep "kept the partial download .*big-Q4_K_M.gguf.part" err &&
	test_grep "run the same pull to resume" err &&
	test_grep "cleanup --partial" err &&
	localmodel models --json >m.json &&
	test "$(json_get m.json "[\"models\"][0][\"partial\"]")" = true &&
	localmodel cleanup --partial --yes >out &&
	test ! -e "$F.part"
'

test_done
