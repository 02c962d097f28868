#!/bin/sh
test_description='serve: cleanup of a served model, two serves on one port, stop racing a crash-restart'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" LOCALMODEL_RESTART_BACKOFF_MS=50
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# ours: pids of every process whose command line names this trash directory
# (supervisors and fake servers: the model path is under it)
ours() {
	ps -eo pid=,stat=,args= | awk -v t="$TRASH" 'index($0, t) && $2 !~ /^Z/ && $3 !~ /^(awk|ps|sh)$/ { print $1 }' |
		grep -v "^$$\$" || :
}
servers() { ps -eo pid=,args= | grep "fake-llama-server" | grep -F "$TRASH" | grep -v grep || :; }
health() { curl -sf "http://127.0.0.1:$1/health" >/dev/null; }

mkdir -p repos/org/m
python3 "$FIXTURES/mkgguf.py" repos/org/m/m-Q4_K_M.gguf >/dev/null
# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
export HF_ENDPOINT=http://127.0.0.1:$(cat hub.port)
F=$LOCALMODEL_HOME/models/org/m/m-Q4_K_M.gguf
DB=$LOCALMODEL_HOME/localmodel.db
python3 "$FIXTURES/mkgguf.py" "$TRASH/tiny.gguf" >/dev/null
PORT=$(free_port)

test_expect_success 'cleanup --yes while the model is served: kept, still answering' '
	localmodel pull org/m >/dev/null &&
	localmodel serve org/m:Q4_K_M --port $PORT >/dev/null &&
	LOCALMODEL_NOW=2030-01-01T00:00:00Z localmodel cleanup --yes --json >out.json </dev/null &&
	cat out.json &&
	test -e "$F" &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = '\''org/m'\''")" = 1 &&
	test_grep "in use" out.json &&
	health $PORT
'

test_expect_success 'cleanup --yes and serve of the same model at once: never a served deleted file' '
	localmodel stop --all >/dev/null &&
	{ LOCALMODEL_NOW=2030-01-01T00:00:00Z localmodel cleanup --yes >c.out 2>c.err </dev/null & } &&
	cp=$! &&
	{ rc=0 && localmodel serve org/m:Q4_K_M --port $PORT >s.out 2>s.err || rc=$?; } &&
	{ wait $cp || :; } &&
	echo "serve exit $rc; cleanup: $(cat c.out c.err)" &&
	if [ "$rc" = 0 ]; then
		# a served model must still be on disk and recorded
		test -e "$F" && health $PORT &&
		test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = '\''org/m'\''")" = 1
	else
		test "$rc" -lt 128
	fi &&
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok
'

test_expect_success 'serve twice on one port: the second exits 4, the first keeps serving' '
	{ localmodel stop --all >/dev/null 2>&1 || :; } &&
	localmodel serve "$TRASH/tiny.gguf" --port $PORT >/dev/null &&
	test_expect_code 4 localmodel serve "$TRASH/tiny.gguf" --port $PORT 2>err &&
	test "$(wc -l <err)" = 1 &&
	test_grep "^localmodel: serve: " err &&
	health $PORT &&
	test "$(servers | wc -l)" = 1 &&
	test "$(ours | wc -l)" -ge 2 &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success 'two serves started at the same moment on one port: one wins, one exits 4' '
	{ localmodel serve "$TRASH/tiny.gguf" --port $PORT >s1 2>e1 & } &&
	p1=$! &&
	{ localmodel serve "$TRASH/tiny.gguf" --port $PORT >s2 2>e2 & } &&
	p2=$! &&
	{ r1=0 && wait $p1 || r1=$?; } &&
	{ r2=0 && wait $p2 || r2=$?; } &&
	echo "exits $r1 $r2: $(cat e1 e2)" &&
	test "$(printf "%s\n" $r1 $r2 | sort | tr "\n" " ")" = "0 4 " &&
	health $PORT &&
	test "$(servers | wc -l)" = 1 &&
	localmodel stop --all >/dev/null &&
	wait_until 5 "test -z \"\$(servers)\""
'

# a child that crashes 0.3 s after loading, restarted after 50 ms: stop
# lands at random moments of the crash-restart cycle
SEED=${SEED:-$(date +%s)}
echo "# seed $SEED"
awk -v s="$SEED" 'BEGIN { srand(s); for (i = 0; i < 6; i++) printf "%d\n", int(rand() * 600) }' >moments
i=0
for ms in $(cat moments); do
	i=$((i + 1))
	test_expect_success "stop racing a crash-restart (after $ms ms): no process left" '
		{ FAKE_LLAMA_CRASH_AFTER=0.3 FAKE_LLAMA_LOAD_MS=20 \
			localmodel serve "$TRASH/tiny.gguf" --port $PORT >/dev/null 2>serve.err || :; } &&
		test -n "$(ours)" &&
		sleep "$(awk -v ms="$ms" "BEGIN { printf \"%.3f\", ms / 1000 }")" &&
		{ rc=0 && localmodel stop --port $PORT --timeout 5 >out 2>err || rc=$?; } &&
		echo "stop exit $rc: $(cat out err)" &&
		test "$rc" = 0 -o "$rc" = 4 &&
		{ wait_until 3 "test -z \"\$(ours)\"" ||
		  { echo "left over:"; ps -o pid,ppid,stat,args -p "$(ours | tr "\n" "," | sed "s/,$//")"; false; }; }
	'
done

test_expect_success 'status after the races: no server, stale records cleaned' '
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"servers\"]")" = "[]" &&
	test -z "$(ours)"
'

test_done
