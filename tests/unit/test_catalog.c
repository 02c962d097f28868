/* Unit tests of catalog.c: invariants over every entry, look-ups, and a few
 * exact figures. */
#include "t.h"
#include "localmodel/base.h"
#include "localmodel/catalog.h"

#include <strings.h>

/* Quants that count as "the 4-bit default" of a model. */
static const char *const four_bit[] = {
	"Q4_K_M", "MXFP4", "Q4_0", "Q4_K_S", "UD-Q4_K_XL", NULL,
};

static int is_four_bit(const char *quant)
{
	for (size_t i = 0; four_bit[i]; i++)
		if (!strcasecmp(quant, four_bit[i]))
			return 1;
	return 0;
}

/* "org/name": one slash, both sides non-empty, no spaces. */
static int repo_ok(const char *repo)
{
	const char *slash = strchr(repo, '/');

	if (!slash || slash == repo || !slash[1] || strchr(slash + 1, '/'))
		return 0;
	return !strchr(repo, ' ');
}

/* A split file's path is its first part: "...-00001-of-0000N.gguf". */
static int path_ok(const struct lm_catalog_file *f)
{
	char want[32];

	if (!lm_ends_with_ci(f->path, ".gguf"))
		return 0;
	if (f->parts == 1)
		return !strstr(f->path, "-of-0");
	snprintf(want, sizeof(want), "-00001-of-%05d.gguf", f->parts);
	return strstr(f->path, want) != NULL;
}

static void test_entry_files(const struct lm_catalog_model *m)
{
	int has4 = 0;
	double p = (double)m->params;

	CHECK(m->nfiles >= 1);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct lm_catalog_file *f = &m->files[i];
		double r = (double)f->size_bytes / p;

		CHECK(f->quant && *f->quant);
		CHECK(f->parts >= 1 && f->parts <= 99);
		if (!path_ok(f))
			fprintf(stderr, "%s: bad path '%s' (%d parts)\n", m->repo, f->path, f->parts);
		CHECK(path_ok(f));
		for (size_t j = 0; j < i; j++) {
			CHECK(strcasecmp(m->files[j].quant, f->quant) != 0);
			CHECK(strcmp(m->files[j].path, f->path) != 0);
			/* sorted: smallest first */
			CHECK(m->files[j].size_bytes < f->size_bytes);
		}
		if (is_four_bit(f->quant))
			has4 = 1;
		/* Bytes per parameter. Small models carry a large embedding
		 * at higher precision, so their 4-bit files weigh more per
		 * parameter; MXFP4 keeps attention in higher precision too. */
		if (!strcasecmp(f->quant, "Q4_K_M") || !strcasecmp(f->quant, "MXFP4")) {
			if (r < 0.45 || r > (m->params < 2000000000ULL ? 0.85 : 0.75))
				fprintf(stderr, "%s %s: %.3f bytes/param\n", m->repo, f->quant, r);
			CHECK(r >= 0.45 && r <= (m->params < 2000000000ULL ? 0.85 : 0.75));
		}
		if (!strcasecmp(f->quant, "Q8_0")) {
			if (r < 0.95 || r > 1.2)
				fprintf(stderr, "%s %s: %.3f bytes/param\n", m->repo, f->quant, r);
			CHECK(r >= 0.95 && r <= 1.2);
		}
		/* any quant: between 2 and 17 bits per weight */
		CHECK(r > 0.25 && r < 2.2);
	}
	if (!has4)
		fprintf(stderr, "%s: no 4-bit file\n", m->repo);
	CHECK(has4);
}

