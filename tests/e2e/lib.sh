# lib.sh: the end-to-end test library (git's test-lib in miniature).
# A test script sets test_description, sources this file, runs cases with
# test_expect_success [PREREQ] 'title' 'commands', and ends with test_done.
# Each script runs in its own trash directory, which is also $HOME, with
# LOCALMODEL_HOME under it, TZ=UTC and LC_ALL=C. Nothing reaches the network:
# the fixtures in tests/fixtures are loopback servers.
# How to write a case, prerequisites, the &&-chain lint and the test knobs:
# tests/README.md.

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
# no first-use speed calibration (a second of the shared machine, and figures
# that vary): the cases that test it set LOCALMODEL_CALIBRATE=1
export LOCALMODEL_CALIBRATE=0
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
test_skipped=0
test_pids=""
satisfied_prereq=" "
LF='
'

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

# test_set_prereq NAME: NAME is satisfied from now on.
test_set_prereq() {
	satisfied_prereq="$satisfied_prereq$1 "
}

# test_lazy_prereq NAME 'commands': NAME holds when the commands succeed;
# they run once, in a subshell of the trash directory, when first asked.
test_lazy_prereq() {
	eval "lazy_prereq_$1=\$2"
}

# test_have_prereq 'A,!B': every listed prerequisite holds (!B: B does not).
# Sets missing_prereq to the ones that did not.
test_have_prereq() {
	missing_prereq=""
	_save_ifs=$IFS
	IFS=,
	set -- $1
	IFS=$_save_ifs
	for _p in "$@"; do
		_neg=""
		case $_p in !*) _neg=1 _p=${_p#!} ;; esac
		case $satisfied_prereq in
		*" $_p "*) _have=1 ;;
		*)
			_have=""
			case " ${unsatisfied_prereq:-} " in
			*" $_p "*) ;;
			*)
				eval "_lazy=\${lazy_prereq_$_p:-}"
				if [ -n "$_lazy" ] && (cd "$TRASH" && eval "$_lazy") >/dev/null 2>&1 </dev/null; then
					test_set_prereq "$_p"
					_have=1
				else
					unsatisfied_prereq="${unsatisfied_prereq:-} $_p"
				fi
				;;
			esac
			;;
		esac
		if [ "${_have:-0}" = "${_neg:-0}" ]; then
			missing_prereq="${missing_prereq:+$missing_prereq,}${_neg:+!}$_p"
		fi
	done
	[ -z "$missing_prereq" ]
}

# Prerequisites every script may use.
[ "$(id -u)" = 0 ] && test_set_prereq ROOT
[ "$(uname -s)" = Linux ] && test_set_prereq LINUX
[ -n "${LOCALMODEL_SANITIZED:-}" ] && test_set_prereq SANITIZED
[ -n "${LOCALMODEL_VALGRIND:-}" ] && test_set_prereq VALGRIND
test_lazy_prereq SQLITE3 'command -v sqlite3'
test_lazy_prereq SCRIPT 'command -v script'

