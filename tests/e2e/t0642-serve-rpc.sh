#!/bin/sh
test_description='serve MODEL --rpc: flags passed, the fit counts the workers, builds compared'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" FAKE_LLAMA_ARGS_FILE="$TRASH/args"
export LOCALMODEL_SYSROOT="$FIXTURES/sysroot/laptop-8g"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# flat: the last llama-server argv on one line, framed by spaces
flat() {
	awk 'BEGIN { printf " " } /^$/ { n++ } { a[n + 0] = a[n + 0] $0 " " } END { print a[n - 1] }' args
}
PORT=$(free_port) W1=$(free_port) W2=$(free_port) R1=$(free_port) R2=$(free_port)
# rpcfake PORT: a fake RPC server of our own (not supervised) on PORT
rpcfake() {
	"$FIXTURES/fake-rpc-server" -p "$1" >"rpc-$1.log" 2>&1 &
	echo $! >>"$TRASH/.pids"
	wait_until 20 "python3 -c \"import socket; socket.create_connection(('127.0.0.1', $1), 1)\" 2>/dev/null"
}
python3 "$FIXTURES/mkgguf.py" "$TRASH/small.gguf" >/dev/null
# 4.6 GB of weights: too much for the 8 GB laptop alone
python3 "$FIXTURES/mkgguf.py" "$TRASH/big.gguf" --layers 32 --embd 4096 --ff 14336 --vocab 32000 \
	--heads 32 --heads-kv 8 --ctx 32768 >/dev/null

test_expect_success 'a worker nothing answers at: exit 5 before llama-server starts' '
	test_expect_code 5 localmodel serve ./small.gguf --port $PORT --rpc 127.0.0.1:$R1 2>err &&
	test_grep "cannot reach the RPC worker 127.0.0.1:$R1: Connection refused" err &&
	test ! -e args
'

test_expect_success '--rpc goes to llama-server, every layer offloaded, with the warnings' '
	rpcfake $R1 &&
	rpcfake $R2 &&
	localmodel serve ./small.gguf --port $PORT --rpc 127.0.0.1:$R1 >out 2>err &&
	flat >f &&
	test_grep " --rpc 127.0.0.1:$R1 " f &&
	test_grep " -ngl 999 " f &&
	test_grep -v " -ts " f &&
	test_grep "warning: every token waits on the RPC protocol" err &&
	test_grep "same llama.cpp build as this llama-server (b10587)" err &&
	test_grep "no GPU: llama.cpp puts every offloaded layer on the workers" err &&
	test_grep "memory of the RPC worker 127.0.0.1:$R1 is unknown" err &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success '--rpc-memory: -ts in MiB, workers first; --gpu-layers is kept' '
	localmodel serve ./small.gguf --port $PORT --rpc "127.0.0.1:$R1,localhost:$R2" \
		--rpc-memory 8G,4G --gpu-layers 7 >out 2>err &&
	flat >f &&
	test_grep " --rpc 127.0.0.1:$R1,localhost:$R2 -ts 8192,4096 " f &&
	test_grep " -ngl 7 " f &&
	test_grep -v "is unknown" err &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success 'a head with a GPU (a Mac, an AMD card): its own share follows the workers'"'"'' '
	for m in mac-64g amd-16g; do
		LOCALMODEL_SYSROOT="$FIXTURES/sysroot/$m" localmodel serve ./small.gguf --port $PORT \
			--rpc 127.0.0.1:$R1 --rpc-memory 8G >out 2>err || exit 1
		flat >f || exit 1
		test_grep " -ts 8192,[1-9][0-9]* " f || exit 1
		test_grep -v "no GPU" err || exit 1
		localmodel stop --port $PORT >/dev/null || exit 1
	done
'

test_expect_success 'the fit counts the workers'"'"' memory' '
	test_expect_code 7 localmodel serve ./big.gguf --port $PORT --ctx 4096 2>err &&
	test_grep "does not fit" err &&
	localmodel serve ./big.gguf --port $PORT --ctx 4096 --rpc 127.0.0.1:$R1 --rpc-memory 16G >out 2>err &&
	test_grep "serving" out &&
	test_grep -v "does not fit" err &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success 'bad --rpc and --rpc-memory: exit 2' '
	test_expect_code 2 localmodel serve ./small.gguf --port $PORT --rpc nohostport 2>err &&
	test_grep "want HOST:PORT" err &&
	test_expect_code 2 localmodel serve ./small.gguf --port $PORT --rpc fd7a::5:50052 2>err &&
	test_expect_code 2 localmodel serve ./small.gguf --port $PORT --rpc h:1,h:2 --rpc-memory 8G 2>err &&
	test_grep "gives 1 sizes for 2 workers" err &&
	test_expect_code 2 localmodel serve ./small.gguf --port $PORT --rpc h:1 --rpc-memory lots 2>err &&
	test_expect_code 2 localmodel serve --all --port $PORT --rpc h:1 2>err &&
	test_grep "not with --all" err &&
	test ! -e "$LOCALMODEL_HOME/run/server-$PORT.state"
'

test_expect_success 'a llama-server without --rpc: exit 8' '
	printf "#!/bin/sh\nFAKE_LLAMA_HELP_OMIT=--rpc exec python3 \"%s\" \"\$@\"\n" \
		"$FIXTURES/fake-llama-server" >norpc-llama-server &&
	chmod +x norpc-llama-server &&
	LOCALMODEL_LLAMA_SERVER="$TRASH/norpc-llama-server" \
		test_expect_code 8 localmodel serve ./small.gguf --port $PORT --rpc 127.0.0.1:$R1 2>err &&
	test_grep "has no --rpc" err
'

test_expect_success 'a local worker: its free memory counts; another build is refused' '
	mkdir -p w/bin &&
	printf "#!/bin/sh\nFAKE_LLAMA_BUILD=10500 exec python3 \"%s\" \"\$@\"\n" "$FIXTURES/fake-llama-server" >w/bin/llama-server &&
	printf "#!/bin/sh\nexec python3 \"%s\" \"\$@\"\n" "$FIXTURES/fake-rpc-server" >w/bin/ggml-rpc-server &&
	chmod +x w/bin/* &&
	FAKE_RPC_DEVICES="CPU|Fake|32000|30000" LOCALMODEL_RPC_SERVER=w/bin/ggml-rpc-server \
		localmodel serve --rpc-worker --port $W1 >/dev/null &&
	test_expect_code 8 localmodel serve ./small.gguf --port $PORT --rpc 127.0.0.1:$W1 2>err &&
	test_grep "runs build b10500 and this llama-server build b10587" err &&
	FAKE_LLAMA_BUILD=10500 localmodel serve ./big.gguf --port $PORT --ctx 4096 --rpc 127.0.0.1:$W1 >out 2>err &&
	test_grep "serving" out &&
	test_grep "every token waits on the RPC protocol" err &&
	test_grep -v "is unknown" err &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success 'a unit keeps --rpc and --rpc-memory' '
	localmodel serve ./small.gguf --port $PORT --rpc 10.0.0.2:50052 --rpc-memory 8G \
		--print-service systemd >unit 2>/dev/null &&
	test_grep "^ExecStart=.* --rpc 10.0.0.2:50052 --rpc-memory 8G" unit
'

test_done
