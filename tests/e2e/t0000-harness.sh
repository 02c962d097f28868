#!/bin/sh
test_description='the harness itself: set -e in bodies, the &&-chain lint, prerequisites, skip counts'
. "$(dirname "$0")/lib.sh"

LIB=$SRC_DIR/tests/e2e/lib.sh

# mk NAME: a test script tests/e2e/NAME.sh under t/ whose cases are read
# from stdin, run with lib.sh like any other script
mk() {
	mkdir -p t/tests/e2e &&
	{
		printf '#!/bin/sh\ntest_description=generated\n. "%s"\n' "$LIB" &&
		cat &&
		printf 'test_done\n'
	} >"t/tests/e2e/$1.sh"
}

# run NAME: run it as run.sh would, output in NAME.out, exit status in rc
run() {
	rc=0 &&
	(unset TEST_CHAIN_LINT; sh "t/tests/e2e/$1.sh") >"$1.out" 2>&1 || rc=$?
	sed 's/^/| /' "$1.out"
}

test_expect_success 'a body "false; true" fails, with set -e in force and the lint off' '
	mk t9001 <<-\EOF &&
	test_expect_success "false then true" "false; true"
	EOF
	{ rc=0 && TEST_CHAIN_LINT=0 sh t/tests/e2e/t9001.sh >t9001.out 2>&1 || rc=$?; } &&
	cat t9001.out &&
	test "$rc" = 1 &&
	test_grep "^not ok 1 - false then true$" t9001.out &&
	test "$(tail -n 1 t9001.out)" = "# t9001: 0 passed, 1 failed, 0 skipped"
'

test_expect_success 'a failing command inside a helper called last fails the case' '
	mk t9002 <<-\EOF &&
	helper() { false; echo "still running"; }
	test_expect_success "helper" "helper"
	EOF
	run t9002 &&
	test "$rc" = 1 &&
	test_grep "^not ok 1 - helper$" t9002.out &&
	test_grep -v "still running" t9002.out
'

test_expect_success 'an unchained "false" line is caught by the lint' '
	mk t9003 <<-\EOF &&
	test_expect_success "unchained" "
		false
		true
	"
	test_expect_success "chained" "
		true &&
		true
	"
	EOF
	run t9003 &&
	test "$rc" = 1 &&
	test_grep "^not ok 1 - unchained # broken &&-chain" t9003.out &&
	test_grep "^ok 2 - chained$" t9003.out &&
	test "$(tail -n 1 t9003.out)" = "# t9003: 1 passed, 1 failed, 0 skipped"
'

test_expect_success 'the lint: "|| :" over a chain, ";", here-docs, background, loops' '
	mk t9004 <<-\EOF &&
	test_expect_success "or-colon" "false && true || :"
	test_expect_success "semicolon" "true; true"
	test_expect_success "here-doc" "cat >x <<-EOT &&
		a
		EOX
	true"
	test_expect_success "grouped or" "{ false || :; } && true"
	test_expect_success "background" "sleep 0 &
	p=\$! &&
	wait \$p"
	test_expect_success "unchained after background" "sleep 0 &
	p=\$!
	wait \$p"
	test_expect_success "a chain sent to the background" "true &&
	sleep 0 &
	wait \$!"
	test_expect_success "background in braces" "true &&
	{ sleep 0 & } &&
	p=\$! &&
	{ sleep 0 & } &&
	wait \$p \$!"
	test_expect_success "a loop that hides failures" "for x in a b; do
		test \$x = b
	done"
	test_expect_success "a loop that reports them" "for x in a b; do
		while false; do :; done
		test \$x = a || exit 1
	done"
	EOF
	run t9004 &&
	test "$rc" = 1 &&
	test_grep "^not ok 1 - or-colon # broken" t9004.out &&
	test_grep "^not ok 2 - semicolon # broken" t9004.out &&
	test_grep "^not ok 3 - here-doc # broken" t9004.out &&
	test_grep "^ok 4 - grouped or$" t9004.out &&
	test_grep "^ok 5 - background$" t9004.out &&
	test_grep "^not ok 6 - unchained after background # broken" t9004.out &&
	test_grep "^not ok 7 - a chain sent to the background # & after && or || sends" t9004.out &&
	test_grep "^ok 8 - background in braces$" t9004.out &&
	test_grep "^not ok 9 - a loop that hides failures # a for loop without || exit 1" t9004.out &&
	test_grep "^not ok 10 - a loop that reports them$" t9004.out
'

test_expect_success 'a missing prerequisite skips the case and counts it as skipped' '
	mk t9005 <<-\EOF &&
	test_set_prereq HAVE
	test_lazy_prereq LAZY_NO "false"
	test_lazy_prereq LAZY_YES "true"
	test_expect_success MISSING "needs MISSING" "false"
	test_expect_success HAVE,LAZY_YES "needs HAVE and LAZY_YES" "true"
	test_expect_success LAZY_NO "needs LAZY_NO" "false"
	test_expect_success !HAVE "needs no HAVE" "false"
	test_expect_success !MISSING "needs no MISSING" "true"
	EOF
	run t9005 &&
	test "$rc" = 0 &&
	test_grep "^ok 1 # skip needs MISSING (missing MISSING)$" t9005.out &&
	test_grep "^ok 2 - needs HAVE and LAZY_YES$" t9005.out &&
	test_grep "^ok 3 # skip needs LAZY_NO (missing LAZY_NO)$" t9005.out &&
	test_grep "^ok 4 # skip needs no HAVE (missing !HAVE)$" t9005.out &&
	test_grep "^ok 5 - needs no MISSING$" t9005.out &&
	test "$(tail -n 1 t9005.out)" = "# t9005: 2 passed, 0 failed, 3 skipped"
'

test_expect_success 'skip_all skips a whole script, counted as one skip' '
	mk t9006 <<-\EOF &&
	skip_all="not on this machine"
	EOF
	run t9006 &&
	test "$rc" = 0 &&
	test_grep "^1\.\.0 # SKIP not on this machine$" t9006.out &&
	test "$(tail -n 1 t9006.out)" = "# t9006: 0 passed, 0 failed, 1 skipped"
'

test_expect_success 'a known breakage is not a failure, and is counted as skipped' '
	mk t9007 <<-\EOF &&
	test_expect_failure "known bug" "false"
	EOF
	run t9007 &&
	test "$rc" = 0 &&
	test_grep "^not ok 1 - known bug # TODO known breakage$" t9007.out &&
	test "$(tail -n 1 t9007.out)" = "# t9007: 0 passed, 0 failed, 1 skipped"
'

test_expect_success 'run.sh sums the scripts and ends with "N passed, N failed, N skipped"' '
	rm -rf t && mkdir -p t/tests/e2e &&
	cp "$SRC_DIR/tests/run.sh" t/tests/ &&
	mk t9101 <<-\EOF &&
	test_expect_success "passes" "true"
	test_expect_success MISSING "skipped" "true"
	EOF
	mk t9102 <<-\EOF &&
	test_expect_success "fails" "false"
	test_expect_success MISSING "skipped too" "true"
	EOF
	{ rc=0 && (unset TESTS TEST_CHAIN_LINT; UNIT=0 sh t/tests/run.sh) >run.out 2>&1 || rc=$?; } &&
	cat run.out &&
	test "$rc" = 1 &&
	test "$(tail -n 1 run.out)" = "1 passed, 1 failed, 2 skipped" &&
	test_grep "^PASS t9101$" run.out &&
	test_grep "^FAIL t9102$" run.out
'

test_done
