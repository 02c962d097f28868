#!/bin/sh
test_description='serve --rpc-worker: a supervised RPC server, its address policy, status, stop'
. "$(dirname "$0")/lib.sh"

export FAKE_RPC_ARGS_FILE="$TRASH/rpc-args" LOCALMODEL_RESTART_BACKOFF_MS=50
export FAKE_RPC_DEVICES="CPU|Fake EPYC|16000|12000"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
PORT=$(free_port)
STATE="$LOCALMODEL_HOME/run/server-$PORT.state"

# a llama.cpp folder: llama-server (build N) and, unless "none", ggml-rpc-server
mkbuild() {
	mkdir -p "$1" &&
	printf "#!/bin/sh\nFAKE_LLAMA_BUILD=%s exec python3 \"%s\" \"\$@\"\n" "$2" \
		"$FIXTURES/fake-llama-server" >"$1/llama-server" &&
	chmod +x "$1/llama-server" &&
	if [ "${3:-}" != none ]; then
		printf "#!/bin/sh\nexec python3 \"%s\" \"\$@\"\n" "$FIXTURES/fake-rpc-server" \
			>"$1/ggml-rpc-server" &&
		chmod +x "$1/ggml-rpc-server"
	fi
}

test_expect_success 'no runtime: exit 8' '
	test_expect_code 8 localmodel serve --rpc-worker --port $PORT 2>err &&
	test_grep "no runtime installed" err
'

test_expect_success 'a runtime without ggml-rpc-server: exit 8 saying so' '
	mkbuild old/bin 10444 none &&
	localmodel install --from old/bin >/dev/null &&
	test_expect_code 8 localmodel serve --rpc-worker --port $PORT 2>err &&
	test_grep "has no ggml-rpc-server" err &&
	test ! -e "$STATE"
'

test_expect_success 'the runtime'"'"'s RPC server, supervised on loopback with its cache on' '
	mkbuild b/bin 10587 &&
	localmodel install --from b/bin >/dev/null &&
	localmodel serve --rpc-worker --port $PORT >out 2>err &&
	test_grep "^RPC worker at 127.0.0.1:$PORT (protocol v5.1.0), 11.7 GB free" out &&
	test_grep "^devices: CPU: Fake EPYC (16000 MiB, 12000 MiB free)" out &&
	test_must_be_empty err &&
	{ printf " "; tr "\n" " " <rpc-args; } >flat &&
	test_grep " -H 127.0.0.1 -p $PORT -c " flat &&
	test_grep "^runtime=$TRASH/b/bin/ggml-rpc-server$" "$STATE" &&
	test -d "$HOME/.cache/llama.cpp/rpc" &&
	test_grep "^rpc_worker=1" "$STATE"
'

test_expect_success 'status lists it with its devices and free memory' '
	localmodel status --json >st.json &&
	python3 - st.json $PORT <<-\EOF &&
	import json, sys
	s = [x for x in json.load(open(sys.argv[1]))["servers"] if x["port"] == int(sys.argv[2])][0]
	assert s["rpc_worker"] is True and s["health"] == "ok", s
	assert s["endpoint"] == "127.0.0.1:" + sys.argv[2], s
	assert s["rpc_version"] == "5.1.0"
	assert s["devices"] == [{"name": "CPU", "description": "Fake EPYC",
				 "total_bytes": 16000 << 20, "free_bytes": 12000 << 20}], s["devices"]
	assert s["free_bytes"] == 12000 << 20
	EOF
	localmodel status >st.txt &&
	test_grep "port $PORT: RPC worker (protocol v5.1.0), devices: CPU: Fake EPYC" st.txt
'

test_expect_success 'its output reaches the log line by line (a pty: stdio flushes)' '
	test_grep "^Starting RPC server v5.1.0" "$LOCALMODEL_HOME/logs/rpc-worker-$PORT.log" &&
	test_grep "^  transport      : TCP" "$LOCALMODEL_HOME/logs/rpc-worker-$PORT.log"
