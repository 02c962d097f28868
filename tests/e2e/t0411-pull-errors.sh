#!/bin/sh
test_description='pull: missing, private and gated repos, tokens, rate limits, bad bytes, full disk'
. "$(dirname "$0")/lib.sh"

TOKEN=hf_abcdefghijklmnopqrstuvwxyz0123456789
TOKEN2=hf_zyxwvutsrqponmlkjihgfedcba9876543210
mk() {
	p=$1
	shift
	mkdir -p "$(dirname "repos/$p")"
	python3 "$FIXTURES/mkgguf.py" "repos/$p" "$@" >/dev/null
}
# distinct contents (--name), or a pull would reuse another repo's file
mk org/ok/ok-Q4_K_M.gguf --name ok
mk org/gated/g-Q4_K_M.gguf --name gated
echo '{"gated": "manual"}' >repos/org/gated/.mock.json
mk org/approved/a-Q4_K_M.gguf --name approved
echo '{"gated": "auto", "approved": true}' >repos/org/approved/.mock.json
mk org/priv/p-Q4_K_M.gguf --name priv
echo '{"private": true}' >repos/org/priv/.mock.json
mk org/bad/b-Q4_K_M.gguf --name bad
echo '{"wrong_sha": ["b-Q4_K_M.gguf"]}' >repos/org/bad/.mock.json

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl --token "$TOKEN" --token "$TOKEN2" >/dev/null || exit 1
P=$(cat hub.port)
H=http://127.0.0.1:$P
export HF_ENDPOINT=$H
# retries wait 50 ms per second the real backoff would wait
export LOCALMODEL_HTTP_BACKOFF_MS=50
M=$LOCALMODEL_HOME/models


test_expect_success 'a missing repo: exit 3, private repos mentioned' '
	test_expect_code 3 localmodel pull org/nope 2>err &&
	test_grep "org/nope" err &&
	test_grep "not found" err &&
	test_grep "HF_TOKEN" err
'

test_expect_success 'a private repo without a token looks missing (exit 3)' '
	test_expect_code 3 localmodel pull org/priv 2>err &&
	test_grep "private and gated" err &&
	HF_TOKEN=$TOKEN localmodel pull org/priv >out &&
	test -e "$M/org/priv/p-Q4_K_M.gguf"
'

test_expect_success 'a gated repo without a token: exit 5, set HF_TOKEN, request access' '
	test_expect_code 5 localmodel pull org/gated 2>err &&
	test_grep "gated" err &&
	test_grep "HF_TOKEN" err &&
	test_grep "request access on $H/org/gated" err &&
	test ! -e "$M/org/gated/g-Q4_K_M.gguf"
'

test_expect_success 'a gated repo with a token not yet approved: exit 5' '
	(export HF_TOKEN=$TOKEN; test_expect_code 5 localmodel pull org/gated) 2>err &&
	test_grep "request access on $H/org/gated" err &&
	test_grep -v "$TOKEN" err
'

test_expect_success 'the token file is used, and never reaches the CDN' '
	mkdir -p hfhome && printf "%s\n" "$TOKEN2" >hfhome/token &&
	: >req.jsonl &&
	HF_HOME=$TRASH/hfhome localmodel pull org/approved >out 2>err &&
	test -e "$M/org/approved/a-Q4_K_M.gguf" &&
	grep "\"server\": \"hub\"" req.jsonl | grep -q "\"auth\": true" &&
	grep "\"server\": \"cdn\"" req.jsonl >cdn &&
	test -s cdn &&
	test_grep -v "\"auth\": true" cdn &&
	test_grep -v "$TOKEN2" err && test_grep -v "$TOKEN2" out
'

test_expect_success 'HUGGING_FACE_HUB_TOKEN is used too' '
	rm -rf "$M/org/approved" &&
	HUGGING_FACE_HUB_TOKEN=$TOKEN localmodel pull org/approved >out &&
	test -e "$M/org/approved/a-Q4_K_M.gguf"
'

test_expect_success 'a wrong token is refused with exit 5' '
	(export HF_TOKEN=hf_notavalidtokenatallnotatall0000000; test_expect_code 5 localmodel pull org/ok) 2>err &&
	test_grep "token" err
'

test_expect_success 'rate limited, then allowed: the pull succeeds' '
	clear_faults &&
	fault "{\"action\": \"status\", \"status\": 429, \"retry_after\": 1, \"count\": 2, \"server\": \"hub\"}" &&
	localmodel pull org/ok >out 2>err &&
	test -e "$M/org/ok/ok-Q4_K_M.gguf" &&
	test "$(grep -c "\"status\": 429" req.jsonl)" = 2
'

test_expect_success 'rate limited beyond the retries: exit 5 saying when to retry' '
	clear_faults && rm -rf "$M/org/ok" &&
	fault "{\"action\": \"status\", \"status\": 429, \"retry_after\": 1, \"server\": \"hub\"}" &&
	test_expect_code 5 localmodel pull org/ok 2>err &&
	test_grep "rate limited" err &&
	test_grep "retry in 1 s" err &&
	clear_faults
'

test_expect_success 'a server error that persists: exit 5' '
	fault "{\"action\": \"status\", \"status\": 503, \"server\": \"hub\", \"match\": \"^/api/\"}" &&
	test_expect_code 5 localmodel pull org/ok 2>err &&
	clear_faults
'

test_expect_success 'wrong bytes: exit 6, nothing at the final path, no partial kept' '
	test_expect_code 6 localmodel pull org/bad 2>err &&
	grep -Eqi "sha256|checksum|mismatch" err &&
	test ! -e "$M/org/bad/b-Q4_K_M.gguf" &&
	test ! -e "$M/org/bad/b-Q4_K_M.gguf.part" &&
	test ! -e "$M/org/bad/b-Q4_K_M.gguf.lock" &&
	sqlite3 "$LOCALMODEL_HOME/localmodel.db" "SELECT count(*) FROM model_inventory WHERE repo_source = '\''org/bad'\''" >n &&
	test "$(cat n)" = 0
'

test_expect_success 'bytes corrupted on the way: exit 6, nothing at the final path' '
	fault "{\"action\": \"corrupt\", \"server\": \"cdn\", \"at\": 100, \"len\": 4}" &&
	rm -rf "$M/org/ok" &&
	test_expect_code 6 localmodel pull org/ok --connections 1 2>err &&
	test ! -e "$M/org/ok/ok-Q4_K_M.gguf" &&
	clear_faults
'

test_expect_success 'not enough disk space: exit 7 before any download' '
	: >req.jsonl &&
	(export LOCALMODEL_TEST_FREE_BYTES=1048576; test_expect_code 7 localmodel pull org/ok) 2>err &&
	test_grep "not enough free space" err &&
	test_grep -v "\"server\": \"cdn\"" req.jsonl &&
	test ! -e "$M/org/ok/ok-Q4_K_M.gguf"
'

test_lazy_prereq UNSHARE 'unshare -m true'

test_expect_success ROOT,UNSHARE 'a real small filesystem: exit 7' '
	mkdir -p small &&
	test_expect_code 7 unshare -m sh -c "mount -t tmpfs -o size=2m tmpfs \"$TRASH/small\" &&
		LOCALMODEL_HOME=\"$TRASH/small\" localmodel pull org/ok" 2>err &&
	test_grep "not enough free space" err
'

test_expect_success 'the Hub down: exit 5' '
	(export HF_ENDPOINT=http://127.0.0.1:9; test_expect_code 5 localmodel pull org/ok) 2>err
'

test_done
