# lib-faults.sh: helpers the fault scripts share (sourced after lib.sh).

# test_expect_failure 'title' 'commands': a known bug, kept in the tree but
# not failing the suite. Reported as "not ok N - title # TODO known bug"
# while it fails; when it passes, "ok N - title # TODO fixed: turn into
# test_expect_success" (counted as passed). Neither counts as a failure.
test_expect_failure() {
	test_count=$((test_count + 1))
	if (set -e; cd "$TRASH"; eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1 # TODO fixed: turn into test_expect_success"
	else
		echo "not ok $test_count - $1 # TODO known bug"
		sed 's/^/#   /' "$TRASH/.out"
	fi
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
