#!/bin/sh
test_description='serve a .gguf path: readiness, endpoint, flags passed, status, stop'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" FAKE_LLAMA_ARGS_FILE="$TRASH/args"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# http_get URL [KEY]: prints the status line, then the body
http_get() {
	python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    req.add_header("Authorization", "Bearer " + sys.argv[2])
try:
    r = urllib.request.urlopen(req, timeout=5)
    print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
PY
}
# heads 32 wide, so that the default q8_0 KV cache applies
python3 "$FIXTURES/mkgguf.py" "$TRASH/tiny.gguf" --embd 128 --heads 4 --heads-kv 2 >/dev/null
PORT=$(free_port)

test_expect_success 'serve returns once /health answers, printing endpoint and alias' '
	FAKE_LLAMA_LOAD_MS=300 localmodel serve ./tiny.gguf --port $PORT >out 2>err &&
	test_grep "at http://127.0.0.1:$PORT/v1 as \"tiny\"" out &&
	http_get http://127.0.0.1:$PORT/health >h &&
	test "$(head -n 1 h)" = 200
'

test_expect_success 'llama-server got the documented defaults' '
	{ printf " "; tr "\n" " " <args; } >flat &&
	test_grep " -m $TRASH/tiny.gguf " flat &&
	test_grep " --port $PORT " flat &&
	test_grep " --host 127.0.0.1 " flat &&
	test_grep " -c [0-9][0-9]* " flat &&
	test_grep " -ngl [a-z0-9]* " flat &&
	test_grep " -fa auto " flat &&
	test_grep " -ctk q8_0 -ctv q8_0 " flat &&
	test_grep " --jinja " flat &&
	test_grep " --metrics " flat &&
	test_grep " --alias tiny " flat &&
	test_grep -v " --api-key" flat
'

test_expect_success 'status --json describes the server' '
	localmodel status --json >st.json &&
	json_valid st.json &&
	test "$(json_get st.json "[\"servers\"][0][\"port\"]")" = $PORT &&
	test "$(json_get st.json "[\"servers\"][0][\"model\"]")" = "$TRASH/tiny.gguf" &&
	test "$(json_get st.json "[\"servers\"][0][\"endpoint\"]")" = "http://127.0.0.1:$PORT/v1" &&
	test "$(json_get st.json "[\"servers\"][0][\"health\"]")" = ok &&
	test "$(json_get st.json "[\"servers\"][0][\"restarts\"]")" = 0 &&
	test "$(json_get st.json "[\"servers\"][0][\"busy_slots\"]")" = 0 &&
	pid=$(json_get st.json "[\"servers\"][0][\"pid\"]") &&
	child=$(json_get st.json "[\"servers\"][0][\"child_pid\"]") &&
	kill -0 $pid && kill -0 $child &&
	rss=$(json_get st.json "[\"servers\"][0][\"rss_bytes\"]") &&
	test "$rss" -gt 1000000 &&
	for k in host uptime_s requests; do
		json_get st.json "[\"servers\"][0][\"$k\"]" >/dev/null || exit 1
	done &&
	json_get st.json "[\"hardware\"]" >/dev/null &&
	json_get st.json "[\"runtime\"]" >/dev/null
'

test_expect_success 'the run directory is private and records pids with start times' '
	test "$(stat -c %a "$LOCALMODEL_HOME/run")" = 700 &&
	test "$(stat -c %a "$LOCALMODEL_HOME/run/server-$PORT.state")" = 600 &&
	test_grep "^supervisor_start=[0-9]" "$LOCALMODEL_HOME/run/server-$PORT.state" &&
	test_grep "^child_start=[0-9]" "$LOCALMODEL_HOME/run/server-$PORT.state"
'

test_expect_success 'the supervisor has its own session and the child dies with it' '
	pid=$(json_get st.json "[\"servers\"][0][\"pid\"]") &&
	test "$(ps -o sid= -p $pid | tr -d " ")" = $pid &&
	child=$(json_get st.json "[\"servers\"][0][\"child_pid\"]") &&
	test "$(ps -o ppid= -p $child | tr -d " ")" = $pid
