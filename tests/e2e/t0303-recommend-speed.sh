#!/bin/sh
test_description='recommend: predicted speeds, the usable floor, --bandwidth, --calibrate, history'
. "$(dirname "$0")/lib.sh"

# A machine without GPU: the chip table gives dual-channel DDR4-3200, read
# by llama.cpp's CPU decode at 0.48 of it (see speed.h).
export LOCALMODEL_SYSROOT=$FIXTURES/sysroot/laptop-8g

# speeds FILE: "tier decode prompt" lines
speeds() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for r in d["recommendations"]: print(r["tier"], r["decode_tok_s"], r["prompt_tok_s"])' "$1"
}

test_expect_success 'every pick carries its speeds, all above the floor' '
	localmodel recommend --json >out.json &&
	test "$(json_get out.json "[\"speed\"][\"source\"]")" = table &&
	test "$(json_get out.json "[\"speed\"][\"floor_tok_s\"]")" = 3 &&
	test "$(json_get out.json "[\"speed\"][\"host_bandwidth_bytes\"]")" = 24576000000 &&
	test "$(json_get out.json "[\"speed\"][\"threads\"]")" = 4 &&
	speeds out.json >s &&
	test "$(wc -l <s)" -eq 3 &&
	awk "\$2 < 3 || \$3 <= \$2 { exit 1 }" s &&
	awk "/^fast/ { f = \$2 } /^balanced/ { b = \$2 } END { exit !(f >= 20 && b >= 8 && f >= b) }" s
'

test_expect_success 'a higher floor drops the slow picks; an impossible one exits 7' '
	localmodel recommend --min-speed 9 --json >out.json &&
	speeds out.json >s &&
	awk "\$2 < 9 { exit 1 }" s &&
	test "$(json_get out.json "[\"speed\"][\"floor_tok_s\"]")" = 9 &&
	test_expect_code 7 localmodel recommend --min-speed 500 >out 2>err &&
	test ! -s out &&
	test_grep "nothing that fits runs at the usable floor of 500.0 tokens/s; the fastest, " err &&
	test_expect_code 2 localmodel recommend --min-speed fast 2>err &&
	test_grep "min-speed .fast. is not a number" err
'

test_expect_success '--bandwidth plans another machine: speeds follow the bandwidth' '
	localmodel recommend --memory 16G --json >slow.json &&
	localmodel recommend --memory 16G --bandwidth 400G --json >fast.json &&
	test "$(json_get fast.json "[\"speed\"][\"source\"]")" = given &&
	test "$(json_get fast.json "[\"speed\"][\"host_bandwidth_bytes\"]")" = 192000000000 &&
	test "$(json_get slow.json "[\"speed\"][\"host_bandwidth_bytes\"]")" = 24576000000 &&
	python3 - slow.json fast.json <<-\PY &&
	import json, sys
	slow, fast = (json.load(open(f)) for f in sys.argv[1:3])
	s = {r["repo"]: r["decode_tok_s"] for r in slow["recommendations"]}
	f = {r["repo"]: r["decode_tok_s"] for r in fast["recommendations"]}
	for repo in set(s) & set(f):
	    assert f[repo] > s[repo] * 1.5, (repo, s[repo], f[repo])
	PY
	localmodel recommend --memory 16G --bandwidth 400GB/s --json >b.json &&
	test "$(json_get b.json "[\"speed\"][\"host_bandwidth_bytes\"]")" = 192000000000 &&
	localmodel recommend --memory 16G --bandwidth 0.4T --json >b.json &&
	test "$(json_get b.json "[\"speed\"][\"host_bandwidth_bytes\"]")" = 192000000000 &&
	test_expect_code 2 localmodel recommend --bandwidth 5M 2>err &&
	test_grep "bandwidth .5M. is too small" err &&
	test_expect_code 2 localmodel recommend --bandwidth 5X 2>err &&
	test_grep "bad bandwidth .5X." err
'

test_expect_success 'the first prediction on this machine calibrates it once (calibrate = 1), not kept when busy' '
	python3 "$FIXTURES/mkgguf.py" small.gguf --layers 2 --embd 128 --heads 2 --heads-kv 2 \
		--ff 256 --vocab 300 --ctx 4096 --file-type 7 >/dev/null &&
	LOCALMODEL_SYSROOT= localmodel models show "$TRASH/small.gguf" --json >off.json &&
	test "$(json_get off.json "[\"fit\"][\"speed_source\"]")" = table &&
	test -z "$(ls "$LOCALMODEL_HOME" | grep "^speed-")" &&
	LOCALMODEL_CALIBRATE=1 localmodel models show "$TRASH/small.gguf" --json >described.json &&
	test "$(json_get described.json "[\"fit\"][\"speed_source\"]")" = table &&
	test -z "$(ls "$LOCALMODEL_HOME" | grep "^speed-")" &&
	LOCALMODEL_TEST_LOAD=64 LOCALMODEL_CALIBRATE=1 LOCALMODEL_SYSROOT= \
		localmodel models show "$TRASH/small.gguf" --json >busy.json &&
	test "$(json_get busy.json "[\"fit\"][\"speed_source\"]")" = calibration &&
	test -z "$(ls "$LOCALMODEL_HOME" | grep "^speed-")" &&
	LOCALMODEL_TEST_LOAD=0 LOCALMODEL_CALIBRATE=1 LOCALMODEL_SYSROOT= \
		localmodel models show "$TRASH/small.gguf" --json >on.json &&
	test "$(json_get on.json "[\"fit\"][\"speed_source\"]")" = calibration &&
	f=$(ls "$LOCALMODEL_HOME"/speed-*.txt) &&
	test_grep "^read_bw = [1-9][0-9]*$" "$f" &&
	echo "# kept" >>"$f" &&
	LOCALMODEL_CALIBRATE=1 LOCALMODEL_SYSROOT= localmodel models show "$TRASH/small.gguf" \
		--json >again.json &&
	test_grep "# kept" "$f" &&
	rm "$f"
