#!/bin/sh
test_description='install: --backend choices and the asset each one takes'
. "$(dirname "$0")/lib.sh"

RT=$LOCALMODEL_HOME/runtime

if [ "$(uname -s)" != Linux ]; then
	echo "# skipped: the Linux asset names are what this script checks"
	test_done
fi

test_expect_success 'setup: cpu, vulkan and rocm builds of b100' '
	python3 "$FIXTURES/mkrelease.py" tree rel b100 --backends cpu,vulkan,rocm
'
# the fixture starts in this shell, so that test_done stops it
start_fixture port python3 "$FIXTURES/mockgithub.py" rel port >/dev/null || exit 1
LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat port)
export LOCALMODEL_GITHUB_API

test_expect_success '--backend vulkan takes the vulkan asset' '
	: >rel/.requests.log &&
	localmodel install --backend vulkan --json >out.json &&
	test "$(json_get out.json "[\"backend\"]")" = vulkan &&
	test "$(json_get out.json "[\"asset\"]")" = "$(python3 "$FIXTURES/mkrelease.py" asset --tag b100 --backend vulkan)" &&
	test "$(readlink "$RT/current")" = b100-vulkan
'

test_expect_success '--backend rocm matches the versioned rocm asset' '
	if [ "$(uname -m)" = x86_64 ]; then
		localmodel install --backend rocm --json >out.json &&
		test "$(json_get out.json "[\"asset\"]")" = llama-b100-bin-ubuntu-rocm-7.14-x64.tar.gz &&
		test "$(readlink "$RT/current")" = b100-rocm
	else
		test_expect_code 2 localmodel install --backend rocm
	fi
'

test_expect_success 'the config file backend is used without --backend' '
	localmodel status --json >st.json &&
	cfg=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"paths\"][\"config\"])" st.json) &&
	mkdir -p "$(dirname "$cfg")" && printf "backend = vulkan\n" >"$cfg" &&
	localmodel install --json >out.json &&
	test "$(json_get out.json "[\"backend\"]")" = vulkan &&
	LOCALMODEL_BACKEND=cpu localmodel install --json >out.json &&
	test "$(json_get out.json "[\"backend\"]")" = cpu &&
	rm "$cfg"
'

test_expect_success 'metal on Linux and cuda are usage errors with a hint' '
	test_expect_code 2 localmodel install --backend metal 2>err &&
	test_grep "no .metal. build for Linux" err &&
	test_expect_code 2 localmodel install --backend cuda 2>err &&
	test_grep "no Linux CUDA build" err &&
	test_grep "vulkan" err
'

test_expect_success 'an unknown backend name is a usage error' '
	test_expect_code 2 localmodel install --backend frob 2>err
'

test_done
