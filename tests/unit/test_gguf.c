/* test_gguf: the GGUF header reader on files the test writes itself
 * (every value type, nested arrays, split parts, hostile input), and on
 * files written by tests/fixtures/mkgguf.py. */
#include "localmodel/gguf.h"
#include "t.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

/* ---- a tiny GGUF builder -------------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void b_raw(struct buf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void b_le(struct buf *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)(v >> (8 * i));
		b_raw(b, &c, 1);
	}
}

static void b_u32(struct buf *b, uint32_t v) { b_le(b, v, 4); }
static void b_u64(struct buf *b, uint64_t v) { b_le(b, v, 8); }

static void b_str(struct buf *b, const char *s)
{
	b_u64(b, strlen(s));
	b_raw(b, s, strlen(s));
}

static void b_head(struct buf *b, uint32_t version, uint64_t nt, uint64_t nkv)
{
	b_raw(b, "GGUF", 4);
	b_u32(b, version);
	b_u64(b, nt);
	b_u64(b, nkv);
}

static void kv_u32(struct buf *b, const char *k, uint32_t v)
{
	b_str(b, k);
	b_u32(b, GGUF_T_UINT32);
	b_u32(b, v);
}

static void kv_str(struct buf *b, const char *k, const char *v)
{
	b_str(b, k);
	b_u32(b, GGUF_T_STRING);
	b_str(b, v);
}

static void kv_arr_u32(struct buf *b, const char *k, const uint32_t *v, int n)
{
	b_str(b, k);
	b_u32(b, GGUF_T_ARRAY);
	b_u32(b, GGUF_T_UINT32);
	b_u64(b, (uint64_t)n);
	for (int i = 0; i < n; i++)
		b_u32(b, v[i]);
}

static void tensor(struct buf *b, const char *name, int nd, const int64_t *ne, uint32_t type,
		   uint64_t off)
{
	b_str(b, name);
	b_u32(b, (uint32_t)nd);
	for (int i = 0; i < nd; i++)
		b_u64(b, (uint64_t)ne[i]);
	b_u32(b, type);
	b_u64(b, off);
}

static int read_buf(struct buf *b, struct lm_gguf *g, struct lm_err *err)
{
	return gguf_read_mem(b->p, b->n, g, err);
}

static void write_file(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(d, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(2);
	}
}

/* ---- every value type, nested arrays ------------------------------------- */

static void build_all_types(struct buf *b, uint32_t version)
{
	uint32_t hkv[3] = { 8, 0, 4 };
	int64_t ne1[2] = { 256, 10 }, ne2[1] = { 64 };

	b_head(b, version, 2, 23);
	kv_str(b, "general.architecture", "qwen3");
	kv_str(b, "general.name", "Tiny Test");
	kv_u32(b, "general.file_type", 15);
	b_str(b, "k.u8"); b_u32(b, GGUF_T_UINT8); b_le(b, 200, 1);
	b_str(b, "k.i8"); b_u32(b, GGUF_T_INT8); b_le(b, 0xff, 1);
	b_str(b, "k.u16"); b_u32(b, GGUF_T_UINT16); b_le(b, 65535, 2);
	b_str(b, "k.i16"); b_u32(b, GGUF_T_INT16); b_le(b, 0xfffe, 2);
	b_str(b, "k.i32"); b_u32(b, GGUF_T_INT32); b_le(b, 0xfffffffd, 4);
	b_str(b, "k.f32"); b_u32(b, GGUF_T_FLOAT32); b_le(b, 0x3fc00000, 4); /* 1.5 */
	b_str(b, "k.bool"); b_u32(b, GGUF_T_BOOL); b_le(b, 1, 1);
	b_str(b, "k.u64"); b_u32(b, GGUF_T_UINT64); b_u64(b, 1ull << 40);
	b_str(b, "k.i64"); b_u32(b, GGUF_T_INT64); b_u64(b, (uint64_t)-5);
	b_str(b, "k.f64"); b_u32(b, GGUF_T_FLOAT64); b_u64(b, 0x4004000000000000ull); /* 2.5 */
	/* array of arrays of strings */
	b_str(b, "k.nested"); b_u32(b, GGUF_T_ARRAY); b_u32(b, GGUF_T_ARRAY); b_u64(b, 2);
	b_u32(b, GGUF_T_STRING); b_u64(b, 2); b_str(b, "a"); b_str(b, "bc");
	b_u32(b, GGUF_T_UINT16); b_u64(b, 3); b_le(b, 1, 2); b_le(b, 2, 2); b_le(b, 3, 2);
	/* tokens array of strings: counted, not kept */
	b_str(b, "tokenizer.ggml.tokens"); b_u32(b, GGUF_T_ARRAY); b_u32(b, GGUF_T_STRING);
	b_u64(b, 3); b_str(b, "x"); b_str(b, "yy"); b_str(b, "zzz");
	kv_str(b, "tokenizer.chat_template", "{{ messages }}");
	kv_u32(b, "qwen3.block_count", 3);
	kv_u32(b, "qwen3.context_length", 40960);
	kv_u32(b, "qwen3.embedding_length", 256);
	kv_u32(b, "qwen3.attention.head_count", 8);
	kv_arr_u32(b, "qwen3.attention.head_count_kv", hkv, 3);
	kv_u32(b, "qwen3.attention.key_length", 128);
	kv_u32(b, "qwen3.attention.sliding_window", 1024);
	tensor(b, "token_embd.weight", 2, ne1, 12, 0);    /* Q4_K: 10 rows x 144 bytes */
	tensor(b, "output_norm.weight", 1, ne2, 0, 1440); /* F32: 256 bytes */
	while (b->n % 32)
		b_le(b, 0, 1);
}

