#!/bin/sh
test_description='recommend: planning sizes, tasks, context, JSON shape, installed, errors'
. "$(dirname "$0")/lib.sh"

# A machine without GPU, so that planned sizes are all there is.
export LOCALMODEL_SYSROOT=$FIXTURES/sysroot/laptop-8g

pick() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for r in d["recommendations"]:
    if r["tier"] == sys.argv[2]: print(r["repo"] + ":" + r["quant"])' "$1" "$2"
}

test_expect_success '--json: one document, the documented keys, in tier order' '
	localmodel recommend --json >out.json 2>err &&
	test ! -s err &&
	python3 - out.json <<-\PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert set(d) == {"hardware", "speed", "recommendations"}, d.keys()
	keys = {"tier", "repo", "quant", "file", "size_bytes", "context", "memory_bytes",
	        "gpu_layers", "installed", "verdict", "why", "decode_tok_s", "prompt_tok_s"}
	assert [r["tier"] for r in d["recommendations"]] == ["fast", "balanced", "most_capable"]
	for r in d["recommendations"]:
	    assert set(r) == keys, set(r) ^ keys
	    assert isinstance(r["installed"], bool) and r["installed"] is False
	    assert isinstance(r["size_bytes"], int) and isinstance(r["gpu_layers"], int)
	    assert r["file"].endswith(".gguf")
	hw = d["hardware"]
	for k in ("os", "arch", "cpu", "memory", "gpus", "backends", "unified_memory", "budget"):
	    assert k in hw, k
	PY
'

test_expect_success '--memory and --gpu-memory plan for another machine' '
	localmodel recommend --memory 64G --gpu-memory 24G --json >out.json &&
	test "$(json_get out.json "[\"hardware\"][\"planned\"][\"memory_bytes\"]")" = 68719476736 &&
	test "$(json_get out.json "[\"hardware\"][\"planned\"][\"gpu_memory_bytes\"]")" = 25769803776 &&
	test "$(pick out.json fast)" = "bartowski/Qwen_Qwen3-30B-A3B-GGUF:Q4_K_M" &&
	test "$(pick out.json most_capable)" = "ggml-org/gpt-oss-120b-GGUF:MXFP4" &&
	test "$(json_get out.json "[\"recommendations\"][0][\"verdict\"]")" = full_gpu &&
	localmodel recommend --memory 64G --gpu-memory 24G >out &&
	test_grep "^planning: 64.0 GB RAM, 24.0 GB GPU memory, keeping 2.0 GB free" out
'

test_expect_success '--memory alone plans a CPU machine of that size' '
	localmodel recommend --memory 32GiB --json >out.json &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"gpu_bytes\"]")" = 0 &&
	python3 -c "import json; d=json.load(open(\"out.json\")); assert all(r[\"verdict\"] == \"cpu\" and r[\"memory_bytes\"] <= 30 * 2**30 for r in d[\"recommendations\"])" &&
	test "$(pick out.json most_capable)" = "bartowski/Qwen_Qwen3-30B-A3B-GGUF:Q4_K_M"
'

test_expect_success 'on a Mac, --memory alone sets the GPU share too' '
	LOCALMODEL_SYSROOT=$FIXTURES/sysroot/mac-16g localmodel recommend --memory 32G --json >out.json &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"gpu_bytes\"]")" = 22906492244 &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"unified\"]")" = true &&
	LOCALMODEL_SYSROOT=$FIXTURES/sysroot/mac-16g localmodel recommend --memory 64G --gpu-memory 48G --json >out.json &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"gpu_bytes\"]")" = 51539607552
'

test_expect_success '--gpu-memory 0 means no GPU' '
	localmodel recommend --memory 16G --gpu-memory 0 --json >out.json &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"gpu_bytes\"]")" = 0
'

test_expect_success 'bad sizes and values are usage errors (exit 2)' '
	test_expect_code 2 localmodel recommend --memory 8X 2>err &&
	test_grep "bad size for .--memory.: .8X." err &&
	test_expect_code 2 localmodel recommend --gpu-memory -4G 2>err &&
	test_grep "gpu-memory" err &&
	test_expect_code 2 localmodel recommend --memory "" 2>err &&
	test_expect_code 2 localmodel recommend --memory 1K 2>err &&
	test_grep "too small" err &&
	test_expect_code 2 localmodel recommend --context lots 2>err &&
	test_grep "context" err &&
	test_expect_code 2 localmodel recommend --context 100 2>err &&
	test_expect_code 2 localmodel recommend --task poetry 2>err &&
	test_grep "unknown task .poetry." err &&
	test_expect_code 2 localmodel recommend extra-arg 2>err
'

