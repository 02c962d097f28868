#!/bin/sh
# nudge: `localmodel cleanup --nudge` with 1,000 inventory rows and 1M usage
# rows, against a C hello-world linked with sqlite3 that opens the same
# database and runs one query. Two figures: the path that queries (no nudge
# shown today, stale data under the threshold so nothing is stamped) and the
# path that returns after reading the once-a-day stamp.
# Usage: scripts/bench/nudge.sh [RUNS]   (LOCALMODEL_BIN to pick a binary; CC)
set -eu
RUNS=${1:-201}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${LOCALMODEL_BIN:-$SRC/localmodel}
CC=${CC:-cc}
command -v sqlite3 >/dev/null || { echo "nudge: needs the sqlite3 shell" >&2; exit 1; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/lm-bench-nudge.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
export LOCALMODEL_HOME="$DIR/home" LOCALMODEL_NOW=2026-04-10T12:00:00Z
mkdir -p "$LOCALMODEL_HOME"
DB=$LOCALMODEL_HOME/localmodel.db

sqlite3 "$DB" <<'SQL'
CREATE TABLE model_inventory(model TEXT PRIMARY KEY, file_path TEXT, repo_source TEXT,
 size_bytes INTEGER DEFAULT 0, quantization TEXT, sha256 TEXT, first_seen TEXT,
 last_used TEXT, total_requests INTEGER DEFAULT 0);
CREATE TABLE model_usage(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL,
 session_id TEXT, timestamp TEXT NOT NULL, tokens_in INTEGER DEFAULT 0,
 tokens_out INTEGER DEFAULT 0, duration_ms REAL DEFAULT 0, tok_per_sec REAL DEFAULT 0);
SQL
"$BIN" usage >/dev/null # migrate as localmodel would
sqlite3 "$DB" <<'SQL'
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO model_inventory(model, file_path, size_bytes, first_seen, last_used)
SELECT printf('org/model-%04d:Q4_K_M', i), printf('/m/%d.gguf', i), 4000000000 + i,
 '2025-01-01T00:00:00Z',
 strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + i * 8640, 'unixepoch') FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
INSERT INTO model_usage(model, session_id, timestamp, tokens_in, tokens_out, duration_ms,
 tok_per_sec)
SELECT printf('org/model-%04d:Q4_K_M', i % 1000), 's', strftime('%Y-%m-%dT%H:%M:%SZ',
 1735689600 + i * 30, 'unixepoch'), 100, 50, 1000.5, 42.0 FROM n;
COMMIT;
SQL

cat >"$DIR/hello.c" <<'C'
#include <sqlite3.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	if (argc < 2 || sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return 1;
	if (sqlite3_prepare_v2(db, "SELECT COUNT(*), SUM(size_bytes) FROM model_inventory"
			       " WHERE last_used < '2026-03-11T12:00:00Z'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) < 0)
		printf("hello\n");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}
C
$CC -O2 -o "$DIR/hello" "$DIR/hello.c" -lsqlite3

# Median wall time of RUNS runs of a command, in microseconds (one process
# starts the runs, so the shell's own cost is not in the figure).
python3 - "$RUNS" "$DIR" "$BIN" "$DB" <<'PY'
import os, subprocess, sys, time
runs, d, lm, db = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
home = os.environ["LOCALMODEL_HOME"]
stamp = os.path.join(home, "nudge-stamp")
def median_us(argv, env, before=None):
    ts = []
    for _ in range(runs):
        if before:
            before()
        t0 = time.perf_counter_ns()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        ts.append((time.perf_counter_ns() - t0) / 1000)
    ts.sort()
    return ts[len(ts) // 2]
env = dict(os.environ)
quiet = dict(env, LOCALMODEL_NUDGE_MIN_GB="1000000")  # queries, never prints or stamps
def nostamp():
    if os.path.exists(stamp):
        os.unlink(stamp)
hello = median_us([os.path.join(d, "hello"), db], env)
query = median_us([lm, "cleanup", "--nudge"], quiet, nostamp)
# shown once, then the stamp answers
subprocess.run([lm, "cleanup", "--nudge"], env=env, stderr=subprocess.DEVNULL)
stamped = median_us([lm, "cleanup", "--nudge"], env)
print("nudge (query path, 1000 models, 1M usage rows): localmodel %.2f ms, "
      "sqlite3 hello-world %.2f ms, ratio %.2fx" % (query / 1000, hello / 1000, query / hello))
print("nudge (already shown today): localmodel %.2f ms, sqlite3 hello-world %.2f ms, "
      "ratio %.2fx" % (stamped / 1000, hello / 1000, stamped / hello))
PY