static void test_all_types(void)
{
	struct buf b = { 0 };
	struct lm_gguf g;
	struct lm_err err = { 0 };
	const struct lm_gguf_kv *kv;

	build_all_types(&b, 3);
	if (read_buf(&b, &g, &err))
		fprintf(stderr, "all types: %s\n", err.msg);
	CHECK_INT(g.version, 3);
	CHECK_STR(g.arch, "qwen3");
	CHECK_STR(g.name, "Tiny Test");
	CHECK_INT(g.file_type, 15);
	CHECK_STR(g.quant, "Q4_K_M");
	CHECK_INT(g.n_tensors, 2);
	CHECK_INT(g.params, 2560 + 64);
	CHECK_INT(g.weight_bytes, 1440 + 256);
	CHECK_INT(g.data_offset, b.n);
	CHECK_INT(g.data_end, b.n + 1440 + 256);
	CHECK_INT(g.block_count, 3);
	CHECK_INT(g.ctx_train, 40960);
	CHECK_INT(g.n_embd, 256);
	CHECK_INT(g.n_head, 8);
	CHECK_INT(g.n_head_kv, 8);
	CHECK(g.head_kv && g.head_kv[0] == 8 && g.head_kv[1] == 0 && g.head_kv[2] == 4);
	CHECK_INT(g.key_length, 128);
	CHECK_INT(g.value_length, 128);
	CHECK_INT(g.sliding_window, 1024);
	CHECK_INT(g.n_vocab, 3);
	CHECK_INT(g.has_chat_template, 1);
	CHECK_INT(g.split_count, 0);
	CHECK((kv = gguf_kv(&g, "k.u8")) && kv->i == 200);
	CHECK((kv = gguf_kv(&g, "k.i8")) && kv->i == -1);
	CHECK((kv = gguf_kv(&g, "k.u16")) && kv->i == 65535);
	CHECK((kv = gguf_kv(&g, "k.i16")) && kv->i == -2);
	CHECK((kv = gguf_kv(&g, "k.i32")) && kv->i == -3);
	CHECK((kv = gguf_kv(&g, "k.f32")) && kv->f == 1.5);
	CHECK((kv = gguf_kv(&g, "k.bool")) && kv->i == 1 && !strcmp(kv->text, "true"));
	CHECK((kv = gguf_kv(&g, "k.u64")) && kv->i == 1ll << 40);
	CHECK((kv = gguf_kv(&g, "k.i64")) && kv->i == -5 && !strcmp(kv->text, "-5"));
	CHECK((kv = gguf_kv(&g, "k.f64")) && kv->f == 2.5);
	CHECK((kv = gguf_kv(&g, "k.nested")) && kv->arr_len == 2 && kv->arr_type == GGUF_T_ARRAY &&
	      !strcmp(kv->text, "[arr x 2]"));
	CHECK((kv = gguf_kv(&g, "tokenizer.ggml.tokens")) && !kv->arr && kv->arr_len == 3);
	CHECK(gguf_kv(&g, "nope") == NULL);
	CHECK_STR(g.tensors[0].name, "token_embd.weight");
	CHECK_INT(g.tensors[1].offset, 1440);
	gguf_release(&g);

	/* version 2 has the same layout */
	b.n = 0;
	build_all_types(&b, 2);
	CHECK_INT(read_buf(&b, &g, &err), 0);
	CHECK_INT(g.version, 2);
	CHECK_INT(g.params, 2624);
	gguf_release(&g);
	free(b.p);
}

