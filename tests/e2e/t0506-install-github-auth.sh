#!/bin/sh
test_description='install: rate limits (exit 5 with the reset time), GITHUB_TOKEN to the API only'
. "$(dirname "$0")/lib.sh"

RT=$LOCALMODEL_HOME/runtime
TOKEN=ghp_fixtureTOKEN0123456789abcdef

test_expect_success 'setup: one build' '
	python3 "$FIXTURES/mkrelease.py" tree rel b100
'
# the fixture starts in this shell, so that test_done stops it
start_fixture port python3 "$FIXTURES/mockgithub.py" rel port --token $TOKEN >/dev/null || exit 1
LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat port)
export LOCALMODEL_GITHUB_API

test_expect_success 'rate limited (403, remaining 0): exit 5 with the reset time' '
	echo 1893456000 >rel/.ratelimit &&
	test_expect_code 5 localmodel install --backend cpu 2>err &&
	test_grep "rate limit" err &&
	test_grep "2030-01-01T00:00:00Z" err &&
	test_grep "GITHUB_TOKEN" err &&
	test ! -e "$RT/current"
'

test_expect_success 'rate limited with 429 too, and for update --check' '
	echo "429 1893456000" >rel/.ratelimit &&
	test_expect_code 5 localmodel install --backend cpu --tag b100 2>err &&
	test_grep "rate limit.*2030-01-01T00:00:00Z" err
'

test_expect_success 'GITHUB_TOKEN goes to the API host only, never to downloads' '
	rm rel/.ratelimit && : >rel/.requests.log &&
	GITHUB_TOKEN=$TOKEN localmodel install --backend cpu >out 2>err &&
	test_grep "installed llama.cpp b100" out &&
	test_grep "^api GET host=127.0.0.1:[0-9]* /repos/.* auth=ok" rel/.requests.log &&
	test_grep -v "^api GET host=127.0.0.1:[0-9]* /repos/.* auth=none" rel/.requests.log &&
	test_grep "host=localhost:[0-9]* /ggml-org/llama.cpp/releases/download/.* auth=none" rel/.requests.log &&
	test_grep "^cdn GET .* auth=none" rel/.requests.log &&
	test_grep -v "auth=ok.*/download/" rel/.requests.log &&
	test_grep -v "^cdn .*auth=ok" rel/.requests.log
'

test_expect_success 'a rate limit message with a token does not suggest setting one' '
	echo 1893456000 >rel/.ratelimit &&
	GITHUB_TOKEN=$TOKEN test_expect_code 5 localmodel install --backend cpu --force 2>err &&
	test_grep "rate limit" err &&
	test_grep -v "set GITHUB_TOKEN" err &&
	rm rel/.ratelimit
'

test_expect_success 'a bad token exits 5; the token is never printed' '
	GITHUB_TOKEN=wrong-$TOKEN test_expect_code 5 localmodel install --backend cpu --force >out 2>err &&
	test_grep "refused the token" err &&
	test_grep -v "$TOKEN" err &&
	test_grep -v "$TOKEN" out &&
	test_grep -v "$TOKEN" rel/.requests.log
'

test_done
