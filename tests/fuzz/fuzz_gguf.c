/*
 * fuzz_gguf: libFuzzer target for the GGUF header reader.
 *
 * Build and run (from the top of the tree):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Iinclude $(pkg-config --cflags libcjson) \
 *     tests/fuzz/fuzz_gguf.c src/gguf.c src/base.c -o build/fuzz_gguf
 *   mkdir -p build/fuzz-gguf-corpus
 *   build/fuzz_gguf -max_len=65536 -max_total_time=120 build/fuzz-gguf-corpus \
 *     tests/fuzz/corpus/gguf
 * New inputs go to the first directory; the seeds stay untouched.
 *
 * Besides not crashing, it checks what the reader promises: every failure
 * leaves the struct empty, every success has consistent counts, and the
 * split-name and quant-name parsers cope with the same bytes as a name.
 */
#include "localmodel/gguf.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lm_gguf g;
	struct lm_err err = { 0 };
	char name[256], q[32], prefix[256];
	int idx, cnt;

	if (gguf_read_mem(data, size, &g, &err) == LM_OK) {
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