static void test_entry_shape(const struct lm_catalog_model *m)
{
	CHECK(m->name && *m->name);
	CHECK(m->arch && *m->arch);
	CHECK(m->params >= 100000000ULL);
	CHECK(m->active_params > 0 && m->active_params <= m->params);
	CHECK(m->ctx_train >= 4096);
	CHECK(m->n_layers > 0 && m->n_layers <= 200);
	CHECK(m->n_embd >= 256);
	CHECK(m->n_head > 0 && m->n_head_kv > 0);
	CHECK(m->n_head % m->n_head_kv == 0);
	CHECK(m->key_length >= 32 && m->key_length <= 512);
	CHECK(m->value_length >= 32 && m->value_length <= 512);
	/* a window is only meaningful with a full-attention cadence, and
	 * shorter than the trained context */
	if (m->sliding_window) {
		CHECK(m->sliding_window < m->ctx_train);
		CHECK(m->swa_every != 1);
	} else {
		CHECK(m->swa_every == 0);
	}
	CHECK(m->tasks != 0);
	CHECK((m->tasks & ~(unsigned)(LM_TASK_CHAT | LM_TASK_CODE | LM_TASK_REASONING)) == 0);
	/* weights of 16 bits per parameter at most, embedding included */
	CHECK((uint64_t)m->n_layers * m->n_embd * m->n_embd / 2 < m->params * 4);
}

static void test_invariants(void)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned tasks = 0;

	CHECK(lm_catalog_len >= 25);
	for (size_t i = 0; i < lm_catalog_len; i++) {
		const struct lm_catalog_model *m = &lm_catalog[i];

		CHECK(m->repo && repo_ok(m->repo));
		if (!repo_ok(m->repo))
			fprintf(stderr, "bad repo '%s'\n", m->repo);
		test_entry_shape(m);
		test_entry_files(m);
		for (size_t j = 0; j < i; j++)
			CHECK(strcasecmp(lm_catalog[j].repo, m->repo) != 0);
		/* smallest first */
		if (i > 0)
			CHECK(lm_catalog[i - 1].params <= m->params);
		if (m->params < lo)
			lo = m->params;
		if (m->params > hi)
			hi = m->params;
		tasks |= m->tasks;
	}
	CHECK(lo < 1000000000ULL);
	CHECK(hi > 100000000000ULL);
	CHECK(tasks == (LM_TASK_CHAT | LM_TASK_CODE | LM_TASK_REASONING));
}

static void test_find(void)
{
	const struct lm_catalog_model *m, *m2;
	const struct lm_catalog_file *f;

	m = catalog_find("Qwen/Qwen3-8B-GGUF");
	CHECK(m != NULL);
	m2 = catalog_find("qwen/QWEN3-8b-gguf");
	CHECK(m2 == m);
	CHECK(catalog_find("Qwen/Qwen3-8B") == NULL);
	CHECK(catalog_find("Qwen/Qwen3-8B-GGUFx") == NULL);
	CHECK(catalog_find("") == NULL);
	CHECK(catalog_find(NULL) == NULL);
	CHECK(catalog_find("nobody/nothing-GGUF") == NULL);
	if (!m)
		return;
	f = catalog_file(m, "q4_k_m");
	CHECK(f != NULL);
	CHECK(f == catalog_file(m, "Q4_K_M"));
	CHECK(catalog_file(m, "Q4_K") == NULL);
	CHECK(catalog_file(m, "") == NULL);
	CHECK(catalog_file(m, NULL) == NULL);
	CHECK(catalog_file(NULL, "Q4_K_M") == NULL);
	/* every file of every entry is found by its own quant */
	for (size_t i = 0; i < lm_catalog_len; i++)
		for (size_t j = 0; j < lm_catalog[i].nfiles; j++)
			CHECK(catalog_file(&lm_catalog[i], lm_catalog[i].files[j].quant) ==
			      &lm_catalog[i].files[j]);
}

