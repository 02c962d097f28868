/*
 * fuzz_gguf: libFuzzer target for the GGUF header reader.
 *
 * Build and run (from the top of the tree):
 *   clang -std=c11 -D_GNU_SOURCE -DRD_BUF=64 -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Iinclude $(pkg-config --cflags libcjson) \
 *     tests/fuzz/fuzz_gguf.c src/gguf.c src/base.c -o build/fuzz_gguf
 * (RD_BUF=64 makes the file reader refill its buffer every 64 bytes, so that
 * its refill logic is fuzzed too.)
 *   mkdir -p build/fuzz-gguf-corpus
 *   build/fuzz_gguf -max_len=65536 -max_total_time=120 build/fuzz-gguf-corpus \
 *     tests/fuzz/corpus/gguf
 * New inputs go to the first directory; the seeds stay untouched.
 *
 * Besides not crashing, it checks what the reader promises: every failure
 * leaves the struct empty, every success has consistent counts, reading the
 * same bytes from memory and from a file (a memfd) gives the same result,
 * and the split-name and quant-name parsers cope with the same bytes as a
 * name.
 */
#include "localmodel/gguf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The same bytes through gguf_read_fd: rc and the main figures agree. */
static void check_fd(const uint8_t *data, size_t size, int rc_mem, const struct lm_gguf *gm)
{
	static int fd = -1;
	struct lm_gguf g;
	struct lm_err err = { 0 };
	int rc;

	if (fd < 0 && (fd = memfd_create("fuzz-gguf", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	rc = gguf_read_fd(fd, "fuzz", &g, &err);
	if ((rc == LM_OK) != (rc_mem == LM_OK))
		abort();
	if (rc == LM_OK) {
		if (g.params != gm->params || g.weight_bytes != gm->weight_bytes ||
		    g.data_offset != gm->data_offset || g.nkvs != gm->nkvs ||
		    g.block_count != gm->block_count || strcmp(g.quant, gm->quant))
			abort();
		gguf_release(&g);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lm_gguf g;
	struct lm_err err = { 0 };
	char name[256], q[32], prefix[256];
	int idx, cnt;

	int rc = gguf_read_mem(data, size, &g, &err);

	check_fd(data, size, rc, &g);
	if (rc == LM_OK) {
		if (g.ntensors != g.n_tensors || g.nkvs != g.n_kv)
			abort();
		if (g.block_count && !g.head_kv)
			abort();
		if (g.data_offset > g.data_end || (g.alignment & (g.alignment - 1)))
			abort();
		for (size_t i = 0; i < g.nkvs; i++)
			if (!g.kvs[i].key || !g.kvs[i].text)
				abort();
		gguf_release(&g);
	} else {
		if (g.kvs || g.tensors || g.arch || g.name || g.head_kv || !err.msg[0])
			abort();
	}
	/* the same bytes as a file name */
	size = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, size);
	name[size] = '\0';
	if (!gguf_quant_from_name(name, q, sizeof(q)) && strlen(q) >= sizeof(q))
		abort();
	if (!gguf_split_parse(name, &idx, &cnt, prefix, sizeof(prefix)) &&
	    (idx < 1 || idx > cnt || strlen(prefix) >= strlen(name)))
		abort();
	return 0;
}
