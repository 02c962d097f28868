#!/bin/sh
test_description='cleanup --nudge: one line at most daily, silent otherwise, never blocks'
. "$(dirname "$0")/lib.sh"

H=$LOCALMODEL_HOME
DB=$H/localmodel.db
export LOCALMODEL_NOW=2026-04-10T12:00:00Z
GB=1073741824
# "at once": 1 s, more under memcheck, which starts every run slowly
FAST_MS=1000
[ -n "${LOCALMODEL_VALGRIND:-}" ] && FAST_MS=5000

init_db() {
	rm -rf "$H" && mkdir -p "$H" &&
	sqlite3 "$DB" "CREATE TABLE model_inventory(model TEXT PRIMARY KEY, file_path TEXT,
		repo_source TEXT, size_bytes INTEGER DEFAULT 0, quantization TEXT, sha256 TEXT,
		first_seen TEXT, last_used TEXT, total_requests INTEGER DEFAULT 0);
	CREATE TABLE model_usage(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL,
		session_id TEXT, timestamp TEXT NOT NULL, tokens_in INTEGER DEFAULT 0,
		tokens_out INTEGER DEFAULT 0, duration_ms REAL DEFAULT 0, tok_per_sec REAL DEFAULT 0);"
}

add_row() { # name bytes last_used [pinned [source]]
	sqlite3 "$DB" "INSERT INTO model_inventory(model, file_path, size_bytes, first_seen,
		last_used, pinned, source) VALUES ('$1', '/m/$1', $2, '2025-01-01T00:00:00Z', '$3',
		${4:-0}, '${5:-localmodel}')"
}

# nudge: run it, keep stdout and stderr apart, insist on exit 0.
nudge() {
	localmodel cleanup --nudge "$@" >nudge.out 2>nudge.err
	rc=$?
	[ "$rc" = 0 ] || { echo "nudge exited $rc" >&2; return 1; }
	test ! -s nudge.out
}

test_expect_success 'no database: silent, exit 0, creates nothing' '
	nudge && test ! -s nudge.err && test ! -e "$H" &&
	XDG_DATA_HOME=$TRASH/xd XDG_STATE_HOME=$TRASH/xs \
		sh -c "unset LOCALMODEL_HOME; localmodel cleanup --nudge" >o 2>e &&
	test ! -s o && test ! -s e && test ! -e "$TRASH/xd" && test ! -e "$TRASH/xs"
'

test_expect_success 'below the threshold: silent, no stamp' '
	init_db && localmodel usage >/dev/null &&
	add_row a/x:Q4 $((3 * GB)) 2026-01-01T00:00:00Z &&
	add_row b/y:Q4 $((9 * GB)) 2026-04-01T00:00:00Z &&
	nudge && test ! -s nudge.err && test ! -e "$H/nudge-stamp"
'

test_expect_success 'above it: one line naming count and size' '
	add_row c/z:Q4 $((3 * GB)) 2026-02-01T00:00:00Z &&
	nudge &&
	echo "localmodel: 2 models unused for 30+ days take 6.0 GB; run '\''localmodel cleanup'\''" >want &&
	test_cmp want nudge.err &&
	test -f "$H/nudge-stamp"
'

test_expect_success '--quiet does not silence the nudge' '
	rm "$H/nudge-stamp" &&
	localmodel -q cleanup --nudge 2>err && test_grep "2 models" err
'

test_expect_success 'at most once a day' '
	nudge && test ! -s nudge.err &&
	LOCALMODEL_NOW=2026-04-11T11:59:00Z nudge && test ! -s nudge.err &&
	LOCALMODEL_NOW=2026-04-11T12:00:00Z nudge && test_grep "2 models" nudge.err &&
	LOCALMODEL_NOW=2026-04-11T13:00:00Z nudge && test ! -s nudge.err
'

test_expect_success 'a stamp from the future or garbage does not silence it' '
	echo 9999999999 >"$H/nudge-stamp" && nudge && test_grep "2 models" nudge.err &&
	echo junk >"$H/nudge-stamp" && nudge && test_grep "2 models" nudge.err
