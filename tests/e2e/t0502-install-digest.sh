#!/bin/sh
test_description='install: digest checks, --force, a llama-server that does not run'
. "$(dirname "$0")/lib.sh"

RT=$LOCALMODEL_HOME/runtime

test_expect_success 'setup: b10600 without digest, b10601 with a wrong one' '
	python3 "$FIXTURES/mkrelease.py" tree rel b10500 b10600 b10601 &&
	a600=$(python3 "$FIXTURES/mkrelease.py" asset --tag b10600) &&
	a601=$(python3 "$FIXTURES/mkrelease.py" asset --tag b10601) &&
	echo "{\"nodigest\": [\"$a600\"]}" >rel/b10600/.meta.json &&
	echo "{\"wrongdigest\": [\"$a601\"]}" >rel/b10601/.meta.json &&
	mkdir rel/b10602 &&
	python3 "$FIXTURES/mkrelease.py" good rel/b10602/$(python3 "$FIXTURES/mkrelease.py" asset --tag b10602) --tag b10602 --broken &&
	mkdir rel/b10603 &&
	python3 "$FIXTURES/mkrelease.py" good rel/b10603/$(python3 "$FIXTURES/mkrelease.py" asset --tag b10603) --tag b10603 --build 10599
'
# the fixture starts in this shell, so that test_done stops it
start_fixture port python3 "$FIXTURES/mockgithub.py" rel port >/dev/null || exit 1
LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat port)
export LOCALMODEL_GITHUB_API

test_expect_success 'a known-good build first' '
	localmodel install --backend cpu --tag b10500 >/dev/null &&
	test "$(readlink "$RT/current")" = b10500-cpu
'

test_expect_success 'an asset without a digest is refused (exit 6), nothing changes' '
	: >rel/.requests.log &&
	test_expect_code 6 localmodel install --backend cpu --tag b10600 2>err &&
	test_grep "no digest" err &&
	test_grep "force" err &&
	test_grep -v "/cdn/" rel/.requests.log &&
	test ! -e "$RT/b10600-cpu" &&
	test "$(readlink "$RT/current")" = b10500-cpu
'

test_expect_success '--force installs it with a warning, marked unverified' '
	localmodel install --backend cpu --tag b10600 --force --json >out.json 2>err &&
	test_grep "warning: .*no digest" err &&
	test "$(json_get out.json "[\"verified\"]")" = false &&
	test "$(json_get out.json "[\"sha256\"]")" = null &&
	test "$(readlink "$RT/current")" = b10600-cpu
'

test_expect_success 'a wrong digest exits 6 and installs nothing' '
	test_expect_code 6 localmodel install --backend cpu --tag b10601 2>err &&
	test ! -e "$RT/b10601-cpu" &&
	test "$(readlink "$RT/current")" = b10600-cpu &&
	test -z "$(ls -A "$RT/.download")" &&
	ls -A "$RT" >ls && test_grep -v "^\.new-" ls && test_grep -v "^\.staging" ls
'

test_expect_success 'a wrong digest is not overridden by --force' '
	test_expect_code 6 localmodel install --backend cpu --tag b10601 --force 2>err &&
	test ! -e "$RT/b10601-cpu"
'

test_expect_success 'a llama-server that fails --version is not switched to' '
	test_must_fail localmodel install --backend cpu --tag b10602 2>err &&
	test_grep "does not run" err &&
	test_grep "shared libraries" err &&
	test ! -e "$RT/b10602-cpu" &&
	test "$(readlink "$RT/current")" = b10600-cpu
'

test_expect_success 'a binary reporting another build: the tag counts, update agrees' '
	localmodel install --backend cpu --tag b10603 --json >out.json &&
	test "$(json_get out.json "[\"build\"]")" = 10603 &&
	test "$(json_get out.json "[\"tag\"]")" = b10603 &&
	LOCALMODEL_BACKEND=cpu localmodel update --check --json >out.json &&
	test "$(json_get out.json "[\"update_available\"]")" = false
'

test_done
