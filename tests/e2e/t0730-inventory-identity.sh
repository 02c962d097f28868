#!/bin/sh
test_description='inventory: one file, one identity; broken rows; partial downloads'
. "$(dirname "$0")/lib.sh"

H=$LOCALMODEL_HOME
DB=$H/localmodel.db
M=$H/models
export LOCALMODEL_NOW=2026-04-10T12:00:00Z

# add_row NAME PATH [PINNED]: a stale row (seen in 2026-01, never used)
add_row() {
	sqlite3 "$DB" "INSERT INTO model_inventory(model, file_path, size_bytes, first_seen,
		source, pinned) VALUES ('$1', '$2', 100, '2026-01-01T00:00:00Z', 'localmodel',
		${3:-0})"
}
rows() {
	sqlite3 "$DB" "SELECT COUNT(*) FROM model_inventory WHERE model = '$1'"
}

test_expect_success 'setup: a database, one file under two names (one pinned, served)' '
	mkdir -p "$H" &&
	test_expect_code 4 localmodel stop 2>/dev/null &&
	test -f "$DB" &&
	mkdir -p "$M/org/repo" &&
	head -c 100 /dev/urandom >"$M/org/repo/repo-UD-Q4_K_XL.gguf" &&
	add_row org/repo:UD-Q4_K_XL "$M/org/repo/repo-UD-Q4_K_XL.gguf" 1 &&
	add_row org/repo:Q4_K_XL "$M/org/repo/repo-UD-Q4_K_XL.gguf" &&
	ln "$M/org/repo/repo-UD-Q4_K_XL.gguf" "$M/org/repo/hard-link.gguf" &&
	add_row org/repo:hard "$M/org/repo/hard-link.gguf"
'

test_expect_success 'cleanup --yes keeps the pinned file, whatever the name' '
	localmodel cleanup --yes --json >out.json &&
	python3 -c "