'

test_expect_success '--calibrate measures, caches per machine, and is used next time' '
	localmodel recommend --calibrate --min-speed 0 --json >out.json &&
	test "$(json_get out.json "[\"speed\"][\"source\"]")" = calibration &&
	test_grep "calibrated: .* GB/s memory reads" out.json &&
	ls "$LOCALMODEL_HOME"/speed-*.txt >files &&
	test "$(wc -l <files)" -eq 1 &&
	localmodel recommend --min-speed 0 --json >again.json &&
	test "$(json_get again.json "[\"speed\"][\"source\"]")" = calibration &&
	LOCALMODEL_SYSROOT=$FIXTURES/sysroot/container-8g localmodel recommend --json >other.json &&
	test "$(json_get other.json "[\"speed\"][\"source\"]")" = table
'

test_expect_success 'a cached calibration sets the host figures (x 0.80 of its read rate)' '
	f=$(ls "$LOCALMODEL_HOME"/speed-*.txt) &&
	printf "probe = 2\nread_bw = 100000000000\nflops = 50000000000\n" >"$f" &&
	localmodel recommend --json >out.json &&
	test "$(json_get out.json "[\"speed\"][\"host_bandwidth_bytes\"]")" = 80000000000 &&
	rm "$f"
'

test_expect_success 'served history corrects the speeds (half as fast as predicted)' '
	python3 "$FIXTURES/mkgguf.py" m1b.gguf --layers 16 --embd 2048 --heads 32 --heads-kv 8 \
		--ff 8192 --vocab 32000 --ctx 131072 --file-type 7 >/dev/null &&
	localmodel models show "$TRASH/m1b.gguf" --ctx 4096 --json >show.json &&
	p=$(json_get show.json "[\"fit\"][\"decode_tok_s\"]") &&
	m=$(python3 -c "import sys; p = float(sys.argv[1]); print(1 / (2 * (1 / p - 0.01) + 0.01))" "$p") &&
	sqlite3 "$LOCALMODEL_HOME/localmodel.db" "CREATE TABLE model_inventory(model TEXT PRIMARY KEY,
		file_path TEXT, repo_source TEXT, size_bytes INTEGER DEFAULT 0, quantization TEXT,
		sha256 TEXT, first_seen TEXT, last_used TEXT, total_requests INTEGER DEFAULT 0);
	CREATE TABLE model_usage(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL,
		session_id TEXT, timestamp TEXT NOT NULL, tokens_in INTEGER DEFAULT 0,
		tokens_out INTEGER DEFAULT 0, duration_ms REAL DEFAULT 0, tok_per_sec REAL DEFAULT 0);
	INSERT INTO model_inventory(model, file_path, size_bytes, quantization, first_seen)
		VALUES (\"org/m1b:Q8_0\", \"$TRASH/m1b.gguf\", 1, \"Q8_0\", \"2026-01-01T00:00:00Z\");
	INSERT INTO model_usage(model, session_id, timestamp, tokens_in, tokens_out, duration_ms,
		tok_per_sec) VALUES (\"org/m1b:Q8_0\", \"s\", \"2026-11-01T00:00:00Z\", 10, 200, 9000, $m),
		(\"org/m1b:Q8_0\", \"s\", \"2026-11-01T00:01:00Z\", 10, 100, 5000, $m);" &&
	localmodel recommend --json >out.json &&
	test "$(json_get out.json "[\"speed\"][\"source\"]")" = history &&
	python3 -c "import json; f = json.load(open(\"out.json\"))[\"speed\"][\"history_factor\"]; assert abs(f - 0.5) < 0.02, f" &&
	localmodel models show "$TRASH/m1b.gguf" --ctx 4096 --json >after.json &&
	test "$(json_get after.json "[\"fit\"][\"speed_source\"]")" = history &&
	python3 -c "import sys; p, a, m = map(float, sys.argv[1:]); assert abs(a / m - 1) < 0.03, (p, a, m)" \
		"$p" "$(json_get after.json "[\"fit\"][\"decode_tok_s\"]")" "$m"
'

test_done
