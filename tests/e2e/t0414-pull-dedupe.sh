#!/bin/sh
test_description='pull: a file already on disk (HF cache, llama.cpp cache, our store) is linked, not downloaded'
. "$(dirname "$0")/lib.sh"

mk() {
	p=$1
	shift
	mkdir -p "$(dirname "repos/$p")"
	python3 "$FIXTURES/mkgguf.py" "repos/$p" "$@" >/dev/null
}
mk org/a/a-Q4_K_M.gguf --name first
mk org/b/b-Q4_K_M.gguf --name second
mk org/c/c-Q4_K_M.gguf --name third
mkdir -p repos/org/twin && cp repos/org/a/a-Q4_K_M.gguf repos/org/twin/twin-Q4_K_M.gguf

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl >/dev/null || exit 1
P=$(cat hub.port)
export HF_ENDPOINT=http://127.0.0.1:$P
M=$LOCALMODEL_HOME/models

# hf_cache DIR REPO FILE: put FILE of REPO in an HF-style cache at DIR
hf_cache() {
	h=$(sha "repos/$2/$3") &&
	d="$1/models--$(echo "$2" | sed "s|/|--|")" &&
	mkdir -p "$d/blobs" "$d/snapshots/0000000000000000000000000000000000000000" "$d/refs" &&
	cp "repos/$2/$3" "$d/blobs/$h" &&
	ln -s "../../blobs/$h" "$d/snapshots/0000000000000000000000000000000000000000/$3" &&
	printf 0000000000000000000000000000000000000000 >"$d/refs/main"
}
cdn_gets() { grep "\"server\": \"cdn\"" req.jsonl | grep -c "\"GET\"" || :; }

test_expect_success 'a file in the HF hub cache is hard-linked' '
	hf_cache "$TRASH/hf/hub" org/a a-Q4_K_M.gguf &&
	: >req.jsonl &&
	HF_HOME=$TRASH/hf localmodel pull org/a >out 2>err &&
	test_grep "linked a-Q4_K_M.gguf from hf-cache" out &&
	test "$(cdn_gets)" = 0 &&
	cmp "$M/org/a/a-Q4_K_M.gguf" repos/org/a/a-Q4_K_M.gguf &&
	test "$(stat -c %i "$M/org/a/a-Q4_K_M.gguf")" = "$(stat -c %i "$TRASH/hf/hub/models--org--a/blobs/$(sha repos/org/a/a-Q4_K_M.gguf)")"
'

test_expect_success '--json says how the file came' '
	localmodel models rm org/a:Q4_K_M >/dev/null &&
	HF_HOME=$TRASH/hf localmodel pull org/a --json >out &&
	test "$(json_get out "[\"files\"][0][\"status\"]")" = linked &&
	test "$(json_get out "[\"files\"][0][\"from_store\"]")" = hf-cache
'

test_expect_success 'when linking is impossible the file is copied' '
	localmodel models rm org/a:Q4_K_M >/dev/null &&
	(export HF_HOME=$TRASH/hf LOCALMODEL_TEST_NO_LINK=1; localmodel pull org/a) >out &&
	test_grep "copied a-Q4_K_M.gguf from hf-cache" out &&
	test "$(stat -c %i "$M/org/a/a-Q4_K_M.gguf")" != "$(stat -c %i "$TRASH/hf/hub/models--org--a/blobs/$(sha repos/org/a/a-Q4_K_M.gguf)")" &&
	cmp "$M/org/a/a-Q4_K_M.gguf" repos/org/a/a-Q4_K_M.gguf
'

test_expect_success 'a file of the llama.cpp cache (LLAMA_CACHE) is reused' '
	hf_cache "$TRASH/llama" org/b b-Q4_K_M.gguf &&
	: >req.jsonl &&
	LLAMA_CACHE=$TRASH/llama localmodel pull org/b >out &&
	test_grep "from llama-cache" out &&
	test "$(cdn_gets)" = 0
'

test_expect_success 'a corrupt cached blob is not trusted: downloaded instead' '
	hf_cache "$TRASH/bad/hub" org/c c-Q4_K_M.gguf &&
	b="$TRASH/bad/hub/models--org--c/blobs/$(sha repos/org/c/c-Q4_K_M.gguf)" &&
	printf XXXX | dd of="$b" bs=1 seek=5000 conv=notrunc 2>/dev/null &&
	: >req.jsonl &&
	HF_HOME=$TRASH/bad localmodel pull org/c >out &&
	test_grep "downloaded" out &&
	cmp "$M/org/c/c-Q4_K_M.gguf" repos/org/c/c-Q4_K_M.gguf &&
	test "$(cdn_gets)" -ge 1
'

test_expect_success 'an identical file of another localmodel model is reused' '
	: >req.jsonl &&
	localmodel pull org/twin >out &&
	test_grep "from localmodel" out &&
	test "$(cdn_gets)" = 0 &&
	cmp "$M/org/twin/twin-Q4_K_M.gguf" repos/org/twin/twin-Q4_K_M.gguf
'

test_expect_success 'removing a linked model leaves the cache intact' '
	localmodel models rm org/a:Q4_K_M >/dev/null &&
	cmp "$TRASH/hf/hub/models--org--a/blobs/$(sha repos/org/a/a-Q4_K_M.gguf)" repos/org/a/a-Q4_K_M.gguf
'

test_done
