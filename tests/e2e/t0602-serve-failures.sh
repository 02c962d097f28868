#!/bin/sh
test_description='serve failures: load error, bind error, hang, port taken, already running'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# no_fake_left: no fake-llama-server of this test is running
no_fake_left() {
	! ps -eo args | grep "fake-llama-server.*$TRASH" | grep -v grep
}
python3 "$FIXTURES/mkgguf.py" "$TRASH/tiny.gguf" >/dev/null
PORT=$(free_port)

test_expect_success 'a model that fails to load: exit 1, reason and log tail' '
	FAKE_LLAMA_FAIL_LOAD=1 test_expect_code 1 localmodel serve ./tiny.gguf --port $PORT 2>err &&
	test_grep "llama-server exited with status 1 before it was ready" err &&
	test_grep "last lines of .*server-$PORT.log" err &&
	test_grep "exiting due to model loading error" err &&
	test ! -e "$LOCALMODEL_HOME/run/server-$PORT.state" &&
	no_fake_left
'

test_expect_success 'the failed session records why' '
	python3 -c "
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(\"select end_reason from sessions\").fetchall()
assert rows and \"before it was ready\" in rows[-1][0], rows
" "$LOCALMODEL_HOME/localmodel.db"
'

test_expect_success 'a file that is not GGUF fails to load' '
	echo "not a model" >bad.gguf &&
	test_expect_code 1 localmodel serve ./bad.gguf --port $PORT 2>err &&
	test_grep "invalid magic" err
'

test_expect_success 'another exit status while loading is reported' '
	FAKE_LLAMA_FAIL_LOAD=1 FAKE_LLAMA_EXIT_CODE=3 test_expect_code 1 localmodel serve ./tiny.gguf --port $PORT 2>err &&
	test_grep "exited with status 3" err
'

test_expect_success 'a bind failure: exit 1 with the child message' '
	FAKE_LLAMA_BIND_FAIL=1 test_expect_code 1 localmodel serve ./tiny.gguf --port $PORT 2>err &&
	test_grep "couldn.t bind HTTP server socket" err
'

test_expect_success 'a hang on load: --timeout stops it, exit 1, nothing left' '
	FAKE_LLAMA_HANG=1 test_expect_code 1 localmodel serve ./tiny.gguf --port $PORT --timeout 1 2>err &&
	test_grep "not healthy after 1 s" err &&
	test_grep "loading model" err &&
	sleep 0.3 &&
	no_fake_left &&
	test ! -e "$LOCALMODEL_HOME/run/server-$PORT.state"
'

test_expect_success 'SIGTERM to a waiting serve stops what it started' '
	{ FAKE_LLAMA_HANG=1 localmodel serve ./tiny.gguf --port $PORT 2>err & } &&
	serve=$! &&
	wait_until 5 "test -e \"\$LOCALMODEL_HOME/run/server-$PORT.state\"" &&
	kill -TERM $serve &&
	test_expect_code 1 wait $serve &&
	test_grep "interrupted before llama-server was ready" err &&
	sleep 0.3 &&
	no_fake_left &&
	test ! -e "$LOCALMODEL_HOME/run/server-$PORT.state"
'

test_expect_success 'a port held by another program: exit 4 naming it' '
	python3 -c "
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"127.0.0.1\", 0)); s.listen(1)
open(sys.argv[1], \"w\").write(str(s.getsockname()[1]))
time.sleep(60)" "$TRASH/holder.port" &
	holder=$! &&
	wait_until 5 "test -s holder.port" &&
	{ rc=0 && test_expect_code 4 localmodel serve ./tiny.gguf --port $(cat holder.port) 2>err || rc=$?; } &&
	kill $holder &&
	test $rc = 0 &&
	test_grep "port $(cat holder.port) is taken by python3 (pid $holder)" err
'

test_expect_success 'a port already served by localmodel: exit 4 naming the server' '
	localmodel serve ./tiny.gguf --port $PORT >/dev/null &&
	test_expect_code 4 localmodel serve ./tiny.gguf --port $PORT 2>err &&
	test_grep "already served on port $PORT" err &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success 'a missing --api-key-file is an error before anything starts' '
	test_expect_code 3 localmodel serve ./tiny.gguf --port $PORT --api-key-file nokey 2>err &&
	test_grep "nokey" err &&
	no_fake_left
'

test_expect_success 'extra llama-server arguments reach it (and bad ones fail it)' '
	test_expect_code 1 localmodel serve ./tiny.gguf --port $PORT -- --no-such-flag 2>err &&
	test_grep "invalid argument: --no-such-flag" err
'

test_done
