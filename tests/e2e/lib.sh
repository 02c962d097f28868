# lib.sh: the end-to-end test library (git's test-lib in miniature).
# A test script sets test_description, sources this file, runs cases with
# test_expect_success 'title' 'commands', and ends with test_done.
# Each script runs in its own trash directory, which is also $HOME, with
# LOCALMODEL_HOME under it, TZ=UTC and LC_ALL=C. Nothing reaches the network:
# the fixtures in tests/fixtures are loopback servers.

set -u
TEST_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$TEST_DIR/../.." && pwd)
FIXTURES=$SRC_DIR/tests/fixtures
: "${LOCALMODEL_BIN:=$SRC_DIR/localmodel}"
TEST_NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/lm-$TEST_NAME.XXXXXX")
export TZ=UTC LC_ALL=C LANG=C HOME="$TRASH" LOCALMODEL_HOME="$TRASH/lm"
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME XDG_RUNTIME_DIR XDG_CACHE_HOME \
	HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HOME HF_HUB_CACHE HUGGINGFACE_HUB_CACHE LLAMA_CACHE \
	OLLAMA_MODELS GITHUB_TOKEN LOCALMODEL_SYSROOT NO_COLOR http_proxy https_proxy \
	HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export HF_ENDPOINT=http://127.0.0.1:9/ LOCALMODEL_GITHUB_API=http://127.0.0.1:9
export no_proxy='*' NO_PROXY='*'
# sanitizer reports go to files, checked by test_done
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$TRASH/.san/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$TRASH/.san/ubsan"
mkdir -p "$TRASH/bin" "$TRASH/.san"
if [ -n "${LOCALMODEL_VALGRIND:-}" ]; then
	# memcheck: any error or definite/indirect leak makes the command exit 97
	# and leaves a report that test_done turns into a failure
	cat >"$TRASH/bin/localmodel" <<VG
#!/bin/sh
exec valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
	--show-leak-kinds=definite,indirect --log-file="$TRASH/.san/valgrind.%p" "$LOCALMODEL_BIN" "\$@"
VG
	chmod +x "$TRASH/bin/localmodel"
else
	ln -s "$LOCALMODEL_BIN" "$TRASH/bin/localmodel"
fi
PATH="$TRASH/bin:$PATH"
# run fixtures with the real interpreter, not a version manager's shim, so that
# the pid a test records is the server's own and cleanup can kill it
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -n "$py" ] && [ -x "$py" ] && ln -sf "$py" "$TRASH/bin/python3"
cd "$TRASH" || exit 1

test_count=0
test_failed=0
test_pids=""

# Kill what the script started (also fixtures started inside $(...), whose
# pids are recorded in a file), remove the trash.
test_cleanup() {
	[ -f "$TRASH/.pids" ] && test_pids="$test_pids $(cat "$TRASH/.pids")"
	for p in $test_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $test_pids; do
		wait "$p" 2>/dev/null
	done
	cd / && rm -rf "$TRASH"
}
trap test_cleanup EXIT

# test_expect_success 'title' 'commands': commands run in a subshell with -e.
test_expect_success() {
	test_count=$((test_count + 1))
	if (set -e; cd "$TRASH"; eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out"
	fi
}

# test_expect_code N cmd...: cmd must exit with N.
test_expect_code() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "test_expect_code: '$*' exited $got, want $want" >&2
		return 1
	fi
	return 0
}

# test_must_fail cmd...: cmd must fail normally (not crash on a signal).
test_must_fail() {
	"$@"
	got=$?
	if [ "$got" = 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ "$got" -gt 128 ]; then
		echo "test_must_fail: '$*' died with signal $((got - 128))" >&2
		return 1
	fi
	return 0
}

# test_cmp expected actual
test_cmp() {
	diff -u "$1" "$2"
}

# test_grep [-v] pattern file: like grep -q, but shows the file on failure.
test_grep() {
	neg=""
	if [ "$1" = "-v" ]; then
		neg=1
		shift
	fi
	if grep -q -e "$1" "$2"; then
		[ -z "$neg" ] && return 0
		echo "test_grep: '$1' found in $2:" >&2
	else
		[ -n "$neg" ] && return 0
		echo "test_grep: '$1' not found in $2:" >&2
	fi
	sed 's/^/| /' "$2" >&2
	return 1
}

# json_valid file: the file holds exactly one JSON document.
json_valid() {
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1"
}

# json_get file expr: print a value from a JSON document, e.g.
# json_get out.json '["models"]["count"]'
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval("d"+sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2"
}

# start_fixture PORTFILE cmd...: start a loopback server in the background;
# it must write its port to PORTFILE. Prints the port, so port=$(start_fixture
# ...) works; the pid is recorded (in $fixture_pid when not run in a
# subshell, and always in $TRASH/.pids) and killed at exit.
start_fixture() {
	portfile=$1
	shift
	rm -f "$portfile"
	"$@" >"$portfile.log" 2>&1 &
	fixture_pid=$!
	test_pids="$test_pids $fixture_pid"
	echo "$fixture_pid" >>"$TRASH/.pids"
	i=0
	while [ ! -s "$portfile" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if [ ! -s "$portfile" ]; then
		echo "fixture did not start: $*" >&2
		cat "$portfile.log" >&2
		return 1
	fi
	cat "$portfile"
}

test_done() {
	find "$TRASH/.san" -type f -empty -delete 2>/dev/null
	san=$(find "$TRASH/.san" -type f 2>/dev/null | head -n 1)
	if [ -n "$san" ]; then
		test_count=$((test_count + 1))
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - sanitizer reports"
		cat "$TRASH"/.san/* | sed 's/^/#   /' | head -n 60
	fi
	echo "# $TEST_NAME: $((test_count - test_failed)) passed, $test_failed failed"
	[ "$test_failed" = 0 ]
	exit $?
}