test_expect_success 'nothing fits: says so, names the smallest option, exits 7' '
	test_expect_code 7 localmodel recommend --memory 2G >out 2>err &&
	test ! -s out &&
	test_grep "^localmodel: recommend: nothing in the catalog fits this machine (2.0 GB RAM)" err &&
	test_grep "smallest option, bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M, needs" err &&
	test_expect_code 7 localmodel recommend --memory 2G --json >out.json &&
	test "$(json_get out.json "[\"recommendations\"]")" = "[]" &&
	test_grep "Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M" out.json
'

test_expect_success '--task code and reasoning pick models tagged so' '
	localmodel recommend --task code --memory 32G --gpu-memory 16G --json >code.json &&
	localmodel recommend --task reasoning --memory 32G --gpu-memory 16G --json >reason.json &&
	python3 - code.json reason.json <<-\PY
	import json, sys
	code = [r["repo"] for r in json.load(open(sys.argv[1]))["recommendations"]]
	reason = [r["repo"] for r in json.load(open(sys.argv[2]))["recommendations"]]
	assert len(code) == 3 and len(reason) == 3, (code, reason)
	# models tagged for chat only never come up for code, coders never for reasoning
	assert not any("gemma" in r or "Llama-3.2" in r or "Llama-3.1" in r for r in code), code
	assert not any("gemma" in r or "Coder" in r or "Devstral" in r for r in reason), reason
	assert "unsloth/DeepSeek-R1-Distill-Qwen-32B-GGUF" in reason, reason
	assert code != reason
	PY
'

test_expect_success '--context: every pick gets exactly that context, or fewer picks' '
	localmodel recommend --memory 16G --context 32768 --json >out.json &&
	python3 -c "import json; d=json.load(open(\"out.json\")); r=d[\"recommendations\"]; assert len(r) == 3 and all(x[\"context\"] == 32768 for x in r), r" &&
	localmodel recommend --memory 16G --json >auto.json &&
	test "$(json_get auto.json "[\"recommendations\"][2][\"context\"]")" = 131072 &&
	localmodel recommend --memory 6G --context 131072 --json >long.json &&
	python3 -c "import json; d=json.load(open(\"long.json\")); r=d[\"recommendations\"]; assert 0 < len(r) and all(x[\"context\"] == 131072 and x[\"memory_bytes\"] <= 4 * 2**30 for x in r), r"
'

test_expect_success 'a context longer than any model was trained for: nothing fits' '
	test_expect_code 7 localmodel recommend --memory 512G --context 1048576 2>err &&
	test_grep "no model in the catalog matches" err
'

test_expect_success 'installed models are marked' '
	mkdir -p "$LOCALMODEL_HOME" &&
	sqlite3 "$LOCALMODEL_HOME/localmodel.db" "CREATE TABLE model_inventory(model TEXT PRIMARY KEY, file_path TEXT, repo_source TEXT, size_bytes INTEGER DEFAULT 0, quantization TEXT, sha256 TEXT, first_seen TEXT, last_used TEXT, total_requests INTEGER DEFAULT 0); INSERT INTO model_inventory(model, file_path, repo_source, size_bytes, quantization, first_seen) VALUES (\"Qwen/Qwen3-8B-GGUF:Q4_K_M\", \"/x/Qwen3-8B-Q4_K_M.gguf\", \"Qwen/Qwen3-8B-GGUF\", 5027783488, \"Q4_K_M\", \"2026-01-01T00:00:00Z\"), (\"other:Q8_0\", \"/x/y.gguf\", \"bartowski/Qwen_Qwen3-4B-GGUF\", 1, \"Q8_0\", \"2026-01-01T00:00:00Z\");" &&
	localmodel recommend --json >out.json &&
	python3 - out.json <<-\PY &&
	import json, sys
	d = {r["repo"]: r["installed"] for r in json.load(open(sys.argv[1]))["recommendations"]}
	assert d["Qwen/Qwen3-8B-GGUF"] is True, d
	assert d["bartowski/Qwen_Qwen3-4B-GGUF"] is False, d  # another quant is installed
	PY
	localmodel recommend >out &&
	test_grep "INSTALLED" out &&
	test_grep "^most capable .*Qwen/Qwen3-8B-GGUF .* yes$" out
'

test_expect_success 'a machine whose memory cannot be read: fails unless planned' '
	mkdir -p emptyroot &&
	test_expect_code 1 env LOCALMODEL_SYSROOT=$TRASH/emptyroot localmodel recommend 2>err &&
	test_grep "cannot tell how much memory this machine has; plan with --memory SIZE" err &&
	LOCALMODEL_SYSROOT=$TRASH/emptyroot localmodel recommend --memory 16G --json >out.json &&
	json_valid out.json &&
	test_expect_code 1 env LOCALMODEL_SYSROOT=$TRASH/nonexistent localmodel recommend 2>err &&
	test_grep "LOCALMODEL_SYSROOT .*is not a directory" err
'

test_expect_success '--help documents every option' '
	localmodel recommend --help >out &&
	for o in task memory gpu-memory context online json min-speed bandwidth calibrate; do
		test_grep "\-\-$o" out || exit 1
	done
'

test_done
