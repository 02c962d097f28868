#!/bin/sh
test_description='the supervisor: restart after a crash, give up, die with it'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" LOCALMODEL_RESTART_BACKOFF_MS=50
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# field NAME: a field of the first server in status --json
field() {
	localmodel status --json >.st.json && json_get .st.json "[\"servers\"][0][\"$1\"]"
}
python3 "$FIXTURES/mkgguf.py" "$TRASH/tiny.gguf" >/dev/null
PORT=$(free_port)

test_expect_success 'kill -9 of the child: restarted, restarts counted' '
	localmodel serve ./tiny.gguf --port $PORT >/dev/null &&
	child=$(field child_pid) && sup=$(field pid) &&
	kill -9 $child &&
	wait_until 10 "[ \"\$(field restarts)\" = 1 ] && [ \"\$(field health)\" = ok ]" &&
	new=$(field child_pid) &&
	test "$new" != "$child" && alive $new &&
	test "$(field pid)" = $sup &&
	test_grep "killed by signal 9" "$LOCALMODEL_HOME/logs/server-$PORT.log" &&
	test_grep "restarting in 50 ms" "$LOCALMODEL_HOME/logs/server-$PORT.log"
'

test_expect_success 'the session records the restart' '
	python3 -c "
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(\"select restarts, child_pid from sessions where ended_at is null\").fetchall()
assert rows == [(1, int(sys.argv[2]))], rows
" "$LOCALMODEL_HOME/localmodel.db" "$(field child_pid)"
'

test_expect_success 'kill -9 of the supervisor: the child does not outlive it' '
	child=$(field child_pid) && sup=$(field pid) &&
	kill -9 $sup &&
	wait_until 10 "! alive $child" &&
	! alive $child
'

test_expect_success 'status cleans and reports the stale record' '
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"servers\"]")" = "[]" &&
	test "$(json_get st.json "[\"stale_cleaned\"][0][\"port\"]")" = $PORT &&
	test ! -e "$LOCALMODEL_HOME/run/server-$PORT.state" &&
	localmodel status --json >st2.json &&
	test "$(json_get st2.json "[\"stale_cleaned\"]")" = "[]" &&
	python3 -c "
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(\"select end_reason from sessions\").fetchall()
assert \"stale\" in rows[-1][0], rows
" "$LOCALMODEL_HOME/localmodel.db"
'

test_expect_success 'a deliberate stop is not restarted' '
	localmodel serve ./tiny.gguf --port $PORT >/dev/null &&
	sup=$(field pid) &&
	localmodel stop >/dev/null &&
	sleep 0.3 &&
	! alive $sup &&
	test "$(grep -c "started .*fake-llama-server" "$LOCALMODEL_HOME/logs/server-$PORT.log")" -ge 1 &&
	tail -n 3 "$LOCALMODEL_HOME/logs/server-$PORT.log" >tail &&
	test_grep "supervisor exits: stopped" tail &&
	test_grep -v "restarting" tail
'

test_expect_success 'five crashes in ten minutes: the supervisor gives up and says why' '
	: >"$LOCALMODEL_HOME/logs/server-$PORT.log" &&
	FAKE_LLAMA_CRASH_AFTER=0.2 localmodel --json serve ./tiny.gguf --port $PORT >out.json &&
	sup=$(json_get out.json "[\"pid\"]") &&
	wait_until 10 "! alive $sup" &&
	test_grep "gave up after 5 crashes in 10 min: llama-server was killed by signal 11" "$LOCALMODEL_HOME/logs/server-$PORT.log" &&
	test "$(grep -c "started .*fake-llama-server" "$LOCALMODEL_HOME/logs/server-$PORT.log")" = 5 &&
	test ! -e "$LOCALMODEL_HOME/run/server-$PORT.state" &&
	python3 -c "
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(\"select end_reason, restarts, ended_at from sessions\").fetchall()
r = rows[-1]
assert r[0].startswith(\"gave up after 5 crashes\") and r[1] == 4 and r[2], rows
" "$LOCALMODEL_HOME/localmodel.db"
'

test_expect_success 'the backoff doubles between restarts' '
	grep "restarting in" "$LOCALMODEL_HOME/logs/server-$PORT.log" | sed "s/.*restarting in \([0-9]*\) ms/\1/" | tr "\n" " " >delays &&
	test "$(cat delays)" = "50 100 200 400 "
'

test_expect_success 'a crash on a request restarts the child, which serves again' '
	: >"$LOCALMODEL_HOME/logs/server-$PORT.log" &&
	FAKE_LLAMA_CRASH_ON_REQUEST=1 localmodel serve ./tiny.gguf --port $PORT >/dev/null &&
	python3 -c "
import urllib.request, sys
try:
    urllib.request.urlopen(urllib.request.Request(\"http://127.0.0.1:%s/v1/chat/completions\" % sys.argv[1], data=b\"{}\"), timeout=5)
except Exception:
    pass
" $PORT &&
	wait_until 10 "[ \"\$(field restarts)\" = 1 ] && [ \"\$(field health)\" = ok ]" &&
	localmodel stop >/dev/null
'

test_done
