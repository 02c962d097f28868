#!/bin/sh
test_description='cleanup --yes: kill -9 at 24 random moments, SIGTERM midway; every model ends whole with its row or gone with it'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

H=$LOCALMODEL_HOME
DB=$H/localmodel.db
M=$H/models
export LOCALMODEL_NOW=2026-04-10T12:00:00Z
# 10 ms between the steps of each deletion: the kills land inside them
export LOCALMODEL_TEST_DELETE_PAUSE_US=10000
SINGLE="a b c d"
SPLIT="e f"

add_row() { # NAME PATH PARTS PINNED
	sqlite3 "$DB" "INSERT INTO model_inventory(model, file_path, size_bytes, first_seen,
		source, parts, pinned) VALUES ('$1', '$2', 100, '2026-01-01T00:00:00Z', 'localmodel',
		$3, $4)"
}
rows() {
	sqlite3 -cmd '.timeout 5000' "$DB" "SELECT COUNT(*) FROM model_inventory WHERE model = '$1'"
}
split_part() { # MODEL N
	echo "$M/org/$1/$1-Q4_K_M-0000$2-of-00003.gguf"
}

# six stale models (two split in three parts) and a pinned one
setup_models() {
	rm -rf "$H" && mkdir -p "$H" &&
	{ localmodel stop >/dev/null 2>&1; test -f "$DB"; } &&
	for m in $SINGLE p; do
		mkdir -p "$M/org/$m" &&
		head -c 3000 /dev/urandom >"$M/org/$m/$m-Q4_K_M.gguf" || return 1
	done &&
	for m in $SINGLE; do
		add_row "org/$m:Q4_K_M" "$M/org/$m/$m-Q4_K_M.gguf" 1 0 || return 1
	done &&
	add_row org/p:Q4_K_M "$M/org/p/p-Q4_K_M.gguf" 1 1 &&
	for m in $SPLIT; do
		mkdir -p "$M/org/$m" &&
		for n in 1 2 3; do
			head -c 2000 /dev/urandom >"$(split_part $m $n)" || return 1
		done &&
		add_row "org/$m:Q4_K_M" "$(split_part $m 1)" 3 0 || return 1
	done
}

# every model: whole with its row, or gone with its row; the pinned one
# untouched; nothing renamed aside left behind. Prints how many were gone.
check_models() {
	gone=0
	left=$(find "$M" -name "*.lm-deleting" 2>/dev/null)
	if [ -n "$left" ]; then
		echo "left behind: $left" >&2
		return 1
	fi
	for m in $SINGLE; do
		r=$(rows "org/$m:Q4_K_M") || return 1
		if [ -f "$M/org/$m/$m-Q4_K_M.gguf" ]; then
			[ "$r" = 1 ] || { echo "org/$m: file without its row" >&2; return 1; }
		else
			[ "$r" = 0 ] || { echo "org/$m: row without its file" >&2; return 1; }
			gone=$((gone + 1))
		fi
	done
	for m in $SPLIT; do
		r=$(rows "org/$m:Q4_K_M") || return 1
		have=0
		for n in 1 2 3; do
			[ -f "$(split_part $m $n)" ] && have=$((have + 1))
		done
		case "$have:$r" in
		3:1) ;;
		0:0) gone=$((gone + 1)) ;;
		*) echo "org/$m: $have of 3 parts, $r rows" >&2; return 1 ;;
		esac
	done
	[ -f "$M/org/p/p-Q4_K_M.gguf" ] && [ "$(rows org/p:Q4_K_M)" = 1 ] ||
		{ echo "the pinned model was touched" >&2; return 1; }
	echo "$gone"
}

test_expect_success 'without a fault: the six stale models go, the pinned one stays' '
	setup_models &&
	localmodel cleanup --yes >out &&
	test_grep "deleted 6 models" out &&
	test "$(check_models)" = 6
'

test_expect_success 'kill -9 at 24 random moments: the next command completes or rolls back' '
	midway=0 &&
	for trial in $(seq 1 24); do
		setup_models || exit 1
		delay=$(python3 -c "import random; print(\"%.3f\" % random.uniform(0.01, 0.4))")
		localmodel cleanup --yes >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		[ -n "$(find "$M" -name "*.lm-deleting")" ] && midway=$((midway + 1))
		localmodel models >/dev/null 2>&1 || { echo "trial $trial: models failed" >&2; exit 1; }
		gone=$(check_models) || { echo "trial $trial (after ${delay}s) broken" >&2; exit 1; }
		echo "trial $trial: killed after ${delay}s, $gone of 6 gone"
	done &&
	echo "$midway of 24 kills left a deletion half done" &&
	test "$midway" -ge 1
'

test_expect_success 'cleanup itself completes a killed deletion, and says so' '
	setup_models &&
	mv "$M/org/a/a-Q4_K_M.gguf" "$M/org/a/a-Q4_K_M.gguf.lm-deleting" &&
	mv "$(split_part e 2)" "$(split_part e 2).lm-deleting" &&
	sqlite3 "$DB" "DELETE FROM model_inventory WHERE model = '\''org/e:Q4_K_M'\''" &&
	localmodel cleanup --dry-run >out 2>err &&
	test_grep "interrupted deletion" err &&
	test -f "$M/org/a/a-Q4_K_M.gguf" &&
	test "$(rows org/a:Q4_K_M)" = 1 &&
	test ! -e "$(split_part e 2).lm-deleting" &&
	test -z "$(find "$M" -name "*.lm-deleting")"
'

test_expect_success 'SIGTERM: the model under way is finished, the rest kept, exit 1' '
	setup_models &&
	{ localmodel cleanup --yes >out 2>err & } &&
	pid=$! &&
	sleep 0.15 &&
	kill -TERM $pid &&
	test_expect_code 1 wait $pid &&
	test -z "$(find "$M" -name "*.lm-deleting")" &&
	gone=$(check_models) &&
	test "$gone" -lt 6 &&
	test_grep "skipped" out &&
	test_grep "stopped by a signal" err
'

test_done
