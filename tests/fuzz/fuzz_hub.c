/*
 * fuzz_hub: libFuzzer target for what the Hub sends back and for repo file
 * names: the model list, model and tree JSON parsers, and the quant / split
 * / grouping / selection rules on names taken from the same bytes.
 *
 * Build and run (from the top of the tree):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Iinclude $(pkg-config --cflags libcjson libcurl) tests/fuzz/fuzz_hub.c \
 *     src/hub.c src/quant_select.c src/http.c src/http_download.c src/base.c \
 *     src/paths.c src/dl/dl.c src/dl/curl.c src/dl/crypto.c src/dl/archive.c \
 *     $(pkg-config --libs libcjson) -ldl -o build/fuzz_hub
 *   mkdir -p build/fuzz-hub-corpus
 *   build/fuzz_hub -max_len=16384 -max_total_time=120 build/fuzz-hub-corpus \
 *     tests/fuzz/corpus/hub
 *
 * Besides not crashing or leaking, it checks the parsers' promises: a
 * failure returns nothing, every file kept has a safe relative path, and
 * every group found by name has its parts in order.
 */
#include "localmodel/hub.h"

#include <stdlib.h>
#include <string.h>

/* Relative, and no component is "", "." or "..". */
static int safe(const char *p)
{
	if (p[0] == '/')
		return 0;
	for (const char *c = p;;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!c[n])
			return 1;
		c += n + 1;
	}
}

static void names(const struct hub_file *f, size_t n)
{
	struct hub_group *g;
	size_t ng, ch;
	struct lm_err err;

	for (size_t i = 0; i < n; i++) {
		char q[32];
		int a, b;
		if (!f[i].path || !safe(f[i].path))
			abort();
		hub_quant_label(f[i].path, q, sizeof(q));
		if (q[0])
			(void)hub_quant_match(f[i].path, q);
		if (hub_split_info(f[i].path, &a, &b)) {
			char *p = hub_split_part(f[i].path, b);
			if (!p || strlen(p) != strlen(f[i].path))
				abort();
			free(p);
		}
	}
	hub_group_files(f, n, &g, &ng);
	for (size_t i = 0; i < ng; i++)
		for (int k = 1; k < g[i].nparts; k++)
			if (strcmp(g[i].parts[k - 1]->path, g[i].parts[k]->path) > 0)
				abort();
	(void)hub_select(g, ng, NULL, NULL, NULL, NULL, &ch, &err);
	(void)hub_select(g, ng, "Q4_K_M", NULL, NULL, NULL, &ch, &err);
	hub_group_list_free(g, ng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct hub_repo *v = NULL, r;
	struct hub_file *f = NULL;
	size_t n = 0, nf = 0;
	struct lm_err err;
	int rc;

	if (hub_parse_search(s, size, &v, &n, &err) == 0)
		hub_repo_list_free(v, n);
	else if (v || n)
		abort();
	if (hub_parse_model(s, size, &r, &err) == 0)
		hub_repo_release(&r);
	if (hub_parse_tree(s, size, &f, &nf, &err) != 0 && (f || nf))
		abort();
	names(f, nf);
	hub_file_list_free(f, nf);
	f = NULL;
	nf = 0;
	rc = hub_parse_model_files(s, size, &r, &f, &nf, &err);
	if (rc == 0 || rc == 1) { /* 1: no sizes, the model is filled in */
		names(f, nf);
		hub_file_list_free(f, nf);
		hub_repo_release(&r);
	} else if (f || nf) {
		abort();
	}
	return 0;
}
