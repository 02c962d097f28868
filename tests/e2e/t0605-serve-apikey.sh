#!/bin/sh
test_description='serve on a non-loopback host: generated API key, 0600, never on argv'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# http_code URL [KEY]: the HTTP status
http_code() {
	python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    req.add_header("Authorization", "Bearer " + sys.argv[2])
try:
    print(urllib.request.urlopen(req, timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}
python3 "$FIXTURES/mkgguf.py" "$TRASH/tiny.gguf" >/dev/null
PORT=$(free_port)
KEYFILE="$LOCALMODEL_HOME/keys/server-$PORT.key"

test_expect_success '--host 0.0.0.0 generates a key file and says where it is' '
	localmodel serve ./tiny.gguf --host 0.0.0.0 --port $PORT >out &&
	test_grep "api key: $KEYFILE (generated)" out &&
	test -s "$KEYFILE" &&
	test "$(stat -c %a "$KEYFILE")" = 600
'

test_expect_success 'the key is passed as a file, never on the command line' '
	localmodel status --json >st.json &&
	child=$(json_get st.json "[\"servers\"][0][\"child_pid\"]") &&
	tr "\0" "\n" </proc/$child/cmdline >cmdline &&
	test_grep "^--api-key-file$" cmdline &&
	test_grep "^$KEYFILE$" cmdline &&
	test_grep -v "^--api-key$" cmdline &&
	test_grep -v "$(cat "$KEYFILE")" cmdline &&
	sup=$(json_get st.json "[\"servers\"][0][\"pid\"]") &&
	tr "\0" "\n" </proc/$sup/cmdline >supcmd &&
	test_grep -v "$(cat "$KEYFILE")" supcmd
'

test_expect_success 'the key is not in the output nor the log' '
	key=$(cat "$KEYFILE") &&
	test_grep -v "$key" out &&
	test_grep -v "$key" "$LOCALMODEL_HOME/logs/server-$PORT.log" &&
	test_grep -v "$key" st.json
'

test_expect_success 'the server wants the key; /health does not' '
	test "$(http_code http://127.0.0.1:$PORT/v1/models)" = 401 &&
	test "$(http_code http://127.0.0.1:$PORT/v1/models wrong)" = 401 &&
	test "$(http_code http://127.0.0.1:$PORT/v1/models "$(cat "$KEYFILE")")" = 200 &&
	test "$(http_code http://127.0.0.1:$PORT/health)" = 200
'

test_expect_success 'status still reads slots and metrics with the key' '
	test "$(json_get st.json "[\"servers\"][0][\"busy_slots\"]")" = 0 &&
	test "$(json_get st.json "[\"servers\"][0][\"tokens_in\"]")" = 0 &&
	test "$(json_get st.json "[\"servers\"][0][\"health\"]")" = ok
'

test_expect_success 'a second serve on the same port reuses the key' '
	cp "$KEYFILE" key.before &&
	localmodel stop >/dev/null &&
	localmodel serve ./tiny.gguf --host 0.0.0.0 --port $PORT >out &&
	test_cmp key.before "$KEYFILE" &&
	localmodel stop >/dev/null
'

test_expect_success '--api-key-file given is used as it is' '
	printf "# my key\nsecret-key-123\n" >mykey && chmod 600 mykey &&
	localmodel serve ./tiny.gguf --host 0.0.0.0 --port $PORT --api-key-file mykey >out &&
	test_grep "api key: $TRASH/mykey$" out &&
	test "$(http_code http://127.0.0.1:$PORT/v1/models secret-key-123)" = 200 &&
	localmodel stop >/dev/null
'

test_expect_success 'a loopback host needs no key' '
	localmodel serve ./tiny.gguf --port $PORT >out &&
	test_grep -v "api key" out &&
	test "$(http_code http://127.0.0.1:$PORT/v1/models)" = 200 &&
	localmodel stop >/dev/null
'

test_done
