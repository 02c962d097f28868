#!/bin/sh
test_description='pull: the requests a pull makes (one file list, no resolve before the data, later parts resolved ahead)'
. "$(dirname "$0")/lib.sh"


repo_gguf org/one/one-Q4_K_M.gguf --data-bytes 3000000
repo_gguf org/split/split-Q4_K_M.gguf --split-count 3 --data-bytes 1500000
repo_gguf org/old/old-Q4_K_M.gguf
repo_gguf org/list/list-Q4_K_M.gguf --data-bytes 2000000
repo_gguf org/list/mmproj-list-F16.gguf --file-type 1
repo_gguf org/list/Q8_0/list-Q8_0.gguf --file-type 7 --split-count 2
echo '{"no_blobs": true}' >repos/org/old/.mock.json
echo readme >repos/org/old/README.md
repo_gguf org/gated/g-Q4_K_M.gguf
echo '{"gated": "auto", "approved": true}' >repos/org/gated/.mock.json
TOKEN=hf_abcdefghijklmnopqrstuvwxyz01234567

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl --page-size 1 --token "$TOKEN" >/dev/null || exit 1
export HF_ENDPOINT=http://127.0.0.1:$(cat hub.port)
M=$LOCALMODEL_HOME/models


test_expect_success 'one file: one model request, one resolve GET, no HEAD, no tree' '
	: >req.jsonl &&
	localmodel pull org/one:Q4_K_M >out 2>err &&
	test "$(sha "$M/org/one/one-Q4_K_M.gguf")" = "$(sha repos/org/one/one-Q4_K_M.gguf)" &&
	req_settle &&
	test "$(req_count "\"server\": \"hub\"" "\"path\": \"/api/models/org/one\"" "blobs=true")" = 1 &&
	test "$(req_count "\"server\": \"hub\"")" = 2 &&
	test "$(req_count "\"server\": \"hub\"" "\"method\": \"GET\"" "/resolve/")" = 1 &&
	test "$(req_count "\"method\": \"HEAD\"")" = 0 &&
	test "$(req_count "/tree/")" = 0 &&
	test "$(req_count "\"server\": \"cdn\"" "\"status\": 206")" -ge 1
'

test_expect_success 'a split model: parts 2 and 3 are resolved ahead and downloaded from the CDN directly' '
	: >req.jsonl &&
	localmodel pull org/split:Q4_K_M >out 2>err &&
	for i in 1 2 3; do
		f=split-Q4_K_M-0000$i-of-00003.gguf &&
		test "$(sha "$M/org/split/$f")" = "$(sha "repos/org/split/$f")" || return 1
	done &&
	req_settle &&
	test "$(req_count "\"method\": \"HEAD\"" "00002-of-00003")" = 1 &&
	test "$(req_count "\"method\": \"HEAD\"" "00003-of-00003")" = 1 &&
	test "$(req_count "\"method\": \"HEAD\"" "00001-of-00003")" = 0 &&
	test "$(req_count "\"server\": \"hub\"" "\"method\": \"GET\"" "/resolve/")" = 1 &&
	test "$(req_count "\"server\": \"hub\"" "\"method\": \"GET\"" "00001-of-00003")" = 1 &&
	test "$(req_count "\"server\": \"cdn\"" "00003-of-00003" "\"status\": 206")" -ge 1
'

test_expect_success 'a list of files: one model request, one resolve GET, every later part resolved ahead' '
	: >req.jsonl &&
	localmodel pull org/list:Q4_K_M --file Q8_0/list-Q8_0-00001-of-00002.gguf \
		--file mmproj-list-F16.gguf >out 2>err &&
	for f in list-Q4_K_M.gguf Q8_0/list-Q8_0-00001-of-00002.gguf \
		Q8_0/list-Q8_0-00002-of-00002.gguf mmproj-list-F16.gguf; do
		test "$(sha "$M/org/list/$f")" = "$(sha "repos/org/list/$f")" || return 1
	done &&
	req_settle &&
	test "$(req_count "\"server\": \"hub\"" "\"path\": \"/api/models/org/list\"" "blobs=true")" = 1 &&
	test "$(req_count "\"server\": \"hub\"" "\"method\": \"GET\"" "/resolve/")" = 1 &&
	test "$(req_count "\"server\": \"hub\"" "\"method\": \"GET\"" "/resolve/" "list-Q4_K_M")" = 1 &&
	test "$(req_count "\"method\": \"HEAD\"")" = 3 &&
	test "$(req_count "\"method\": \"HEAD\"" "list-Q4_K_M")" = 0 &&
	test "$(req_count "/tree/")" = 0 &&
	test "$(req_count "\"server\": \"cdn\"" "mmproj-list-F16" "\"status\": 206")" -ge 1
'

test_expect_success 'a Hub that gives no file sizes with the model: the tree, page by page' '
	: >req.jsonl &&
	localmodel pull org/old:Q4_K_M >out 2>err &&
	test "$(sha "$M/org/old/old-Q4_K_M.gguf")" = "$(sha repos/org/old/old-Q4_K_M.gguf)" &&
	req_settle &&
	test "$(req_count "/api/models/org/old/tree/")" -ge 2 &&
	test "$(req_count "/api/models/org/old/tree/" "cursor")" -ge 1
'

test_expect_success 'a gated repo: its file is resolved first (access errors before anything)' '
	: >req.jsonl &&
	HF_TOKEN=$TOKEN localmodel pull org/gated:Q4_K_M >out 2>err &&
	test "$(sha "$M/org/gated/g-Q4_K_M.gguf")" = "$(sha repos/org/gated/g-Q4_K_M.gguf)" &&
	req_settle &&
	test "$(req_count "\"method\": \"HEAD\"" "/org/gated/resolve/")" = 1 &&
	test "$(req_count "\"server\": \"hub\"" "\"method\": \"GET\"" "/resolve/")" = 0 &&
	test "$(req_count "\"server\": \"cdn\"" "\"auth\": true")" = 0
'

test_done
