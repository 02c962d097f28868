#!/bin/sh
test_description='serve as real use needs it: no tokens for the server, browser safety, hung servers, slots, router names, units and keys that last'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" FAKE_LLAMA_ARGS_FILE="$TRASH/args"
export LOCALMODEL_RESTART_BACKOFF_MS=100
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# request PORT METHOD PATH [BODY] [ORIGIN]: "status acao" (acao "-" when absent)
request() {
	python3 - "$@" <<'PY'
import json, sys, urllib.request, urllib.error
port, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 and sys.argv[4] else None
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), data=body, method=method)
if body:
    req.add_header("Content-Type", "application/json")
if len(sys.argv) > 5:
    req.add_header("Origin", sys.argv[5])
try:
    r = urllib.request.urlopen(req, timeout=5)
except urllib.error.HTTPError as e:
    r = e
print(r.status, r.headers.get("Access-Control-Allow-Origin") or "-")
PY
}
chat_body() { printf '{"model": "%s", "messages": [{"role": "user", "content": "hi"}]}' "$1"; }
flat_args() { { printf " "; tr "\n" " " <args; } >flat; }
PORT=$(free_port)
for n in a u mmproj-F16; do
	python3 "$FIXTURES/mkgguf.py" "$TRASH/$n.gguf" >/dev/null
done

test_expect_success 'setup: a model, one with a tag the router would rewrite, a projector' '
	test_expect_code 3 localmodel serve --all --port $PORT 2>/dev/null &&
	add_model org/a-GGUF:Q4_K_M "$TRASH/a.gguf" &&
	add_model org/u-GGUF:UD-Q4_K_XL "$TRASH/u.gguf" &&
	add_model org/u-GGUF:mmproj-F16 "$TRASH/mmproj-F16.gguf"
'

test_expect_success 'llama-server never sees the HF or GitHub token' '
	HF_TOKEN=hf_secretsecretsecret HUGGING_FACE_HUB_TOKEN=hf_other GITHUB_TOKEN=ghp_secret \
		FAKE_LLAMA_ENV_FILE="$TRASH/env" localmodel serve org/a-GGUF:Q4_K_M --port $PORT >out &&
	test_grep "^PATH=" env &&
	test_grep -v "secret" env &&
	test_grep -v "HF_TOKEN\|HUGGING_FACE_HUB_TOKEN\|GITHUB_TOKEN" env
'

test_expect_success 'browser safety: CORS for localhost only, no /slots' '
	flat_args &&
	test_grep " --cors-origins localhost " flat &&
	test_grep " --no-slots " flat &&
	test_grep -v " --offline " flat &&
	test "$(request $PORT GET /v1/models "" http://evil.example)" = "200 -" &&
	test "$(request $PORT GET /v1/models "" http://localhost:3000)" = "200 http://localhost:3000"
'

test_expect_success 'serve and status say the context; one slot by default' '
	test_grep "^context: 4096 tokens$" out &&
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"servers\"][0][\"ctx_per_slot\"]")" = 4096 &&
	test "$(json_get st.json "[\"servers\"][0][\"last_restart\"]")" = null
'

test_expect_success 'a hung llama-server (SIGSTOP) is killed and restarted; status says why' '
	localmodel stop --all >/dev/null &&
	LOCALMODEL_HEALTH_INTERVAL_MS=300 localmodel serve org/a-GGUF:Q4_K_M --port $PORT >/dev/null &&
	localmodel status --json >st.json &&
	old=$(json_get st.json "[\"servers\"][0][\"child_pid\"]") &&
	kill -STOP "$old" &&
	i=0 &&
	while [ $i -lt 300 ]; do
		localmodel status --json >st.json &&
		new=$(json_get st.json "[\"servers\"][0][\"child_pid\"]") &&
		if [ "$new" != None ] && [ "$new" != null ] && [ "$new" != "$old" ] &&
		   [ "$(json_get st.json "[\"servers\"][0][\"health\"]")" = ok ]; then break; fi &&
		sleep 0.1 &&
		i=$((i + 1))
	done &&
	test "$new" != "$old" &&
	! kill -0 "$old" 2>/dev/null &&
	json_get st.json "[\"servers\"][0][\"last_restart\"]" >why &&
	test_grep "hung (no answer to /health 3 times in a row)" why &&
	localmodel status >st.txt &&
	test_grep "restarted 1 time; last: llama-server hung" st.txt &&
	localmodel stop --all >/dev/null
'

test_expect_success 'an older runtime without --cors-origins: not passed, and serve says so' '
	cp "$FIXTURES/fake-llama-server" old-llama-server &&
	: >args &&
	LOCALMODEL_LLAMA_SERVER="$TRASH/old-llama-server" FAKE_LLAMA_HELP_OMIT=--cors-origins,--no-slots \
		localmodel serve org/a-GGUF:Q4_K_M --port $PORT >/dev/null 2>err &&
	flat_args &&
	test_grep -v "cors-origins" flat &&
	test_grep -v "no-slots" flat &&
	test_grep "cannot restrict which web pages may call it" err &&
	localmodel stop --all >/dev/null
'

test_expect_success '--parallel 4: every slot keeps the context, -c is scaled' '
	: >args &&
	localmodel serve org/a-GGUF:Q4_K_M --ctx 2048 --parallel 4 --port $PORT >out &&
	flat_args &&
	test_grep " -c 8192 " flat &&
	test_grep " -np 4 " flat &&
	test_grep "^context: 2048 tokens per slot, 4 slots$" out &&
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"servers\"][0][\"ctx_per_slot\"]")" = 2048 &&
	test "$(json_get st.json "[\"servers\"][0][\"slots\"]")" = 4 &&
	localmodel status >st.txt &&
	test_grep "2048 tokens of context per slot, 4 slots" st.txt &&
	localmodel stop --all >/dev/null
