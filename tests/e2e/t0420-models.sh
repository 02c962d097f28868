#!/bin/sh
test_description='models: list, --all with other stores, show, rm, pin and unpin'
. "$(dirname "$0")/lib.sh"

mk() {
	p=$1
	shift
	mkdir -p "$(dirname "$p")"
	python3 "$FIXTURES/mkgguf.py" "$p" "$@" >/dev/null
}
mk repos/org/one/one-Q4_K_M.gguf --arch llama --ctx 8192 --layers 4
mk repos/org/split/Q8_0/split-Q8_0.gguf --file-type 7 --split-count 2 --arch qwen3

test_expect_success 'no database yet: empty list, nothing created' '
	localmodel models >out 2>err &&
	test ! -s out && test_grep "no models" err &&
	localmodel models --json >out &&
	test "$(json_get out "[\"models\"]")" = "[]" &&
	localmodel models --all --json >out && json_valid out &&
	test_expect_code 3 localmodel models show org/one:Q4_K_M 2>err &&
	test_expect_code 3 localmodel models rm org/one:Q4_K_M 2>err &&
	test_expect_code 3 localmodel models pin org/one:Q4_K_M 2>err &&
	test ! -e "$LOCALMODEL_HOME"
'

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
P=$(cat hub.port)
export HF_ENDPOINT=http://127.0.0.1:$P
M=$LOCALMODEL_HOME/models
DB=$LOCALMODEL_HOME/localmodel.db

test_expect_success 'pulled models are listed with their facts' '
	localmodel pull org/one --quiet && localmodel pull org/split:Q8_0 --quiet &&
	localmodel models >out &&
	head -n 1 out | grep -q "^NAME *SIZE *QUANT *ARCH/PARAMS *CTX *LAST USED *REQUESTS$" &&
	test_grep "^org/one:Q4_K_M .* Q4_K_M *llama/[0-9.]*[KMB] *8K *never *0$" out &&
	test_grep "^org/split:Q8_0 .* Q8_0 *qwen3/" out &&
	test "$(wc -l <out)" = 3
'

test_expect_success 'models --json' '
	localmodel models --json >out &&
	json_valid out &&
	test "$(json_get out "[\"models\"][0][\"name\"]")" = org/one:Q4_K_M &&
	test "$(json_get out "[\"models\"][0][\"source\"]")" = localmodel &&
	test "$(json_get out "[\"models\"][0][\"ctx_train\"]")" = 8192 &&
	test "$(json_get out "[\"models\"][0][\"pinned\"]")" = false &&
	test "$(json_get out "[\"models\"][1][\"parts\"]")" = 2 &&
	test "$(json_get out "[\"models\"][1][\"read_only\"]")" = false
'

test_expect_success 'last used and requests come from the usage columns' '
	sqlite3 "$DB" "UPDATE model_inventory SET last_used = '\''2026-01-01T00:00:00Z'\'', total_requests = 42 WHERE model = '\''org/one:Q4_K_M'\''" &&
	LOCALMODEL_NOW=2026-01-04T00:00:00Z localmodel models >out &&
	test_grep "^org/one:Q4_K_M .*3 days ago *42$" out
'

# fake stores of other tools
commit=0123456789abcdef0123456789abcdef01234567
hub=$TRASH/.cache/huggingface/hub/models--hforg--hfrepo
mk "$TRASH/blob.gguf" --arch gemma3
hsha=$(sha256sum "$TRASH/blob.gguf" | cut -c1-64)
mkdir -p "$hub/blobs" "$hub/snapshots/$commit" "$hub/refs"
mv "$TRASH/blob.gguf" "$hub/blobs/$hsha"
ln -s "../../blobs/$hsha" "$hub/snapshots/$commit/hfrepo-Q6_K.gguf"
printf %s "$commit" >"$hub/refs/main"
mkdir -p lms && echo "$TRASH/lms" >.lmstudio-home-pointer
mk lms/models/lmpub/lmrepo-GGUF/lmrepo-Q5_K_M.gguf
mk lms/models/lmpub/lmrepo-GGUF/mmproj-lmrepo-f16.gguf
mk .ollama/models/blobs/tmp.gguf --arch llama
osha=$(sha256sum .ollama/models/blobs/tmp.gguf | cut -c1-64)
mv .ollama/models/blobs/tmp.gguf ".ollama/models/blobs/sha256-$osha"
mkdir -p .ollama/models/manifests/registry.ollama.ai/library/tiny
printf '{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s","size":1}]}' \
	"$osha" >.ollama/models/manifests/registry.ollama.ai/library/tiny/latest
mkdir -p .cache/llama.cpp && mk .cache/llama.cpp/someone_x_x-Q3_K_M.gguf

