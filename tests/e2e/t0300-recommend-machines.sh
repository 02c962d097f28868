#!/bin/sh
test_description='recommend on described machines: laptop, Mac, NVIDIA box, container'
. "$(dirname "$0")/lib.sh"

SYSROOTS=$FIXTURES/sysroot

# A fake nvidia-smi on PATH: it checks the arguments it gets and logs them.
cat >"$TRASH/bin/nvidia-smi" <<'SMI'
#!/bin/sh
echo "$*" >>"$HOME/smi.log"
case "$*" in
*--query-gpu=name,memory.total,memory.used,driver_version*--format=csv,noheader,nounits*) ;;
*) echo "unexpected arguments: $*" >&2; exit 9 ;;
esac
echo "NVIDIA GeForce RTX 4090, 24564, 512, 550.54.14"
SMI
chmod +x "$TRASH/bin/nvidia-smi"

# check_fits FILE: every pick's memory fits the budget the JSON reports
# (RAM minus the reserve, plus GPU memory unless unified), every pick is
# predicted at the usable floor or faster, and fast is not slower than
# balanced.
check_fits() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
b = d["hardware"]["budget"]
ram = b["ram_bytes"] - b["reserve_bytes"]
room = ram if b["unified"] else ram + b["gpu_bytes"]
recs = d["recommendations"]
assert recs, "no recommendations"
for r in recs:
    assert set(r) >= {"tier", "repo", "quant", "file", "size_bytes", "context",
                      "memory_bytes", "gpu_layers", "installed", "decode_tok_s",
                      "prompt_tok_s"}, r
    assert r["memory_bytes"] <= room, (r["repo"], r["memory_bytes"], room)
    assert r["size_bytes"] < r["memory_bytes"], r
    assert r["context"] >= 4096, r
    assert r["decode_tok_s"] >= d["speed"]["floor_tok_s"] == 3, r
    assert r["prompt_tok_s"] > r["decode_tok_s"], r
    if not b["gpu_bytes"]:
        assert r["gpu_layers"] == 0 and r["verdict"] == "cpu", r
tiers = [r["tier"] for r in recs]
assert tiers == [t for t in ("fast", "balanced", "most_capable") if t in tiers], tiers
assert len(set(r["repo"] for r in recs)) == len(recs), "a model picked twice"
speed = {r["tier"]: r["decode_tok_s"] for r in recs}
assert speed.get("fast", 1e9) >= speed.get("balanced", 0), speed
PY
}

# pick FILE TIER: the repo:quant of a tier
pick() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for r in d["recommendations"]:
    if r["tier"] == sys.argv[2]: print(r["repo"] + ":" + r["quant"])' "$1" "$2"
}

test_expect_success '8 GB laptop: three CPU picks that fit' '
	LOCALMODEL_SYSROOT=$SYSROOTS/laptop-8g localmodel recommend --json >out.json &&
	json_valid out.json &&
	check_fits out.json &&
	test "$(json_get out.json "[\"hardware\"][\"memory\"][\"total_bytes\"]")" = 8180973568 &&
	test "$(pick out.json fast)" = "bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M" &&
	test "$(pick out.json balanced)" = "bartowski/Qwen_Qwen3-4B-GGUF:Q4_K_M" &&
	test "$(pick out.json most_capable)" = "Qwen/Qwen3-8B-GGUF:Q4_K_M" &&
	test ! -e smi.log
'

test_expect_success '8 GB laptop: the table names the picks and the machine' '
	LOCALMODEL_SYSROOT=$SYSROOTS/laptop-8g localmodel recommend >out 2>err &&
	test_grep "^machine: *x86_64, 8 cores, 7.6 GB RAM" out &&
	test_grep "^TIER  *MODEL  *QUANT  *SIZE  *CONTEXT  *MEMORY  *GPU OFFLOAD  *SPEED" out &&
	test_grep "^fast  *bartowski/Llama-3.2-1B-Instruct-GGUF  *Q4_K_M .*none (CPU)  *~[0-9]* tok/s" out &&
	test_grep "^most capable  *Qwen/Qwen3-8B-GGUF  *Q4_K_M" out &&
	test_grep "^get one with: localmodel pull " out &&
	test ! -s err
'

test_expect_success '16 GB Mac: unified memory, everything fast on Metal' '
	LOCALMODEL_SYSROOT=$SYSROOTS/mac-16g localmodel recommend --json >out.json &&
	check_fits out.json &&
	test "$(json_get out.json "[\"hardware\"][\"unified_memory\"]")" = true &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"gpu_bytes\"]")" = 11453246122 &&
	test "$(json_get out.json "[\"hardware\"][\"backends\"][\"metal\"]")" = true &&
	test "$(pick out.json fast)" = "bartowski/Qwen_Qwen3-4B-GGUF:Q4_K_M" &&
	test "$(pick out.json balanced)" = "bartowski/Qwen_Qwen3-14B-GGUF:Q4_K_M" &&
	test "$(pick out.json most_capable)" = "lmstudio-community/gpt-oss-20b-GGUF:MXFP4" &&
	LOCALMODEL_SYSROOT=$SYSROOTS/mac-16g localmodel recommend >out &&
	test_grep "unified memory (GPU up to 10.7 GB)" out &&
	test_grep "^balanced .*all 41 layers" out
