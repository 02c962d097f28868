#!/bin/sh
test_description='serve --all (router mode with a generated preset), --idle-unload'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" FAKE_LLAMA_ARGS_FILE="$TRASH/args"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# chat PORT MODEL: the HTTP status of a chat request for MODEL
PORT=$(free_port)
for n in a b; do
	python3 "$FIXTURES/mkgguf.py" "$TRASH/$n.gguf" >/dev/null
done

test_expect_success '--all with no models: exit 3' '
	test_expect_code 3 localmodel serve --all --port $PORT 2>err &&
	test_grep "no models installed" err
'

test_expect_success 'setup: two models, one of them missing on disk' '
	add_model org/a-GGUF:Q4_K_M "$TRASH/a.gguf" &&
	add_model org/b-GGUF:Q8_0 "$TRASH/b.gguf" &&
	add_model org/gone-GGUF:Q4_K_M "$TRASH/gone.gguf"
'

test_expect_success '--all starts llama-server in router mode with a preset' '
	localmodel serve --all --max-loaded 2 --port $PORT >out &&
	test_grep "serving 2 models at http://127.0.0.1:$PORT/v1" out &&
	{ printf " "; tr "\n" " " <args; } >flat &&
	test_grep -v " -m " flat &&
	test_grep -v " --alias " flat &&
	test_grep " --models-max 2 " flat &&
	test_grep " --models-preset $LOCALMODEL_HOME/run/server-$PORT.ini " flat &&
	test_grep " --port $PORT " flat
'

test_expect_success 'the preset has the defaults in [*] and one section per installed model' '
	ini="$LOCALMODEL_HOME/run/server-$PORT.ini" &&
	test "$(stat -c %a "$ini")" = 600 &&
	test "$(grep -c "^\[" "$ini")" = 3 &&
	test_grep "^\[\*\]$" "$ini" &&
	test_grep "^\[org/a-GGUF:Q4_K_M\]$" "$ini" &&
	test_grep "^\[org/b-GGUF:Q8_0\]$" "$ini" &&
	test_grep "^model = $TRASH/a.gguf$" "$ini" &&
	test_grep "^model = $TRASH/b.gguf$" "$ini" &&
	test_grep -v "gone" "$ini" &&
	python3 -c "
import configparser, sys
c = configparser.ConfigParser(); c.read(sys.argv[1])
assert set(c.sections()) == {\"*\", \"org/a-GGUF:Q4_K_M\", \"org/b-GGUF:Q8_0\"}, c.sections()
" "$ini"
'

test_expect_success 'requests are routed by model name' '
	test "$(chat_status $PORT org/a-GGUF:Q4_K_M)" = 200 &&
	test "$(chat_status $PORT org/b-GGUF:Q8_0)" = 200 &&
	test "$(chat_status $PORT org/none)" = 400
'

test_expect_success 'usage rows name the model each request went to' '
	sleep 1.5 &&
	python3 -c "
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(\"select model, count(*) from model_usage group by model order by model\").fetchall()
assert rows == [(\"org/a-GGUF:Q4_K_M\", 1), (\"org/b-GGUF:Q8_0\", 1)], rows
" "$LOCALMODEL_HOME/localmodel.db"
'

test_expect_success 'status shows the router' '
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"servers\"][0][\"model\"]")" = all &&
	test "$(json_get st.json "[\"servers\"][0][\"router\"]")" = true &&
	test "$(json_get st.json "[\"servers\"][0][\"health\"]")" = ok &&
	localmodel stop --all >/dev/null
'

test_expect_success '--max-loaded defaults to 1' '
	: >args &&
	localmodel serve --all --port $PORT >/dev/null &&
	{ printf " "; tr "\n" " " <args; } >flat &&
	test_grep " --models-max 1 " flat &&
	localmodel stop --all >/dev/null
'

test_expect_success '--idle-unload passes --sleep-idle-seconds; status says sleeping' '
	: >args &&
	localmodel serve org/a-GGUF:Q4_K_M --idle-unload 1 --port $PORT >/dev/null &&
	{ printf " "; tr "\n" " " <args; } >flat &&
	test_grep " --sleep-idle-seconds 1 " flat &&
	sleep 1.3 &&
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"servers\"][0][\"health\"]")" = sleeping &&
	localmodel stop --all >/dev/null
'

test_done
