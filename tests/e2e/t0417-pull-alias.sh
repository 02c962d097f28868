#!/bin/sh
test_description='pull: another spelling of the same file adds an alias, never a second row'
. "$(dirname "$0")/lib.sh"

mkdir -p repos/org/repo
python3 "$FIXTURES/mkgguf.py" repos/org/repo/repo-UD-Q4_K_XL.gguf --name alias >/dev/null
# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
export HF_ENDPOINT=http://127.0.0.1:$(cat hub.port) LOCALMODEL_HTTP_BACKOFF_MS=20
DB=$LOCALMODEL_HOME/localmodel.db
F=$LOCALMODEL_HOME/models/org/repo/repo-UD-Q4_K_XL.gguf
inventory_rows() { sqlite3 "$DB" "SELECT COUNT(*) FROM model_inventory"; }

test_expect_success 'UD-Q4_K_XL, then Q4_K_XL and --file: one row, one alias' '
	localmodel pull org/repo:UD-Q4_K_XL >out &&
	localmodel pull org/repo:Q4_K_XL --json >out.json &&
	test "$(json_get out.json "[\"alias_of\"]")" = org/repo:UD-Q4_K_XL &&
	localmodel pull org/repo --file repo-UD-Q4_K_XL.gguf >out &&
	localmodel pull org/repo:ud-q4_k_xl >out &&
	test "$(inventory_rows)" = 1 &&
	test "$(sqlite3 "$DB" "SELECT alias || '\'' -> '\'' || model FROM model_alias")" = \
		"org/repo:Q4_K_XL -> org/repo:UD-Q4_K_XL"
'

test_expect_success 'models lists the alias as another name of the row' '
	localmodel models --json >m.json &&
	python3 -c "
import json
d = {m[\"name\"]: m for m in json.load(open(\"m.json\"))[\"models\"]}
assert d[\"org/repo:Q4_K_XL\"][\"alias_of\"] == \"org/repo:UD-Q4_K_XL\", d
assert d[\"org/repo:UD-Q4_K_XL\"][\"alias_of\"] is None, d
assert d[\"org/repo:Q4_K_XL\"][\"path\"] == d[\"org/repo:UD-Q4_K_XL\"][\"path\"], d
" &&
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"models\"][\"count\"]")" = 1
'

test_expect_success 'pinning the alias pins the model: cleanup keeps it' '
	localmodel models pin org/repo:Q4_K_XL >/dev/null &&
	test "$(sqlite3 "$DB" "SELECT pinned FROM model_inventory")" = 1 &&
	LOCALMODEL_NOW=2027-01-01T00:00:00Z localmodel cleanup --yes --json >c.json &&
	test "$(json_get c.json "[\"models\"][0][\"kept_because\"]")" = pinned &&
	test -f "$F"
'

test_expect_success 'models rm ALIAS drops the name only' '
	localmodel models rm org/repo:Q4_K_XL >out &&
	test_grep "its file stays" out &&
	test -f "$F" &&
	test "$(inventory_rows)" = 1 &&
	test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM model_alias")" = 0
'

test_expect_success 'models rm of the model removes the file and every name' '
	localmodel pull org/repo:Q4_K_XL >out &&
	localmodel models unpin org/repo:UD-Q4_K_XL >/dev/null &&
	localmodel models rm org/repo:UD-Q4_K_XL >out &&
	test ! -e "$F" &&
	test "$(inventory_rows)" = 0 &&
	test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM model_alias")" = 0
'

test_done