/* ---- hostile and malformed input ----------------------------------------- */

static void expect_bad(struct buf *b, const char *what, const char *msg_part)
{
	struct lm_gguf g;
	struct lm_err err = { 0 };
	int rc = read_buf(b, &g, &err);

	if (rc != LM_EINTEGRITY || !strstr(err.msg, msg_part))
		fprintf(stderr, "%s: rc %d, message '%s'\n", what, rc, err.msg);
	CHECK_INT(rc, LM_EINTEGRITY);
	CHECK(strstr(err.msg, msg_part) != NULL);
	CHECK(g.kvs == NULL && g.tensors == NULL && g.arch == NULL);
}

static void test_hostile(void)
{
	struct buf b = { 0 }, good = { 0 };
	int64_t ne[2] = { 256, 10 };

	build_all_types(&good, 3);
	/* every truncation of a good file is a clean error */
	for (size_t n = 0; n < good.n - 32; n += 7) {
		struct lm_gguf g;
		struct lm_err err = { 0 };
		int rc = gguf_read_mem(good.p, n, &g, &err);
		if (rc != LM_EINTEGRITY)
			fprintf(stderr, "truncated at %zu: rc %d\n", n, rc);
		CHECK_INT(rc, LM_EINTEGRITY);
	}

	b_raw(&b, "GGUX", 4); b_u32(&b, 3); b_u64(&b, 0); b_u64(&b, 0); b_u64(&b, 0);
	expect_bad(&b, "magic", "bad magic");

	b.n = 0; /* big-endian: version 3 written big-endian */
	b_raw(&b, "GGUF", 4); b_raw(&b, "\0\0\0\3", 4); b_u64(&b, 0); b_u64(&b, 0); b_u64(&b, 0);
	expect_bad(&b, "big-endian", "big-endian");

	b.n = 0;
	b_head(&b, 1, 0, 0); b_u64(&b, 0);
	expect_bad(&b, "v1", "version 1");

	b.n = 0;
	b_head(&b, 3, 1ull << 40, 0); b_u64(&b, 0);
	expect_bad(&b, "tensor count", "absurd tensor count");

	b.n = 0;
	b_head(&b, 3, 0, UINT64_MAX); b_u64(&b, 0);
	expect_bad(&b, "kv count", "absurd metadata count");

	b.n = 0; /* a string whose length runs past the end */
	b_head(&b, 3, 0, 1); b_u64(&b, 1ull << 20); b_raw(&b, "abcdefghijklmnop", 16);
	expect_bad(&b, "key past end", "truncated");

	b.n = 0; /* a huge string length */
	b_head(&b, 3, 0, 1); b_u64(&b, UINT64_MAX); b_u64(&b, 0);
	expect_bad(&b, "huge key", "string too long");

	b.n = 0; /* an array of a billion u32 in a tiny file */
	b_head(&b, 3, 0, 1); b_str(&b, "a"); b_u32(&b, GGUF_T_ARRAY); b_u32(&b, GGUF_T_UINT32);
	b_u64(&b, 1ull << 30); b_u64(&b, 0);
	expect_bad(&b, "huge array", "truncated");

	b.n = 0; /* an array of 2^62 strings */
	b_head(&b, 3, 0, 1); b_str(&b, "a"); b_u32(&b, GGUF_T_ARRAY); b_u32(&b, GGUF_T_STRING);
	b_u64(&b, 1ull << 62); b_u64(&b, 0);
	expect_bad(&b, "huge string array", "truncated");

	b.n = 0; /* arrays nested 100 deep */
	b_head(&b, 3, 0, 1); b_str(&b, "deep"); b_u32(&b, GGUF_T_ARRAY);
	for (int i = 0; i < 100; i++) {
		b_u32(&b, GGUF_T_ARRAY);
		b_u64(&b, 1);
	}
	b_u32(&b, GGUF_T_UINT8); b_u64(&b, 0);
	expect_bad(&b, "deep", "nested too deep");

	b.n = 0; /* unknown value type */
	b_head(&b, 3, 0, 1); b_str(&b, "a"); b_u32(&b, 13); b_u64(&b, 0); b_u64(&b, 0);
	expect_bad(&b, "type", "unknown value type");

	b.n = 0; /* duplicate key */
	b_head(&b, 3, 0, 2); kv_u32(&b, "a", 1); kv_u32(&b, "a", 2); b_u64(&b, 0);
	expect_bad(&b, "dup", "duplicate");

	b.n = 0; /* 5 dimensions */
	b_head(&b, 3, 1, 0); b_str(&b, "t"); b_u32(&b, 5);
	for (int i = 0; i < 5; i++)
		b_u64(&b, 1);
	b_u32(&b, 0); b_u64(&b, 0); b_u64(&b, 0);
	expect_bad(&b, "dims", "4 dimensions");

	b.n = 0; /* unknown tensor type */
	b_head(&b, 3, 1, 0); tensor(&b, "t", 2, ne, 4, 0); b_u64(&b, 0);
	expect_bad(&b, "ttype", "unknown tensor type");

	b.n = 0; /* shape overflow */
	b_head(&b, 3, 1, 0);
	{
		int64_t big[3] = { 1ll << 40, 1ll << 40, 1ll << 40 };
		tensor(&b, "t", 3, big, 0, 0);
	}
	b_u64(&b, 0);
	expect_bad(&b, "overflow", "too large");

	b.n = 0; /* Q4_K rows must be whole blocks */
	b_head(&b, 3, 1, 0);
	{
		int64_t odd[2] = { 100, 2 };
		tensor(&b, "t", 2, odd, 12, 0);
	}
	b_u64(&b, 0);
	expect_bad(&b, "blocks", "whole number of blocks");

	b.n = 0; /* misaligned offset */
	b_head(&b, 3, 1, 0); tensor(&b, "t", 2, ne, 12, 3); b_u64(&b, 0);
	expect_bad(&b, "align", "not aligned");

	b.n = 0; /* alignment not a power of two */
	b_head(&b, 3, 0, 1); kv_u32(&b, "general.alignment", 24); b_u64(&b, 0);
	expect_bad(&b, "alignment", "general.alignment");

	b.n = 0; /* absurd block count */
	b_head(&b, 3, 0, 2); kv_str(&b, "general.architecture", "llama");
	kv_u32(&b, "llama.block_count", 100000); b_u64(&b, 0);
	expect_bad(&b, "layers", "block_count");

	b.n = 0; /* tensor name too long */
	b_head(&b, 3, 1, 0);
	tensor(&b, "a_very_long_tensor_name_that_goes_on_and_on_past_sixty_four_chars_x", 2, ne, 12, 0);
	b_u64(&b, 0);
	expect_bad(&b, "name", "name too long");

	free(b.p);
	free(good.p);
}

