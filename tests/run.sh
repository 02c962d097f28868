#!/bin/sh
# run.sh: run the unit tests, then every tests/e2e/t*.sh and tests/faults/t*.sh,
# and end with one line "N passed, N failed, N skipped" (CI reads it).
# TESTS="t0001 t03*" limits the e2e scripts to those name patterns;
# UNIT=0 skips the unit tests; LOCALMODEL_VALGRIND=1 runs them under memcheck.
: "${BUILD:=build}"
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
export LOCALMODEL_BIN="${LOCALMODEL_BIN:-$SRC_DIR/$BUILD/localmodel}"
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/lm-tests.XXXXXX")
export T_TMPDIR="$LOGDIR"
passed=0
failed=0
skipped=0
failed_names=""

# count LOG: add the last "N passed, N failed[, N skipped]" line of LOG
count() {
	line=$(grep -E ': [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$1" | tail -n 1 |
		sed 's/.*: //')
	set -- $line
	passed=$((passed + ${1:-0}))
	failed=$((failed + ${3:-0}))
	skipped=$((skipped + ${5:-0}))
}

selected() { # name -> 0 when TESTS is unset or matches it
	[ -z "${TESTS:-}" ] && return 0
	for pat in $TESTS; do
		case $1 in $pat*) return 0 ;; esac
	done
	return 1
}

VG=""
[ -n "${LOCALMODEL_VALGRIND:-}" ] && VG="valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite,indirect"

for t in "$SRC_DIR/$BUILD"/tests/test_*; do
	[ -x "$t" ] && [ "${UNIT:-1}" = 1 ] || continue
	name=$(basename "$t")
	if $VG "$t" >"$LOGDIR/$name.log" 2>&1; then
		count "$LOGDIR/$name.log"
		echo "PASS unit/$name"
	else
		count "$LOGDIR/$name.log"
		grep -q ' passed, ' "$LOGDIR/$name.log" || failed=$((failed + 1))
		failed_names="$failed_names unit/$name"
		echo "FAIL unit/$name"
		sed 's/^/  | /' "$LOGDIR/$name.log" | tail -n 40
	fi
done

# e2e and fault scripts run TEST_JOBS at a time (most of their time is spent
# waiting on servers); results are reported in name order.
JOBS=${TEST_JOBS:-3}
run_script() { # script -> writes $LOGDIR/<name>.log and <name>.rc
	n=$(basename "$1" .sh)
	${TEST_TIMEOUT:+timeout "$TEST_TIMEOUT"} sh "$1" >"$LOGDIR/$n.log" 2>&1
	echo $? >"$LOGDIR/$n.rc"
}
scripts=""
for t in "$SRC_DIR"/tests/e2e/t[0-9]*.sh "$SRC_DIR"/tests/faults/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	selected "$(basename "$t" .sh)" || continue
	scripts="$scripts $t"
done
for t in $scripts; do
	while [ "$(find "$LOGDIR" -name '*.running' | wc -l)" -ge "$JOBS" ]; do
		sleep 0.1
	done
	n=$(basename "$t" .sh)
	touch "$LOGDIR/$n.running"
	(run_script "$t"; rm -f "$LOGDIR/$n.running") &
done
wait
for t in $scripts; do
	name=$(basename "$t" .sh)
	count "$LOGDIR/$name.log"
	if [ "$(cat "$LOGDIR/$name.rc" 2>/dev/null)" = 0 ]; then
		echo "PASS $name"
	else
		grep -q ' passed, ' "$LOGDIR/$name.log" || failed=$((failed + 1))
		failed_names="$failed_names $name"
		echo "FAIL $name"
		grep -v '^ok ' "$LOGDIR/$name.log" | sed 's/^/  | /' | tail -n 60
	fi
done

rm -rf "$LOGDIR"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ -z "$failed_names" ]
