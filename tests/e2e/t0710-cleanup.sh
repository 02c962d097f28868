#!/bin/sh
test_description='cleanup: stale selection, listing, deletion and what is never deleted'
. "$(dirname "$0")/lib.sh"

H=$LOCALMODEL_HOME
DB=$H/localmodel.db
M=$H/models
export LOCALMODEL_NOW=2026-04-10T12:00:00Z

# A database in the seed's shape, migrated by a first read.
init_db() {
	rm -rf "$H" && mkdir -p "$H" &&
	sqlite3 "$DB" "CREATE TABLE model_inventory(model TEXT PRIMARY KEY, file_path TEXT,
		repo_source TEXT, size_bytes INTEGER DEFAULT 0, quantization TEXT, sha256 TEXT,
		first_seen TEXT, last_used TEXT, total_requests INTEGER DEFAULT 0);
	CREATE TABLE model_usage(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL,
		session_id TEXT, timestamp TEXT NOT NULL, tokens_in INTEGER DEFAULT 0,
		tokens_out INTEGER DEFAULT 0, duration_ms REAL DEFAULT 0, tok_per_sec REAL DEFAULT 0);" &&
	localmodel usage >/dev/null
}

# add_model NAME PATH BYTES LAST_USED|"" [FIRST_SEEN [SOURCE [PINNED]]]: a file and its row.
add_model() {
	if [ -n "$2" ] && [ ! -e "$2" ]; then
		mkdir -p "$(dirname "$2")" && head -c "$3" /dev/zero >"$2"
	fi
	last=${4:+"'$4'"}
	sqlite3 "$DB" "INSERT INTO model_inventory(model, file_path, size_bytes, first_seen,
		last_used, source, pinned) VALUES ('$1', '$2', $3, '${5:-2026-01-01T00:00:00Z}',
		${last:-NULL}, '${6:-localmodel}', ${7:-0})"
}

count_rows() {
	sqlite3 "$DB" "SELECT COUNT(*) FROM model_inventory WHERE model = '$1'"
}

test_expect_success 'no database: nothing to clean, nothing created' '
	localmodel cleanup >out &&
	test_grep "no models unused for 30+ days" out &&
	localmodel cleanup --yes --json >out.json &&
	test "$(json_get out.json "[\"models\"]")" = "[]" &&
	test ! -e "$H"
'

test_expect_success 'setup: stale, fresh, never-used and split models' '
	init_db &&
	add_model old/a:Q4_K_M "$M/old/a/a-Q4_K_M.gguf" 3000 2026-02-01T00:00:00Z &&
	add_model new/b:Q8_0 "$M/new/b/b-Q8_0.gguf" 1000 2026-04-01T00:00:00Z &&
	add_model never/c:F16 "$M/never/c/c-F16.gguf" 500 "" 2026-01-05T00:00:00Z &&
	add_model fresh/d:F16 "$M/fresh/d/d-F16.gguf" 700 "" 2026-04-09T00:00:00Z &&
	add_model split/e:Q2_K "$M/split/e/Q2_K/e-Q2_K-00001-of-00003.gguf" 300 \
		"2026-01-10 08:00:00" &&
	head -c 200 /dev/zero >"$M/split/e/Q2_K/e-Q2_K-00002-of-00003.gguf" &&
	head -c 100 /dev/zero >"$M/split/e/Q2_K/e-Q2_K-00003-of-00003.gguf" &&
	sqlite3 "$DB" "UPDATE model_inventory SET parts = 3, size_bytes = 600
		WHERE model = '\''split/e:Q2_K'\''"
'

test_expect_success 'without a terminal and without --yes it only lists' '
	localmodel cleanup </dev/null >out &&
	test_grep "^old/a:Q4_K_M .*would delete" out &&
	test_grep "^never/c:F16 .*never (seen 95 days ago)" out &&
	test_grep "^split/e:Q2_K " out &&
	test_grep -v "new/b" out &&
	test_grep -v "fresh/d" out &&
	test_grep "cleanup --yes" out &&
	test -f "$M/old/a/a-Q4_K_M.gguf" &&
	test "$(count_rows old/a:Q4_K_M)" = 1
'

test_expect_success 'oldest first, sizes summed' '
	localmodel cleanup --json </dev/null >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
