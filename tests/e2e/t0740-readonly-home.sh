#!/bin/sh
test_description='a read-only home: read-only commands work, writing ones say why they cannot'
. "$(dirname "$0")/lib.sh"

H=$LOCALMODEL_HOME
DB=$H/localmodel.db
M=$H/models
export LOCALMODEL_NOW=2026-04-10T12:00:00Z

# the home becomes a read-only bind mount of itself; it is unmounted at
# exit, whatever happened, before the trash is removed
ro_mounted=""
unmount_home() {
	if [ -n "$ro_mounted" ]; then
		umount "$H" 2>/dev/null
		ro_mounted=""
	fi
}
trap 'unmount_home; test_cleanup' EXIT

test_expect_success 'setup: a model, a partial download and some usage' '
	mkdir -p "$H" &&
	test_expect_code 4 localmodel stop 2>/dev/null &&
	mkdir -p "$M/org/repo" &&
	python3 "$FIXTURES/mkgguf.py" "$M/org/repo/repo-Q4_K_M.gguf" --name ro >/dev/null &&
	sqlite3 "$DB" "INSERT INTO model_inventory(model, file_path, size_bytes, first_seen, source)
		VALUES ('\''org/repo:Q4_K_M'\'', '\''$M/org/repo/repo-Q4_K_M.gguf'\'',
		$(wc -c <"$M/org/repo/repo-Q4_K_M.gguf"), '\''2026-01-01T00:00:00Z'\'', '\''localmodel'\'');
		INSERT INTO model_usage(model, timestamp, tokens_in, tokens_out)
		VALUES ('\''org/repo:Q4_K_M'\'', '\''2026-04-09T10:00:00Z'\'', 10, 20)" &&
	head -c 500 /dev/urandom >"$M/org/repo/big-Q8_0.gguf.part" &&
	{ sh -c "exit 0" & } && dead=$! && wait $dead &&
	mkdir -p "$H/run" &&
	printf "%s\n" "supervisor_pid=$dead" "supervisor_start=1" "child_pid=0" "child_start=0" \
		"host=127.0.0.1" "port=18999" "model=ghost" "phase=running" >"$H/run/server-18999.state"
'

if mount --bind "$H" "$H" 2>/dev/null; then
	ro_mounted=1
	if ! mount -o remount,ro,bind "$H" 2>/dev/null; then
		unmount_home
	fi
fi
if [ -z "$ro_mounted" ] || touch "$H/.probe" 2>/dev/null; then
	rm -f "$H/.probe"
	unmount_home
	echo "# skipped: mounting a read-only bind mount is not permitted here (needs root" \
		"and mount namespaces)"
	test_done
fi

test_expect_success 'models, with the partial download' '
	localmodel models --json >m.json &&
	python3 -c "
import json
d = {m[\"name\"]: m for m in json.load(open(\"m.json\"))[\"models\"]}
assert d[\"org/repo:Q4_K_M\"][\"broken\"] is False, d
assert d[\"org/repo/big-Q8_0.gguf\"][\"partial\"] is True, d
" &&
	localmodel models >out &&
	test_grep "^org/repo:Q4_K_M" out
'

test_expect_success 'status' '
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"models\"][\"count\"]")" = 1 &&
	test "$(json_get st.json "[\"partials\"][0][\"name\"]")" = org/repo/big-Q8_0.gguf &&
	localmodel status >out &&
	test_grep "^models:   1" out
'

test_expect_success 'a dead server'"'"'s record that cannot be removed is not called cleaned' '
	localmodel status >out &&
	test_grep "^stale:    record of port 18999 (supervisor pid [0-9]* is gone), not removed: " out &&
	! grep -q "cleaned" out &&
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"stale_cleaned\"][0][\"port\"]")" = 18999 &&
	test "$(json_get st.json "[\"stale_cleaned\"][0][\"removed\"]")" = false &&
	test -f "$H/run/server-18999.state"
'

test_expect_success 'usage' '
	localmodel usage --json >u.json &&
	json_valid u.json &&
	localmodel usage >out &&
	test_grep "org/repo:Q4_K_M" out
'

test_expect_success 'cleanup --dry-run lists, deletes nothing' '
	localmodel cleanup --dry-run --days 1 --json >c.json &&
	python3 -c "
import json
d = {m[\"model\"]: m for m in json.load(open(\"c.json\"))[\"models\"]}
assert d[\"org/repo:Q4_K_M\"][\"status\"] == \"stale\", d
assert d[\"org/repo/big-Q8_0.gguf\"][\"partial\"] is True, d
"
'

test_expect_success 'recommend' '
	localmodel recommend --json >r.json &&
	json_valid r.json
'

test_expect_success 'writing commands say the home is read-only, and change nothing' '
	test_expect_code 1 localmodel cleanup --yes --days 1 2>err &&
	test_grep "read-only" err &&
	test_expect_code 1 localmodel models rm org/repo:Q4_K_M 2>err &&
	test_grep "read-only" err &&
	test_expect_code 1 localmodel models pin org/repo:Q4_K_M 2>err &&
	test_grep "read-only" err &&
	test_expect_code 1 localmodel pull org/repo 2>err &&
	test_grep "read-only" err &&
	test -f "$M/org/repo/repo-Q4_K_M.gguf" &&
	test -f "$M/org/repo/big-Q8_0.gguf.part"
'

test_expect_success 'nothing was written into the home' '
	test ! -e "$DB-wal" &&
	test ! -e "$M/.lm-deleting.lock"
'

test_done
