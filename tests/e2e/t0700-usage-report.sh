#!/bin/sh
test_description='usage: per model and per day sums, --since windows, JSON shape, cloud cost'
. "$(dirname "$0")/lib.sh"

DB=$LOCALMODEL_HOME/localmodel.db
export LOCALMODEL_NOW=2026-04-10T12:00:00Z

# The core tables as the seed's shell scripts made them; localmodel migrates.
seed_db() {
	mkdir -p "$LOCALMODEL_HOME" &&
	sqlite3 "$DB" "CREATE TABLE model_inventory(model TEXT PRIMARY KEY, file_path TEXT,
		repo_source TEXT, size_bytes INTEGER DEFAULT 0, quantization TEXT, sha256 TEXT,
		first_seen TEXT, last_used TEXT, total_requests INTEGER DEFAULT 0);
	CREATE TABLE model_usage(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL,
		session_id TEXT, timestamp TEXT NOT NULL, tokens_in INTEGER DEFAULT 0,
		tokens_out INTEGER DEFAULT 0, duration_ms REAL DEFAULT 0, tok_per_sec REAL DEFAULT 0);"
}

# 3000 rows over Jan..Apr 10 2026, three models, every 53 minutes.
add_rows() { # first_i count
	sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n
		WHERE i < $1 + $2 - 1)
	INSERT INTO model_usage(model, session_id, timestamp, tokens_in, tokens_out,
		duration_ms, tok_per_sec)
	SELECT CASE i % 3 WHEN 0 THEN 'a/one:Q4_K_M' WHEN 1 THEN 'b/two:Q8_0' ELSE 'c/three:F16' END,
		's1', strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + i * 53 * 60, 'unixepoch'),
		10 + i % 17, 5 + i % 11, 100.0 + i % 7, 20.0 FROM n"
}

# expect_window SINCE ISO [MODEL]: usage --json agrees with sqlite3 on the raw rows.
expect_window() {
	localmodel usage --json ${1:+--since "$1"} ${3:+"$3"} >out.json &&
	python3 -c '
import json, sys
d = json.load(open("out.json"))
for m in d["models"]:
	print("%s %d %d %d" % (m["model"], m["requests"], m["tokens_in"], m["tokens_out"]))
print("total %d %d %d" % (d["totals"]["requests"], d["totals"]["tokens_in"],
	d["totals"]["tokens_out"]))' >got &&
	where="timestamp >= '$2'${3:+ AND model = '$3'}" &&
	sqlite3 -separator " " "$DB" "SELECT model, COUNT(*), SUM(tokens_in), SUM(tokens_out)
		FROM model_usage WHERE $where GROUP BY model ORDER BY model;
		SELECT 'total', COUNT(*), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0)
		FROM model_usage WHERE $where" >want &&
	test_cmp want got
}

test_expect_success 'no database: an empty report, no directory created' '
	localmodel usage >out &&
	test_grep "no usage recorded yet" out &&
	localmodel usage --json >out.json &&
	test "$(json_get out.json "[\"models\"]")" = "[]" &&
	test "$(json_get out.json "[\"totals\"][\"requests\"]")" = 0 &&
	test ! -e "$LOCALMODEL_HOME"
'

test_expect_success 'a seed database is migrated and reported' '
	seed_db && add_rows 0 3000 &&
	localmodel usage >out &&
	test_grep "^a/one:Q4_K_M  *1000 " out &&
	test_grep "^total  *3000 " out
'

test_expect_success 'all time agrees with the raw rows' '
	expect_window "" ""
'

test_expect_success '--since forms agree with the raw rows' '
	expect_window 2026-02-15 2026-02-15T00:00:00Z &&
	expect_window 2026-03-01 2026-03-01T00:00:00Z &&
	expect_window 2026-02-15T13:27:00Z 2026-02-15T13:27:00Z &&
	expect_window 3d 2026-04-07T12:00:00Z &&
	expect_window 12h 2026-04-10T00:00:00Z &&
	expect_window 90m 2026-04-10T10:30:00Z &&
	expect_window 10w 2026-01-30T12:00:00Z &&
	expect_window 2025-06-01 2025-06-01T00:00:00Z &&
	expect_window 2030-01-01 2030-01-01T00:00:00Z &&
	expect_window 3d 2026-04-07T12:00:00Z b/two:Q8_0
