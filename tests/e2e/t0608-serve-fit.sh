#!/bin/sh
test_description='serve and the fit estimate: context, GPU layers, refusal (exit 7), --force'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" FAKE_LLAMA_ARGS_FILE="$TRASH/args"
export LOCALMODEL_SYSROOT="$FIXTURES/sysroot/laptop-8g"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# flat: the last llama-server argv on one line, framed by spaces
flat() {
	awk 'BEGIN { printf " " } /^$/ { n++ } { a[n + 0] = a[n + 0] $0 " " } END { print a[n - 1] }' args
}
PORT=$(free_port)
# an 8B-class Q4_K_M (4.6 GB of weights, sparse) and a 1B-class one
python3 "$FIXTURES/mkgguf.py" "$TRASH/big.gguf" --layers 32 --embd 4096 --ff 14336 --vocab 32000 \
	--heads 32 --heads-kv 8 --ctx 32768 >/dev/null
python3 "$FIXTURES/mkgguf.py" "$TRASH/small.gguf" --layers 16 --embd 2048 --ff 8192 --vocab 32000 \
	--heads 16 --heads-kv 8 --ctx 32768 >/dev/null

test_expect_success 'a model that does not fit: exit 7, how much is missing, what would fit' '
	test_expect_code 7 localmodel serve ./big.gguf --port $PORT 2>err &&
	test_grep "does not fit" err &&
	test_grep "GB more than the memory available" err &&
	test_grep "a model of at most [0-9.]* GB would fit" err &&
	test_grep "\-\-force" err &&
	test ! -e args &&
	test ! -e "$LOCALMODEL_HOME/run/server-$PORT.state"
'

test_expect_success 'a context too large for memory: exit 7 naming the context that fits' '
	test_expect_code 7 localmodel serve ./small.gguf --port $PORT --ctx 1048576 2>err &&
	test_grep "at context 1048576" err &&
	test_grep "it fits with --ctx [0-9]" err
'

test_expect_success '--force serves it anyway, with a warning' '
	localmodel serve ./big.gguf --port $PORT --force >out 2>err &&
	test_grep "warning: .*does not fit" err &&
	test_grep "serving" out &&
	localmodel stop >/dev/null
'

test_expect_success 'context: the largest that fits, never under 4096' '
	: >args &&
	localmodel serve ./small.gguf --port $PORT >/dev/null &&
	flat >f && localmodel stop >/dev/null &&
	ctx=$(sed "s/.* -c \([0-9]*\) .*/\1/" f) &&
	test "$ctx" -ge 4096 && test "$ctx" -le 32768 &&
	test_grep " -ngl 0 " f
'

test_expect_success '--ctx and --gpu-layers are passed as given' '
	: >args &&
	localmodel serve ./small.gguf --port $PORT --ctx 8192 --gpu-layers 5 >/dev/null &&
	flat >f && localmodel stop >/dev/null &&
	test_grep " -c 8192 " f &&
	test_grep " -ngl 5 " f
'

test_expect_success 'flash attention off: the KV cache stays f16; --kv-cache wins' '
	: >args &&
	localmodel serve ./small.gguf --port $PORT --flash-attn off >/dev/null &&
	flat >f && localmodel stop >/dev/null &&
	test_grep " -fa off -ctk f16 -ctv f16 " f &&
	: >args &&
	localmodel serve ./small.gguf --port $PORT --flash-attn on --kv-cache q4_0 --parallel 2 >/dev/null &&
	flat >f && localmodel stop >/dev/null &&
	test_grep " -fa on -ctk q4_0 -ctv q4_0 " f &&
	test_grep " -np 2 " f
'

test_expect_success 'a head not a multiple of 32 wide gets an f16 KV cache, not q8_0' '
	python3 "$FIXTURES/mkgguf.py" "$TRASH/narrow.gguf" --layers 2 --embd 64 --heads 4 \
		--heads-kv 2 --ctx 4096 >/dev/null &&
	: >args &&
	localmodel serve ./narrow.gguf --port $PORT >/dev/null &&
	flat >f && localmodel stop >/dev/null &&
	test_grep " -fa auto -ctk f16 -ctv f16 " f &&
	: >args &&
	localmodel serve ./small.gguf --port $PORT >/dev/null &&
	flat >f && localmodel stop >/dev/null &&
	test_grep " -fa auto -ctk q8_0 -ctv q8_0 " f
'

test_expect_success '--all: models that do not fit the machine are left out of the preset' '
	python3 "$FIXTURES/mkgguf.py" "$TRASH/huge.gguf" --layers 64 --embd 4096 --ff 14336 \
		--vocab 32000 --heads 32 --heads-kv 8 --ctx 32768 >/dev/null &&
	add_model org/huge-GGUF:Q4_K_M "$TRASH/huge.gguf" &&
	add_model org/big-GGUF:Q4_K_M "$TRASH/big.gguf" &&
	add_model org/small-GGUF:Q4_K_M "$TRASH/small.gguf" &&
	localmodel serve --all --port $PORT >out 2>err &&
	test_grep "skipped: .org/huge-GGUF:Q4_K_M. does not fit" err &&
	ini="$LOCALMODEL_HOME/run/server-$PORT.ini" &&
	test_grep "^\[org/small-GGUF:Q4_K_M\]" "$ini" &&
	test_grep -v "huge" "$ini" &&
	test_grep "^ctx-size = [0-9]" "$ini" &&
	test_grep "^n-gpu-layers = 0" "$ini"
'

test_expect_success '--all: one that fits the machine but not the memory free now is kept' '
	test_grep ".org/big-GGUF:Q4_K_M. does not fit in the memory free now: idle models will be unloaded" err &&
	test_grep "^\[org/big-GGUF:Q4_K_M\]" "$LOCALMODEL_HOME/run/server-$PORT.ini" &&
	localmodel stop --all >/dev/null
'

test_expect_success '--all --force keeps them all' '
	localmodel serve --all --force --port $PORT >out 2>err &&
	test "$(grep -c "^\[" "$LOCALMODEL_HOME/run/server-$PORT.ini")" = 4 &&
	localmodel stop --all >/dev/null
'

test_done
