#!/bin/sh
test_description='recommend --online: Hub candidates from the search, fallback to the catalog'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_SYSROOT=$FIXTURES/sysroot/laptop-8g

# Repos on the mock Hub: a 40B "instruct" model not in the catalog (its
# Q4_K_M split in two parts said to be 12 GB each), one without a
# Q4_K_M file, and one already in the catalog.
# mock_fault METHOD [BODY]: add (POST) or clear (DELETE) faults of the mock
mock_fault() {
	python3 -c 'import sys, urllib.request as u
r = u.Request(sys.argv[1] + "_mock/fault", method=sys.argv[2],
              data=sys.argv[3].encode() if len(sys.argv) > 3 else None)
u.urlopen(r).read()' "$HF_ENDPOINT" "$@"
}
test_expect_success 'set up the mock Hub' '
	mkdir -p repos/testorg/Fancy-40B-Instruct-GGUF repos/testorg/Odd-70B-Instruct-GGUF \
		repos/Qwen/Qwen3-8B-GGUF &&
	r=repos/testorg/Fancy-40B-Instruct-GGUF &&
	python3 "$FIXTURES/mkgguf.py" $r/Fancy-40B-Instruct-Q4_K_M-00001-of-00002.gguf &&
	python3 "$FIXTURES/mkgguf.py" $r/Fancy-40B-Instruct-Q4_K_M-00002-of-00002.gguf &&
	python3 "$FIXTURES/mkgguf.py" $r/Fancy-40B-Instruct-Q8_0.gguf &&
	python3 "$FIXTURES/mkgguf.py" $r/mmproj-Fancy-Q4_K_M.gguf &&
	cat >$r/.mock.json <<-\JSON &&
	{"downloads": 900, "gguf": {"total": 40000000000, "architecture": "llama", "context_length": 32768},
	 "size_lies": {"Fancy-40B-Instruct-Q4_K_M-00001-of-00002.gguf": 12000000000,
	               "Fancy-40B-Instruct-Q4_K_M-00002-of-00002.gguf": 12000000000,
	               "Fancy-40B-Instruct-Q8_0.gguf": 42000000000}}
	JSON
	python3 "$FIXTURES/mkgguf.py" repos/testorg/Odd-70B-Instruct-GGUF/Odd-IQ2_XXS.gguf &&
	echo "{\"downloads\": 800, \"gguf\": {\"total\": 70000000000}}" >repos/testorg/Odd-70B-Instruct-GGUF/.mock.json &&
	python3 "$FIXTURES/mkgguf.py" repos/Qwen/Qwen3-8B-GGUF/Qwen3-8B-Instruct-Q4_K_M.gguf &&
	echo "{\"downloads\": 999, \"gguf\": {\"total\": 8000000000}}" >repos/Qwen/Qwen3-8B-GGUF/.mock.json &&
	port=$(start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port --log req.jsonl) &&
	echo "HF_ENDPOINT=http://127.0.0.1:$port/" >env
'
. ./env 2>/dev/null
export HF_ENDPOINT

test_expect_success '--online adds a Hub model that fits and marks why' '
	localmodel recommend --online --memory 32G --bandwidth 400 --json >out.json &&
	python3 - out.json <<-\PY &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	r = {x["tier"]: x for x in d["recommendations"]}
	top = r["most_capable"]
	assert top["repo"] == "testorg/Fancy-40B-Instruct-GGUF", top
	assert top["quant"] == "Q4_K_M" and top["size_bytes"] == 24000000000, top
	assert top["file"] == "Fancy-40B-Instruct-Q4_K_M-00001-of-00002.gguf", top
	assert "Hub search" in top["why"], top
	assert top["memory_bytes"] <= 30 * 2**30, top
	assert "Hub search added 1 candidate" in d["note"], d["note"]
	PY
	test_grep "filter=gguf" req.jsonl &&
	test_grep "sort=downloads" req.jsonl &&
	test_grep "expand=gguf" req.jsonl &&
	test_grep "Fancy-40B-Instruct-GGUF/tree/main" req.jsonl &&
	test_grep -v "Qwen3-8B-GGUF/tree" req.jsonl
'

test_expect_success '--online on a small machine: the big Hub model is not picked' '
	localmodel recommend --online --json >out.json &&
	test_grep -v "Fancy-40B" out.json
'

test_expect_success 'Hub unreachable: the catalog, with a note' '
	HF_ENDPOINT=http://127.0.0.1:9/ localmodel recommend --online >out 2>err &&
	test_grep "^note: *the Hub search failed" out &&
	test_grep "^most capable  *Qwen/Qwen3-8B-GGUF" out &&
	HF_ENDPOINT=http://127.0.0.1:9/ localmodel recommend --online --json >out.json &&
	test_grep "showing the catalog only" out.json
'

test_expect_success 'Hub answering errors: the catalog, with a note' '
	mock_fault POST "{\"action\": \"status\", \"status\": 503, \"match\": \"^/api/models$\"}" &&
	localmodel recommend --online --memory 32G --bandwidth 400 --json >out.json &&
	mock_fault DELETE &&
	test_grep "answered 503" out.json &&
	test_grep -v "Fancy-40B" out.json
'

test_expect_success 'without --online nothing reaches the network' '
	: >req.jsonl &&
	localmodel recommend --memory 32G >out &&
	test ! -s req.jsonl
'

test_done
