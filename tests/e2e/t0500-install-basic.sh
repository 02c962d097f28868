#!/bin/sh
test_description='install: fresh install from a mock GitHub, layout, --tag, reinstall'
. "$(dirname "$0")/lib.sh"

RT=$LOCALMODEL_HOME/runtime

test_expect_success 'setup: releases b10587 and b10600' '
	python3 "$FIXTURES/mkrelease.py" tree rel b10587 b10600
'
# the fixture starts in this shell, so that test_done stops it
start_fixture port python3 "$FIXTURES/mockgithub.py" rel port >/dev/null || exit 1
LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat port)
export LOCALMODEL_GITHUB_API

test_expect_success 'install with nothing installed: status says not installed' '
	localmodel status >out &&
	test_grep "not installed" out
'

test_expect_success 'install takes the newest build' '
	localmodel install --backend cpu >out 2>err &&
	test_grep "installed llama.cpp b10600 (cpu)" out &&
	test_grep "build 10600" out &&
	test "$(readlink "$RT/current")" = b10600-cpu
'

test_expect_success 'no progress meter when stderr is not a terminal' '
	test_grep -v "$(printf "\033")" err &&
	test_grep -v "$(printf "\r")" err
'

test_expect_success 'a progress meter on a terminal' '
	python3 -c "
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(\"localmodel\", [\"localmodel\", \"install\", \"--backend\", \"cpu\", \"--force\"])
out = b\"\"
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
_, st = os.waitpid(pid, 0)
open(\"tty.out\", \"wb\").write(out)
sys.exit(os.waitstatus_to_exitcode(st))
" &&
	test_grep "llama.cpp \[" tty.out &&
	test_grep "installed llama.cpp b10600" tty.out
'

test_expect_success 'the runtime keeps exec bits and the library symlink chain' '
	test -x "$RT/current/llama-server" &&
	test -x "$RT/b10600-cpu/libllama.so.0.2.0" &&
	test "$(readlink "$RT/b10600-cpu/libllama.so")" = libllama.so.0 &&
	test "$(readlink "$RT/b10600-cpu/libllama.so.0")" = libllama.so.0.2.0 &&
	test -f "$RT/b10600-cpu/libllama.so" &&
	test -f "$RT/b10600-cpu/LICENSE" &&
	test ! -e "$RT/b10600-cpu/llama-b10600" &&
	"$RT/current/llama-server" --version 2>v &&
	test_grep "build 10600" v
'

test_expect_success 'a record describes the runtime' '
	json_valid "$RT/b10600-cpu/.localmodel.json" &&
	test "$(json_get "$RT/b10600-cpu/.localmodel.json" "[\"tag\"]")" = b10600 &&
	test "$(json_get "$RT/b10600-cpu/.localmodel.json" "[\"build\"]")" = 10600 &&
	test "$(json_get "$RT/b10600-cpu/.localmodel.json" "[\"source\"]")" = github &&
	sha=$(sha256sum rel/b10600/*.tar.gz | cut -d" " -f1) &&
	test "$(json_get "$RT/b10600-cpu/.localmodel.json" "[\"sha256\"]")" = "$sha"
'

test_expect_success 'no download or staging leftovers' '
	ls -A "$RT" >ls &&
	test_grep -v "^\.staging" ls &&
	test_grep -v "^\.new-" ls &&
	test -z "$(ls -A "$RT/.download")"
'

test_expect_success 'status shows the installed runtime' '
	localmodel status >out &&
	test_grep "runtime/current/llama-server" out
'

test_expect_success 'installing again downloads nothing' '
	: >rel/.requests.log &&
	localmodel install --backend cpu --json >out.json &&
	json_valid out.json &&
	test "$(json_get out.json "[\"already_installed\"]")" = true &&
	test_grep -v "/cdn/" rel/.requests.log
'

test_expect_success '--force downloads and reinstalls' '
	: >rel/.requests.log &&
	localmodel install --backend cpu --force --json >out.json &&
	test "$(json_get out.json "[\"already_installed\"]")" = false &&
	test "$(json_get out.json "[\"verified\"]")" = true &&
	test_grep "/cdn/b10600/" rel/.requests.log &&
	test -x "$RT/current/llama-server"
'

test_expect_success '--tag pins an older build; the newer one stays as previous' '
	localmodel install --backend cpu --tag b10587 --json >out.json &&
	json_valid out.json &&
	test "$(json_get out.json "[\"tag\"]")" = b10587 &&
	test "$(json_get out.json "[\"build\"]")" = 10587 &&
	test "$(json_get out.json "[\"previous\"]")" = b10600 &&
	test "$(readlink "$RT/current")" = b10587-cpu &&
	test "$(readlink "$RT/previous")" = b10600-cpu
'

test_expect_success 'API requests carry the GitHub headers' '
	: >rel/.requests.log &&
	localmodel install --backend cpu --tag b10600 --force >/dev/null &&
	test_grep "api GET host=127.0.0.1:[0-9]* /repos/ggml-org/llama.cpp/releases/tags/b10600 auth=none gh=yes" rel/.requests.log &&
	test_grep "cdn GET .*/cdn/b10600/.* gh=no" rel/.requests.log
'

test_expect_success 'an unknown tag exits 3, nothing on stdout even with --json' '
	test_expect_code 3 localmodel install --backend cpu --tag b99999 --json >out 2>err &&
	test ! -s out &&
	test_grep "release .b99999. not found" err
'

test_expect_success 'a tag that is not a tag is a usage error' '
	test_expect_code 2 localmodel install --tag "../../x" 2>err &&
	test_grep "invalid tag" err
'

test_expect_success '--from with --tag is a usage error' '
	test_expect_code 2 localmodel install --from /bin/true --tag b1 2>err &&
	test_grep "takes no" err
'

test_expect_success 'an unreachable API exits 5 and changes nothing' '
	before=$(readlink "$RT/current") &&
	LOCALMODEL_GITHUB_API=http://127.0.0.1:9 test_expect_code 5 localmodel install --backend cpu --tag b1 2>err &&
	test_grep "GitHub" err &&
	test "$(readlink "$RT/current")" = "$before"
'

test_done