test_expect_success 'models --all adds the other stores, marked, mmproj left out' '
	localmodel models --all >out &&
	head -n 1 out | grep -q "SOURCE$" &&
	test_grep "^hforg/hfrepo:Q6_K .* gemma3/.* hf-cache$" out &&
	test_grep "^lmpub/lmrepo-GGUF:Q5_K_M .* lmstudio$" out &&
	test_grep "^tiny:latest .* llama/.* ollama$" out &&
	test_grep "^someone_x_x-Q3_K_M .* llama-cache$" out &&
	test_grep "^org/one:Q4_K_M .* localmodel$" out &&
	test_grep -v mmproj out &&
	localmodel models >out2 &&
	test_grep -v hf-cache out2 && test_grep -v hforg out2
'

test_expect_success 'models --all --json marks them read-only' '
	localmodel models --all --json >out &&
	python3 -c "
import json, sys
d = {m[\"name\"]: m for m in json.load(open(sys.argv[1]))[\"models\"]}
assert d[\"tiny:latest\"][\"source\"] == \"ollama\" and d[\"tiny:latest\"][\"read_only\"] is True
assert d[\"hforg/hfrepo:Q6_K\"][\"sha256\"] == sys.argv[2]
assert d[\"org/one:Q4_K_M\"][\"read_only\"] is False
" out "$hsha"
'

test_expect_success 'models show: GGUF metadata and the fit verdict' '
	localmodel models show org/one:Q4_K_M >out &&
	test_grep "^org/one:Q4_K_M" out &&
	test_grep "^arch: *llama" out &&
	test_grep "^context: *8192" out &&
	test_grep "^layers: *4" out &&
	test_grep "^fit:" out &&
	test_grep "general.architecture" out &&
	localmodel models show org/one --json >out &&
	json_valid out &&
	test "$(json_get out "[\"model\"][\"name\"]")" = org/one:Q4_K_M &&
	test "$(json_get out "[\"gguf\"][\"layers\"]")" = 4 &&
	test "$(json_get out "[\"gguf\"][\"metadata\"][\"general.architecture\"]")" = llama &&
	localmodel models show tiny:latest >out &&
	test_grep "read-only" out
'

test_expect_success 'models show of an unknown model: exit 3 with a suggestion' '
	test_expect_code 3 localmodel models show org/one:Q4_K_X 2>err &&
	test_grep "did you mean .org/one:Q4_K_M." err
'

test_expect_success 'pin and unpin' '
	localmodel models pin org/one:Q4_K_M >out &&
	test_grep "pinned org/one:Q4_K_M" out &&
	test "$(sqlite3 "$DB" "SELECT pinned FROM model_inventory WHERE model = '\''org/one:Q4_K_M'\''")" = 1 &&
	localmodel models >out && test_grep "^org/one:Q4_K_M (pinned)" out &&
	localmodel models unpin org/one:Q4_K_M --json >out &&
	test "$(json_get out "[\"pinned\"]")" = false &&
	test "$(sqlite3 "$DB" "SELECT pinned FROM model_inventory WHERE model = '\''org/one:Q4_K_M'\''")" = 0 &&
	test_expect_code 3 localmodel models pin org/none:Q4_K_M 2>err
'

test_expect_success 'rm refuses models of other tools (exit 1) and keeps them' '
	test_expect_code 1 localmodel models rm tiny:latest 2>err &&
	test_grep "ollama" err &&
	test -e ".ollama/models/blobs/sha256-$osha" &&
	test_expect_code 1 localmodel models rm hforg/hfrepo:Q6_K 2>err &&
	test -e "$hub/blobs/$hsha" &&
	test_expect_code 1 localmodel models pin tiny:latest 2>err
'

test_expect_success 'rm refuses a model being served (exit 4)' '
	{ sleep 30 & } &&
	spid=$! &&
	sqlite3 "$DB" "INSERT INTO sessions(id, model, host, port, started_at, supervisor_pid) VALUES (\"s1\", \"org/one:Q4_K_M\", \"127.0.0.1\", 8080, \"2026-01-01T00:00:00Z\", $spid)" &&
	test_expect_code 4 localmodel models rm org/one:Q4_K_M 2>err &&
	test_grep "served" err &&
	test -e "$M/org/one/one-Q4_K_M.gguf" &&
	kill $spid && { wait $spid || :; } &&
	localmodel models rm org/one:Q4_K_M >out &&
	test_grep "removed org/one:Q4_K_M" out &&
	test ! -e "$M/org/one"
'

test_expect_success 'rm of a split model removes every part and the empty folders' '
	localmodel models rm org/split:Q8_0 --json >out &&
	test "$(json_get out "[\"removed\"]")" = org/split:Q8_0 &&
	test ! -e "$M/org/split" && test ! -e "$M/org" &&
	test -d "$M" &&
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory")" = 0
'

test_expect_success 'usage errors' '
	test_expect_code 2 localmodel models frob 2>err &&
	test_expect_code 2 localmodel models rm 2>err &&
	test_expect_code 2 localmodel models show a b 2>err
'

test_done