'

test_expect_success 'descriptors of the caller do not leak into supervisor or child' '
	localmodel stop >/dev/null &&
	localmodel serve ./tiny.gguf --port $PORT >/dev/null 7>"$TRASH/leak" &&
	localmodel status --json >st.json &&
	for p in $(json_get st.json "[\"servers\"][0][\"pid\"]") $(json_get st.json "[\"servers\"][0][\"child_pid\"]"); do
		ls -l /proc/$p/fd >fds &&
		test_grep -v "$TRASH/leak" fds || exit 1
	done
'

test_expect_success 'requests are served and counted' '
	python3 -c "
import json, urllib.request
for i in range(3):
    req = urllib.request.Request(\"http://127.0.0.1:$PORT/v1/chat/completions\",
        data=json.dumps({\"messages\": [{\"role\": \"user\", \"content\": \"hi %d\" % i}]}).encode(),
        headers={\"Content-Type\": \"application/json\"})
    d = json.load(urllib.request.urlopen(req, timeout=5))
    assert d[\"usage\"][\"completion_tokens\"] == 5, d
" &&
	sleep 1.5 &&
	localmodel status --json >st2.json &&
	test "$(json_get st2.json "[\"servers\"][0][\"requests\"]")" = 3 &&
	test "$(json_get st2.json "[\"servers\"][0][\"tokens_out\"]")" = 15
'

test_expect_success 'text status shows a table row for the server' '
	localmodel status >st.txt &&
	test_grep "MODEL *ENDPOINT" st.txt &&
	test_grep "http://127.0.0.1:$PORT/v1 .* ok " st.txt
'

test_expect_success 'the log holds the child output' '
	test_grep "llama_server: listening on http://127.0.0.1:$PORT" "$LOCALMODEL_HOME/logs/server-$PORT.log" &&
	test_grep "slot print_timing" "$LOCALMODEL_HOME/logs/server-$PORT.log"
'

test_expect_success 'stop ends supervisor and child and closes the session' '
	pid=$(json_get st.json "[\"servers\"][0][\"pid\"]") &&
	child=$(json_get st.json "[\"servers\"][0][\"child_pid\"]") &&
	localmodel stop >out &&
	test_grep "stopped .*tiny.gguf on port $PORT" out &&
	! alive $pid && ! alive $child &&
	test ! -e "$LOCALMODEL_HOME/run/server-$PORT.state" &&
	localmodel status --json >st3.json &&
	test "$(json_get st3.json "[\"servers\"]")" = "[]" &&
	python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute(\"select ended_at, end_reason from sessions\").fetchall()
assert len(rows) == 2 and all(r[0] and r[1] == \"stopped\" for r in rows), rows
" "$LOCALMODEL_HOME/localmodel.db"
'

test_expect_success 'stop with nothing running exits 4' '
	test_expect_code 4 localmodel stop 2>err &&
	test_grep "no server is running" err
'

test_expect_success '--foreground runs the supervisor until SIGTERM' '
	( localmodel serve ./tiny.gguf --port $PORT --foreground >fg.out 2>fg.err & echo $! >fg.pid; wait ) &
	wait_until 5 "grep -q serving fg.out 2>/dev/null" &&
	test_grep "at http://127.0.0.1:$PORT/v1" fg.out &&
	localmodel status --json >fg.json &&
	test "$(json_get fg.json "[\"servers\"][0][\"pid\"]")" = "$(cat fg.pid)" &&
	kill -TERM $(cat fg.pid) &&
	wait_until 5 "! alive $(cat fg.pid)"
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 localmodel serve ./tiny.gguf --ctx lots 2>err &&
	test_grep "ctx" err &&
	test_expect_code 2 localmodel serve ./tiny.gguf --flash-attn maybe 2>err &&
	test_expect_code 2 localmodel serve ./tiny.gguf --kv-cache q9 2>err &&
	test_expect_code 2 localmodel serve --all ./tiny.gguf 2>err &&
	test_expect_code 2 localmodel serve ./tiny.gguf --max-loaded 2 2>err
'

test_done