# test_chain_lint_ 'commands': 0 when every top-level command is joined to the
# next by && (or ends in &, as git's chainlint allows). The body runs behind
# a failing sentinel: a whole chain never starts and ends with status 117; a
# broken link runs the rest and ends otherwise. A line ending in & gets
# "test_lint_bg_ $!; test_lint_rc_ &&" appended: the next list starts with a
# sentinel that fails with 117 only when the background list was itself a
# whole chain. The final echo also catches a here-document that runs away
# with the rest of the body. A line ending in & after a line ending in && or
# || is refused first: the & would put the whole chain above it in the
# background (and $! would not be the command's pid); write "{ cmd & } &&".
# So is a for loop with no exit, return or $? in it (as "|| exit 1"): its status
# is its last round's, and inside a chain set -e does not stop it either.
# Sets test_lint_why_ when it fails.
test_chain_lint_() {
	[ "${TEST_CHAIN_LINT:-1}" = 0 ] && return 0
	test_lint_why_=$(printf '%s\n' "$1" | awk '
		hd != "" { l = $0; sub(/^\t*/, "", l); if (l == hd) hd = ""; next }
		/[^&]&[[:space:]]*$/ && prev ~ /(&&|\|\|)[[:space:]]*$/ {
			why = "& after && or || sends the whole chain to the background"
		}
		/^[[:space:]]*(for|while|until)[[:space:]]/ {
			if (depth++ == 0) { isfor = $0 ~ /^[[:space:]]*for/; seen = 0 }
		}
		depth && /(^|[^[:alnum:]_])(exit|return)([^[:alnum:]_]|$)|\$\?/ { seen = 1 }
		depth && /(^|[;[:space:]])done([;&|)[:space:]]|$)/ {
			if (--depth == 0 && isfor && !seen)
				why = "a for loop without || exit 1 hides the failures of all but its last round"
		}
		match($0, /<<-?[\\"\047]?[A-Za-z_]+/) {
			hd = substr($0, RSTART, RLENGTH); sub(/^<<-?[\\"\047]?/, "", hd)
		}
		NF { prev = $0 }
		END { printf "%s", why }')
	[ -n "$test_lint_why_" ] && return 1
	test_lint_why_="broken &&-chain or run-away here-doc"
	rm -f "$TRASH/.lint"
	_body=$(printf '%s\n' "$1" | sed 's/\([^&]\)&[[:space:]]*$/\1\& test_lint_bg_ $!; test_lint_rc_ \&\&/')
	(cd "$TRASH" && eval "(exit 117) && $_body${LF}echo \$? >\"\$TRASH/.lint\"") \
		>/dev/null 2>&1 </dev/null
	[ "$(cat "$TRASH/.lint" 2>/dev/null)" = 117 ]
}
test_lint_bg_() {
	test_lint_status_=0
	wait "$1" || test_lint_status_=$?
	[ "$test_lint_status_" = 117 ] || test_lint_status_=1
}
test_lint_rc_() {
	return "$test_lint_status_"
}

# test_run_ 'commands': run the body in a subshell with set -e in force (the
# subshell is no condition, so -e is not ignored); sets test_rc_.
test_run_() {
	(set -e; cd "$TRASH"; eval "$1") >"$TRASH/.out" 2>&1 </dev/null
	test_rc_=$?
}

# test_start_ [PREREQ] 'title' 'commands': counts the case; 1 when it is
# skipped (reported as such), else sets test_title_ and test_body_.
test_start_() {
	test_count=$((test_count + 1))
	_prereq=""
	if [ $# -ge 3 ]; then
		_prereq=$1
		shift
	fi
	test_title_=$1
	test_body_=$2
	if [ -n "$_prereq" ] && ! test_have_prereq "$_prereq"; then
		test_skipped=$((test_skipped + 1))
		echo "ok $test_count # skip $test_title_ (missing $missing_prereq)"
		return 1
	fi
	if ! test_chain_lint_ "$test_body_"; then
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $test_title_ # $test_lint_why_"
		printf '%s\n' "$test_body_" | sed 's/^/#   /'
		return 1
	fi
	return 0
}

# test_expect_success [PREREQ] 'title' 'commands': the commands must succeed.
# PREREQ is a comma-separated list (see test_have_prereq); when one is
# missing, the case is skipped and counted as such.
test_expect_success() {
	test_start_ "$@" || return 0
	test_run_ "$test_body_"
	if [ "$test_rc_" = 0 ]; then
		echo "ok $test_count - $test_title_"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $test_title_"
		sed 's/^/#   /' "$TRASH/.out"
	fi
}

# test_expect_failure [PREREQ] 'title' 'commands': a known bug, kept in the
# tree without failing the suite. While it fails: "not ok N - title # TODO
# known breakage", counted as skipped; once it passes: "ok N - title # TODO
# known breakage vanished", counted as passed (turn it into
# test_expect_success).
test_expect_failure() {
	test_start_ "$@" || return 0
	test_run_ "$test_body_"
	if [ "$test_rc_" = 0 ]; then
		echo "ok $test_count - $test_title_ # TODO known breakage vanished"
	else
		test_skipped=$((test_skipped + 1))
		echo "not ok $test_count - $test_title_ # TODO known breakage"
		sed 's/^/#   /' "$TRASH/.out"
	fi
}

# test_expect_code N cmd...: cmd must exit with N.
test_expect_code() {
	want=$1
	shift
	got=0
	"$@" || got=$?
	if [ "$got" != "$want" ]; then
		echo "test_expect_code: '$*' exited $got, want $want" >&2
		return 1
	fi
	return 0
}

# test_must_fail cmd...: cmd must fail normally (not crash on a signal).
test_must_fail() {
	got=0
	"$@" || got=$?
	if [ "$got" = 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ "$got" -gt 128 ]; then
		echo "test_must_fail: '$*' died with signal $((got - 128))" >&2
		return 1
	fi
	return 0
}

# test_must_be_empty FILE: FILE exists and is empty (else it is shown).
test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "test_must_be_empty: $1 is not empty:" >&2
		sed 's/^/| /' "$1" >&2
		return 1
	fi
	test -e "$1"
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
	# up to 30 s: python starts slowly on a loaded machine
	i=0
	while [ ! -s "$portfile" ] && [ $i -lt 600 ] && kill -0 "$fixture_pid" 2>/dev/null; do
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

# Helpers the scripts share.

# free_port: print a loopback TCP port that was free a moment ago.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# add_model NAME PATH: an inventory row for PATH (the database must exist).
add_model() {
	python3 -c '
import sqlite3, sys, os
db = sqlite3.connect(sys.argv[1])
db.execute("insert into model_inventory(model, file_path, size_bytes, first_seen) values (?,?,?,?)",
           (sys.argv[2], sys.argv[3], os.path.getsize(sys.argv[3]) if os.path.exists(sys.argv[3]) else 0, "2026-01-01T00:00:00Z"))
db.commit()' "$LOCALMODEL_HOME/localmodel.db" "$@"
}

# alive PID: the process exists and is not a zombie waiting for its parent.
alive() {
	_s=$(ps -o stat= -p "$1") || return 1
	case "$_s" in Z*) return 1 ;; esac
}

# repo_gguf PATH [mkgguf options]: a small real GGUF file at repos/PATH, for
# the mock Hub's --repos repos.
repo_gguf() {
	_p=$1
	shift
	mkdir -p "$(dirname "repos/$_p")"
	python3 "$FIXTURES/mkgguf.py" "repos/$_p" "$@" >/dev/null
}

# req_count PATTERN...: lines of the mock's request log (req.jsonl) that
# match every pattern.
req_count() {
	cp req.jsonl req.sel
	for _p in "$@"; do
		grep -e "$_p" req.sel >req.tmp || :
		mv req.tmp req.sel
	done
	wc -l <req.sel | tr -d ' '
}

# req_settle: the mock logs a request once its handler returns; wait until
# its log has stopped growing (at most 4 s).
req_settle() {
	_n=-1
	_i=0
	while [ "$_n" != "$(wc -l <req.jsonl)" ] && [ $_i -lt 40 ]; do
		_n=$(wc -l <req.jsonl)
		sleep 0.1
		_i=$((_i + 1))
	done
}

# chat_status PORT MODEL: the HTTP status of a chat completion asking MODEL
# of the server on 127.0.0.1:PORT.
chat_status() {
	python3 - "$@" <<'PY'
import json, sys, urllib.request, urllib.error
body = json.dumps({"model": sys.argv[2], "messages": [{"role": "user", "content": "hi"}]}).encode()
req = urllib.request.Request("http://127.0.0.1:%s/v1/chat/completions" % sys.argv[1], data=body,
                             headers={"Content-Type": "application/json"})
try:
    print(urllib.request.urlopen(req, timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}

# sha FILE: the SHA-256 of FILE in hex.
sha() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -c1-64
	else
		shasum -a 256 "$1" | cut -c1-64
	fi
}

# wait_until SECONDS 'condition': poll every 50 ms; 1 when it never held.
wait_until() {
	_n=$(($1 * 20))
	while [ "$_n" -gt 0 ]; do
		eval "$2" && return 0
		sleep 0.05
		_n=$((_n - 1))
	done
	eval "$2"
}

# random_fill FILE...: overwrite all but the first 8 KiB (the GGUF header)
# with random bytes, so that misplaced data cannot hide among zeros.
random_fill() {
	python3 -c '
import os, sys
for p in sys.argv[1:]:
    with open(p, "r+b") as f:
        f.seek(8192)
        f.write(os.urandom(os.path.getsize(p) - 8192))
' "$@"
}

# fault JSON / clear_faults: add a fault to the mock hub at $HF_ENDPOINT, or
# clear them all (see tests/fixtures/mockhub.py for the actions).
fault() {
	curl -sf -X POST --data "$1" "$HF_ENDPOINT/_mock/fault" >/dev/null
}
clear_faults() {
	curl -sf -X DELETE "$HF_ENDPOINT/_mock/fault" >/dev/null
}

# cdn_bytes [LOG]: body bytes the mock CDN sent for GETs, per the mock's
# request log (req.jsonl by default).
cdn_bytes() {
	python3 -c '
import json, sys
print(sum(json.loads(l).get("bytes", 0) for l in open(sys.argv[1]) if "\"cdn\"" in l and "\"GET\"" in l))
' "${1:-req.jsonl}"
}

# test_done: report sanitizer findings, then "1..N" and the closing line
# "# NAME: N passed, N failed, N skipped"; exit 1 when a case failed.
# A script that cannot run here sets skip_all='reason' before calling it.
test_done() {
	if [ -n "${skip_all:-}" ] && [ "$test_count" = 0 ]; then
		echo "1..0 # SKIP $skip_all"
		test_count=1
		test_skipped=1
	fi
	find "$TRASH/.san" -type f -empty -delete 2>/dev/null
	san=$(find "$TRASH/.san" -type f 2>/dev/null | head -n 1)
	if [ -n "$san" ]; then
		test_count=$((test_count + 1))
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - sanitizer reports"
		cat "$TRASH"/.san/* | sed 's/^/#   /' | head -n 60
	fi
	echo "1..$test_count"
	echo "# $TEST_NAME: $((test_count - test_failed - test_skipped)) passed, $test_failed failed, $test_skipped skipped"
	[ "$test_failed" = 0 ]
	exit $?
}