'

test_expect_success 'pinned and other stores do not count; one model is singular' '
	rm -f "$H/nudge-stamp" &&
	sqlite3 "$DB" "UPDATE model_inventory SET pinned = 1 WHERE model = '\''a/x:Q4'\''" &&
	add_row o/llama:3b $((50 * GB)) 2025-01-01T00:00:00Z 0 ollama &&
	nudge && test ! -s nudge.err &&
	LOCALMODEL_NUDGE_MIN_GB=1 nudge &&
	echo "localmodel: 1 model unused for 30+ days takes 3.0 GB; run '\''localmodel cleanup'\''" >want &&
	test_cmp want nudge.err
'

test_expect_success 'nudge_min_gb and --days from config and flags' '
	rm -f "$H/nudge-stamp" &&
	echo "nudge_min_gb = 2.5" >"$H/config" &&
	nudge && test_grep "1 model unused for 30+" nudge.err &&
	rm -f "$H/nudge-stamp" &&
	nudge --days 100 && test ! -s nudge.err &&
	rm -f "$H/config"
'

test_expect_success 'never used counts from first seen' '
	rm -f "$H/nudge-stamp" &&
	sqlite3 "$DB" "UPDATE model_inventory SET last_used = NULL, pinned = 0" &&
	LOCALMODEL_NUDGE_MIN_GB=1 nudge && test_grep "3 models unused .* take 15.0 GB" nudge.err
'

test_expect_success 'a locked database: silent, at once, exit 0' '
	rm -f "$H/nudge-stamp" &&
	{ python3 -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute(\"PRAGMA locking_mode=EXCLUSIVE\")
c.execute(\"BEGIN EXCLUSIVE\")
c.execute(\"UPDATE model_inventory SET size_bytes = size_bytes\")
open(sys.argv[2], \"w\").write(\"locked\")
time.sleep(20)
" "$DB" locked & } &&
	lpid=$! &&
	{ wait_until 5 "test -s locked" || { kill $lpid; false; }; } &&
	t0=$(date +%s%N) &&
	{ rc=0 && LOCALMODEL_NUDGE_MIN_GB=1 localmodel cleanup --nudge >o 2>e || rc=$?; } &&
	t1=$(date +%s%N) &&
	kill $lpid && { wait $lpid || :; } &&
	echo "nudge: exit $rc in $(( (t1 - t0) / 1000000 )) ms" && cat o e &&
	test $rc = 0 && test ! -s o && test ! -s e &&
	test $(( (t1 - t0) / 1000000 )) -lt $FAST_MS &&
	test ! -e "$H/nudge-stamp" &&
	LOCALMODEL_NUDGE_MIN_GB=1 nudge && test_grep "3 models" nudge.err
'

test_expect_success 'a seed database not yet migrated still works' '
	init_db && rm -f "$H/nudge-stamp" &&
	sqlite3 "$DB" "INSERT INTO model_inventory(model, size_bytes, first_seen, last_used)
		VALUES ('\''s/eed:Q4'\'', 6 * $GB, '\''2025-01-01 10:00:00'\'', NULL)" &&
	nudge && test_grep "1 model unused for 30+ days takes 6.0 GB" nudge.err
'

test_expect_success 'a broken database file: silent, exit 0' '
	rm -f "$H/nudge-stamp" "$DB-wal" "$DB-shm" &&
	echo "not a database" >"$DB" &&
	nudge && test ! -s nudge.err &&
	chmod 000 "$DB" && nudge && test ! -s nudge.err && chmod 600 "$DB"
'

test_expect_success 'bad flags with --nudge are still silent and exit 0' '
	nudge --days 0 && test ! -s nudge.err
'

test_expect_success 'a broken config file: silent, exit 0' '
	printf "stale_days = soon\nmystery = 1\n" >"$H/config" &&
	nudge && test ! -s nudge.err &&
	rm "$H/config"
'

test_done