'

test_expect_success 'the same port again: exit 4' '
	test_expect_code 4 localmodel serve --rpc-worker --port $PORT 2>err &&
	test_grep "already used by .rpc-worker." err
'

test_expect_success 'a crash is restarted, like a llama-server' '
	localmodel stop --port $PORT >/dev/null &&
	FAKE_RPC_CRASH_AFTER=0.3 localmodel serve --rpc-worker --port $PORT >/dev/null &&
	wait_until 20 "grep -q \"^restarts=[1-9]\" \"$STATE\"" &&
	test_grep "signal 11" "$LOCALMODEL_HOME/logs/rpc-worker-$PORT.log"
'

test_expect_success 'stop ends it and removes its state' '
	localmodel stop --port $PORT >out &&
	test_grep "stopped rpc-worker on port $PORT" out &&
	test ! -e "$STATE"
'

test_expect_success 'refused: wildcards, public addresses and names (exit 2, nothing started)' '
	for h in 0.0.0.0 :: 8.8.8.8 2001:db8::1 mini.lan; do
		test_expect_code 2 localmodel serve --rpc-worker --host $h --port $PORT 2>err || exit 1
		test_grep "refusing\|numeric address" err || exit 1
	done &&
	test_grep "no authentication" err &&
	test ! -e "$STATE"
'

test_expect_success 'a private address is taken when given, with a loud warning' '
	{ rc=0 && localmodel serve --rpc-worker --host 100.64.0.1 --port $PORT --timeout 10 >out 2>err || rc=$?; } &&
	test_grep "warning: binding the RPC worker to 100.64.0.1, a private address: ANYONE" err &&
	{ test $rc = 0 || test_grep "Failed to create server socket" err; }
'

test_expect_success 'MODEL or serving options with --rpc-worker: exit 2' '
	test_expect_code 2 localmodel serve --rpc-worker some/model 2>err &&
	test_grep "serves no MODEL" err &&
	test_expect_code 2 localmodel serve --rpc-worker --ctx 4096 2>err &&
	test_grep "\-\-ctx does not go with --rpc-worker" err
'

test_expect_success 'install keeps the release archive'"'"'s ggml-rpc-server, and the worker runs it' '
	python3 "$FIXTURES/mkrelease.py" tree rel b10600 &&
	start_fixture gh.port python3 "$FIXTURES/mockgithub.py" rel gh.port >/dev/null &&
	LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat gh.port) localmodel install --tag b10600 >/dev/null &&
	test -x "$LOCALMODEL_HOME/runtime/current/ggml-rpc-server" &&
	localmodel serve --rpc-worker --port $PORT >/dev/null &&
	test_grep "^runtime=$LOCALMODEL_HOME/runtime/b10600-[a-z]*/ggml-rpc-server$" "$STATE" &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success '--foreground: the supervisor in this process, stopped by stop' '
	{ localmodel serve --rpc-worker --port $PORT --foreground >fg.out 2>&1 & } &&
	wait_until 20 "grep -q \"^phase=running\" \"$STATE\"" &&
	test_grep "^RPC worker at 127.0.0.1:$PORT" fg.out &&
	localmodel stop --port $PORT >/dev/null &&
	wait_until 10 "test ! -e \"$STATE\""
'

test_expect_success '--print-service: a unit running the worker in the foreground' '
	localmodel serve --rpc-worker --host 192.168.1.10 --port 50052 --print-service systemd \
		-- -t 4 >unit 2>err &&
	test_grep "^ExecStart=.* serve --rpc-worker --foreground --host 192.168.1.10 --port 50052 -- -t 4$" unit &&
	test_grep "warning: binding the RPC worker to 192.168.1.10" err &&
	test_expect_code 2 localmodel serve --rpc-worker --host 0.0.0.0 --print-service systemd 2>err &&
	localmodel serve --rpc-worker --print-service launchd >plist &&
	test_grep "org.localmodel.rpc-worker.50052" plist
'

test_done