names = [m[\"model\"] for m in d[\"models\"]]
assert names == [\"never/c:F16\", \"split/e:Q2_K\", \"old/a:Q4_K_M\"], names
assert d[\"stale_bytes\"] == 500 + 600 + 3000, d
assert d[\"freed_bytes\"] == 0 and d[\"deleted\"] == 0 and d[\"dry_run\"] is True
assert all(m[\"status\"] == \"stale\" for m in d[\"models\"])
assert d[\"cutoff\"] == \"2026-03-11T12:00:00Z\" and d[\"days\"] == 30
"
'

test_expect_success '--days and stale_days choose the age' '
	localmodel cleanup --days 5 --json >out.json &&
	test "$(json_get out.json "[\"stale_bytes\"]")" = 5100 &&
	echo "stale_days = 90" >"$H/config" &&
	localmodel cleanup --json >out.json &&
	test "$(json_get out.json "[\"stale_bytes\"]")" = 1100 &&
	rm "$H/config"
'

test_expect_success '--dry-run deletes nothing, even with --yes' '
	localmodel cleanup --dry-run --yes >out &&
	test_grep "would delete" out &&
	test -f "$M/old/a/a-Q4_K_M.gguf" &&
	test "$(count_rows old/a:Q4_K_M)" = 1
'

test_expect_success 'pinned, in-use and outside models are kept' '
	{ sleep 30 & } &&
	spid=$! &&
	add_model pin/f:Q4_0 "$M/pin/f/f.gguf" 100 2025-01-01T00:00:00Z "" localmodel 1 &&
	add_model busy/g:Q4_0 "$M/busy/g/g.gguf" 100 2025-01-01T00:00:00Z &&
	sqlite3 "$DB" "INSERT INTO sessions(id, model, port, started_at, supervisor_pid)
		VALUES ('\''s1'\'', '\''busy/g:Q4_0'\'', 8080, '\''2026-04-10T00:00:00Z'\'', $spid)" &&
	mkdir -p elsewhere && head -c 100 /dev/zero >elsewhere/h.gguf &&
	add_model out/h:Q4_0 "$TRASH/elsewhere/h.gguf" 100 2025-01-01T00:00:00Z &&
	head -c 100 /dev/zero >elsewhere/i.gguf && mkdir -p "$M/link/i" &&
	ln -s "$TRASH/elsewhere/i.gguf" "$M/link/i/i.gguf" &&
	add_model link/i:Q4_0 "$M/link/i/i.gguf" 100 2025-01-01T00:00:00Z &&
	add_model dots/j:Q4_0 "$M/../elsewhere/h.gguf" 100 2025-01-01T00:00:00Z &&
	{ rc=0 && localmodel cleanup --yes --json >out.json || rc=$?; } &&
	kill $spid && { wait $spid || :; } &&
	test $rc = 0 &&
	python3 -c "
import json
d = {m[\"model\"]: m for m in json.load(open(\"out.json\"))[\"models\"]}
assert d[\"pin/f:Q4_0\"][\"kept_because\"] == \"pinned\", d
assert d[\"busy/g:Q4_0\"][\"kept_because\"] == \"in use\", d
assert d[\"out/h:Q4_0\"][\"kept_because\"] == \"outside models dir\", d
assert d[\"link/i:Q4_0\"][\"kept_because\"] == \"outside models dir\", d
assert d[\"dots/j:Q4_0\"][\"kept_because\"] == \"outside models dir\", d
for k in (\"old/a:Q4_K_M\", \"never/c:F16\", \"split/e:Q2_K\"):
	assert d[k][\"status\"] == \"deleted\", d[k]
" &&
	test -f "$M/pin/f/f.gguf" && test -f "$M/busy/g/g.gguf" &&
	test -f elsewhere/h.gguf && test -f elsewhere/i.gguf && test -L "$M/link/i/i.gguf" &&
	test "$(count_rows pin/f:Q4_0)" = 1 && test "$(count_rows busy/g:Q4_0)" = 1
'

test_expect_success '--yes removed every part, emptied folders and rows, and counted bytes' '
	test "$(json_get out.json "[\"freed_bytes\"]")" = 4100 &&
	test "$(json_get out.json "[\"deleted\"]")" = 3 &&
	test ! -e "$M/old" && test ! -e "$M/never" && test ! -e "$M/split" &&
	test -f "$M/new/b/b-Q8_0.gguf" && test -f "$M/fresh/d/d-F16.gguf" && test -d "$M" &&
	test "$(count_rows old/a:Q4_K_M)" = 0 && test "$(count_rows split/e:Q2_K)" = 0 &&
	test "$(count_rows new/b:Q8_0)" = 1 &&
	! find "$M" -name "*.lm-deleting" | grep -q .
'

test_expect_success 'a dead server does not keep its model' '
	localmodel cleanup --yes >out &&
	test_grep "^busy/g:Q4_0 .*deleted" out &&
	test_grep "deleted 1 model, freed 100 B" out &&
	test ! -e "$M/busy"
'

test_expect_success 'a running router keeps every model; an ended session none' '
	{ sleep 30 & } &&
	spid=$! &&
	add_model rt/m:Q4_0 "$M/rt/m/m.gguf" 100 2025-01-01T00:00:00Z &&
	sqlite3 "$DB" "INSERT INTO sessions(id, model, port, started_at, supervisor_pid)
		VALUES ('\''s2'\'', '\''all'\'', 8081, '\''2026-04-10T00:00:00Z'\'', $spid);
		INSERT INTO sessions(id, model, port, started_at, ended_at, supervisor_pid)
		VALUES ('\''s3'\'', '\''rt/m:Q4_0'\'', 8082, '\''2026-04-10T00:00:00Z'\'',
		'\''2026-04-10T01:00:00Z'\'', $$)" &&
	{ rc=0 && localmodel cleanup --yes >out || rc=$?; } &&
	kill $spid && { wait $spid || :; } &&
	test $rc = 0 &&
	test_grep "^rt/m:Q4_0 .*kept: a running server uses it" out &&
	test -f "$M/rt/m/m.gguf" &&
	localmodel cleanup --yes >out &&
	test_grep "^rt/m:Q4_0 .*deleted" out && test ! -e "$M/rt"
'

test_expect_success 'a folder with other files stays' '
	add_model keep/k:Q4_0 "$M/keep/k/k.gguf" 100 2025-01-01T00:00:00Z &&
	echo notes >"$M/keep/k/README" &&
	localmodel cleanup --yes -q >out &&
	test ! -s out &&
	test ! -e "$M/keep/k/k.gguf" && test -f "$M/keep/k/README"
'

test_expect_success 'a row without a size is measured on disk' '
	add_model size/n:Q4_0 "$M/size/n/n.gguf" 0 2025-01-01T00:00:00Z &&
	head -c 4096 /dev/zero >"$M/size/n/n.gguf" &&
	localmodel cleanup --json >out.json &&
	test "$(json_get out.json "[\"stale_bytes\"]")" = 4096 &&
	localmodel cleanup --yes --json >out.json &&
	test "$(json_get out.json "[\"freed_bytes\"]")" = 4096
'

test_expect_success 'a file already gone only drops the row' '
	add_model gone/l:Q4_0 "$M/gone/l/l.gguf" 100 2025-01-01T00:00:00Z &&
	rm "$M/gone/l/l.gguf" &&
	localmodel cleanup --yes --json >out.json &&
	test "$(count_rows gone/l:Q4_0)" = 0 && test ! -e "$M/gone"
'

test_expect_success 'other stores are kept unless --include-external' '
	C=$TRASH/hub/models--org--x &&
	mkdir -p "$C/blobs" "$C/snapshots/c1" "$C/snapshots/c2" "$C/refs" &&
	head -c 1000 /dev/zero >"$C/blobs/b1" && head -c 50 /dev/zero >"$C/blobs/b2" &&
	ln -s ../../blobs/b1 "$C/snapshots/c1/x-Q4_0.gguf" &&
	ln -s ../../blobs/b1 "$C/snapshots/c2/x-Q4_0.gguf" &&
	ln -s ../../blobs/b2 "$C/snapshots/c2/x-Q8_0.gguf" &&
	echo c2 >"$C/refs/main" &&
	add_model org/x:Q4_0 "$C/snapshots/c1/x-Q4_0.gguf" 1000 2025-01-01T00:00:00Z "" hf-cache &&
	add_model org/x:Q8_0 "$C/snapshots/c2/x-Q8_0.gguf" 50 2025-01-01T00:00:00Z "" hf-cache &&
	add_model llama3.2:3b "$TRASH/ollama/blobs/sha256-ab" 70 2025-01-01T00:00:00Z "" ollama &&
	L=$TRASH/lms/models/pub/y &&
	add_model pub/y:Q4_0 "$L/y-Q4_0.gguf" 80 2025-01-01T00:00:00Z "" lmstudio &&
	add_model mine/z:Q4_0 "$TRASH/mine/z.gguf" 90 2025-01-01T00:00:00Z "" path &&
	localmodel cleanup --yes >out &&
	test_grep "^org/x:Q4_0 .*kept: in hf-cache (--include-external" out &&
	test_grep "^llama3.2:3b .*kept: in ollama" out &&
	test -L "$C/snapshots/c1/x-Q4_0.gguf" && test -f "$L/y-Q4_0.gguf" &&
	test "$(count_rows org/x:Q4_0)" = 1
'

test_expect_success '--include-external follows each store'"'"'s rules' '
	C=$TRASH/hub/models--org--x && L=$TRASH/lms/models/pub/y &&
	localmodel cleanup --yes --include-external --json >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
m = {x[\"model\"]: x for x in d[\"models\"]}
assert m[\"org/x:Q4_0\"][\"status\"] == \"deleted\", m
assert m[\"org/x:Q8_0\"][\"status\"] == \"deleted\", m
assert m[\"pub/y:Q4_0\"][\"status\"] == \"deleted\", m
assert m[\"llama3.2:3b\"][\"reason\"] == \"run '\''ollama rm llama3.2:3b'\''\", m
assert m[\"mine/z:Q4_0\"][\"status\"] == \"kept\", m
assert d[\"freed_bytes\"] == 50 + 80, d
" &&
	test ! -e "$C/snapshots/c1" && test -f "$C/blobs/b1" &&
	test -L "$C/snapshots/c2/x-Q4_0.gguf" && test ! -e "$C/blobs/b2" &&
	test -f "$C/refs/main" && test ! -e "$TRASH/lms/models/pub" && test -d "$TRASH/lms/models" &&
	test -f "$TRASH/mine/z.gguf"
'

test_expect_success 'the last link to a hub blob removes the blob' '
	C=$TRASH/hub/models--org--x &&
	add_model org/x:Q4_0 "$C/snapshots/c2/x-Q4_0.gguf" 1000 2025-01-01T00:00:00Z "" hf-cache &&
	localmodel cleanup --yes --include-external --json >out.json &&
	test "$(json_get out.json "[\"freed_bytes\"]")" = 1000 &&
	test ! -e "$C/blobs/b1" && test -d "$C/snapshots" && test -f "$C/refs/main"
'

test_expect_success 'other stores: models localmodel served go stale by their usage' '
	export HF_HUB_CACHE=$TRASH/hfc OLLAMA_MODELS=$TRASH/nollama &&
	R=$HF_HUB_CACHE/models--org--ext &&
	mkdir -p "$R/blobs" "$R/snapshots/c1" "$R/refs" &&
	printf "GGUF" >"$R/blobs/e1" && head -c 996 /dev/zero >>"$R/blobs/e1" &&
	printf "GGUF" >"$R/blobs/e2" && head -c 96 /dev/zero >>"$R/blobs/e2" &&
	printf "GGUF" >"$R/blobs/e3" && head -c 6 /dev/zero >>"$R/blobs/e3" &&
	ln -s ../../blobs/e1 "$R/snapshots/c1/ext-Q4_0.gguf" &&
	ln -s ../../blobs/e2 "$R/snapshots/c1/ext-Q8_0.gguf" &&
	ln -s ../../blobs/e3 "$R/snapshots/c1/ext-F16.gguf" &&
	printf c1 >"$R/refs/main" &&
	sqlite3 "$DB" "INSERT INTO model_usage(model, timestamp) VALUES
		('\''org/ext:Q4_0'\'', '\''2026-01-01T00:00:00Z'\''),
		('\''org/ext:Q8_0'\'', '\''2026-04-09T00:00:00Z'\'')" &&
	localmodel cleanup --yes >out &&
	test_grep -v "org/ext" out && test -f "$R/blobs/e1" &&
	localmodel cleanup --yes --include-external --json >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
m = {x[\"model\"]: x for x in d[\"models\"]}
assert m[\"org/ext:Q4_0\"][\"status\"] == \"deleted\", m
assert m[\"org/ext:Q4_0\"][\"source\"] == \"hf-cache\", m
assert \"org/ext:Q8_0\" not in m and \"org/ext:F16\" not in m, m
assert d[\"freed_bytes\"] == 1000, d
" &&
	test ! -e "$R/blobs/e1" && test ! -e "$R/snapshots/c1/ext-Q4_0.gguf" &&
	test -f "$R/blobs/e2" && test -f "$R/blobs/e3" && test -f "$R/refs/main"
'

test_expect_success SCRIPT 'on a terminal it asks per model: y, n, q' '
	for n in 1 2 3; do
		add_model tty/m$n:Q4_0 "$M/tty/m$n/m.gguf" 10 2025-01-0${n}T00:00:00Z || exit 1
	done &&
	printf "y\nn\nq\n" | script -qec "localmodel cleanup" /dev/null >out 2>&1 &&
	test_grep "delete tty/m1:Q4_0 (10 B, last used .*)? \[ynaq\]" out &&
	test ! -e "$M/tty/m1" && test -f "$M/tty/m2/m.gguf" && test -f "$M/tty/m3/m.gguf" &&
	printf "a\n" | script -qec "localmodel cleanup" /dev/null >out 2>&1 &&
	test ! -e "$M/tty" &&
	test_grep "deleted 2 models, freed 20 B" out
'

test_expect_success 'bad options are usage errors' '
	test_expect_code 2 localmodel cleanup --days 0 2>err &&
	test_grep "days" err &&
	test_expect_code 2 localmodel cleanup --days soon &&
	test_expect_code 2 localmodel cleanup extra
'

test_done
