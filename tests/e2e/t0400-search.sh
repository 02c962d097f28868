#!/bin/sh
test_description='search: GGUF repos on the Hub, and the files of one repo'
. "$(dirname "$0")/lib.sh"

mk() {
	p=$1
	shift
	mkdir -p "$(dirname "repos/$p")"
	python3 "$FIXTURES/mkgguf.py" "repos/$p" "$@" >/dev/null
}
mk org/llama-small-GGUF/small-Q4_K_M.gguf
echo '{"downloads": 500, "likes": 3, "lastModified": "2026-01-01T00:00:00.000Z",
	"gguf": {"total": 8030000000, "architecture": "llama", "context_length": 131072}}' \
	>repos/org/llama-small-GGUF/.mock.json
mk org/llama-big-GGUF/big-Q8_0.gguf
echo '{"downloads": 100, "likes": 90, "lastModified": "2026-03-01T00:00:00.000Z"}' >repos/org/llama-big-GGUF/.mock.json
mk other/llama-mid-GGUF/mid-Q4_K_M.gguf
echo '{"downloads": 300, "likes": 10, "lastModified": "2026-02-01T00:00:00.000Z", "gated": "manual"}' \
	>repos/other/llama-mid-GGUF/.mock.json
mkdir -p repos/org/llama-safetensors && echo x >repos/org/llama-safetensors/model.safetensors
# a repo with folders, a split model, an mmproj and an incomplete split
mk org/files-GGUF/files-Q4_K_M.gguf
mk org/files-GGUF/mmproj-files-F16.gguf --file-type 1
mk org/files-GGUF/Q8_0/files-Q8_0.gguf --file-type 7 --split-count 2
mk org/files-GGUF/Q2_K/files-Q2_K-00001-of-00003.gguf --file-type 10
echo readme >repos/org/files-GGUF/README.md

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl --page-size 2 >/dev/null || exit 1
P=$(cat hub.port)
export HF_ENDPOINT=http://127.0.0.1:$P
# retries wait 50 ms per second the real backoff would wait
export LOCALMODEL_HTTP_BACKOFF_MS=50

test_expect_success 'search lists GGUF repos by downloads, all pages' '
	localmodel search llama >out &&
	head -n 1 out | grep -q "^REPO *DOWNLOADS *LIKES *UPDATED *PARAMS *ARCH" &&
	sed -n 2p out | grep -q "^org/llama-small-GGUF " &&
	sed -n 3p out | grep -q "^other/llama-mid-GGUF " &&
	sed -n 4p out | grep -q "^org/llama-big-GGUF " &&
	test_grep -v safetensors out &&
	test_grep "8.0B *llama" out &&
	grep "/api/models" req.jsonl | grep -q "cursor" &&
	grep "/api/models" req.jsonl | head -n 1 | grep -q "filter=gguf"
'

test_expect_success '--sort likes and updated, --limit' '
	localmodel search llama --sort likes >out &&
	sed -n 2p out | grep -q "^org/llama-big-GGUF " &&
	localmodel search llama --sort updated --limit 1 >out &&
	test "$(wc -l <out)" = 2 &&
	sed -n 2p out | grep -q "^org/llama-big-GGUF "
'

test_expect_success 'search --json: one document with the repos' '
	localmodel search llama --json >out &&
	json_valid out &&
	test "$(json_get out "[\"query\"]")" = llama &&
	test "$(json_get out "[\"results\"][0][\"repo\"]")" = org/llama-small-GGUF &&
	test "$(json_get out "[\"results\"][0][\"downloads\"]")" = 500 &&
	test "$(json_get out "[\"results\"][0][\"params\"]")" = 8030000000 &&
	test "$(json_get out "[\"results\"][0][\"arch\"]")" = llama &&
	test "$(json_get out "[\"results\"][1][\"gated\"]")" = true &&
	test "$(json_get out "[\"results\"].__len__()")" = 3
'

test_expect_success 'no match: empty output, exit 0' '
	localmodel search zzzz >out 2>err &&
	test ! -s out && test_grep "no GGUF repos" err &&
	localmodel search zzzz --json >out &&
	test "$(json_get out "[\"results\"]")" = "[]"
'

test_expect_success 'search --files: one row per model, split parts together' '
	localmodel search org/files-GGUF --files >out &&
	head -n 1 out | grep -q "^FILE *QUANT *SIZE *PARTS *FITS" &&
	test "$(grep -c gguf out)" = 4 &&
	test_grep "^Q8_0/files-Q8_0-00001-of-00002.gguf *Q8_0 .* 2/2" out &&
	test_grep "^Q2_K/files-Q2_K-00001-of-00003.gguf *Q2_K .* 1/3" out &&
	test_grep "^mmproj-files-F16.gguf *F16 (aux)" out &&
	test_grep -v README out
'

test_expect_success 'search --files --json' '
	localmodel search org/files-GGUF --files --json >out &&
	json_valid out &&
	test "$(json_get out "[\"repo\"]")" = org/files-GGUF &&
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
f = {x[\"path\"]: x for x in d[\"files\"]}
q8 = f[\"Q8_0/files-Q8_0-00001-of-00002.gguf\"]
assert q8[\"quant\"] == \"Q8_0\" and q8[\"part_count\"] == 2 and len(q8[\"parts\"]) == 2, q8
assert q8[\"complete\"] is True and q8[\"kind\"] == \"model\"
assert f[\"Q2_K/files-Q2_K-00001-of-00003.gguf\"][\"complete\"] is False
assert f[\"mmproj-files-F16.gguf\"][\"kind\"] == \"aux\"
assert \"fits\" in q8
assert q8[\"size_bytes\"] > 0
" out
'

test_expect_success 'search errors: bad sort, bad limit, --files without a repo, missing repo' '
	test_expect_code 2 localmodel search llama --sort stars 2>err &&
	test_grep "downloads, likes or updated" err &&
	test_expect_code 2 localmodel search llama --limit 0 2>err &&
	test_expect_code 2 localmodel search llama --files 2>err &&
	test_expect_code 2 localmodel search 2>err &&
	test_expect_code 3 localmodel search org/nope --files 2>err &&
	test_grep "not found" err
'

test_expect_success 'the Hub down: exit 5' '
	(export HF_ENDPOINT=http://127.0.0.1:9; test_expect_code 5 localmodel search llama) 2>err
'

test_expect_success 'search creates no files or directories' '
	test ! -e "$LOCALMODEL_HOME"
'

test_done
