#!/bin/sh
test_description='serve says the speed it predicts, the same as models show'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" FAKE_LLAMA_ARGS_FILE="$TRASH/args"
export LOCALMODEL_SYSROOT="$FIXTURES/sysroot/laptop-8g"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$FIXTURES/mkgguf.py" "$TRASH/small.gguf" --layers 16 --embd 2048 --ff 8192 --vocab 32000 \
	--heads 16 --heads-kv 8 --ctx 32768 >/dev/null

test_expect_success 'serve prints the predicted speeds after the fit' '
	localmodel serve ./small.gguf --port $PORT --ctx 8192 >out 2>err &&
	localmodel stop >/dev/null &&
	test_grep "small.gguf.: predicted ~[0-9.]* tokens/s generating, ~[0-9]* tokens/s reading the prompt" err &&
	localmodel models show ./small.gguf --ctx 8192 --json >show.json &&
	d=$(json_get show.json "[\"fit\"][\"decode_tok_s\"]") &&
	test_grep "predicted ~$d tokens/s" err
'

test_expect_success 'nothing is added with --json or --quiet' '
	localmodel serve ./small.gguf --port $PORT --quiet >out 2>err &&
	localmodel stop >/dev/null &&
	test_grep -v "predicted" err
'

test_done