'

test_expect_success 'router: offline, no projector, a rewritten tag answers by its listed name' '
	: >args &&
	localmodel serve --all --port $PORT >out &&
	test_grep "serving 2 models" out &&
	flat_args &&
	test_grep " --offline " flat &&
	test_grep -v " -ctk " flat &&
	ini="$LOCALMODEL_HOME/run/server-$PORT.ini" &&
	test_grep -v "mmproj" "$ini" &&
	test_grep "^\[org/u-GGUF:UD_Q4_K_XL\]$" "$ini" &&
	test_grep "^alias = org/u-GGUF:UD-Q4_K_XL$" "$ini" &&
	test "$(request $PORT POST /v1/chat/completions "$(chat_body org/u-GGUF:UD-Q4_K_XL)")" = "200 -" &&
	test "$(request $PORT POST /v1/chat/completions "$(chat_body org/a-GGUF:Q4_K_M)")" = "200 -"
'

test_expect_success 'router: usage is recorded under the listed names' '
	localmodel stop --all >/dev/null &&
	python3 -c "
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(\"select model, count(*) from model_usage where model like \x27org/u%\x27 group by model\").fetchall()
assert rows == [(\"org/u-GGUF:UD-Q4_K_XL\", 1)], rows
" "$LOCALMODEL_HOME/localmodel.db"
'

test_expect_success 'a unit keeps LOCALMODEL_* settings and the configured port' '
	LOCALMODEL_PORT=9555 LOCALMODEL_RESERVE_GB=3 localmodel serve org/a-GGUF:Q4_K_M \
		--print-service systemd >unit 2>/dev/null &&
	test_grep "^Environment=LOCALMODEL_PORT=9555$" unit &&
	test_grep "^Environment=LOCALMODEL_RESERVE_GB=3$" unit &&
	test_grep "^ExecStart=.* serve --foreground org/a-GGUF:Q4_K_M --port 9555$" unit
'

test_expect_success 'a unit keeps the settings of the config file in effect' '
	printf "reserve_gb = 4\nport = 9001\nstale_days = 30\n" >"$LOCALMODEL_HOME/config" &&
	localmodel serve org/a-GGUF:Q4_K_M --print-service systemd >unit 2>/dev/null &&
	rm "$LOCALMODEL_HOME/config" &&
	test_grep "^Environment=LOCALMODEL_RESERVE_GB=4$" unit &&
	test_grep "^Environment=LOCALMODEL_PORT=9001$" unit &&
	test_grep -v "STALE_DAYS" unit &&
	test_grep "^ExecStart=.* --port 9001$" unit
'

test_expect_success 'a unit without MODEL names the model it resolved' '
	localmodel serve --print-service systemd >unit 2>err &&
	test_grep "no MODEL given: the unit serves org/" err &&
	test_grep "^ExecStart=.* serve --foreground org/" unit
'

test_expect_success 'a generated key lives on after the run folder is wiped (a reboot)' '
	localmodel serve org/a-GGUF:Q4_K_M --host 0.0.0.0 --port $PORT >out &&
	key=$LOCALMODEL_HOME/keys/server-$PORT.key &&
	test_grep "api key: $key (generated)" out &&
	cp "$key" key.before &&
	localmodel stop --all >/dev/null &&
	rm -rf "$LOCALMODEL_HOME/run" &&
	localmodel serve org/a-GGUF:Q4_K_M --host 0.0.0.0 --port $PORT >out &&
	test_cmp key.before "$key" &&
	test "$(stat -c %a "$key")" = 600 &&
	localmodel stop --all >/dev/null
'

test_done
