#!/bin/sh
test_description='pull: a list of files (--file repeated, QUANT with --file) in one pull'
. "$(dirname "$0")/lib.sh"


# org/vis: a model, its mmproj, a split Q8_0 in a folder, a bigger F16, a README
repo_gguf org/vis/vis-Q4_K_M.gguf --data-bytes 1500000
repo_gguf org/vis/mmproj-vis-F16.gguf --file-type 1 --data-bytes 400000
repo_gguf org/vis/Q8_0/vis-Q8_0.gguf --file-type 7 --split-count 2 --data-bytes 1000000
repo_gguf org/vis/big/vis-F16.gguf --file-type 1 --data-bytes 4000000
echo readme >repos/org/vis/README.md
# real bytes: a misplaced range cannot hide among zeros
random_fill repos/org/vis/vis-Q4_K_M.gguf repos/org/vis/mmproj-vis-F16.gguf \
	repos/org/vis/Q8_0/vis-Q8_0-0000[12]-of-00002.gguf repos/org/vis/big/vis-F16.gguf
Q4=vis-Q4_K_M.gguf
MM=mmproj-vis-F16.gguf
Q8A=Q8_0/vis-Q8_0-00001-of-00002.gguf
Q8B=Q8_0/vis-Q8_0-00002-of-00002.gguf
BIG=big/vis-F16.gguf

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl >/dev/null || exit 1
export HF_ENDPOINT=http://127.0.0.1:$(cat hub.port)
HOME0=$LOCALMODEL_HOME

# use NAME: a fresh localmodel home for the case (the case runs in a subshell)
use() {
	LOCALMODEL_HOME=$HOME0-$1
	export LOCALMODEL_HOME
	M=$LOCALMODEL_HOME/models/org/vis
}
# same PATH...: the pulled file is the mock's, byte for byte (SHA-256)
same() {
	for f in "$@"; do
		test "$(sha "$M/$f")" = "$(sha "repos/org/vis/$f")" || {
			echo "differs or missing: $f" >&2
			return 1
		}
	done
}
# rows: the names of the inventory's complete models, sorted
rows() {
	localmodel models --json >rows.json &&
	python3 -c '
import json
for m in sorted(json.load(open("rows.json"))["models"], key=lambda m: m["name"]):
    if m["source"] == "localmodel" and not m["partial"]:
        print(m["name"])'
}
# names FILE: the "model" of each object of a pull's --json, in order
names() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(m["model"] for m in d["models"]))' "$1"
}
HUB='"server": "hub"'
CDN='"server": "cdn"'
GET='"method": "GET"'
HEAD='"method": "HEAD"'

test_expect_success 'two files: both downloaded and verified, a row and a text block each, in order' '
	use two &&
	localmodel pull org/vis --file $Q4 --file $MM >out 2>err &&
	same $Q4 $MM &&
	grep "^org/vis:" out | cut -d: -f1,2 >got &&
	printf "org/vis:Q4_K_M\norg/vis:mmproj-vis-F16\n" >want &&
	test_cmp want got &&
	test_grep "^downloaded $Q4" out &&
	test_grep "^downloaded $MM" out &&
	rows >got &&
	test_cmp want got
'

test_expect_success 'three files, one split: one model request, one resolve GET, a HEAD for every other part, no tree' '
	use three && : >req.jsonl &&
	localmodel pull org/vis --file $Q8B --file $Q4 --file $MM --json >out.json 2>err &&
	same $Q8A $Q8B $Q4 $MM &&
	test "$(names out.json)" = "org/vis:Q8_0 org/vis:Q4_K_M org/vis:mmproj-vis-F16" &&
	test "$(json_get out.json "[\"models\"][0][\"parts\"]")" = 2 &&
	req_settle &&
	test "$(req_count "$HUB" "/api/models/org/vis" "blobs=true")" = 1 &&
	test "$(req_count "$HUB" "$GET" "/resolve/")" = 1 &&
	test "$(req_count "$HUB" "$GET" "/resolve/" "00001-of-00002")" = 1 &&
	test "$(req_count "$HEAD")" = 3 &&
	test "$(req_count "$HEAD" "00002-of-00002")" = 1 &&
	test "$(req_count "$HEAD" "$Q4")" = 1 &&
	test "$(req_count "$HEAD" "$MM")" = 1 &&
	test "$(req_count "$HUB")" = 5 &&
	test "$(req_count "/tree/")" = 0 &&
	test "$(req_count "$CDN" "$GET" "$Q4" "\"status\": 206")" -ge 1 &&
	test "$(req_count "$CDN" "$GET" "$MM" "\"status\": 206")" -ge 1 &&
	rows >got &&
	printf "org/vis:Q4_K_M\norg/vis:Q8_0\norg/vis:mmproj-vis-F16\n" >want &&
	test_cmp want got
'

