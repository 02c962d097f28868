#!/bin/sh
test_description='a router cannot download or delete models: no Hub, a cache of its own, no tokens'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
PORT=$(free_port)
python3 "$FIXTURES/mkgguf.py" "$TRASH/a.gguf" >/dev/null

test_expect_success 'setup: one model' '
	test_expect_code 3 localmodel serve --all --port $PORT 2>/dev/null &&
	add_model org/a-GGUF:Q4_K_M "$TRASH/a.gguf"
'

# llama.cpp b10587 downloads on a router's POST /models even with --offline,
# and a web page can send that request without a preflight.
test_expect_success 'the router points at no Hub and at an empty cache of its own' '
	HF_TOKEN=hf_secretsecretsecret HF_ENDPOINT=https://huggingface.co \
		FAKE_LLAMA_ENV_FILE="$TRASH/env" localmodel serve --all --port $PORT >/dev/null &&
	test_grep "^MODEL_ENDPOINT=http://127.0.0.1:9/$" env &&
	test_grep "^HF_ENDPOINT=http://127.0.0.1:9/$" env &&
	test_grep "^HF_HUB_OFFLINE=1$" env &&
	test_grep "^LLAMA_CACHE=$LOCALMODEL_HOME/run/router-cache-$PORT$" env &&
	test_grep -v "huggingface.co" env &&
	test_grep -v "secret" env &&
	test -d "$LOCALMODEL_HOME/run/router-cache-$PORT"
'

test_expect_success 'its own cache goes when it stops' '
	localmodel stop --all >/dev/null &&
	test ! -e "$LOCALMODEL_HOME/run/router-cache-$PORT"
'

test_expect_success 'a single model keeps the Hub settings of the user' '
	HF_ENDPOINT=http://hub.example FAKE_LLAMA_ENV_FILE="$TRASH/env1" \
		localmodel serve org/a-GGUF:Q4_K_M --port $PORT >/dev/null &&
	test_grep "^HF_ENDPOINT=http://hub.example$" env1 &&
	test_grep -v "MODEL_ENDPOINT" env1 &&
	localmodel stop --all >/dev/null
'

test_done
