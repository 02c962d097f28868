#!/bin/sh
test_description='pull: a GGUF served as a plain git file is verified against its git blob id'
. "$(dirname "$0")/lib.sh"

mkdir -p repos/org/plain repos/org/bad
python3 "$FIXTURES/mkgguf.py" repos/org/plain/plain-Q4_K_M.gguf --name plain >/dev/null
echo '{"plain_git": ["plain-Q4_K_M.gguf"]}' >repos/org/plain/.mock.json
python3 "$FIXTURES/mkgguf.py" repos/org/bad/bad-Q4_K_M.gguf --name bad >/dev/null
echo '{"plain_git": ["bad-Q4_K_M.gguf"]}' >repos/org/bad/.mock.json

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
H=http://127.0.0.1:$(cat hub.port)
export HF_ENDPOINT=$H LOCALMODEL_HTTP_BACKOFF_MS=20
M=$LOCALMODEL_HOME/models
DB=$LOCALMODEL_HOME/localmodel.db

fault() { curl -sf -X POST --data "$1" "$H/_mock/fault" >/dev/null; }

test_expect_success 'the tree lists the file without an lfs entry' '
	curl -sf "$H/api/models/org/plain/tree/main?recursive=true" >tree.json &&
	python3 -c "
import json
f = [e for e in json.load(open(\"tree.json\")) if e[\"path\"] == \"plain-Q4_K_M.gguf\"][0]
assert \"lfs\" not in f and len(f[\"oid\"]) == 40, f
"
'

test_expect_success 'a clean plain git file is installed with the sha256 of its bytes' '
	localmodel pull org/plain:Q4_K_M >out &&
	test_cmp repos/org/plain/plain-Q4_K_M.gguf "$M/org/plain/plain-Q4_K_M.gguf" &&
	sha256sum repos/org/plain/plain-Q4_K_M.gguf | cut -c1-64 >want &&
	sqlite3 "$DB" "SELECT sha256 FROM model_inventory WHERE model = '\''org/plain:Q4_K_M'\''" >got &&
	test_cmp want got
'

test_expect_success 'a wrong file of the right size at the final path is replaced' '
	localmodel models rm org/plain:Q4_K_M >/dev/null &&
	mkdir -p "$M/org/plain" &&
	head -c "$(wc -c <repos/org/plain/plain-Q4_K_M.gguf)" /dev/zero >"$M/org/plain/plain-Q4_K_M.gguf" &&
	localmodel pull org/plain:Q4_K_M >out &&
	test_grep "downloaded" out &&
	test_cmp repos/org/plain/plain-Q4_K_M.gguf "$M/org/plain/plain-Q4_K_M.gguf" &&
	localmodel pull org/plain:Q4_K_M >out &&
	test_grep "already present" out
'

test_expect_success 'corrupt bytes: exit 6, nothing at the final path, no row' '
	fault "{\"action\": \"corrupt\", \"at\": 9000, \"len\": 16, \"match\": \"bad-Q4_K_M\"}" &&
	test_expect_code 6 localmodel pull org/bad:Q4_K_M 2>err &&
	test_grep "git blob id mismatch" err &&
	test ! -e "$M/org/bad/bad-Q4_K_M.gguf" &&
	test ! -e "$M/org/bad/bad-Q4_K_M.gguf.part" &&
	test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM model_inventory WHERE model LIKE '\''org/bad%'\''")" = 0
'

test_done