test_expect_success 'the later files are resolved while the first one downloads' '
	use overlap && : >req.jsonl &&
	fault "{\"action\": \"throttle\", \"rate\": 1500000, \"server\": \"cdn\", \"match\": \"vis-Q4_K_M\"}" &&
	localmodel pull org/vis --file $Q4 --file $MM --file $Q8A --connections 1 >out 2>err &&
	clear_faults &&
	same $Q4 $MM $Q8A $Q8B &&
	req_settle &&
	# every HEAD was answered before the first file'\''s CDN download ended
	last_head=$(grep -n "$HEAD" req.jsonl | tail -1 | cut -d: -f1) &&
	first_cdn=$(grep -n "$CDN" req.jsonl | head -1 | cut -d: -f1) &&
	echo "last HEAD at line $last_head, first CDN answer at line $first_cdn" &&
	test "$(req_count "$HEAD")" = 3 &&
	test "$last_head" -lt "$first_cdn"
'

test_expect_success 'a later file whose resolved URL expired during the first is asked again' '
	use expired && : >req.jsonl &&
	curl -sf -X POST --data "{\"url_ttl\": 1}" "$HF_ENDPOINT/_mock/config" >/dev/null &&
	fault "{\"action\": \"throttle\", \"rate\": 500000, \"server\": \"cdn\", \"match\": \"vis-Q4_K_M\"}" &&
	{ rc=0 && localmodel pull org/vis --file $Q4 --file $MM --connections 1 >out 2>err || rc=$?; } &&
	clear_faults &&
	curl -sf -X POST --data "{\"url_ttl\": 3600}" "$HF_ENDPOINT/_mock/config" >/dev/null &&
	test "$rc" = 0 &&
	same $Q4 $MM &&
	req_settle &&
	test "$(req_count "$CDN" "$MM" "\"status\": 403")" -ge 1 &&
	test "$(req_count "$HUB" "$GET" "/resolve/" "$MM")" -ge 1
'

test_expect_success 'QUANT with --file: the quant first; a file named twice, or the quant'\''s own, once' '
	use quant && : >req.jsonl &&
	localmodel pull org/vis:Q4_K_M --file $MM --file $Q4 --file $MM --json >out.json 2>err &&
	same $Q4 $MM &&
	test "$(names out.json)" = "org/vis:Q4_K_M org/vis:mmproj-vis-F16" &&
	req_settle &&
	test "$(req_count "$HUB" "$GET" "/resolve/")" = 1 &&
	test "$(req_count "$HUB" "$GET" "/resolve/" "$Q4")" = 1 &&
	test "$(req_count "$HEAD")" = 1 &&
	test "$(req_count "$HEAD" "$MM")" = 1 &&
	test "$(req_count "$CDN" "$GET" "$MM")" = 1 &&
	rows >got &&
	printf "org/vis:Q4_K_M\norg/vis:mmproj-vis-F16\n" >want &&
	test_cmp want got
'

test_expect_success 'JSON: one group (a file named twice) is exactly the one-file object' '
	use one &&
	localmodel pull org/vis --file $MM --file $MM --json >out.json 2>err &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
