#!/bin/sh
test_description='models show PATH: memory terms and predicted speeds, --ctx, --parallel, MoE'
. "$(dirname "$0")/lib.sh"

# No GPU; the chip table's CPU: 51.2 GB/s x 0.48 read by decode, 10 ms a
# token, 4 threads of 135 GFLOP/s for the prompt (see speed.h).
export LOCALMODEL_SYSROOT=$FIXTURES/sysroot/laptop-8g

mk() { # OUT [mkgguf options]
	out=$1
	shift
	python3 "$FIXTURES/mkgguf.py" "$out" --layers 4 --embd 256 --heads 4 --heads-kv 2 \
		--ff 512 --vocab 1000 --ctx 32768 --file-type 1 --info "$@" >"$out.info"
}

# expect_speed SHOW.json INFO ACTIVE_BYTES ACTIVE_PARAMS: the JSON's speeds
# are the model's arithmetic (KV: 512 tokens of 4 layers x 2 heads x 128 x
# 34/32 bytes).
expect_speed() {
	python3 - "$@" <<-\PY
	import json, sys
	f = json.load(open(sys.argv[1]))["fit"]
	active, params = int(sys.argv[3]), int(sys.argv[4])
	kv = 512 * 4 * 2 * 128 * 34 // 32
	dec = 1 / ((active + kv) / 24.576e9 + 0.010)
	pp = 4 * 135e9 / (2 * params)
	assert abs(f["decode_tok_s"] - dec) <= 0.051, (f["decode_tok_s"], dec)
	assert abs(f["prompt_tok_s"] - pp) <= 0.051 * max(1, pp / 1000), (f["prompt_tok_s"], pp)
	assert f["speed_source"] == "table", f
	PY
}

test_expect_success 'a .gguf path: the fit terms and the predicted speeds' '
	mk dense.gguf &&
	localmodel models show "$TRASH/dense.gguf" --ctx 4096 --json >show.json &&
	test "$(json_get show.json "[\"model\"][\"source\"]")" = path &&
	test "$(json_get show.json "[\"fit\"][\"ctx\"]")" = 4096 &&
	python3 - show.json dense.gguf.info <<-\PY &&
	import json, sys
	f = json.load(open(sys.argv[1]))["fit"]
	info = json.loads(open(sys.argv[2]).read())
	assert f["weight_bytes"] == info["weight_bytes"], (f, info)
	assert f["total_bytes"] == f["weight_bytes"] + f["kv_bytes"] + f["compute_bytes"] + f["overhead_bytes"], f
	# q8_0 KV: 4096 x 4 layers x 2 heads x (64 + 64) x 34/32
	assert f["kv_bytes"] == 4096 * 4 * 2 * 128 * 34 // 32, f
	assert f["cpu_bytes"] == f["total_bytes"] and f["gpu_bytes"] == 0, f
	PY
	# the token embeddings are not read per token (256 x 1000 F16)
	w=$(python3 -c "import json; print(json.load(open(\"dense.gguf.info\"))[\"weight_bytes\"])") &&
	p=$(python3 -c "import json; print(json.load(open(\"dense.gguf.info\"))[\"params\"])") &&
	expect_speed show.json dense.gguf.info $((w - 512000)) $((p - 256000)) &&
	localmodel models show "$TRASH/dense.gguf" >out &&
	test_grep "^speed: *~[0-9.]* tokens/s generating, ~[0-9]* tokens/s reading the prompt (table)" out
'

test_expect_success '--ctx and --parallel change the KV, and only the KV and compute' '
	localmodel models show dense.gguf --ctx 8192 --parallel 2 --json >big.json &&
	localmodel models show dense.gguf --ctx 4096 --json >small.json &&
	test "$(json_get big.json "[\"fit\"][\"parallel\"]")" = 2 &&
	test "$(json_get big.json "[\"fit\"][\"ctx\"]")" = 8192 &&
	python3 - small.json big.json <<-\PY &&
	import json, sys
	s, b = (json.load(open(f))["fit"] for f in sys.argv[1:3])
	assert b["kv_bytes"] == 2 * s["kv_bytes"], (s, b)
	assert b["weight_bytes"] == s["weight_bytes"] and b["overhead_bytes"] == s["overhead_bytes"]
	assert b["total_bytes"] > s["total_bytes"]
	PY
	test_expect_code 2 localmodel models show dense.gguf --ctx 12 2>err &&
	test_grep "ctx" err &&
	test_expect_code 3 localmodel models show "$TRASH/nope.gguf" 2>err &&
	test_grep "cannot open .*nope.gguf" err
'

test_expect_success 'a mixture of experts reads only its used experts per token' '
	mk moe.gguf --arch qwen3moe --experts 8 --experts-used 2 &&
	localmodel models show moe.gguf --ctx 4096 --json >moe.json &&
	python3 - moe.gguf.info <<-\PY >active &&
	import json, sys
	info = json.load(open(sys.argv[1]))
	# experts: 4 layers x 3 tensors x 256 x 512 x 8 F16; 6 of 8 are not read
	exps_b, exps_p = 4 * 3 * 256 * 512 * 8 * 2, 4 * 3 * 256 * 512 * 8
	print(info["weight_bytes"] - 512000 - exps_b * 6 // 8, info["params"] - 256000 - exps_p * 6 // 8)
	PY
	expect_speed moe.json moe.gguf.info $(cat active)
'

test_done
