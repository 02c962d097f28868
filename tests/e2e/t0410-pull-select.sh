#!/bin/sh
test_description='pull: which files a model name means, where they go, what is recorded'
. "$(dirname "$0")/lib.sh"


# org/multi: several quants, a folder, a split model, an mmproj
repo_gguf org/multi/multi-Q4_K.gguf --file-type 14
repo_gguf org/multi/multi-Q4_K_M.gguf --file-type 15 --arch qwen3 --ctx 8192
repo_gguf org/multi/mmproj-multi-Q4_K_M.gguf --file-type 15
repo_gguf org/multi/Q8_0/multi-Q8_0.gguf --file-type 7
repo_gguf org/multi/BF16/multi-BF16.gguf --file-type 32 --split-count 3
echo readme >repos/org/multi/README.md
# org/noq4: no Q4_K_M at all: Q5_K_M is preferred over Q8_0 and F16
repo_gguf org/noq4/m-Q8_0.gguf --file-type 7
repo_gguf org/noq4/m-Q5_K_M.gguf --file-type 17
repo_gguf org/noq4/m-F16.gguf --file-type 1
# org/ud: quant labels of several tokens
repo_gguf org/ud/m-UD-Q4_K_XL.gguf --name ud
repo_gguf org/ud/m-Q4_K_XL.gguf --name plain
# org/onlyproj: nothing but an mmproj
repo_gguf org/onlyproj/mmproj-f16.gguf --file-type 1

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl --page-size 2 >/dev/null || exit 1
P=$(cat hub.port)
export HF_ENDPOINT=http://127.0.0.1:$P/
M=$LOCALMODEL_HOME/models

test_expect_success 'explicit quant: Q4_K means Q4_K, not Q4_K_M' '
	localmodel pull org/multi:Q4_K >out 2>err &&
	cmp "$M/org/multi/multi-Q4_K.gguf" repos/org/multi/multi-Q4_K.gguf &&
	test ! -e "$M/org/multi/multi-Q4_K_M.gguf" &&
	test_grep "org/multi:Q4_K" out
'

test_expect_success 'explicit quant is case-insensitive and finds folders' '
	localmodel pull org/multi:q8_0 >out &&
	cmp "$M/org/multi/Q8_0/multi-Q8_0.gguf" repos/org/multi/Q8_0/multi-Q8_0.gguf &&
	sqlite3 "$LOCALMODEL_HOME/localmodel.db" "SELECT model FROM model_inventory" >names &&
	test_grep "^org/multi:Q8_0$" names
'

test_expect_success 'no quant: Q4_K_M is chosen, never the mmproj' '
	localmodel pull org/multi >out &&
	cmp "$M/org/multi/multi-Q4_K_M.gguf" repos/org/multi/multi-Q4_K_M.gguf &&
	test ! -e "$M/org/multi/mmproj-multi-Q4_K_M.gguf" &&
	test_grep "org/multi:Q4_K_M" out
'