/* ---- files on disk, splits, names ---------------------------------------- */

static void build_part(struct buf *b, int no, int count, const char *tname)
{
	int64_t ne[2] = { 32, 4 };

	b->n = 0;
	b_head(b, 3, 1, no == 0 ? 5 : 3);
	if (no == 0) {
		kv_str(b, "general.architecture", "llama");
		kv_u32(b, "llama.block_count", 2);
	}
	b_str(b, "split.no"); b_u32(b, GGUF_T_UINT16); b_le(b, (uint64_t)no, 2);
	b_str(b, "split.count"); b_u32(b, GGUF_T_UINT16); b_le(b, (uint64_t)count, 2);
	b_str(b, "split.tensors.count"); b_u32(b, GGUF_T_INT32); b_le(b, (uint64_t)count, 4);
	tensor(b, tname, 2, ne, 8, 0); /* Q8_0: 4 rows x 34 bytes */
	while (b->n % 32)
		b_le(b, 0, 1);
}

static void test_files_and_splits(void)
{
	char path[512], p2[512], p3[512];
	struct buf b = { 0 };
	struct lm_gguf g;
	struct lm_err err = { 0 };

	snprintf(path, sizeof(path), "%s/none.gguf", t_tmpdir());
	CHECK_INT(gguf_read(path, &g, &err), LM_ENOTFOUND);
	CHECK(strstr(err.msg, "none.gguf") != NULL);
	CHECK_INT(gguf_read(t_tmpdir(), &g, &err), LM_EFAIL);

	build_all_types(&b, 3);
	snprintf(path, sizeof(path), "%s/one.gguf", t_tmpdir());
	write_file(path, b.p, b.n);
	CHECK_INT(gguf_read(path, &g, &err), 0);
	CHECK_INT(g.file_size, b.n);
	CHECK_INT(g.params, 2624);
	gguf_release(&g);
	CHECK_INT(gguf_read_model(path, &g, &err), 0); /* not split: same */
	CHECK_INT(g.params, 2624);
	gguf_release(&g);

	snprintf(path, sizeof(path), "%s/m-Q8_0-00001-of-00003.gguf", t_tmpdir());
	snprintf(p2, sizeof(p2), "%s/m-Q8_0-00002-of-00003.gguf", t_tmpdir());
	snprintf(p3, sizeof(p3), "%s/m-Q8_0-00003-of-00003.gguf", t_tmpdir());
	build_part(&b, 0, 3, "a");
	write_file(path, b.p, b.n);
	build_part(&b, 1, 3, "b");
	write_file(p2, b.p, b.n);
	CHECK_INT(gguf_read(path, &g, &err), 0);
	CHECK_INT(g.split_no, 0);
	CHECK_INT(g.split_count, 3);
	CHECK_INT(g.params, 128);
	gguf_release(&g);
	CHECK_INT(gguf_read(p2, &g, &err), 0);
	CHECK_INT(g.split_no, 1);
	CHECK(g.arch == NULL);
	gguf_release(&g);
	/* a missing part */
	CHECK_INT(gguf_read_model(path, &g, &err), LM_ENOTFOUND);
	CHECK(strstr(err.msg, "00003-of-00003") != NULL);
	/* a part that says it is another */
	build_part(&b, 1, 3, "c");
	write_file(p3, b.p, b.n);
	CHECK_INT(gguf_read_model(path, &g, &err), LM_EINTEGRITY);
	build_part(&b, 2, 3, "c");
	write_file(p3, b.p, b.n);
	CHECK_INT(gguf_read_model(path, &g, &err), 0);
	CHECK_INT(g.params, 3 * 128);
	CHECK_INT(g.weight_bytes, 3 * 136);
	CHECK_INT(g.ntensors, 3);
	CHECK_STR(g.tensors[2].name, "c");
	CHECK_STR(g.arch, "llama");
	CHECK_STR(g.quant, "Q8_0"); /* from the tensor types: no general.file_type */
	gguf_release(&g);
	CHECK_INT(gguf_read_model(p2, &g, &err), LM_EUSAGE);
	free(b.p);
}