import json
d = {m[\"model\"]: m for m in json.load(open(\"out.json\"))[\"models\"]}
for k in (\"org/repo:UD-Q4_K_XL\", \"org/repo:Q4_K_XL\", \"org/repo:hard\"):
	assert d[k][\"status\"] == \"kept\" and d[k][\"kept_because\"] == \"pinned\", d[k]
assert \"pinned\" in d[\"org/repo:Q4_K_XL\"][\"reason\"], d
" &&
	test -f "$M/org/repo/repo-UD-Q4_K_XL.gguf" &&
	test "$(rows org/repo:Q4_K_XL)" = 1
'

test_expect_success 'served under one name and unpinned: still kept, by its other names too' '
	{ sleep 60 & } && spid=$! &&
	echo $spid >>"$TRASH/.pids" &&
	localmodel models unpin org/repo:UD-Q4_K_XL >/dev/null &&
	sqlite3 "$DB" "INSERT INTO sessions(id, model, port, started_at, supervisor_pid)
		VALUES ('\''s1'\'', '\''org/repo:UD-Q4_K_XL'\'', 8080, '\''2026-04-10T00:00:00Z'\'', $spid)" &&
	localmodel cleanup --yes --json >out.json &&
	python3 -c "
import json
d = {m[\"model\"]: m for m in json.load(open(\"out.json\"))[\"models\"]}
for k in (\"org/repo:UD-Q4_K_XL\", \"org/repo:Q4_K_XL\", \"org/repo:hard\"):
	assert d[k][\"kept_because\"] == \"in use\", d[k]
" &&
	test -f "$M/org/repo/repo-UD-Q4_K_XL.gguf" &&
	test -f "$M/org/repo/hard-link.gguf"
'

test_expect_success 'models rm: another name of a served file drops the name; the only name is refused (exit 4)' '
	localmodel models rm org/repo:hard >out &&
	test_grep "its file stays" out &&
	test "$(rows org/repo:hard)" = 0 &&
	test -f "$M/org/repo/hard-link.gguf" &&
	rm "$M/org/repo/hard-link.gguf" &&
	sqlite3 "$DB" "UPDATE sessions SET model = '\''$M/org/repo/repo-UD-Q4_K_XL.gguf'\''" &&
	sqlite3 "$DB" "DELETE FROM model_inventory WHERE model = '\''org/repo:Q4_K_XL'\''" &&
	test_expect_code 4 localmodel models rm org/repo:UD-Q4_K_XL 2>err &&
	test_grep "being served" err &&
	test -f "$M/org/repo/repo-UD-Q4_K_XL.gguf" &&
	add_row org/repo:Q4_K_XL "$M/org/repo/repo-UD-Q4_K_XL.gguf" &&
	localmodel models pin org/repo:UD-Q4_K_XL >/dev/null
'

test_expect_success 'models rm of another name drops that name only; the file stays' '
	localmodel models rm org/repo:Q4_K_XL >out &&
	test_grep "its file stays" out &&
	test "$(rows org/repo:Q4_K_XL)" = 0 &&
	test "$(rows org/repo:UD-Q4_K_XL)" = 1 &&
	test -f "$M/org/repo/repo-UD-Q4_K_XL.gguf" &&
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"models\"][\"count\"]")" = 1
'

test_expect_success 'the pinned name itself: refused (exit 4), file kept' '
	test_expect_code 4 localmodel models rm org/repo:UD-Q4_K_XL 2>err &&
	test_grep "pinned" err &&
	test -f "$M/org/repo/repo-UD-Q4_K_XL.gguf"
'

test_expect_success 'a row pointing at a directory: reported broken, nothing moved' '
	mkdir -p "$M/dir/inside" && head -c 50 /dev/zero >"$M/dir/inside/keep.gguf" &&
	add_row dir/row:Q4_0 "$M/dir" &&
	add_row dir/link:Q4_0 "$M/dir/inside/link.gguf" &&
	ln -s keep.gguf "$M/dir/inside/link.gguf" &&
	localmodel models --json >m.json &&
	python3 -c "
import json
d = {m[\"name\"]: m for m in json.load(open(\"m.json\"))[\"models\"]}
assert d[\"dir/row:Q4_0\"][\"broken\"] is True, d
assert \"directory\" in d[\"dir/row:Q4_0\"][\"broken_reason\"], d
assert d[\"dir/link:Q4_0\"][\"broken\"] is True, d
assert d[\"org/repo:UD-Q4_K_XL\"][\"broken\"] is False, d
" &&
	localmodel models 2>err >out &&
	test_grep "dir/row:Q4_0 (broken)" out &&
	test_grep "is a directory" err &&
	localmodel cleanup --yes --json >out.json &&
	python3 -c "
import json
d = {m[\"model\"]: m for m in json.load(open(\"out.json\"))[\"models\"]}
assert d[\"dir/row:Q4_0\"][\"kept_because\"] == \"broken\", d
assert d[\"dir/link:Q4_0\"][\"kept_because\"] == \"broken\", d
" &&
	test_expect_code 1 localmodel models rm dir/row:Q4_0 2>err &&
	test_grep "not removing" err &&
	test -f "$M/dir/inside/keep.gguf" && test -L "$M/dir/inside/link.gguf" &&
	test -z "$(find "$M" -name "*.lm-deleting")"
'

test_expect_success 'partial downloads: listed by models, status and cleanup' '
	mkdir -p "$M/org/big" &&
	head -c 3000 /dev/urandom >"$M/org/big/big-Q8_0.gguf.part" &&
	printf "localmodel-partial 1\nsize 9000\nchunk 9000\nsha256 -\ngot 0 3000\n" \
		>"$M/org/big/big-Q8_0.gguf.part.state" &&
	mkdir -p "$M/org/other" &&
	head -c 1000 /dev/urandom >"$M/org/other/other-Q2_K.gguf.part" &&
	localmodel models --json >m.json &&
	python3 -c "
import json
d = {m[\"name\"]: m for m in json.load(open(\"m.json\"))[\"models\"]}
p = d[\"org/big/big-Q8_0.gguf\"]
assert p[\"partial\"] is True and p[\"bytes\"] == 3000 and p[\"total_bytes\"] == 9000, p
assert p[\"age_seconds\"] >= 0 and p[\"downloading\"] is False, p
assert d[\"org/other/other-Q2_K.gguf\"][\"partial\"] is True, d
assert d[\"org/repo:UD-Q4_K_XL\"][\"partial\"] is False, d
" &&
	localmodel models >out 2>err &&
	test_grep "org/big/big-Q8_0.gguf (partial)" out &&
	localmodel status --json >st.json &&
	python3 -c "
import json
p = json.load(open(\"st.json\"))[\"partials\"]
assert [x[\"name\"] for x in p] == [\"org/big/big-Q8_0.gguf\", \"org/other/other-Q2_K.gguf\"], p
assert p[0][\"partial\"] is True and p[0][\"bytes\"] == 3000 and p[0][\"total_bytes\"] == 9000, p
" &&
	localmodel status >out &&
	test_grep "^partial:  org/big/big-Q8_0.gguf" out &&
	localmodel cleanup --partial --json >c.json &&
	python3 -c "
import json
d = json.load(open(\"c.json\"))[\"models\"]
assert sorted(m[\"model\"] for m in d) == [\"org/big/big-Q8_0.gguf\", \"org/other/other-Q2_K.gguf\"], d
assert all(m[\"partial\"] and m[\"status\"] == \"stale\" for m in d), d
" &&
	test -f "$M/org/big/big-Q8_0.gguf.part"
'

test_expect_success 'models rm NAME removes one partial, cleanup --partial --yes the rest' '
	localmodel models rm org/other/other-Q2_K.gguf >out &&
	test_grep "removed org/other/other-Q2_K.gguf" out &&
	test ! -e "$M/org/other" &&
	localmodel cleanup --partial --yes --json >c.json &&
	test "$(json_get c.json "[\"deleted\"]")" = 1 &&
	test ! -e "$M/org/big/big-Q8_0.gguf.part" &&
	test ! -e "$M/org/big/big-Q8_0.gguf.part.state" &&
	test -f "$M/org/repo/repo-UD-Q4_K_XL.gguf" &&
	test "$(rows org/repo:UD-Q4_K_XL)" = 1
'

test_expect_success 'a partial a pull is writing is not removed' '
	mkdir -p "$M/org/live" &&
	head -c 100 /dev/zero >"$M/org/live/live.gguf.part" &&
	touch "$M/org/live/live.gguf.lock" &&
	flock "$M/org/live/live.gguf.lock" -c "localmodel cleanup --partial --yes --json >c.json" &&
	python3 -c "
import json
d = json.load(open(\"c.json\"))[\"models\"]
assert d[0][\"status\"] == \"kept\" and d[0][\"kept_because\"] == \"in use\", d
" &&
	test -f "$M/org/live/live.gguf.part"
'

test_done
