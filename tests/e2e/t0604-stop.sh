#!/bin/sh
test_description='stop: by model, port, all; two servers; stale and recycled pids; SIGKILL after the timeout'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
ports() {
	localmodel status --json >.st.json &&
	python3 -c 'import json,sys; print(" ".join(str(s["port"]) for s in json.load(open(sys.argv[1]))["servers"]))' .st.json
}
python3 "$FIXTURES/mkgguf.py" "$TRASH/one.gguf" >/dev/null
python3 "$FIXTURES/mkgguf.py" "$TRASH/two.gguf" >/dev/null
P1=$(free_port)
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
RUN="$LOCALMODEL_HOME/run"

test_expect_success 'two servers at once, one per port' '
	localmodel serve ./one.gguf --port $P1 >/dev/null &&
	localmodel serve ./two.gguf --port $P2 >/dev/null &&
	test "$(ports)" = "$(printf "%s\n" $P1 $P2 | sort -n | tr "\n" " " | sed "s/ $//")"
'

test_expect_success 'stop without a choice is ambiguous with two servers' '
	test_expect_code 2 localmodel stop 2>err &&
	test_grep "2 servers are running" err
'

test_expect_success 'stop MODEL stops only that one' '
	localmodel stop one >out &&
	test_grep "stopped .*one.gguf on port $P1" out &&
	test "$(ports)" = $P2
'

test_expect_success 'stop --port N; then nothing on that port is exit 4' '
	localmodel serve ./one.gguf --port $P1 >/dev/null &&
	localmodel stop --port $P1 >out &&
	test "$(ports)" = $P2 &&
	test_expect_code 4 localmodel stop --port $P1 2>err &&
	test_grep "no server is running on port $P1" err &&
	test_expect_code 4 localmodel stop nomatch 2>err
'

test_expect_success 'stop --all --json' '
	localmodel serve ./one.gguf --port $P1 >/dev/null &&
	localmodel stop --all --json >out.json &&
	json_valid out.json &&
	test "$(python3 -c "import json; print(sorted(s[\"port\"] for s in json.load(open(\"out.json\"))[\"stopped\"]))")" = "$(python3 -c "print(sorted([$P1, $P2]))")" &&
	test "$(ports)" = ""
'

test_expect_success 'a record whose pid now belongs to another process is never signalled' '
	{ sleep 30 & } &&
	victim=$! &&
	test_pids="$test_pids $victim" &&
	start=$(cut -d" " -f22 /proc/$victim/stat) &&
	mkdir -p "$RUN" &&
	cat >"$RUN/server-$P1.state" <<-STATE &&
	supervisor_pid=$victim
	supervisor_start=$((start + 7))
	supervisor_exe=$(readlink /proc/$victim/exe)
	child_pid=$victim
	child_start=$((start + 7))
	host=127.0.0.1
	port=$P1
	model=ghost
	phase=running
	STATE
	test_expect_code 4 localmodel stop ghost 2>err &&
	test_grep "no server is running" err &&
	alive $victim &&
	test ! -e "$RUN/server-$P1.state"
'

test_expect_success 'the right start time but another executable is not signalled either' '
	{ sleep 30 & } &&
	victim=$! &&
	test_pids="$test_pids $victim" &&
	start=$(cut -d" " -f22 /proc/$victim/stat) &&
	printf "supervisor_pid=%s\nsupervisor_start=%s\nsupervisor_exe=%s\nport=%s\nmodel=ghost\n" \
		$victim $start "$LOCALMODEL_BIN" $P1 >"$RUN/server-$P1.state" &&
	test_expect_code 4 localmodel stop --all 2>err &&
	alive $victim &&
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"servers\"]")" = "[]"
'

test_expect_success 'a child ignoring SIGTERM is killed after --timeout' '
	FAKE_LLAMA_IGNORE_TERM=1 localmodel serve ./one.gguf --port $P1 >/dev/null &&
	localmodel status --json >st.json &&
	child=$(json_get st.json "[\"servers\"][0][\"child_pid\"]") &&
	sup=$(json_get st.json "[\"servers\"][0][\"pid\"]") &&
	t0=$(date +%s) &&
	localmodel stop --timeout 1 >out &&
	t1=$(date +%s) &&
	! alive $child && ! alive $sup &&
	test $((t1 - t0)) -le 4 &&
	test_grep "ignored SIGTERM: SIGKILL" "$LOCALMODEL_HOME/logs/server-$P1.log"
'

test_done
