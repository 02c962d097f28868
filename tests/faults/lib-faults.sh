# lib-faults.sh: helpers only the fault scripts share (sourced after lib.sh;
# the general ones, wait_until and test_expect_failure among them, are there).

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
