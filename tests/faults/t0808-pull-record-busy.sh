#!/bin/sh
test_description='pull: the record step waits longer for a busy database, else says the file is complete and a second pull records it'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

mkdir -p repos/org/a repos/org/b
python3 "$FIXTURES/mkgguf.py" repos/org/a/a-Q4_K_M.gguf --name busy-a >/dev/null
python3 "$FIXTURES/mkgguf.py" repos/org/b/b-Q4_K_M.gguf --name busy-b >/dev/null
# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl >/dev/null || exit 1
export HF_ENDPOINT=http://127.0.0.1:$(cat hub.port) LOCALMODEL_HTTP_BACKOFF_MS=20
H=$LOCALMODEL_HOME
DB=$H/localmodel.db
M=$H/models

# lock SECONDS: hold a write transaction in the background; returns once held
lock() {
	rm -f locked
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
c.execute("UPDATE model_inventory SET size_bytes = size_bytes")
open(sys.argv[2], "w").write("locked")
time.sleep(float(sys.argv[3]))
c.execute("COMMIT")
' "$DB" locked "$1" &
	lpid=$!
	test_pids="$test_pids $lpid"
	wait_until 5 "test -s locked"
}
unlock() { kill $lpid 2>/dev/null; wait $lpid 2>/dev/null; return 0; }
rows() { sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = '$1'"; }
# cdn_gets: requests the CDN served so far (the file bodies)
cdn_gets() { grep -c '"server": "cdn"' req.jsonl || true; }

test_expect_success 'setup: a database' '
	test_expect_code 4 localmodel stop 2>/dev/null &&
	test -f "$DB"
'

test_expect_success 'a lock held past the open timeout (5 s) but not the record wait: recorded' '
	lock 7 &&
	localmodel pull org/a >out 2>err &&
	unlock &&
	test "$(rows org/a)" = 1 &&
	cmp "$M/org/a/a-Q4_K_M.gguf" repos/org/a/a-Q4_K_M.gguf
'

test_expect_success 'a lock past the record wait: exit 1, says the file is complete and how to record it' '
	lock 8 &&
	test_expect_code 1 env LOCALMODEL_TEST_RECORD_BUSY_MS=1000 localmodel pull org/b >out 2>err &&
	unlock &&
	test "$(wc -l <err)" = 1 &&
	test_grep "locked" err &&
	test_grep "is complete: run the same pull again to record it" err &&
	test_grep "$M/org/b/b-Q4_K_M.gguf" err &&
	cmp "$M/org/b/b-Q4_K_M.gguf" repos/org/b/b-Q4_K_M.gguf &&
	test "$(rows org/b)" = 0
'

test_expect_success 'the same pull again records it without downloading again' '
	n=$(cdn_gets) &&
	test "$n" -ge 1 &&
	localmodel pull org/b >out 2>err &&
	test_grep "already present" out &&
	test "$(rows org/b)" = 1 &&
	test "$(cdn_gets)" = "$n"
'

test_done
