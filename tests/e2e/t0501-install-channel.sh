#!/bin/sh
test_description='install: the 2026-08 release scheme (nightly-tag.txt), paging, drafts'
. "$(dirname "$0")/lib.sh"

RT=$LOCALMODEL_HOME/runtime

test_expect_success 'setup: v0.2.0 names b10600; newer b10601 has no Linux asset' '
	python3 "$FIXTURES/mkrelease.py" tree rel b10500 b10600 --nightly v0.2.0=b10600 &&
	mkdir rel/b10601 &&
	echo x >rel/b10601/llama-b10601-bin-win-cpu-x64.zip
'
# the fixture starts in this shell, so that test_done stops it
start_fixture port python3 "$FIXTURES/mockgithub.py" rel port --max-per-page 1 >/dev/null || exit 1
LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat port)
export LOCALMODEL_GITHUB_API

test_expect_success 'a release without the asset is skipped; Link paging is followed' '
	localmodel install --backend cpu --json >out.json &&
	test "$(json_get out.json "[\"tag\"]")" = b10600 &&
	test_grep "releases?per_page=1&page=2 " rel/.requests.log &&
	test "$(readlink "$RT/current")" = b10600-cpu
'

test_expect_success 'a newest full release is followed through nightly-tag.txt' '
	rm -rf rel/b10601 &&
	: >rel/.requests.log &&
	localmodel install --backend cpu --force --json >out.json &&
	test "$(json_get out.json "[\"tag\"]")" = b10600 &&
	test "$(json_get out.json "[\"release\"]")" = v0.2.0 &&
	test_grep "/download/v0.2.0/nightly-tag.txt" rel/.requests.log &&
	test_grep "/releases/tags/b10600 " rel/.requests.log
'

test_expect_success '--tag v0.2.0 resolves to its build' '
	localmodel install --backend cpu --tag v0.2.0 --json >out.json &&
	test "$(json_get out.json "[\"tag\"]")" = b10600
'

test_expect_success 'a draft release is never taken' '
	python3 "$FIXTURES/mkrelease.py" tree rel b10700 &&
	echo "{\"draft\": true, \"prerelease\": true}" >rel/b10700/.meta.json &&
	localmodel install --backend cpu --json >out.json &&
	test "$(json_get out.json "[\"tag\"]")" = b10600
'

test_expect_success 'a nightly-tag.txt naming nothing usable is an error' '
	mkdir rel/v0.3.0 &&
	echo "not a tag" >rel/v0.3.0/nightly-tag.txt &&
	echo "{\"created_at\": \"2026-12-01T00:00:00Z\"}" >rel/v0.3.0/.meta.json &&
	test_expect_code 5 localmodel install --backend cpu 2>err &&
	test_grep "nightly-tag.txt" err
'

test_expect_success 'no release with the asset at all exits 3' '
	rm -rf rel/v0.3.0 &&
	test_expect_code 3 localmodel install --backend vulkan 2>err &&
	test_grep "no release" err
'

test_done
