#!/bin/sh
test_description='install --from: register an existing llama-server'
. "$(dirname "$0")/lib.sh"

RT=$LOCALMODEL_HOME/runtime

test_expect_success 'setup: a self-built llama-server and a broken one' '
	mkdir -p build/bin &&
	printf "#!/bin/sh\nFAKE_LLAMA_BUILD=10444 exec python3 \"%s\" \"\$@\"\n" "$FIXTURES/fake-llama-server" >build/bin/llama-server &&
	chmod +x build/bin/llama-server &&
	printf "#!/bin/sh\necho \"cannot open shared object file\" >&2\nexit 127\n" >broken &&
	chmod +x broken &&
	printf "#!/bin/sh\necho hello >&2\n" >noversion &&
	chmod +x noversion
'

python3 "$FIXTURES/mkrelease.py" tree rel b10500 || exit 1
start_fixture port python3 "$FIXTURES/mockgithub.py" rel port >/dev/null || exit 1

test_expect_success '--from registers it after a --version check, no network' '
	localmodel install --from build/bin/llama-server --json >out.json &&
	json_valid out.json &&
	test "$(json_get out.json "[\"tag\"]")" = b10444 &&
	test "$(json_get out.json "[\"source\"]")" = path &&
	test "$(json_get out.json "[\"backend\"]")" = local &&
	test "$(readlink "$RT/current")" = b10444-local &&
	test "$(readlink "$RT/current/llama-server")" = "$TRASH/build/bin/llama-server" &&
	"$RT/current/llama-server" --version 2>v && test_grep "build 10444" v
'

test_expect_success '--from a directory holding llama-server works too' '
	localmodel install --from build/bin >out &&
	test_grep "b10444" out &&
	test "$(readlink "$RT/current")" = b10444-local
'

test_expect_success 'a missing path exits 3 and changes nothing' '
	test_expect_code 3 localmodel install --from nowhere/llama-server 2>err &&
	test_grep "nowhere" err &&
	test "$(readlink "$RT/current")" = b10444-local
'

test_expect_success 'a llama-server that fails --version is refused' '
	test_expect_code 1 localmodel install --from broken 2>err &&
	test_grep "cannot open shared object file" err &&
	test_expect_code 1 localmodel install --from noversion 2>err &&
	test_grep "no build number" err &&
	test "$(readlink "$RT/current")" = b10444-local
'

test_expect_success 'a file that is not executable is refused' '
	echo data >plain &&
	test_must_fail localmodel install --from plain 2>err &&
	test_grep "cannot run" err
'

test_expect_success 'update --check compares the registered runtime' '
	LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat port) LOCALMODEL_BACKEND=cpu \
		localmodel update --check --json >out.json &&
	test "$(json_get out.json "[\"installed\"]")" = b10444 &&
	test "$(json_get out.json "[\"latest\"]")" = b10500 &&
	test "$(json_get out.json "[\"update_available\"]")" = true
'

test_done
