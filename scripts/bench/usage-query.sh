#!/bin/sh
# usage-query: `localmodel usage` on 1,000 models and 1M usage rows.
# Prints the first run (which builds the daily summary once), the median of
# the following runs, and a reference: the sqlite3 shell summing the same
# rows per model straight from model_usage.
# Usage: scripts/bench/usage-query.sh [RUNS]   (LOCALMODEL_BIN to pick a binary)
set -eu
RUNS=${1:-21}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${LOCALMODEL_BIN:-$SRC/localmodel}
command -v sqlite3 >/dev/null || { echo "usage-query: needs the sqlite3 shell" >&2; exit 1; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/lm-bench-usage.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
export LOCALMODEL_HOME="$DIR" LOCALMODEL_NOW=2026-01-01T00:00:00Z
DB=$DIR/localmodel.db

# seed-compatible core tables; localmodel migrates them on first open
sqlite3 "$DB" <<'SQL'
CREATE TABLE model_inventory(model TEXT PRIMARY KEY, file_path TEXT, repo_source TEXT,
 size_bytes INTEGER DEFAULT 0, quantization TEXT, sha256 TEXT, first_seen TEXT,
 last_used TEXT, total_requests INTEGER DEFAULT 0);
CREATE TABLE model_usage(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL,
 session_id TEXT, timestamp TEXT NOT NULL, tokens_in INTEGER DEFAULT 0,
 tokens_out INTEGER DEFAULT 0, duration_ms REAL DEFAULT 0, tok_per_sec REAL DEFAULT 0);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO model_inventory(model, file_path, size_bytes, first_seen, last_used)
SELECT printf('org/model-%04d:Q4_K_M', i), printf('/nowhere/%d.gguf', i), 1000000000 + i,
 '2025-01-01T00:00:00Z', NULL FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
INSERT INTO model_usage(model, session_id, timestamp, tokens_in, tokens_out, duration_ms,
 tok_per_sec)
SELECT printf('org/model-%04d:Q4_K_M', (i * 7919) % 1000), 's' || (i / 1000),
 strftime('%Y-%m-%dT%H:%M:%SZ', 1735689600 + i * 30, 'unixepoch'), 100 + i % 500,
 50 + i % 200, 1000.5, 42.0 FROM n;
COMMIT;
SQL

now_ms() { date +%s%N | cut -c1-13; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_cmd() { # runs -> one ms figure per line
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		t0=$(now_ms); "$@" >/dev/null; t1=$(now_ms)
		echo $((t1 - t0)); i=$((i + 1))
	done
}

t0=$(now_ms); "$BIN" usage >/dev/null; t1=$(now_ms)
first=$((t1 - t0))
lm=$(time_cmd "$BIN" usage | median)
lm_since=$(time_cmd "$BIN" usage --since 30d --by day | median)
ref=$(time_cmd sqlite3 "$DB" "SELECT model, COUNT(*), SUM(tokens_in), SUM(tokens_out),
 SUM(duration_ms), MAX(timestamp) FROM model_usage GROUP BY model" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
echo "usage-query first run (builds the summary table): localmodel $first ms"
echo "usage-query 1M rows: localmodel $lm ms, sqlite3 GROUP BY $ref ms, ratio $(ratio "$lm" "$ref")"
echo "usage-query --since 30d --by day: localmodel $lm_since ms, sqlite3 GROUP BY $ref ms, ratio $(ratio "$lm_since" "$ref")"
