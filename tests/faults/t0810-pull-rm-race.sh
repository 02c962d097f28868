#!/bin/sh
test_description='pull racing models rm of the same model: the file and its row end together'
. "$(dirname "$0")/../e2e/lib.sh"

mkdir -p repos/org/race
python3 "$FIXTURES/mkgguf.py" repos/org/race/race-Q4_K_M.gguf --data-bytes 200000 >/dev/null

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
export HF_ENDPOINT=http://127.0.0.1:$(cat hub.port)
DB=$LOCALMODEL_HOME/localmodel.db
F=$LOCALMODEL_HOME/models/org/race/race-Q4_K_M.gguf
rows() { sqlite3 -cmd '.timeout 5000' "$DB" "SELECT COUNT(*) FROM model_inventory WHERE model = '$1'"; }

test_expect_success 'setup: the model is pulled' '
	localmodel pull -q org/race:Q4_K_M &&
	test "$(rows org/race:Q4_K_M)" = 1
'

# models rm pauses 400 ms between its steps (rename aside, check again,
# drop the rows, unlink); a pull of the same model starts once the file is
# renamed aside, downloads it again and must not write its row before the
# deletion is over (the deletion would drop it and leave the new file
# without one)
test_expect_success 'a pull during a models rm records its row after the deletion' '
	{ LOCALMODEL_TEST_DELETE_PAUSE_US=400000 localmodel models rm org/race:Q4_K_M >rm.out 2>&1 & } &&
	rm_pid=$! &&
	i=0 && while [ ! -e "$F.lm-deleting" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done &&
	test -e "$F.lm-deleting" &&
	localmodel pull -q org/race:Q4_K_M &&
	wait $rm_pid &&
	cmp "$F" repos/org/race/race-Q4_K_M.gguf &&
	test "$(rows org/race:Q4_K_M)" = 1 &&
	test ! -e "$F.lm-deleting" &&
	localmodel models --json >m.json &&
	test "$(json_get m.json "[\"models\"][0][\"name\"]")" = org/race:Q4_K_M
'

test_done