'

test_expect_success 'rows added later are folded in' '
	add_rows 3000 100 &&
	expect_window "" "" &&
	expect_window 40d 2026-03-01T12:00:00Z
'

test_expect_success 'deleted rows rebuild the summary' '
	sqlite3 "$DB" "DELETE FROM model_usage WHERE id % 5 = 0" &&
	expect_window "" "" &&
	expect_window 2026-02-20 2026-02-20T00:00:00Z
'

test_expect_success '--by day lists days and agrees with the raw rows' '
	localmodel usage --since 2026-04-08T06:00:00Z --by day --json >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
for x in d[\"days\"]: print(x[\"day\"], x[\"requests\"], x[\"tokens_out\"])
assert d[\"models\"] and d[\"totals\"][\"requests\"] == sum(x[\"requests\"] for x in d[\"days\"])
" >got &&
	sqlite3 -separator " " "$DB" "SELECT substr(timestamp, 1, 10), COUNT(*), SUM(tokens_out)
		FROM model_usage WHERE timestamp >= '\''2026-04-08T06:00:00Z'\'' GROUP BY 1" >want &&
	test_cmp want got &&
	localmodel usage --by day c/three:F16 >out &&
	test_grep "^DAY " out && test_grep "^2026-01-01 " out && test_grep "^total " out
'

test_expect_success '--json has the documented shape' '
	localmodel usage --json >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
keys = {\"model\", \"requests\", \"tokens_in\", \"tokens_out\", \"duration_ms\", \"tok_per_sec\",
	\"last_used\"}
for m in d[\"models\"]:
	assert keys <= set(m), m
	assert abs(m[\"tok_per_sec\"] - 20.0) < 0.001, m
	assert m[\"last_used\"].startswith(\"2026-04-\"), m
assert set(d[\"totals\"]) >= keys - {\"model\"}
assert \"cloud_cost\" not in d[\"totals\"]
"
'

test_expect_success 'cloud prices give what the tokens would have cost' '
	sqlite3 "$DB" "DELETE FROM model_usage; DELETE FROM model_inventory;
	INSERT INTO model_usage(model, timestamp, tokens_in, tokens_out, tokens_cached, duration_ms,
		tok_per_sec) VALUES (\"x/y:Q4_0\", \"2026-04-01T00:00:00Z\", 1500000, 1000000, 500000,
		60000, 50)" &&
	printf "cloud_price_in = 3\ncloud_price_out = 15\n" >"$LOCALMODEL_HOME/config" &&
	localmodel usage --json >out.json &&
	test "$(json_get out.json "[\"totals\"][\"cloud_cost\"]")" = 21 &&
	test "$(json_get out.json "[\"models\"][0][\"tok_per_sec\"]")" = 50 &&
	localmodel usage >out &&
	test_grep "cloud: .21\.00 (at .3\.00 in, .15\.00 out" out &&
	LOCALMODEL_CLOUD_PRICE_OUT=0 localmodel usage --json >out.json &&
	test "$(json_get out.json "[\"totals\"][\"cloud_cost\"]")" = 6
'

test_expect_success 'a model with no usage and not in the inventory is not found' '
	test_expect_code 3 localmodel usage no/such:Q1 2>err &&
	test_grep "no/such:Q1" err
'

test_expect_success 'bad options are usage errors' '
	test_expect_code 2 localmodel usage --since yesterday 2>err &&
	test_grep "bad --since" err &&
	test_expect_code 2 localmodel usage --since 5y &&
	test_expect_code 2 localmodel usage --since 99999999999d &&
	test_expect_code 2 localmodel usage --by week 2>err &&
	test_grep "bad --by" err &&
	test_expect_code 2 localmodel usage a b
'

test_done