test_expect_success 'the inventory row has size, sha256, commit, header facts' '
	db="$LOCALMODEL_HOME/localmodel.db" &&
	row=$(sqlite3 "$db" "SELECT file_path, repo_source, size_bytes, quantization, sha256,
		length(commit_sha), parts, source, first_seen IS NOT NULL, arch, ctx_train
		FROM model_inventory WHERE model = '\''org/multi:Q4_K_M'\''") &&
	s=$(wc -c <repos/org/multi/multi-Q4_K_M.gguf) &&
	h=$(sha repos/org/multi/multi-Q4_K_M.gguf) &&
	test "$row" = "$M/org/multi/multi-Q4_K_M.gguf|org/multi|$s|Q4_K_M|$h|40|1|localmodel|1|qwen3|8192"
'

test_expect_success 'a split model is pulled whole and recorded once' '
	localmodel pull org/multi:BF16 >out &&
	for i in 1 2 3; do
		f=BF16/multi-BF16-0000$i-of-00003.gguf &&
		cmp "$M/org/multi/$f" "repos/org/multi/$f" || exit 1
	done &&
	row=$(sqlite3 "$LOCALMODEL_HOME/localmodel.db" "SELECT parts, size_bytes, file_path FROM model_inventory WHERE model = '\''org/multi:BF16'\''") &&
	total=$(cat repos/org/multi/BF16/*.gguf | wc -c) &&
	test "$row" = "3|$total|$M/org/multi/BF16/multi-BF16-00001-of-00003.gguf"
'

test_expect_success 'an mmproj is pulled only when named with --file' '
	test_expect_code 3 localmodel pull org/onlyproj 2>err &&
	test_grep "no GGUF model file" err &&
	localmodel pull org/multi --file mmproj-multi-Q4_K_M.gguf >out &&
	cmp "$M/org/multi/mmproj-multi-Q4_K_M.gguf" repos/org/multi/mmproj-multi-Q4_K_M.gguf &&
	sqlite3 "$LOCALMODEL_HOME/localmodel.db" "SELECT model FROM model_inventory" >names &&
	test_grep "^org/multi:mmproj-multi-Q4_K_M$" names
'

test_expect_success 'a quant that is not there: exit 3 listing what is' '
	test_expect_code 3 localmodel pull org/multi:Q5_K_M 2>err &&
	test_grep "no .Q5_K_M. file" err &&
	test_grep "Q4_K_M" err &&
	test_expect_code 3 localmodel pull org/multi --file nope.gguf 2>err &&
	test_grep "nope.gguf" err
'

test_expect_success 'a quant of several tokens (UD-Q4_K_XL); an ambiguous one is exit 2' '
	localmodel pull org/ud:ud-q4_k_xl >out &&
	cmp "$M/org/ud/m-UD-Q4_K_XL.gguf" repos/org/ud/m-UD-Q4_K_XL.gguf &&
	test ! -e "$M/org/ud/m-Q4_K_XL.gguf" &&
	test_grep "^org/ud:UD-Q4_K_XL:" out &&
	test_expect_code 2 localmodel pull org/ud:Q4_K_XL 2>err &&
	test_grep "several files" err &&
	test_grep "\-\-file" err
'

test_expect_success 'without Q4_K_M another quant is chosen, not a float one' '
	localmodel pull org/noq4 >out &&
	test -e "$M/org/noq4/m-Q5_K_M.gguf" &&
	test ! -e "$M/org/noq4/m-F16.gguf"
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 localmodel pull 2>err &&
	test_expect_code 2 localmodel pull notarepo 2>err &&
	test_grep "ORG/REPO" err &&
	test_expect_code 2 localmodel pull "org/multi:" 2>err &&
	test_expect_code 2 localmodel pull org/multi --connections 0 2>err
'

test_expect_success 'a second pull finds the file present and downloads nothing' '
	db="$LOCALMODEL_HOME/localmodel.db" &&
	sqlite3 "$db" "UPDATE model_inventory SET first_seen = '\''2025-05-05T00:00:00Z'\'' WHERE model = '\''org/multi:Q4_K_M'\''" &&
	n=$(grep -c "\"server\": \"cdn\"" req.jsonl) &&
	localmodel pull org/multi:Q4_K_M >out &&
	test_grep "already present" out &&
	test "$(grep -c "\"server\": \"cdn\"" req.jsonl)" = "$n" &&
	test "$(sqlite3 "$db" "SELECT first_seen FROM model_inventory WHERE model = '\''org/multi:Q4_K_M'\''")" = 2025-05-05T00:00:00Z
'

test_expect_success '--json: one document with the files and how they came' '
	localmodel pull org/multi:BF16 --json >out 2>err &&
	json_valid out &&
	test "$(json_get out "[\"model\"]")" = org/multi:BF16 &&
	test "$(json_get out "[\"quant\"]")" = BF16 &&
	test "$(json_get out "[\"parts\"]")" = 3 &&
	test "$(json_get out "[\"files\"][2][\"status\"]")" = present &&
	test "$(json_get out "[\"files\"][0][\"path\"]")" = BF16/multi-BF16-00001-of-00003.gguf &&
	json_get out "[\"commit\"]" | grep -Eq "^[0-9a-f]{40}$" &&
	test "$(json_get out "[\"files\"][0][\"sha256\"]")" = "$(sha repos/org/multi/BF16/multi-BF16-00001-of-00003.gguf)" &&
	test ! -s err
'

test_expect_success 'the files come with the model in one request (blobs=true), no tree pages' '
	grep "\"path\": \"/api/models/org/multi\"" req.jsonl | grep -q "blobs=true" &&
	! grep -q "/tree/" req.jsonl
'

test_expect_success '--quiet prints nothing on success' '
	rm -rf "$M/org/multi/Q8_0" &&
	localmodel pull org/multi:Q8_0 --quiet >out 2>err &&
	test ! -s out && test ! -s err &&
	test -e "$M/org/multi/Q8_0/multi-Q8_0.gguf"
'

test_expect_success 'no partial, state or lock files are left behind' '
	find "$M" \( -name "*.part" -o -name "*.state" -o -name "*.lock" -o -name "*.link" \) \
		! -path "$M/.lm-deleting.lock" >left &&
	test ! -s left &&
	test -f "$M/.lm-deleting.lock" # the folder'"'"'s deletion lock stays, as after a rm
'

test_expect_success 'the User-Agent is localmodel/<version>' '
	grep "\"server\": \"cdn\"" req.jsonl | head -n 1 | grep -q "\"user_agent\": \"localmodel/"
'

test_done