assert sorted(d) == sorted([\"model\", \"repo\", \"quant\", \"commit\", \"path\", \"size_bytes\",
                           \"parts\", \"alias_of\", \"files\"]), sorted(d)
assert d[\"model\"] == \"org/vis:mmproj-vis-F16\", d
assert len(d[\"files\"]) == 1 and d[\"files\"][0][\"status\"] == \"downloaded\", d
" &&
	localmodel pull org/vis --file $MM --json >again.json 2>err &&
	test "$(json_get again.json "[\"files\"][0][\"status\"]")" = present
'

test_expect_success 'a bad name fails before anything: nothing downloaded, no row, its exit code' '
	use bad && : >req.jsonl &&
	test_expect_code 3 localmodel pull org/vis --file $Q4 --file nope.gguf 2>err &&
	test_grep "no GGUF file .nope.gguf." err &&
	test "$(wc -l <err)" = 1 &&
	test_expect_code 3 localmodel pull org/vis --file $Q4 --file README.md 2>err &&
	test_grep "README.md" err &&
	test_expect_code 3 localmodel pull org/vis:Q9_9 --file $Q4 2>err &&
	test_grep "no .Q9_9. file" err &&
	test_expect_code 3 localmodel pull org/vis --file $Q4 --file Q8_0/vis-Q8_0-00003-of-00002.gguf 2>err &&
	req_settle &&
	test "$(req_count "/resolve/")" = 0 &&
	test "$(req_count "$CDN")" = 0 &&
	test ! -e "$M" &&
	rows >got &&
	test_must_be_empty got
'

test_expect_success 'the disk check covers every file together' '
	use disk &&
	q4=$(wc -c <repos/org/vis/$Q4) &&
	free=$((1073741824 + q4 + 1000)) &&
	export LOCALMODEL_TEST_FREE_BYTES=$free &&
	test_expect_code 7 localmodel pull org/vis --file $Q4 --file $MM 2>err &&
	test_grep "space" err &&
	test ! -e "$M" &&
	localmodel pull org/vis --file $Q4 >out 2>err &&
	same $Q4
'

test_expect_success 'a CDN failure on file 2: file 1 kept and recorded, file 3 pulled, the first failure'\''s code' '
	use fail &&
	fault "{\"action\": \"status\", \"status\": 404, \"server\": \"cdn\", \"match\": \"mmproj-vis\"}" &&
	{ rc=0 && localmodel pull org/vis --file $Q4 --file $MM --file $Q8A --json >out.json 2>err || rc=$?; } &&
	clear_faults &&
	cat err &&
	test "$rc" = 3 &&
	test_grep "^localmodel: pull: $MM: .*404" err &&
	test "$(wc -l <err)" = 1 &&
	same $Q4 $Q8A $Q8B &&
	test ! -e "$M/$MM" &&
	test "$(names out.json)" = "org/vis:Q4_K_M org/vis:Q8_0" &&
	rows >got &&
	printf "org/vis:Q4_K_M\norg/vis:Q8_0\n" >want &&
	test_cmp want got &&
	localmodel pull org/vis --file $Q4 --file $MM --file $Q8A >out 2>err &&
	same $MM &&
	test_grep "already present $Q4" out
'

test_expect_success 'kill -9 in the middle of file 2, then the same pull resumes and finishes' '
	use kill &&
	fault "{\"action\": \"throttle\", \"rate\": 1000000, \"server\": \"cdn\", \"match\": \"vis-F16.gguf\"}" &&
	{ localmodel pull org/vis --file $Q4 --file $BIG --file $MM --connections 1 >out 2>err & } &&
	pid=$! &&
	wait_until 20 "test -s \"$M/$BIG.part.state\"" &&
	sleep 1 &&
	kill -9 $pid &&
	{ wait $pid || :; } &&
	clear_faults &&
	same $Q4 &&
	test ! -e "$M/$BIG" && test -e "$M/$BIG.part" &&
	test ! -e "$M/$MM" &&
	rows >got &&
	echo org/vis:Q4_K_M >want &&
	test_cmp want got &&
	: >req.jsonl &&
	localmodel pull org/vis --file $Q4 --file $BIG --file $MM >out 2>err &&
	same $Q4 $BIG $MM &&
	test ! -e "$M/$BIG.part" &&
	test_grep "already present $Q4" out &&
	sent=$(cdn_bytes) &&
	size=$(wc -c <repos/org/vis/$BIG) &&
	echo "resumed: $sent bytes sent for $size + $(wc -c <repos/org/vis/$MM)" &&
	test "$sent" -lt "$size" &&
	rows >got &&
	printf "org/vis:F16\norg/vis:Q4_K_M\norg/vis:mmproj-vis-F16\n" >want &&
	test_cmp want got
'

test_expect_success 'Ctrl-C in file 2: exit 1, interrupted, file 1 recorded, the partial kept, file 3 not started' '
	use int &&
	fault "{\"action\": \"throttle\", \"rate\": 1000000, \"server\": \"cdn\", \"match\": \"vis-F16.gguf\"}" &&
	{ localmodel pull org/vis --file $Q4 --file $BIG --file $MM --connections 1 >out 2>err & } &&
	pid=$! &&
	wait_until 20 "test -s \"$M/$BIG.part.state\"" &&
	sleep 1 &&
	kill -INT $pid &&
	{ rc=0 && wait $pid || rc=$?; } &&
	clear_faults &&
	test "$rc" = 1 &&
	test_grep "^localmodel: pull: $BIG: interrupted" err &&
	same $Q4 &&
	test ! -e "$M/$BIG" && test -e "$M/$BIG.part" && test -e "$M/$BIG.part.state" &&
	test ! -e "$M/$MM" && test ! -e "$M/$MM.part" &&
	rows >got &&
	echo org/vis:Q4_K_M >want &&
	test_cmp want got &&
	localmodel pull org/vis --file $Q4 --file $BIG --file $MM >out 2>err &&
	same $Q4 $BIG $MM
'

test_expect_success SCRIPT 'progress on a terminal says which file of how many' '
	use tty &&
	fault "{\"action\": \"throttle\", \"rate\": 400000, \"server\": \"cdn\"}" &&
	script -qec "localmodel pull org/vis --file $Q4 --file $MM" /dev/null >out 2>&1 &&
	clear_faults &&
	same $Q4 $MM &&
	test_grep "file 1/2" out &&
	test_grep "file 2/2" out
'

test_expect_success 'the usage line and help show --file as repeatable' '
	localmodel pull --help >out &&
	test_grep "\[--file PATH\]\.\.\." out &&
	test_grep "(repeatable)" out
'

test_done
