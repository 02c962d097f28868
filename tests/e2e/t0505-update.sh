#!/bin/sh
test_description='update: --check, update, --rollback, pruning of old builds'
. "$(dirname "$0")/lib.sh"

RT=$LOCALMODEL_HOME/runtime

test_expect_success 'setup: builds b100 and b200' '
	python3 "$FIXTURES/mkrelease.py" tree rel b100 b200
'
# the fixture starts in this shell, so that test_done stops it
start_fixture port python3 "$FIXTURES/mockgithub.py" rel port >/dev/null || exit 1
LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat port)
export LOCALMODEL_GITHUB_API

test_expect_success 'with nothing installed update, --check and --rollback exit 8' '
	test_expect_code 8 localmodel update 2>err &&
	test_grep "no runtime installed" err &&
	test_expect_code 8 localmodel update --check --json >out 2>err &&
	test ! -s out &&
	test_expect_code 8 localmodel update --rollback 2>err
'

test_expect_success '--check and --rollback together is a usage error' '
	test_expect_code 2 localmodel update --check --rollback
'

test_expect_success 'install the older build' '
	localmodel install --backend cpu --tag b100 >/dev/null &&
	test "$(readlink "$RT/current")" = b100-cpu
'

test_expect_success 'with no previous build --rollback exits 8' '
	test_expect_code 8 localmodel update --rollback 2>err &&
	test_grep "no previous runtime" err
'

test_expect_success 'update --check --json reports the newer build' '
	localmodel update --check --json >out.json &&
	json_valid out.json &&
	test "$(json_get out.json "[\"installed\"]")" = b100 &&
	test "$(json_get out.json "[\"latest\"]")" = b200 &&
	test "$(json_get out.json "[\"update_available\"]")" = true &&
	localmodel update --check >out &&
	test_grep "update is available" out &&
	test "$(readlink "$RT/current")" = b100-cpu
'

test_expect_success 'update installs it and keeps the previous build' '
	localmodel update >out &&
	test_grep "b100 -> b200" out &&
	test_grep "until restarted" out &&
	test "$(readlink "$RT/current")" = b200-cpu &&
	test "$(readlink "$RT/previous")" = b100-cpu &&
	test -x "$RT/b100-cpu/llama-server"
'

test_expect_success 'then --check says up to date, update does nothing' '
	localmodel update --check --json >out.json &&
	test "$(json_get out.json "[\"update_available\"]")" = false &&
	: >rel/.requests.log &&
	localmodel update --json >out.json &&
	test "$(json_get out.json "[\"updated\"]")" = false &&
	test "$(json_get out.json "[\"previous\"]")" = null &&
	test_grep -v "/cdn/" rel/.requests.log
'

test_expect_success '--rollback switches back, twice swaps again' '
	localmodel update --rollback --json >out.json &&
	test "$(json_get out.json "[\"current\"]")" = b100 &&
	test "$(json_get out.json "[\"previous\"]")" = b200 &&
	test "$(readlink "$RT/current")" = b100-cpu &&
	localmodel update --rollback >out &&
	test_grep "switched back to b200-cpu" out &&
	test "$(readlink "$RT/current")" = b200-cpu
'

test_expect_success 'a third build prunes the oldest, keeps current and previous' '
	python3 "$FIXTURES/mkrelease.py" tree rel b300 &&
	localmodel update >/dev/null &&
	test "$(readlink "$RT/current")" = b300-cpu &&
	test "$(readlink "$RT/previous")" = b200-cpu &&
	test ! -e "$RT/b100-cpu" &&
	test -d "$RT/b200-cpu"
'

test_expect_success 'directories not made by localmodel are never pruned; leftovers are' '
	mkdir "$RT/my-own-build" && echo x >"$RT/my-own-build/keep" &&
	mkdir -p "$RT/.staging-b1-cpu-XXXXXX/llama-b1" "$RT/.new-b1-cpu-123" &&
	python3 "$FIXTURES/mkrelease.py" tree rel b400 &&
	localmodel update >/dev/null &&
	test -f "$RT/my-own-build/keep" &&
	test ! -e "$RT/b200-cpu" &&
	test ! -e "$RT/.staging-b1-cpu-XXXXXX" &&
	test ! -e "$RT/.new-b1-cpu-123"
'

test_expect_success 'a rollback target that vanished exits 8' '
	rm -rf "$RT/b300-cpu" &&
	test_expect_code 8 localmodel update --rollback 2>err &&
	test "$(readlink "$RT/current")" = b400-cpu
'

test_expect_success 'while another install holds the lock, update exits 4' '
	test_expect_code 4 python3 -c "
import fcntl, os, subprocess, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
sys.exit(subprocess.call([\"localmodel\", \"update\", \"--rollback\"]))
" "$RT/.lock" 2>err &&
	test_grep "another install" err
'

test_done
