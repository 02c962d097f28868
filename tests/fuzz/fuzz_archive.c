/*
 * fuzz_archive: libFuzzer target for the safe extractor (archive.c) on an
 * in-memory archive, extracting into a temporary directory which is removed
 * after each input. Besides the sanitizers, it checks the extractor's
 * promise: whatever the input, nothing appears outside the destination.
 *
 * Build and run (from the top of the tree):
 *   clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -Iinclude $(pkg-config --cflags libarchive libcjson) \
 *     tests/fuzz/fuzz_archive.c src/archive.c src/base.c src/dl/dl.c \
 *     src/dl/archive.c src/dl/crypto.c src/dl/curl.c \
 *     -ldl -lm -o build/fuzz_archive
 *   mkdir -p tests/fuzz/corpus-run/archive
 *   build/fuzz_archive -max_total_time=120 -max_len=65536 \
 *     tests/fuzz/corpus-run/archive tests/fuzz/corpus/archive
 */
#include "localmodel/archive.h"

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char base[PATH_MAX];

static void remove_base(void)
{
	rmdir(base);
}

/* Entries in the sandbox directory (only "out" may ever appear there). */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lm_err err = { 0 };
	struct ar_opts opts = { .max_bytes = 1 << 24, .max_entries = 4096, .name = "fuzz" };
	char dest[PATH_MAX + 8];

	if (!base[0]) {
		snprintf(base, sizeof(base), "%s/lm-fuzz-archive-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(base))
			abort();
		atexit(remove_base);
	}
	snprintf(dest, sizeof(dest), "%s/out", base);
	int rc = ar_extract_memory(data, size, dest, &opts, &err);
	/* success leaves exactly dest; failure leaves nothing */
	int n = count_entries(base);
	if ((rc == LM_OK && n != 1) || (rc != LM_OK && n != 0)) {
		fprintf(stderr, "fuzz_archive: rc %d left %d entries in %s (%s)\n", rc, n, base,
			err.msg);
		abort();
	}
	ar_remove_tree(dest, NULL);
	return 0;
}
