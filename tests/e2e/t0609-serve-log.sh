#!/bin/sh
test_description='the server log: rotation, usage rows per request, a newer runtime'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" LOCALMODEL_LOG_MAX_BYTES=2048
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# requests PORT N: N chat requests
requests() {
	python3 - "$@" <<'PY'
import json, sys, urllib.request
for i in range(int(sys.argv[2])):
    req = urllib.request.Request("http://127.0.0.1:%s/v1/chat/completions" % sys.argv[1],
        data=json.dumps({"messages": [{"role": "user", "content": "question %d" % i}]}).encode(),
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()
PY
}
python3 "$FIXTURES/mkgguf.py" "$TRASH/tiny.gguf" >/dev/null
PORT=$(free_port)
LOG="$LOCALMODEL_HOME/logs/server-$PORT.log"

test_expect_success 'the log rotates at the size limit, three old logs kept' '
	localmodel serve ./tiny.gguf --port $PORT >/dev/null &&
	requests $PORT 40 &&
	test -s "$LOG.1" && test -s "$LOG.3" && test ! -e "$LOG.4" &&
	test "$(stat -c %s "$LOG.1")" -lt 6000 &&
	test "$(stat -c %a "$LOG")" = 600
'

test_expect_success 'every request is a usage row of the session, none lost to rotation' '
	sleep 1.5 &&
	localmodel status --json >st.json &&
	session=$(json_get st.json "[\"servers\"][0][\"session\"]") &&
	test "$(json_get st.json "[\"servers\"][0][\"requests\"]")" = 40 &&
	python3 -c "
import sqlite3, sys
n = sqlite3.connect(sys.argv[1]).execute(\"select count(*), sum(tokens_out) from model_usage where session_id = ?\", (sys.argv[2],)).fetchone()
assert n == (40, 200), n
" "$LOCALMODEL_HOME/localmodel.db" "$session" &&
	localmodel stop >/dev/null
'

test_expect_success 'status tells when runtime/current moved to another build' '
	for b in b1 b2; do
		mkdir -p "$LOCALMODEL_HOME/runtime/$b-cpu" &&
		cp "$FIXTURES/fake-llama-server" "$LOCALMODEL_HOME/runtime/$b-cpu/llama-server" || exit 1
	done &&
	ln -s b1-cpu "$LOCALMODEL_HOME/runtime/current" &&
	(unset LOCALMODEL_LLAMA_SERVER; localmodel serve ./tiny.gguf --port $PORT >/dev/null) &&
	(unset LOCALMODEL_LLAMA_SERVER; localmodel status --json) >st.json &&
	test "$(json_get st.json "[\"servers\"][0][\"runtime_outdated\"]")" = false &&
	test "$(json_get st.json "[\"runtime\"][\"restart_needed\"]")" = false &&
	ln -sfn b2-cpu "$LOCALMODEL_HOME/runtime/current" &&
	(unset LOCALMODEL_LLAMA_SERVER; localmodel status --json) >st.json &&
	test "$(json_get st.json "[\"servers\"][0][\"runtime_outdated\"]")" = true &&
	test "$(json_get st.json "[\"runtime\"][\"restart_needed\"]")" = true &&
	(unset LOCALMODEL_LLAMA_SERVER; localmodel status) >st.txt &&
	test_grep "runs an older llama-server" st.txt &&
	localmodel stop >/dev/null
'

test_done