'

test_expect_success '24 GB NVIDIA + 64 GB RAM: nvidia-smi is asked, picks use the GPU' '
	rm -f smi.log &&
	LOCALMODEL_SYSROOT=$SYSROOTS/nvidia-24g localmodel recommend --json >out.json &&
	check_fits out.json &&
	test_grep "query-gpu" smi.log &&
	test "$(json_get out.json "[\"hardware\"][\"gpus\"][0][\"name\"]")" = "NVIDIA GeForce RTX 4090" &&
	test "$(json_get out.json "[\"hardware\"][\"gpus\"][0][\"vram_total_bytes\"]")" = 25757220864 &&
	test "$(pick out.json fast)" = "bartowski/Qwen_Qwen3-30B-A3B-GGUF:Q4_K_M" &&
	test "$(pick out.json balanced)" = "bartowski/Qwen_Qwen3-32B-GGUF:Q4_K_M" &&
	test "$(pick out.json most_capable)" = "ggml-org/gpt-oss-120b-GGUF:MXFP4" &&
	test "$(json_get out.json "[\"recommendations\"][2][\"verdict\"]")" = partial_gpu
'

test_expect_success 'NVIDIA device but nvidia-smi failing: CPU picks and a note' '
	mkdir -p badbin &&
	printf "#!/bin/sh\nexit 3\n" >badbin/nvidia-smi && chmod +x badbin/nvidia-smi &&
	PATH=$TRASH/badbin:$PATH LOCALMODEL_SYSROOT=$SYSROOTS/nvidia-24g localmodel recommend --json >out.json &&
	check_fits out.json &&
	test_grep "nvidia-smi not found or failed" out.json &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"gpu_bytes\"]")" = 0
'

test_expect_success 'AMD 16 GB card (amdgpu sysfs): picks offloaded to it' '
	rm -f smi.log &&
	LOCALMODEL_SYSROOT=$SYSROOTS/amd-16g localmodel recommend --json >out.json &&
	check_fits out.json &&
	test "$(json_get out.json "[\"hardware\"][\"gpus\"][0][\"vendor\"]")" = amd &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"gpu_bytes\"]")" = 17163091968 &&
	test "$(json_get out.json "[\"hardware\"][\"backends\"][\"vulkan\"]")" = true &&
	test "$(pick out.json fast)" = "lmstudio-community/gpt-oss-20b-GGUF:MXFP4" &&
	test "$(pick out.json balanced)" = "bartowski/Qwen_Qwen3-30B-A3B-GGUF:Q4_K_M" &&
	test "$(pick out.json most_capable)" = "bartowski/Qwen_Qwen3-32B-GGUF:Q4_K_M" &&
	test ! -e smi.log
'

test_expect_success 'container limited to 8 GB on a 64 GB host: plans for 8 GB' '
	LOCALMODEL_SYSROOT=$SYSROOTS/container-8g localmodel recommend --json >out.json &&
	check_fits out.json &&
	test "$(json_get out.json "[\"hardware\"][\"memory\"][\"cgroup_limit_bytes\"]")" = 8589934592 &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"ram_bytes\"]")" = 8589934592 &&
	test "$(pick out.json most_capable)" = "Qwen/Qwen3-8B-GGUF:Q4_K_M" &&
	LOCALMODEL_SYSROOT=$SYSROOTS/container-8g localmodel recommend >out &&
	test_grep "container limit 8.0 GB" out &&
	test_grep -v "gpt-oss-120b" out
'

test_expect_success 'cgroup v1 container limited to 4 GB: only small models' '
	LOCALMODEL_SYSROOT=$SYSROOTS/container-v1-4g localmodel recommend --json >out.json &&
	check_fits out.json &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"ram_bytes\"]")" = 4294967296 &&
	python3 -c "import json; d=json.load(open(\"out.json\")); assert all(r[\"size_bytes\"] < 2**31 for r in d[\"recommendations\"])"
'

test_expect_success 'a larger reserve in the config shrinks the picks' '
	mkdir -p "$LOCALMODEL_HOME" &&
	echo "reserve_gb = 5" >"$LOCALMODEL_HOME/config" &&
	LOCALMODEL_SYSROOT=$SYSROOTS/laptop-8g localmodel recommend --json >out.json &&
	rm "$LOCALMODEL_HOME/config" &&
	check_fits out.json &&
	test "$(json_get out.json "[\"hardware\"][\"budget\"][\"reserve_bytes\"]")" = 5368709120 &&
	test "$(pick out.json most_capable)" != "Qwen/Qwen3-8B-GGUF:Q4_K_M"
'

test_done
