#!/bin/sh
test_description='pull: a full disk (LD_PRELOAD write-failure shim) ends cleanly, store consistent'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

mk() { # path size: a GGUF of random bytes under repos/
	mkdir -p "$(dirname "repos/$1")"
	python3 "$FIXTURES/mkgguf.py" "repos/$1" --name "$1" --data-bytes "$2" >/dev/null
	python3 -c '
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(8192)
    f.write(os.urandom(os.path.getsize(sys.argv[1]) - 8192))
' "repos/$1"
}
mk org/m/m-Q4_K_M.gguf 3000000
mkdir -p repos/org/split
python3 "$FIXTURES/mkgguf.py" repos/org/split/s-Q4_K_M.gguf --split-count 3 \
	--data-bytes 1000000 >/dev/null

cc -shared -fPIC -o failwrite.so "$FIXTURES/failwrite.c" -ldl || exit 1
# a sanitized binary wants its runtime first in the library list
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
export HF_ENDPOINT=http://127.0.0.1:$(cat hub.port) LOCALMODEL_HTTP_BACKOFF_MS=20
M=$LOCALMODEL_HOME/models
F=$M/org/m/m-Q4_K_M.gguf
DB=$LOCALMODEL_HOME/localmodel.db

# full ARGS...: run localmodel with the shim; the environment says what fails
full() { LD_PRELOAD=$TRASH/failwrite.so FAILWRITE_LOG=$TRASH/fw.log localmodel "$@"; }
# consistent REPO: integrity_check ok and no inventory row for REPO
consistent() {
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = '$1'")" = 0
}
# one_line RC ERRFILE: exit RC with one line "localmodel: pull: ..."
one_line() {
	test "$rc" = "$1" || { echo "exit $rc, want $1" >&2; cat "$2" >&2; return 1; }
	test "$(wc -l <"$2")" = 1 || { echo "not one line:" >&2; cat "$2" >&2; return 1; }
	test_grep "^localmodel: pull: " "$2"
}

test_expect_success 'the shim works: a write past the budget fails with ENOSPC' '
	{ rc=0 && printf abcdef | LD_PRELOAD=$TRASH/failwrite.so FAILWRITE_AFTER=3 \
		FAILWRITE_MATCH=probe dd of=probe bs=6 status=none 2>err || rc=$?; } &&
	test "$rc" != 0 && test_grep "No space left" err &&
	test "$(cat probe)" = abc
'

test_expect_success 'the disk fills at 1 MB of the download: exit 7, nothing at the final path' '
	{ rc=0 && FAILWRITE_AFTER=1000000 FAILWRITE_MATCH=.part full pull org/m >out 2>err || rc=$?; } &&
	one_line 7 err &&
	test_grep "No space left on device" err &&
	test_grep ENOSPC fw.log &&
	test ! -e "$F" &&
	consistent org/m
'

test_expect_success 'with space again, a plain pull ends verified' '
	localmodel pull org/m >out 2>err &&
	cmp "$F" repos/org/m/m-Q4_K_M.gguf &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = '\''org/m'\''")" = 1
'

test_expect_success 'the space reservation fails: exit 7 before any byte, nothing at the final path' '
	localmodel models rm org/m:Q4_K_M >/dev/null && : >fw.log &&
	{ rc=0 && FAILWRITE_FALLOCATE=fail FAILWRITE_MATCH=.part full pull org/m >out 2>err || rc=$?; } &&
	one_line 7 err &&
	test_grep fallocate fw.log &&
	test ! -e "$F" &&
	consistent org/m
'

test_expect_success 'every file write fails from the first byte: exit 7, consistent' '
	rm -rf "$M/org/m" &&
	{ rc=0 && FAILWRITE_AFTER=0 FAILWRITE_MATCH=/models/ full pull org/m >out 2>err || rc=$?; } &&
	one_line 7 err &&
	test ! -e "$F" &&
	consistent org/m
'

test_expect_success 'a split model: the disk fills in the second part, no row, no unverified file' '
	: >fw.log &&
	{ rc=0 && FAILWRITE_AFTER=1500000 FAILWRITE_MATCH=.part full pull org/split >out 2>err || rc=$?; } &&
	one_line 7 err &&
	for p in 1 2 3; do
		f=$M/org/split/s-Q4_K_M-0000$p-of-00003.gguf
		if [ -e "$f" ]; then cmp "$f" repos/org/split/s-Q4_K_M-0000$p-of-00003.gguf || exit 1; fi
	done &&
	test ! -e "$M/org/split/s-Q4_K_M-00003-of-00003.gguf" &&
	consistent org/split &&
	localmodel pull org/split >out 2>err &&
	for p in 1 2 3; do
		cmp "$M/org/split/s-Q4_K_M-0000$p-of-00003.gguf" repos/org/split/s-Q4_K_M-0000$p-of-00003.gguf || exit 1
	done
'

test_expect_success 'the database log cannot grow: the pull fails cleanly, the store stays sound' '
	rm -rf "$M/org/m" && : >fw.log &&
	{ rc=0 && FAILWRITE_AFTER=0 FAILWRITE_MATCH=localmodel.db-wal full pull org/m >out 2>err || rc=$?; } &&
	one_line 7 err &&
	test_grep "database or disk is full" err &&
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok &&
	consistent org/m &&
	if [ -e "$F" ]; then cmp "$F" repos/org/m/m-Q4_K_M.gguf; fi &&
	localmodel pull org/m >out 2>err &&
	cmp "$F" repos/org/m/m-Q4_K_M.gguf &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = '\''org/m'\''")" = 1
'

# The shared-memory index of the WAL failing to grow is a full disk too, but
# SQLite reports SQLITE_IOERR_SHMSIZE and the store maps it to exit 1.
test_expect_success 'the WAL index cannot grow: exit 7' '
	localmodel models rm org/m:Q4_K_M >/dev/null && rm -f lm/localmodel.db-shm && : >fw.log &&
	{ rc=0 && FAILWRITE_AFTER=0 FAILWRITE_MATCH=localmodel.db-shm full pull org/m >out 2>err || rc=$?; } &&
	test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok &&
	consistent org/m &&
	one_line 7 err
'

test_done
