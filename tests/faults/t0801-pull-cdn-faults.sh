#!/bin/sh
test_description='pull: the CDN drops, errs, rate-limits, cuts short, corrupts, ignores Range'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

mkdir -p repos/org/m
python3 "$FIXTURES/mkgguf.py" repos/org/m/m-Q4_K_M.gguf --data-bytes 2500000 >/dev/null
random_fill repos/org/m/m-Q4_K_M.gguf
WANT=$(sha256sum repos/org/m/m-Q4_K_M.gguf | cut -c1-64)

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl >/dev/null || exit 1
H=http://127.0.0.1:$(cat hub.port)
# retries wait 20 ms per second the real backoff would wait
export HF_ENDPOINT=$H LOCALMODEL_HTTP_BACKOFF_MS=20
F=$LOCALMODEL_HOME/models/org/m/m-Q4_K_M.gguf
DB=$LOCALMODEL_HOME/localmodel.db

# fresh: no model, no faults, an empty request log
fresh() {
	clear_faults
	localmodel models rm org/m:Q4_K_M >/dev/null 2>&1 || :
	rm -rf "$LOCALMODEL_HOME/models/org/m"
	: >req.jsonl
}
# verified: the file is at its final path with the right hash, recorded once
verified() {
	test -e "$F" || { echo "no file at the final path" >&2; return 1; }
	test "$(sha256sum "$F" | cut -c1-64)" = "$WANT" || { echo "wrong bytes at $F" >&2; return 1; }
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = 'org/m'")" = 1
}
# clean_error RC ERRFILE: exit RC, one line "localmodel: pull: ...", nothing
# at the final path, no inventory row
clean_error() {
	test "$rc" = "$1" || { echo "exit $rc, want $1" >&2; cat "$2" >&2; return 1; }
	test "$(wc -l <"$2")" = 1 || { echo "not one line:" >&2; cat "$2" >&2; return 1; }
	test_grep "^localmodel: pull: " "$2" &&
	test ! -e "$F" &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory WHERE repo_source = 'org/m'")" = 0
}
# cdn_count STATUS: CDN answers with that status in the log
cdn_count() { grep '"server": "cdn"' req.jsonl | grep -c "\"status\": $1" || :; }

test_expect_success 'connections dropped twice mid-body: resumed, verified' '
	fresh &&
	fault "{\"action\": \"drop\", \"after\": 200000, \"count\": 2, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	localmodel pull org/m >out 2>err &&
	verified &&
	test "$(grep -c "\"fault\": \"drop\"" req.jsonl)" = 2
'

test_expect_success 'every connection dropped before a byte: exit 5, one line, nothing at the final path' '
	fresh &&
	fault "{\"action\": \"drop\", \"after\": 0, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	{ rc=0 && localmodel pull org/m >out 2>err || rc=$?; } &&
	clean_error 5 err &&
	test_expect_code 0 sqlite3 "$DB" "PRAGMA integrity_check" >ic &&
	test "$(cat ic)" = ok
'

test_expect_success 'after that, a plain pull resumes to a verified file' '
	clear_faults &&
	localmodel pull org/m >out 2>err &&
	verified &&
	test ! -e "$F.part"
'

test_expect_success '500 twice from the CDN: retried, verified' '
	fresh &&
	fault "{\"action\": \"status\", \"status\": 500, \"count\": 2, \"server\": \"cdn\"}" &&
	localmodel pull org/m >out 2>err &&
	verified &&
	test "$(cdn_count 500)" = 2
'

test_expect_success '500 for ever from the CDN: exit 5, one line, nothing at the final path' '
	fresh &&
	fault "{\"action\": \"status\", \"status\": 500, \"server\": \"cdn\"}" &&
	{ rc=0 && localmodel pull org/m >out 2>err || rc=$?; } &&
	clean_error 5 err &&
	test_grep "500" err
'

test_expect_success '429 with Retry-After twice: waited, retried, verified' '
	fresh &&
	fault "{\"action\": \"status\", \"status\": 429, \"retry_after\": 2, \"count\": 2, \"server\": \"cdn\"}" &&
	localmodel pull org/m >out 2>err &&
	verified &&
	test "$(cdn_count 429)" = 2
'

test_expect_success '429 for ever: exit 5 saying rate limited, nothing at the final path' '
	fresh &&
	fault "{\"action\": \"status\", \"status\": 429, \"retry_after\": 1, \"server\": \"cdn\"}" &&
	{ rc=0 && localmodel pull org/m >out 2>err || rc=$?; } &&
	clean_error 5 err &&
	test_grep "rate limited\|429" err
'

test_expect_success 'short bodies (full length announced, connection closed): verified' '
	fresh &&
	fault "{\"action\": \"short\", \"after\": 300000, \"count\": 3, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	localmodel pull org/m >out 2>err &&
	verified
'

test_expect_success 'short bodies for ever: exit 5, one line, nothing at the final path' '
	fresh &&
	fault "{\"action\": \"short\", \"after\": 0, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	{ rc=0 && localmodel pull org/m >out 2>err || rc=$?; } &&
	clean_error 5 err
'

test_expect_success 'wrong bytes once: exit 6, nothing at the final path, no partial' '
	fresh &&
	fault "{\"action\": \"corrupt\", \"at\": 100, \"len\": 16, \"count\": 1, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	{ rc=0 && localmodel pull org/m --connections 1 >out 2>err || rc=$?; } &&
	clean_error 6 err &&
	test_grep "checksum mismatch" err &&
	test ! -e "$F.part"
'

test_expect_success 'wrong bytes in one of several ranges: exit 6, nothing at the final path' '
	fresh &&
	fault "{\"action\": \"corrupt\", \"at\": 2000000, \"len\": 1, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	{ rc=0 && localmodel pull org/m --connections 4 >out 2>err || rc=$?; } &&
	clean_error 6 err &&
	test ! -e "$F.part" &&
	clear_faults &&
	localmodel pull org/m >out 2>err &&
	verified
'

test_expect_success 'Range ignored (200 with the whole file) on every request: verified' '
	fresh &&
	fault "{\"action\": \"ignore_range\", \"server\": \"cdn\"}" &&
	localmodel pull org/m --connections 4 >out 2>err &&
	verified
'

test_expect_success 'Range ignored on a resume after a drop: verified' '
	fresh &&
	fault "{\"action\": \"drop\", \"after\": 500000, \"count\": 1, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	fault "{\"action\": \"ignore_range\", \"server\": \"cdn\"}" &&
	localmodel pull org/m --connections 1 >out 2>err &&
	verified
'

test_expect_success 'a short stall (2 s without bytes) is waited out: verified' '
	fresh &&
	fault "{\"action\": \"stall\", \"after\": 100000, \"seconds\": 2, \"count\": 1, \"server\": \"cdn\", \"method\": \"GET\"}" &&
	localmodel pull org/m >out 2>err &&
	verified &&
	test "$(grep -c "\"fault\": \"stall\"" req.jsonl)" = 1
'

test_expect_success 'the Hub slow to answer (delay 1 s): verified' '
	fresh &&
	fault "{\"action\": \"delay\", \"seconds\": 1, \"count\": 2, \"server\": \"hub\"}" &&
	localmodel pull org/m >out 2>err &&
	verified
'

test_done
