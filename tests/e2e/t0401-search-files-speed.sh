#!/bin/sh
test_description='search --files: the predicted speed of every model file'
. "$(dirname "$0")/lib.sh"

# No GPU; the chip table's CPU reads 51.2 GB/s x 0.48 in decode, 10 ms a
# token (see speed.h).
export LOCALMODEL_SYSROOT=$FIXTURES/sysroot/laptop-8g

mk() {
	p=$1
	shift
	mkdir -p "$(dirname "repos/$p")"
	python3 "$FIXTURES/mkgguf.py" "repos/$p" "$@" >/dev/null
}
# sparse files of 100 and 200 MB in a repo the catalog does not know, and an mmproj
mk org/sp-GGUF/sp-Q4_K_M.gguf --data-bytes 100000000
mk org/sp-GGUF/sp-Q8_0.gguf --file-type 7 --data-bytes 200000000
mk org/sp-GGUF/mmproj-sp-F16.gguf --file-type 1
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl >/dev/null || exit 1
export HF_ENDPOINT="http://127.0.0.1:$(cat hub.port)"

test_expect_success 'search --files --json: decode and prompt speed per model file' '
	localmodel search org/sp-GGUF --files --json >out.json &&
	python3 - out.json <<-\PY
	import json, sys
	files = {f["quant"] or f["path"]: f for f in json.load(open(sys.argv[1]))["files"]}
	# a generic 32-layer shape: 8 KV heads of 128 + 128, q8_0, 512 tokens in use
	kv = 32 * 8 * 256 * 34 // 32 * 512
	for q, size in (("Q4_K_M", 100000000), ("Q8_0", 200000000)):
	    f = files[q]
	    assert f["size_bytes"] == size, f
	    want = 1 / ((size + kv) / 24.576e9 + 0.010)
	    assert abs(f["decode_tok_s"] - want) <= 0.051, (q, f["decode_tok_s"], want)
	    assert f["prompt_tok_s"] > f["decode_tok_s"], f
	aux = [f for f in files.values() if f["kind"] == "aux"]
	assert aux and aux[0]["decode_tok_s"] is None and aux[0]["prompt_tok_s"] is None, aux
	PY
'

test_expect_success 'search --files: a SPEED column' '
	localmodel search org/sp-GGUF --files >out &&
	test_grep "^FILE  *QUANT  *SIZE  *PARTS  *FITS  *SPEED" out &&
	test_grep "^sp-Q8_0.gguf  *Q8_0 .* yes  *~[0-9.]* tok/s" out
'

test_done
