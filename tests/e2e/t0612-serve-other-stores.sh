#!/bin/sh
test_description='serve models of other stores by the name models --all gives them'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
PORT=$(free_port)
# a model llama.cpp's own -hf downloader put in the HF cache
commit=0123456789abcdef0123456789abcdef01234567
hub=$TRASH/.cache/huggingface/hub/models--hforg--hfrepo-GGUF
python3 "$FIXTURES/mkgguf.py" "$TRASH/blob.gguf" >/dev/null
hsha=$(sha256sum "$TRASH/blob.gguf" | cut -c1-64)
mkdir -p "$hub/blobs" "$hub/snapshots/$commit" "$hub/refs"
mv "$TRASH/blob.gguf" "$hub/blobs/$hsha"
ln -s "../../blobs/$hsha" "$hub/snapshots/$commit/hfrepo-Q4_K_M.gguf"
printf %s "$commit" >"$hub/refs/main"
NAME=hforg/hfrepo-GGUF:Q4_K_M

test_expect_success 'models --all lists it' '
	localmodel models --all >out &&
	test_grep "$NAME" out
'

test_expect_success 'serve NAME serves it, under that name' '
	localmodel serve "$NAME" --port $PORT >out &&
	test_grep "serving $NAME at http://127.0.0.1:$PORT/v1 as \"$NAME\"" out &&
	test "$(chat_status $PORT "$NAME")" = 200
'

test_expect_success 'its usage and last use are recorded against that name, read-only' '
	localmodel stop --all >/dev/null &&
	localmodel usage --json >u.json &&
	test "$(json_get u.json "[\"models\"][0][\"model\"]")" = "$NAME" &&
	localmodel models --json >m.json &&
	python3 -c "
import json, sys
ms = {m[\"name\"]: m for m in json.load(open(sys.argv[1]))[\"models\"]}
m = ms[sys.argv[2]]
assert m[\"source\"] == \"hf-cache\", m
assert m[\"last_used\"], m
" m.json "$NAME" &&
	test -f "$hub/blobs/$hsha"
'

test_expect_success 'served by the path of its blob, it is named after its store, not its hash' '
	localmodel serve "$hub/blobs/$hsha" --port $PORT >out &&
	test_grep "serving $NAME at" out &&
	test_grep -v "$hsha" out &&
	localmodel stop --all >/dev/null
'

test_expect_success 'a name no store has is still not found (exit 3)' '
	test_expect_code 3 localmodel serve nobody/none:Q4_K_M --port $PORT 2>err &&
	test_grep "no model" err
'

test_done
