#!/bin/sh
test_description='a database locked by another writer: commands wait or fail cleanly, the nudge stays silent and fast'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

mk() { # path: a small GGUF under repos/, its own content
	mkdir -p "$(dirname "repos/$1")"
	python3 "$FIXTURES/mkgguf.py" "repos/$1" --name "$1" >/dev/null
}
mk org/a/a-Q4_K_M.gguf
mk org/b/b-Q4_K_M.gguf
mk org/c/c-Q4_K_M.gguf
# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
export HF_ENDPOINT=http://127.0.0.1:$(cat hub.port) LOCALMODEL_HTTP_BACKOFF_MS=20
H=$LOCALMODEL_HOME
DB=$H/localmodel.db
M=$H/models
GB=1073741824
# slack for slow builds: sanitizers and memcheck multiply start-up time
FAST_MS=200
[ -n "${LOCALMODEL_SANITIZED:-}" ] && FAST_MS=1000
[ -n "${LOCALMODEL_VALGRIND:-}" ] && FAST_MS=5000

# lock SECONDS [exclusive]: hold a write transaction (BEGIN EXCLUSIVE) in the
# background for SECONDS; "exclusive" also takes locking_mode=EXCLUSIVE,
# which shuts out WAL readers too. Returns once the lock is held.
lock() {
	rm -f locked
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
if sys.argv[3] == "exclusive":
    c.execute("PRAGMA locking_mode=EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
c.execute("UPDATE model_inventory SET size_bytes = size_bytes")
open(sys.argv[2], "w").write("locked")
time.sleep(float(sys.argv[4]))
c.execute("COMMIT")
' "$DB" locked "${2:-write}" "$1" &
	lpid=$!
	test_pids="$test_pids $lpid"
	wait_until 5 "test -s locked"
}
# (with set -e in force, a failing kill or wait would end the case: || :)
unlock() { kill $lpid 2>/dev/null || :; wait $lpid 2>/dev/null || :; }
# timed CMD...: run CMD, $rc its exit, $ms its wall time in milliseconds
timed() {
	t0=$(date +%s%N)
	rc=0
	"$@" || rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "exit $rc in $ms ms: $*" >&3
}
exec 3>>"$TRASH/.out3"
rows() { sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = '$1'"; }

test_expect_success 'setup: two pulled models, stale rows above the nudge threshold' '
	localmodel pull org/a >/dev/null &&
	localmodel pull org/b >/dev/null &&
	for n in 1 2 3; do
		sqlite3 "$DB" "INSERT INTO model_inventory(model, file_path, size_bytes, first_seen,
			last_used) VALUES ('\''old/m$n:Q4'\'', '\''/nonexistent/m$n.gguf'\'', $((3 * GB)),
			'\''2025-01-01T00:00:00Z'\'', '\''2025-02-01T00:00:00Z'\'')" || exit 1
	done &&
	localmodel cleanup --nudge 2>e && test_grep "models unused" e &&
	rm -f "$H/nudge-stamp"
'

test_expect_success 'the nudge under a lock that shuts readers out: silent, exit 0, fast' '
	lock 10 exclusive &&
	timed localmodel cleanup --nudge >o 2>e &&
	unlock &&
	test $rc = 0 && test ! -s o && test ! -s e &&
	test $ms -lt $FAST_MS &&
	test ! -e "$H/nudge-stamp"
'

test_expect_success 'the nudge under a write lock: exit 0, fast, at most its one line' '
	lock 10 &&
	timed localmodel cleanup --nudge >o 2>e &&
	unlock &&
	test $rc = 0 && test ! -s o &&
	test "$(wc -l <e)" -le 1 &&
	test $ms -lt $FAST_MS
'

test_expect_success 'ten nudges in a row under the lock: each fast and silent' '
	rm -f "$H/nudge-stamp" &&
	lock 15 exclusive &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		timed localmodel cleanup --nudge >o 2>e
		test $rc = 0 && test ! -s o && test ! -s e && test $ms -lt $FAST_MS || { unlock; exit 1; }
	done &&
	unlock
'

test_expect_success 'models and status read through a write lock at once' '
	lock 10 &&
	timed localmodel models >o 2>e &&
	r1=$rc && m1=$ms &&
	timed localmodel status >o2 2>e2 &&
	unlock &&
	test $r1 = 0 && test_grep "org/a" o &&
	test $rc = 0 &&
	test $m1 -lt 3000 && test $ms -lt 3000
'

test_expect_success 'models waits for a lock that shuts readers out for 2 s, then answers' '
	lock 2 exclusive &&
	timed localmodel models >o 2>e &&
	unlock &&
	test $rc = 0 && test_grep "org/a" o &&
	test $ms -ge 1000
'

test_expect_success 'pull waits for a 2 s write lock, then records the model' '
	lock 2 &&
	timed localmodel pull org/c >o 2>e &&
	unlock &&
	test $rc = 0 &&
	test "$(rows org/c)" = 1 &&
	cmp "$M/org/c/c-Q4_K_M.gguf" repos/org/c/c-Q4_K_M.gguf
'

test_expect_success 'pull under a lock held past the busy timeout: clean failure, bounded' '
	localmodel models rm org/c:Q4_K_M >/dev/null &&
	lock 12 &&
	timed env LOCALMODEL_TEST_RECORD_BUSY_MS=5000 localmodel pull org/c >o 2>e &&
	unlock &&
	test $rc != 0 && test $rc -lt 128 &&
	test "$(wc -l <e)" = 1 && test_grep "^localmodel: pull: .*locked" e &&
	test $ms -lt 11000 &&
	f=$M/org/c/c-Q4_K_M.gguf &&
	if [ -e "$f" ]; then cmp "$f" repos/org/c/c-Q4_K_M.gguf; fi &&
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok &&
	localmodel pull org/c >o 2>e &&
	test "$(rows org/c)" = 1
'

# kept: a row whose file is gone would be a model deleted behind the store
files_kept() {
	for r in org/a org/b org/c; do
		n=$(rows $r) && f=$(sqlite3 "$DB" "SELECT file_path FROM model_inventory WHERE repo_source = '$r'") &&
		if [ "$n" = 1 ]; then test -e "$f"; fi || return 1
	done
}

test_expect_success 'cleanup --yes under a long lock: exit 1, says locked, store sound' '
	lock 17 &&
	LOCALMODEL_NOW=2030-01-01T00:00:00Z timed localmodel cleanup --yes >cl.out 2>cl.err </dev/null &&
	unlock &&
	echo $ms >cl.ms &&
	test $rc = 1 &&
	test_grep "^localmodel: cleanup: .*locked" cl.err &&
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok
'

# the row is deleted before the files: when it cannot be (database locked
# past the busy timeout) the files stay where they were
test_expect_success 'cleanup --yes under a long lock: no row left without its file' '
	cat cl.out &&
	files_kept
'

# after the first "locked" cleanup gives up: one line, one busy timeout
# (not one per stale model)
test_expect_success 'cleanup --yes under a long lock gives up after one busy timeout' '
	cat cl.err &&
	test "$(wc -l <cl.err)" = 1 &&
	test "$(cat cl.ms)" -lt 8000
'

test_expect_success 'usage under a long lock: an answer or a clean failure, bounded' '
	lock 12 &&
	timed localmodel usage >o 2>e &&
	unlock &&
	test $rc -lt 128 && test $ms -lt 11000 &&
	if [ $rc != 0 ]; then test "$(wc -l <e)" = 1 && test_grep "^localmodel: usage: " e; fi
'

test_done
