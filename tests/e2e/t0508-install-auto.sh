#!/bin/sh
test_description='install --backend auto on described machines (LOCALMODEL_SYSROOT)'
. "$(dirname "$0")/lib.sh"

RT=$LOCALMODEL_HOME/runtime
SYS=$FIXTURES/sysroot

test_expect_success 'setup: b100 for Linux x64 cpu, vulkan, rocm and macOS' '
	mkdir -p rel/b100 &&
	for a in ubuntu-x64 ubuntu-vulkan-x64 ubuntu-rocm-7.14-x64 macos-arm64 macos-x64; do
		python3 "$FIXTURES/mkrelease.py" good rel/b100/llama-b100-bin-$a.tar.gz --tag b100 || exit 1
	done
'
start_fixture port python3 "$FIXTURES/mockgithub.py" rel port >/dev/null || exit 1
LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat port)
export LOCALMODEL_GITHUB_API

test_expect_success 'NVIDIA on Linux: the Vulkan build, saying why' '
	LOCALMODEL_SYSROOT=$SYS/nvidia-24g localmodel install --json >out.json 2>err &&
	test "$(json_get out.json "[\"backend\"]")" = vulkan &&
	test "$(json_get out.json "[\"asset\"]")" = llama-b100-bin-ubuntu-vulkan-x64.tar.gz &&
	json_get out.json "[\"note\"]" >note &&
	test_grep "NVIDIA" note &&
	test_grep "no CUDA build for Linux" note &&
	LOCALMODEL_SYSROOT=$SYS/nvidia-24g localmodel install >out 2>err &&
	test_grep "NVIDIA GPU found: using the Vulkan build" err &&
	test "$(readlink "$RT/current")" = b100-vulkan
'

test_expect_success 'AMD on Linux: the Vulkan build by default, rocm on request' '
	LOCALMODEL_SYSROOT=$SYS/amd-16g localmodel install --json >out.json &&
	test "$(json_get out.json "[\"asset\"]")" = llama-b100-bin-ubuntu-vulkan-x64.tar.gz &&
	LOCALMODEL_SYSROOT=$SYS/amd-16g localmodel install --backend rocm --json >out.json &&
	test "$(json_get out.json "[\"asset\"]")" = llama-b100-bin-ubuntu-rocm-7.14-x64.tar.gz
'

test_expect_success 'no GPU and no Vulkan: the CPU build, no note' '
	LOCALMODEL_SYSROOT=$SYS/laptop-8g localmodel install --json >out.json &&
	test "$(json_get out.json "[\"asset\"]")" = llama-b100-bin-ubuntu-x64.tar.gz &&
	test_grep -v "\"note\"" out.json
'

test_expect_success 'an Apple Silicon Mac: the Metal build' '
	LOCALMODEL_SYSROOT=$SYS/mac-16g localmodel install --json >out.json &&
	test "$(json_get out.json "[\"backend\"]")" = metal &&
	test "$(json_get out.json "[\"asset\"]")" = llama-b100-bin-macos-arm64.tar.gz &&
	test "$(readlink "$RT/current/libllama.dylib")" = libllama.0.dylib &&
	test "$(readlink "$RT/current/libllama.0.dylib")" = libllama.0.0.100.dylib &&
	test "$(readlink "$RT/current/libggml-metal.dylib")" = libggml-metal.0.dylib &&
	test -f "$RT/current/libggml-metal.0.9.4.dylib" &&
	LOCALMODEL_SYSROOT=$SYS/mac-16g test_expect_code 2 localmodel install --backend vulkan 2>err &&
	test_grep "no .vulkan. build for macOS" err
'

test_expect_success 'status shows the Metal backend of that runtime' '
	LOCALMODEL_SYSROOT=$SYS/mac-16g localmodel status --json >st.json &&
	test "$(json_get st.json "[\"runtime\"][\"backend\"]")" = metal &&
	LOCALMODEL_SYSROOT=$SYS/mac-16g localmodel status >st &&
	test_grep "^runtime: *llama.cpp b100 (metal)" st &&
	python3 - out.json st.json <<-\EOF
	import json, sys
	inst = json.load(open(sys.argv[1]))
	rt = json.load(open(sys.argv[2]))["runtime"]
	# one writer for the record: the same fields, the same values
	for k in ("name", "path", "tag", "build", "backend", "source", "origin", "sha256", "version", "commit"):
	    assert inst[k] == rt[k], (k, inst[k], rt[k])
	assert rt["installed"] is True and rt["server"], rt
	EOF
'

test_expect_success 'an M1 Mac mini and an M3 Ultra: Metal; an Intel Mac: the x64 CPU build' '
	LOCALMODEL_SYSROOT=$SYS/mac-m1-16g localmodel install --json >out.json &&
	test "$(json_get out.json "[\"asset\"]")" = llama-b100-bin-macos-arm64.tar.gz &&
	LOCALMODEL_SYSROOT=$SYS/mac-m3ultra-512g localmodel install --json >out.json &&
	test "$(json_get out.json "[\"backend\"]")" = metal &&
	LOCALMODEL_SYSROOT=$SYS/mac-intel-32g localmodel install --json >out.json &&
	test "$(json_get out.json "[\"backend\"]")" = cpu &&
	test "$(json_get out.json "[\"asset\"]")" = llama-b100-bin-macos-x64.tar.gz &&
	LOCALMODEL_SYSROOT=$SYS/mac-intel-32g test_expect_code 2 localmodel install --backend metal 2>err &&
	test_grep "no .metal. build for macOS x64" err
'

test_expect_success 'update keeps the backend of the current runtime' '
	LOCALMODEL_SYSROOT=$SYS/nvidia-24g localmodel install --backend cpu >/dev/null &&
	mkdir rel/b200 &&
	for a in ubuntu-x64 ubuntu-vulkan-x64; do
		python3 "$FIXTURES/mkrelease.py" good rel/b200/llama-b200-bin-$a.tar.gz --tag b200 || exit 1
	done &&
	LOCALMODEL_SYSROOT=$SYS/nvidia-24g localmodel update --json >out.json &&
	test "$(json_get out.json "[\"current\"]")" = b200 &&
	test "$(readlink "$RT/current")" = b200-cpu
'

test_done