static void test_names(void)
{
	char q[32], prefix[256];
	int i, n;

	CHECK_INT(gguf_quant_from_name("Qwen3-8B-Q4_K_M.gguf", q, sizeof(q)), 0);
	CHECK_STR(q, "Q4_K_M");
	CHECK_INT(gguf_quant_from_name("qwen2.5-0.5b-instruct-q4_k_m.gguf", q, sizeof(q)), 0);
	CHECK_STR(q, "Q4_K_M");
	CHECK_INT(gguf_quant_from_name("Llama-3.2-1B-Instruct-Q8_0.gguf", q, sizeof(q)), 0);
	CHECK_STR(q, "Q8_0");
	CHECK_INT(gguf_quant_from_name("gpt-oss-20b-mxfp4.gguf", q, sizeof(q)), 0);
	CHECK_STR(q, "MXFP4");
	CHECK_INT(gguf_quant_from_name("ggml-model-f16.gguf", q, sizeof(q)), 0);
	CHECK_STR(q, "F16");
	CHECK_INT(gguf_quant_from_name("model.IQ2_XXS.gguf", q, sizeof(q)), 0);
	CHECK_STR(q, "IQ2_XXS");
	CHECK_INT(gguf_quant_from_name("Qwen3-30B-A3B-UD-Q4_K_XL-00001-of-00002.gguf", q, sizeof(q)), 0);
	CHECK_STR(q, "UD-Q4_K_XL");
	CHECK_INT(gguf_quant_from_name("Q4_K_M/Big-Model-00002-of-00003.gguf", q, sizeof(q)), 0);
	CHECK_STR(q, "Q4_K_M");
	CHECK_INT(gguf_quant_from_name("org/repo/UD-Q2_K_XL/DeepSeek-00001-of-00005.gguf", q, sizeof(q)), 0);
	CHECK_STR(q, "UD-Q2_K_XL");
	CHECK_INT(gguf_quant_from_name("Qwen3-8B.gguf", q, sizeof(q)), -1);
	CHECK_INT(gguf_quant_from_name("Qwen3-8B-Q4_K_M.gguf", q, 4), -1);
	CHECK_INT(gguf_quant_from_name("", q, sizeof(q)), -1);

	CHECK_INT(gguf_split_parse("a/m-Q4-00002-of-00003.gguf", &i, &n, prefix, sizeof(prefix)), 0);
	CHECK_INT(i, 2);
	CHECK_INT(n, 3);
	CHECK_STR(prefix, "a/m-Q4");
	CHECK_INT(gguf_split_parse("m-00001-OF-00002.GGUF", &i, &n, NULL, 0), 0);
	CHECK_INT(gguf_split_parse("m-00003-of-00002.gguf", &i, &n, NULL, 0), -1);
	CHECK_INT(gguf_split_parse("m-00000-of-00002.gguf", &i, &n, NULL, 0), -1);
	CHECK_INT(gguf_split_parse("-00001-of-00002.gguf", &i, &n, NULL, 0), -1);
	CHECK_INT(gguf_split_parse("dir/-00001-of-00002.gguf", &i, &n, NULL, 0), -1);
	CHECK_INT(gguf_split_parse("m-0001-of-00002.gguf", &i, &n, NULL, 0), -1);
	CHECK_INT(gguf_split_parse("m.gguf", &i, &n, NULL, 0), -1);
	CHECK_INT(gguf_split_path(prefix, sizeof(prefix), "x/m", 2, 12), 0);
	CHECK_STR(prefix, "x/m-00002-of-00012.gguf");
	CHECK_INT(gguf_split_path(prefix, 8, "x/m", 2, 12), -1);

	CHECK_STR(gguf_file_type_name(15), "Q4_K_M");
	CHECK_STR(gguf_file_type_name(38), "MXFP4_MOE");
	CHECK(gguf_file_type_name(5) == NULL && gguf_file_type_name(-1) == NULL &&
	      gguf_file_type_name(1000) == NULL);
	CHECK_STR(gguf_type_name(14), "Q6_K");
	CHECK(gguf_type_name(4) == NULL && gguf_type_name(999) == NULL);
	CHECK_INT(gguf_type_nbytes(12, 512), 288);
	CHECK_INT(gguf_type_nbytes(39, 64), 34);
	CHECK_INT(gguf_type_nbytes(12, 100), 0);
}

