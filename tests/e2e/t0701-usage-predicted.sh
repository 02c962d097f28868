#!/bin/sh
test_description='usage: measured decode and prompt speeds against the prediction, per model'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_SYSROOT=$FIXTURES/sysroot/laptop-8g
DB=$LOCALMODEL_HOME/localmodel.db
python3 "$FIXTURES/mkgguf.py" "$TRASH/m1b.gguf" --layers 16 --embd 2048 --heads 32 --heads-kv 8 \
	--ff 8192 --vocab 32000 --ctx 131072 --file-type 7 >/dev/null

test_expect_success 'usage --json: predicted_tok_s per model, null when unknown' '
	localmodel models show "$TRASH/m1b.gguf" --ctx 4096 --json >show.json &&
	p=$(json_get show.json "[\"fit\"][\"decode_tok_s\"]") &&
	mkdir -p "$LOCALMODEL_HOME" &&
	sqlite3 "$DB" "CREATE TABLE model_inventory(model TEXT PRIMARY KEY, file_path TEXT,
		repo_source TEXT, size_bytes INTEGER DEFAULT 0, quantization TEXT, sha256 TEXT,
		first_seen TEXT, last_used TEXT, total_requests INTEGER DEFAULT 0);
	CREATE TABLE model_usage(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL,
		session_id TEXT, timestamp TEXT NOT NULL, tokens_in INTEGER DEFAULT 0,
		tokens_out INTEGER DEFAULT 0, duration_ms REAL DEFAULT 0, tok_per_sec REAL DEFAULT 0);
	INSERT INTO model_inventory(model, file_path, size_bytes, first_seen)
		VALUES (\"org/m1b:Q8_0\", \"$TRASH/m1b.gguf\", 1, \"2026-01-01T00:00:00Z\");
	INSERT INTO model_usage(model, session_id, timestamp, tokens_out, duration_ms, tok_per_sec)
		VALUES (\"org/m1b:Q8_0\", \"s\", \"2026-11-01T00:00:00Z\", 100, 10000, 10),
		(\"gone/model:Q4_K_M\", \"s\", \"2026-11-01T00:00:00Z\", 100, 10000, 10);" &&
	localmodel usage --json >out.json &&
	python3 - out.json "$p" <<-\PY &&
	import json, sys
	m = {r["model"]: r for r in json.load(open(sys.argv[1]))["models"]}
	assert m["org/m1b:Q8_0"]["predicted_tok_s"] == float(sys.argv[2]), (m, sys.argv[2])
	assert m["gone/model:Q4_K_M"]["predicted_tok_s"] is None, m
	PY
	localmodel usage >out &&
	test_grep "^org/m1b:Q8_0: 10.0 tokens/s measured, ~$p predicted" out &&
	test_grep -v "^gone/model:Q4_K_M:" out
'

test_expect_success 'the prompt: measured from time less generation time, and learnt' '
	pp=$(json_get show.json "[\"fit\"][\"prompt_tok_s\"]") &&
	test "$(json_get out.json "[\"models\"][0][\"prompt_tok_per_sec\"]")" = null &&
	sqlite3 "$DB" "INSERT INTO model_usage(model, session_id, timestamp, tokens_in, tokens_out,
		duration_ms, tok_per_sec) VALUES (\"org/m1b:Q8_0\", \"s\", \"2026-11-02T00:00:00Z\",
		500, 100, 12500, 10)" &&
	localmodel usage --json >pp.json &&
	python3 - pp.json "$pp" <<-\PY &&
	import json, sys
	m = {r["model"]: r for r in json.load(open(sys.argv[1]))["models"]}["org/m1b:Q8_0"]
	# 500 tokens in 22.5 s less 2 x 100 tokens at 10/s
	assert m["prompt_tok_per_sec"] == 200.0, m
	assert m["predicted_prompt_tok_s"] == round(float(sys.argv[2]), 1), (m, sys.argv[2])
	PY
	localmodel usage >out &&
	test_grep "^org/m1b:Q8_0: .*; prompt 200 tokens/s measured, ~[0-9]* predicted" out &&
	localmodel recommend --json >rec.json &&
	python3 -c "import json, sys; f = json.load(open(\"rec.json\"))[\"speed\"][\"history_prompt_factor\"]; assert abs(f - 200 / float(sys.argv[1])) < 0.01, (f, sys.argv[1])" "$pp" &&
	localmodel models show "$TRASH/m1b.gguf" --ctx 4096 --json >after.json &&
	test "$(json_get after.json "[\"fit\"][\"speed_source\"]")" = history &&
	python3 -c "import sys; a = float(sys.argv[1]); assert abs(a / 200 - 1) < 0.01, a" \
		"$(json_get after.json "[\"fit\"][\"prompt_tok_s\"]")"
'

test_done