/* Figures known exactly: a wrong edit of the table shows here. */
static void test_spot_checks(void)
{
	const struct lm_catalog_model *m;
	const struct lm_catalog_file *f;

	m = catalog_find("Qwen/Qwen3-8B-GGUF");
	if (m) {
		CHECK_STR(m->arch, "qwen3");
		CHECK_INT(m->n_layers, 36);
		CHECK_INT(m->n_embd, 4096);
		CHECK_INT(m->n_head, 32);
		CHECK_INT(m->n_head_kv, 8);
		CHECK_INT(m->key_length, 128);
		CHECK_INT(m->ctx_train, 40960);
		f = catalog_file(m, "Q4_K_M");
		CHECK(f && f->size_bytes == 5027783488ULL);
		CHECK(f && f->parts == 1);
		CHECK_STR(f ? f->path : NULL, "Qwen3-8B-Q4_K_M.gguf");
	}
	m = catalog_find("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF");
	CHECK(m != NULL);
	if (m) {
		CHECK_INT(m->n_layers, 32);
		CHECK_INT(m->ctx_train, 131072);
		f = catalog_file(m, "Q4_K_M");
		CHECK(f && f->size_bytes == 4920734656ULL);
	}
	m = catalog_find("lmstudio-community/gpt-oss-20b-GGUF");
	CHECK(m != NULL);
	if (m) {
		CHECK_STR(m->arch, "gpt-oss");
		CHECK_INT(m->sliding_window, 128);
		CHECK_INT(m->swa_every, 2);
		CHECK_INT(m->n_head_kv, 8);
		CHECK_INT(m->key_length, 64);
		CHECK(m->active_params < m->params / 4);
		f = catalog_file(m, "mxfp4");
		CHECK(f && f->size_bytes == 12109565632ULL);
	}
}

/* More exact figures, and the shapes that make the KV cache. */
static void test_spot_checks_more(void)
{
	const struct lm_catalog_model *m;
	const struct lm_catalog_file *f;

	m = catalog_find("unsloth/Qwen3-Coder-30B-A3B-Instruct-GGUF");
	CHECK(m != NULL);
	if (m) {
		CHECK_STR(m->arch, "qwen3moe");
		CHECK_INT(m->ctx_train, 262144);
		CHECK_INT(m->n_head_kv, 4);
		CHECK(m->active_params < m->params / 5);
		f = catalog_file(m, "Q4_K_M");
		CHECK(f && f->size_bytes == 18556689568ULL);
		CHECK(catalog_file(m, "ud-q4_k_xl") != NULL);
	}
	m = catalog_find("bartowski/Llama-3.2-1B-Instruct-GGUF");
	CHECK(m != NULL);
	if (m) {
		f = catalog_file(m, "Q4_K_M");
		CHECK(f && f->size_bytes == 807694464ULL);
		CHECK_INT(m->key_length, 64);
	}
	m = catalog_find("unsloth/gemma-3-27b-it-GGUF");
	CHECK(m != NULL);
	if (m) {
		CHECK_STR(m->arch, "gemma3");
		CHECK_INT(m->n_layers, 62);
		CHECK_INT(m->sliding_window, 1024);
		CHECK_INT(m->swa_every, 6);
		CHECK_INT(m->n_head_kv, 16);
		f = catalog_file(m, "Q4_K_M");
		CHECK(f && f->size_bytes == 16546688736ULL);
	}
	m = catalog_find("ggml-org/gpt-oss-120b-GGUF");
	CHECK(m != NULL);
	if (m) {
		f = catalog_file(m, "MXFP4");
		CHECK(f && f->parts == 3);
		CHECK_STR(f ? f->path : NULL, "gpt-oss-120b-mxfp4-00001-of-00003.gguf");
		CHECK(f && f->size_bytes == 63387346464ULL);
		CHECK(m->params > 100000000000ULL);
	}
	m = catalog_find("unsloth/Mistral-Small-3.2-24B-Instruct-2506-GGUF");
	CHECK(m != NULL);
	if (m) {
		f = catalog_file(m, "Q4_K_M");
		CHECK(f && f->size_bytes == 14333922848ULL);
	}
	/* dense models use all their weights per token */
	for (size_t i = 0; i < lm_catalog_len; i++) {
		const struct lm_catalog_model *e = &lm_catalog[i];
		int moe = !strcmp(e->arch, "qwen3moe") || !strcmp(e->arch, "gpt-oss");

		CHECK(moe ? e->active_params < e->params : e->active_params == e->params);
	}
}

int main(void)
{
	test_invariants();
	test_find();
	test_spot_checks();
	test_spot_checks_more();
	return T_DONE();
}
