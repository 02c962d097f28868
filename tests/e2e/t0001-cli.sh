#!/bin/sh
test_description='command line: help, version, usage errors, exit codes'
. "$(dirname "$0")/lib.sh"

test_expect_success '--version prints the version' '
	localmodel --version >out &&
	test_grep "^localmodel [0-9]" out
'

test_expect_success '--help lists every command' '
	localmodel --help >out &&
	for c in install serve stop status models search pull recommend usage cleanup update; do
		test_grep "^  $c" out || exit 1
	done
'

test_expect_success 'unknown command exits 2 with a hint' '
	test_expect_code 2 localmodel frobnicate 2>err &&
	test_grep "not a command" err &&
	test_expect_code 2 localmodel stauts 2>err &&
	test_grep "status" err
'

test_expect_success 'unknown option exits 2 with a hint' '
	test_expect_code 2 localmodel status --jsn 2>err &&
	test_grep "did you mean .--json." err &&
	test_expect_code 2 localmodel --frob status 2>err
'

test_expect_success 'every command has --help, help CMD, and a man section' '
	for c in $(localmodel __complete); do
		localmodel $c --help >out && test_grep "^usage: localmodel $c" out || exit 1
		localmodel help $c >out2 && test_cmp out out2 || exit 1
		test_grep "^\\.SS \"\\?$c" "$SRC_DIR/man/localmodel.1" || exit 1
	done
'

test_expect_success 'aliases reach their commands' '
	localmodel setup --help | test_grep "^usage: localmodel install" - &&
	localmodel start --help | test_grep "^usage: localmodel serve" - &&
	localmodel download --help | test_grep "^usage: localmodel pull" - &&
	localmodel ls --help | test_grep "^usage: localmodel models" -
'

test_expect_success 'a value option without a value is a usage error' '
	test_expect_code 2 localmodel pull --file 2>err &&
	test_grep "needs a value" err
'

test_expect_success 'writing to a full device is an error' '
	test_expect_code 1 localmodel --version >/dev/full 2>err &&
	test_grep "write error" err
'

test_expect_success 'a reader that closed the pipe is no error: exit 0, stderr empty' '
	{ localmodel --help 2>err; echo $? >rc; } | { exec 0<&-; sleep 0.2; } &&
	test "$(cat rc)" = 0 &&
	test_must_be_empty err
'

test_expect_success '--help | true, 50 times (10 under memcheck): exit 0, stderr empty' '
	i=0 && n=50 &&
	if test_have_prereq VALGRIND; then n=10; fi &&
	while [ $i -lt $n ]; do
		{ localmodel --help 2>err; echo $? >rc; } | true &&
		test "$(cat rc)" = 0 && test_must_be_empty err || exit 1
		i=$((i + 1))
	done
'

test_expect_success 'status --json is one valid JSON document' '
	localmodel --json status >out &&
	json_valid out &&
	test "$(json_get out "[\"models\"][\"count\"]")" = 0 &&
	localmodel status --json >out2 && json_valid out2
'

test_expect_success 'read-only commands create no directories' '
	localmodel status >/dev/null &&
	localmodel --json status >/dev/null &&
	test ! -e "$LOCALMODEL_HOME"
'

test_expect_success '--home and LOCALMODEL_HOME choose the state directory' '
	localmodel --home "$TRASH/other" --json status >out &&
	test "$(json_get out "[\"paths\"][\"models\"]")" = "$TRASH/other/models"
'

test_expect_success 'XDG directories are used without LOCALMODEL_HOME' '
	(unset LOCALMODEL_HOME; XDG_DATA_HOME=$TRASH/xd localmodel --json status) >out &&
	test "$(json_get out "[\"paths\"][\"database\"]")" = "$TRASH/xd/localmodel/localmodel.db"
'

test_expect_success 'a bad config value is an error naming the line' '
	mkdir -p "$LOCALMODEL_HOME" &&
	printf "port = 8080\nreserve_gb = lots\n" >"$LOCALMODEL_HOME/config" &&
	test_expect_code 2 localmodel status 2>err &&
	test_grep "config:2" err &&
	printf "mystery = 1\n" >"$LOCALMODEL_HOME/config" &&
	localmodel status >/dev/null 2>err &&
	test_grep "unknown config key .mystery." err &&
	rm "$LOCALMODEL_HOME/config"
'

test_expect_success 'status shows the hardware of the machine it runs on' '
	LOCALMODEL_SYSROOT="$FIXTURES/sysroot/laptop-8g" localmodel status >out &&
	test_grep "^hardware: .*8 cores, 7.6 GB RAM" out &&
	LOCALMODEL_SYSROOT="$FIXTURES/sysroot/laptop-8g" localmodel --json status >out.json &&
	test "$(json_get out.json "[\"hardware\"][\"memory\"][\"total_bytes\"]")" = 8180973568
'

test_done