/* ---- files written by mkgguf.py ------------------------------------------ */

static int run_mkgguf(char *const extra[])
{
	char *argv[40];
	int argc = 0, status;
	pid_t pid;
	const char *src = getenv("SRC_DIR");
	static char script[512];

	snprintf(script, sizeof(script), "%s/tests/fixtures/mkgguf.py", src ? src : ".");
	argv[argc++] = "python3";
	argv[argc++] = script;
	for (int i = 0; extra[i] && argc < 39; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	if (posix_spawnp(&pid, "python3", NULL, NULL, argv, environ))
		return -1;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_mkgguf(void)
{
	char out[512], big[512];
	struct lm_gguf g;
	struct lm_err err = { 0 };

	if (access("tests/fixtures/mkgguf.py", R_OK) && !getenv("SRC_DIR")) {
		fprintf(stderr, "mkgguf.py not found, skipped\n");
		return;
	}
	snprintf(out, sizeof(out), "%s/llama8b.gguf", t_tmpdir());
	{
		char *a[] = { out, "--layers", "32", "--embd", "4096", "--heads", "32", "--heads-kv", "8",
			      "--ff", "14336", "--vocab", "128256", "--ctx", "131072", NULL };
		CHECK_INT(run_mkgguf(a), 0);
	}
	CHECK_INT(gguf_read(out, &g, &err), 0);
	CHECK_INT(g.params, 8030261248ll); /* Llama 3 8B's real parameter count */
	CHECK_INT(g.block_count, 32);
	CHECK_INT(g.n_head_kv, 8);
	CHECK_INT(g.key_length, 128);
	CHECK_INT(g.ctx_train, 131072);
	CHECK_INT(g.n_vocab, 128256);
	CHECK_STR(g.quant, "Q4_K_M");
	CHECK_INT(g.file_size, g.data_end);
	CHECK(g.data_offset > 2 << 20 && g.data_offset < 4 << 20); /* vocabulary: many buffers */
	/* the same header from memory agrees with the buffered file reader */
	{
		struct lm_gguf gm;
		size_t n = (size_t)g.data_offset;
		char *mem = malloc(n);
		FILE *f = fopen(out, "rb");
		CHECK(f && fread(mem, 1, n, f) == n);
		if (f)
			fclose(f);
		CHECK_INT(gguf_read_mem(mem, n, &gm, &err), 0);
		CHECK_INT(gm.params, g.params);
		CHECK_INT(gm.data_offset, g.data_offset);
		CHECK_INT(gm.n_vocab, g.n_vocab);
		CHECK_INT(gm.nkvs, g.nkvs);
		gguf_release(&gm);
		/* one byte short of the last tensor info: truncated */
		CHECK_INT(gguf_read_mem(mem, n - 40, &gm, &err), LM_EINTEGRITY);
		free(mem);
	}
	gguf_release(&g);

	snprintf(big, sizeof(big), "%s/split.gguf", t_tmpdir());
	{
		char *a[] = { big, "--split-count", "3", "--arch", "gemma3", "--sliding-window", "512", NULL };
		CHECK_INT(run_mkgguf(a), 0);
	}
	snprintf(big, sizeof(big), "%s/split-00001-of-00003.gguf", t_tmpdir());
	CHECK_INT(gguf_read_model(big, &g, &err), 0);
	CHECK_STR(g.arch, "gemma3");
	CHECK_INT(g.split_count, 3);
	CHECK_INT(g.sliding_window, 512);
	CHECK(g.params > 0 && g.ntensors == g.n_tensors);
	gguf_release(&g);

	{
		char *a[] = { out, "--big-endian", NULL };
		CHECK_INT(run_mkgguf(a), 0);
		CHECK_INT(gguf_read(out, &g, &err), LM_EINTEGRITY);
		CHECK(strstr(err.msg, "big-endian") != NULL);
	}
	{
		char *a[] = { out, "--truncate", "100", NULL };
		CHECK_INT(run_mkgguf(a), 0);
		CHECK_INT(gguf_read(out, &g, &err), LM_EINTEGRITY);
	}
	{
		char *a[] = { out, "--kv", "llama.attention.head_count_kv=arr.u32:2,0,2,1", "--kv",
			      "general.name=str:Renamed", NULL };
		CHECK_INT(run_mkgguf(a), 0);
		CHECK_INT(gguf_read(out, &g, &err), 0);
		CHECK_STR(g.name, "Renamed");
		CHECK(g.head_kv[0] == 2 && g.head_kv[1] == 0 && g.head_kv[3] == 1);
		gguf_release(&g);
	}
}

int main(void)
{
	test_all_types();
	test_hostile();
	test_files_and_splits();
	test_names();
	test_mkgguf();
	return T_DONE();
}
