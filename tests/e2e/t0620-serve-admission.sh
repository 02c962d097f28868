#!/bin/sh
test_description='serve: admission by the memory available now, naming who holds it; --force'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# a described 8 GB machine whose free memory the cases change
cp -R "$FIXTURES/sysroot/laptop-8g" "$TRASH/sys"
export LOCALMODEL_SYSROOT="$TRASH/sys"
# available KB: set MemAvailable
available() {
	sed "s/^MemAvailable:.*/MemAvailable: $1 kB/" "$TRASH/sys/proc/meminfo" >"$TRASH/m" &&
	mv "$TRASH/m" "$TRASH/sys/proc/meminfo"
}
P1=$(free_port)
P2=$(free_port)
# 2.9 GB and 1.5 GB of weights (sparse files)
python3 "$FIXTURES/mkgguf.py" "$TRASH/a.gguf" --layers 20 --embd 4096 --ff 14336 --vocab 32000 \
	--heads 32 --heads-kv 8 --ctx 32768 >/dev/null
python3 "$FIXTURES/mkgguf.py" "$TRASH/b.gguf" --layers 10 --embd 4096 --ff 14336 --vocab 32000 \
	--heads 32 --heads-kv 8 --ctx 32768 >/dev/null

test_expect_success 'fits the machine but not what is free now: exit 7, who holds the memory' '
	available 2097152 &&
	test_expect_code 7 localmodel serve ./a.gguf --port $P1 --ctx 4096 2>err &&
	test_grep "does not fit in the memory available now, though it fits this machine" err &&
	test_grep "more than the memory available now (0 B after the 2.0 GB reserve)" err &&
	test_grep "memory is held by processes other than localmodel.s (5.6 GB)" err &&
	test_grep "\-\-force to serve anyway" err &&
	test ! -e "$LOCALMODEL_HOME/run/server-$P1.state"
'

test_expect_success 'a model that does not fit the machine at all keeps the plain refusal' '
	test_expect_code 7 localmodel serve ./a.gguf --port $P1 --ctx 4194304 2>err &&
	test_grep "does not fit: it needs" err &&
	test_grep -v "though it fits this machine" err
'

test_expect_success '--force serves it anyway, with the refusal as a warning' '
	localmodel serve ./a.gguf --port $P1 --ctx 4096 --force >out 2>err &&
	test_grep "warning: .*does not fit in the memory available now" err &&
	test_grep "serving" out &&
	localmodel stop --port $P1 >/dev/null
'

test_expect_success 'enough free memory: served' '
	available 6291456 &&
	localmodel serve ./a.gguf --port $P1 --ctx 4096 >out &&
	test_grep "serving" out
'

test_expect_success 'a running server counts at what it will grow to, and is named' '
	grep "^expected=[1-9]" "$LOCALMODEL_HOME/run/server-$P1.state" &&
	test_expect_code 7 localmodel serve ./b.gguf --port $P2 --ctx 4096 2>err &&
	test_grep "held by .*a.gguf. on port $P1 ([0-9.]* [MK]B, growing to 3\.[0-9] GB), other processes" err &&
	test ! -e "$LOCALMODEL_HOME/run/server-$P2.state"
'

test_expect_success 'once it is stopped the same model is admitted' '
	localmodel stop --port $P1 >/dev/null &&
	localmodel serve ./b.gguf --port $P2 --ctx 4096 >out &&
	test_grep "serving" out &&
	localmodel stop --port $P2 >/dev/null
'

test_done
