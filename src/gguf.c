/* gguf: GGUF header reader (see gguf.h). */
#include "localmodel/gguf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RD_BUF
#define RD_BUF (64 * 1024) /* the fuzz target builds with a tiny one */
#endif
#define KV_TEXT_MAX 1024
#define TENSOR_NAME_MAX 64 /* GGML_MAX_NAME */

/* ---- ggml types and file types ----------------------------------------- */

struct ggml_type_info {
	const char *name;
	uint32_t block;  /* elements per block, 0 = removed / unknown */
	uint32_t bytes;  /* bytes per block */
};

/* GGMLQuantizationType and GGML_QUANT_SIZES (gguf-py constants.py). */
static const struct ggml_type_info ggml_types[] = {
	[0] = { "F32", 1, 4 },       [1] = { "F16", 1, 2 },
	[2] = { "Q4_0", 32, 18 },    [3] = { "Q4_1", 32, 20 },
	[6] = { "Q5_0", 32, 22 },    [7] = { "Q5_1", 32, 24 },
	[8] = { "Q8_0", 32, 34 },    [9] = { "Q8_1", 32, 36 },
	[10] = { "Q2_K", 256, 84 },  [11] = { "Q3_K", 256, 110 },
	[12] = { "Q4_K", 256, 144 }, [13] = { "Q5_K", 256, 176 },
	[14] = { "Q6_K", 256, 210 }, [15] = { "Q8_K", 256, 292 },
	[16] = { "IQ2_XXS", 256, 66 }, [17] = { "IQ2_XS", 256, 74 },
	[18] = { "IQ3_XXS", 256, 98 }, [19] = { "IQ1_S", 256, 50 },
	[20] = { "IQ4_NL", 32, 18 },  [21] = { "IQ3_S", 256, 110 },
	[22] = { "IQ2_S", 256, 82 },  [23] = { "IQ4_XS", 256, 136 },
	[24] = { "I8", 1, 1 },        [25] = { "I16", 1, 2 },
	[26] = { "I32", 1, 4 },       [27] = { "I64", 1, 8 },
	[28] = { "F64", 1, 8 },       [29] = { "IQ1_M", 256, 56 },
	[30] = { "BF16", 1, 2 },      [34] = { "TQ1_0", 256, 54 },
	[35] = { "TQ2_0", 256, 66 },  [39] = { "MXFP4", 32, 17 },
};
#define N_GGML_TYPES (sizeof(ggml_types) / sizeof(ggml_types[0]))

/* LlamaFileType (general.file_type). */
static const char *const file_types[] = {
	[0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [4] = "Q4_1_SOME_F16",
	[7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1", [10] = "Q2_K", [11] = "Q3_K_S",
	[12] = "Q3_K_M", [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S",
	[17] = "Q5_K_M", [18] = "Q6_K", [19] = "IQ2_XXS", [20] = "IQ2_XS", [21] = "Q2_K_S",
	[22] = "IQ3_XS", [23] = "IQ3_XXS", [24] = "IQ1_S", [25] = "IQ4_NL", [26] = "IQ3_S",
	[27] = "IQ3_M", [28] = "IQ2_S", [29] = "IQ2_M", [30] = "IQ4_XS", [31] = "IQ1_M",
	[32] = "BF16", [36] = "TQ1_0", [37] = "TQ2_0", [38] = "MXFP4_MOE",
};

const char *gguf_file_type_name(int file_type)
{
	if (file_type < 0 || (size_t)file_type >= sizeof(file_types) / sizeof(file_types[0]))
		return NULL;
	return file_types[file_type];
}

const char *gguf_type_name(uint32_t t)
{
	return t < N_GGML_TYPES && ggml_types[t].block ? ggml_types[t].name : NULL;
}

uint64_t gguf_type_nbytes(uint32_t t, uint64_t n)
{
	if (t >= N_GGML_TYPES || !ggml_types[t].block || n % ggml_types[t].block)
		return 0;
	n /= ggml_types[t].block;
	if (n > UINT64_MAX / ggml_types[t].bytes)
		return 0;
	return n * ggml_types[t].bytes;
}

/* ---- the reader: a file (pread, buffered) or memory --------------------- */

struct rd {
	int fd;                /* -1 for memory */
	const uint8_t *mem;
	uint64_t size;
	uint64_t pos;
	uint8_t *buf;
	uint64_t buf_off;
	size_t buf_len;
	const char *name;
	struct lm_err *err;
};

static int rd_truncated(struct rd *r)
{
	return lm_err_set(r->err, LM_EINTEGRITY, "truncated gguf header in '%s' (at byte %" PRIu64 ")",
			  r->name, r->pos);
}

/* Make [pos, pos+n) available (n <= RD_BUF); return a pointer to it. */
static const uint8_t *rd_peek(struct rd *r, size_t n)
{
	if (n > r->size || r->pos > r->size - n) {
		rd_truncated(r);
		return NULL;
	}
	if (r->fd < 0)
		return r->mem + r->pos;
	if (r->pos < r->buf_off || r->pos + n > r->buf_off + r->buf_len) {
		size_t got = 0;
		uint64_t want = r->size - r->pos < RD_BUF ? r->size - r->pos : RD_BUF;

		while (got < want) {
			ssize_t k = pread(r->fd, r->buf + got, want - got, (off_t)(r->pos + got));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				lm_err_set(r->err, LM_EFAIL, "cannot read '%s': %s", r->name,
					   strerror(errno));
				return NULL;
			}
			if (k == 0)
				break;
			got += (size_t)k;
		}
		r->buf_off = r->pos;
		r->buf_len = got;
		if (got < n) {
			rd_truncated(r);
			return NULL;
		}
	}
	return r->buf + (r->pos - r->buf_off);
}

static int rd_bytes(struct rd *r, void *out, size_t n)
{
	while (n) {
		size_t k = n < RD_BUF ? n : RD_BUF;
		const uint8_t *p = rd_peek(r, k);

		if (!p)
			return r->err ? r->err->code : LM_EINTEGRITY;
		memcpy(out, p, k);
		out = (uint8_t *)out + k;
		r->pos += k;
		n -= k;
	}
	return LM_OK;
}

static int rd_skip(struct rd *r, uint64_t n)
{
	if (n > r->size - r->pos) {
		r->pos = r->size;
		return rd_truncated(r);
	}
	r->pos += n;
	return LM_OK;
}

/* Little-endian integers, whatever the host. */
static int rd_u64(struct rd *r, uint64_t *v)
{
	uint8_t b[8];
	int rc = rd_bytes(r, b, 8);

	*v = 0;
	for (int i = 7; !rc && i >= 0; i--)
		*v = *v << 8 | b[i];
	return rc;
}

static int rd_u32(struct rd *r, uint32_t *v)
{
	uint8_t b[4];
	int rc = rd_bytes(r, b, 4);

	*v = rc ? 0 : (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		(uint32_t)b[3] << 24;
	return rc;
}

static int bad(struct rd *r, const char *what)
{
	return lm_err_set(r->err, LM_EINTEGRITY, "malformed gguf '%s': %s", r->name, what);
}

/* A string: length then bytes. Keep at most `keep` bytes (NUL-terminated,
 * allocated) in *out when out is not NULL; skip the rest. */
static int rd_string(struct rd *r, char **out, size_t keep, uint64_t *len_out)
{
	uint64_t len;
	size_t k;
	int rc;

	if ((rc = rd_u64(r, &len)))
		return rc;
	if (len > GGUF_MAX_STRING)
		return bad(r, "string too long");
	if (len > r->size - r->pos)
		return rd_truncated(r);
	if (len_out)
		*len_out = len;
	if (!out)
		return rd_skip(r, len);
	k = len < keep ? (size_t)len : keep;
	*out = lm_xmalloc(k + 1);
	if ((rc = rd_bytes(r, *out, k))) {
		free(*out);
		*out = NULL;
		return rc;
	}
	(*out)[k] = '\0';
	return rd_skip(r, len - k);
}

/* ---- metadata values ----------------------------------------------------- */

static size_t scalar_size(uint32_t t)
{
	switch (t) {
	case GGUF_T_UINT8: case GGUF_T_INT8: case GGUF_T_BOOL: return 1;
	case GGUF_T_UINT16: case GGUF_T_INT16: return 2;
	case GGUF_T_UINT32: case GGUF_T_INT32: case GGUF_T_FLOAT32: return 4;
	case GGUF_T_UINT64: case GGUF_T_INT64: case GGUF_T_FLOAT64: return 8;
	default: return 0;
	}
}

static const char *type_label(uint32_t t)
{
	static const char *const names[] = { "u8", "i8", "u16", "i16", "u32", "i32", "f32",
					     "bool", "str", "arr", "u64", "i64", "f64" };
	return t < 13 ? names[t] : "?";
}

static int is_int_type(uint32_t t)
{
	return t <= GGUF_T_INT32 || t == GGUF_T_BOOL || t == GGUF_T_UINT64 || t == GGUF_T_INT64;
}

/* Decode one little-endian scalar of type t into kv->i / kv->f. */
static int rd_scalar(struct rd *r, uint32_t t, int64_t *iv, double *fv)
{
	uint8_t b[8];
	uint64_t u = 0;
	size_t n = scalar_size(t);
	int rc;

	if ((rc = rd_bytes(r, b, n)))
		return rc;
	for (size_t i = n; i > 0; i--)
		u = u << 8 | b[i - 1];
	switch (t) {
	case GGUF_T_INT8: *iv = (int8_t)u; break;
	case GGUF_T_INT16: *iv = (int16_t)u; break;
	case GGUF_T_INT32: *iv = (int32_t)u; break;
	case GGUF_T_INT64: *iv = (int64_t)u; break;
	case GGUF_T_FLOAT32: {
		uint32_t w = (uint32_t)u;
		float f;
		memcpy(&f, &w, 4);
		*fv = f;
		*iv = 0;
		return LM_OK;
	}
	case GGUF_T_FLOAT64: {
		double d;
		memcpy(&d, &u, 8);
		*fv = d;
		*iv = 0;
		return LM_OK;
	}
	case GGUF_T_BOOL: *iv = u != 0; break;
	default: *iv = (int64_t)u; break; /* unsigned (u64 above INT64_MAX wraps) */
	}
	*fv = (double)*iv;
	return LM_OK;
}

static int rd_array(struct rd *r, struct lm_gguf_kv *kv, int depth);

/* Skip n elements of type t (arrays inside arrays recurse, bounded). */
static int skip_elems(struct rd *r, uint32_t t, uint64_t n, int depth)
{
	size_t sz = scalar_size(t);
	int rc = LM_OK;

	if (sz)
		return n > (r->size - r->pos) / sz ? rd_truncated(r) : rd_skip(r, n * sz);
	if (t == GGUF_T_STRING) {
		if (n > (r->size - r->pos) / 8)
			return rd_truncated(r);
		for (uint64_t i = 0; i < n && !rc; i++)
			rc = rd_string(r, NULL, 0, NULL);
		return rc;
	}
	if (t == GGUF_T_ARRAY) {
		if (n > (r->size - r->pos) / 12)
			return rd_truncated(r);
		for (uint64_t i = 0; i < n && !rc; i++) {
			struct lm_gguf_kv inner = { 0 };
			rc = rd_array(r, &inner, depth + 1);
			free(inner.arr);
		}
		return rc;
	}
	return bad(r, "unknown value type");
}

/* An array value: element type, count, elements. Small integer arrays are
 * kept (per-layer head counts); everything else is skipped. */
static int rd_array(struct rd *r, struct lm_gguf_kv *kv, int depth)
{
	uint32_t et;
	uint64_t n;
	int rc;

	if (depth > GGUF_MAX_DEPTH)
		return bad(r, "arrays nested too deep");
	if ((rc = rd_u32(r, &et)) || (rc = rd_u64(r, &n)))
		return rc;
	if (et > GGUF_T_FLOAT64)
		return bad(r, "unknown array element type");
	kv->arr_type = (enum lm_gguf_type)et;
	kv->arr_len = n;
	if (depth == 0 && is_int_type(et) && n <= GGUF_MAX_LAYERS &&
	    n <= (r->size - r->pos) / scalar_size(et)) {
		double f;
		kv->arr = lm_xcalloc(n ? n : 1, sizeof(int64_t));
		for (uint64_t i = 0; i < n && !rc; i++)
			rc = rd_scalar(r, et, &kv->arr[i], &f);
		return rc;
	}
	return skip_elems(r, et, n, depth);
}

/* One key/value entry into kv. */
static int rd_kv(struct rd *r, struct lm_gguf_kv *kv)
{
	uint32_t t;
	int rc;

	if ((rc = rd_string(r, &kv->key, 256, NULL)))
		return rc;
	if ((rc = rd_u32(r, &t)))
		return rc;
	if (t > GGUF_T_FLOAT64)
		return bad(r, "unknown value type");
	kv->type = (enum lm_gguf_type)t;
	if (t == GGUF_T_STRING)
		return rd_string(r, &kv->text, KV_TEXT_MAX, NULL);
	if (t == GGUF_T_ARRAY) {
		if ((rc = rd_array(r, kv, 0)))
			return rc;
		kv->text = lm_asprintf("[%s x %" PRIu64 "]", type_label(kv->arr_type), kv->arr_len);
		return LM_OK;
	}
	if ((rc = rd_scalar(r, t, &kv->i, &kv->f)))
		return rc;
	if (t == GGUF_T_FLOAT32 || t == GGUF_T_FLOAT64)
		kv->text = lm_asprintf("%g", kv->f);
	else if (t == GGUF_T_BOOL)
		kv->text = lm_xstrdup(kv->i ? "true" : "false");
	else if (t == GGUF_T_UINT64)
		kv->text = lm_asprintf("%" PRIu64, (uint64_t)kv->i);
	else
		kv->text = lm_asprintf("%" PRId64, kv->i);
	return LM_OK;
}

/* ---- tensor infos --------------------------------------------------------- */

static int rd_tensor(struct rd *r, struct lm_gguf_tensor *ti, uint32_t alignment)
{
	uint64_t len, nel = 1, v;
	int rc;

	if ((rc = rd_string(r, &ti->name, TENSOR_NAME_MAX, &len)))
		return rc;
	if (len >= TENSOR_NAME_MAX)
		return bad(r, "tensor name too long");
	if ((rc = rd_u32(r, &ti->n_dims)))
		return rc;
	if (ti->n_dims > 4)
		return bad(r, "tensor has more than 4 dimensions");
	for (uint32_t d = 0; d < 4; d++) {
		if (d < ti->n_dims) {
			if ((rc = rd_u64(r, &v)))
				return rc;
			if (v > (uint64_t)INT64_MAX)
				return bad(r, "negative tensor dimension");
			ti->ne[d] = (int64_t)v;
		} else {
			ti->ne[d] = 1;
		}
		if (ti->ne[d] && nel > (uint64_t)INT64_MAX / (uint64_t)ti->ne[d])
			return bad(r, "tensor too large");
		nel *= (uint64_t)ti->ne[d];
	}
	if ((rc = rd_u32(r, &ti->type)) || (rc = rd_u64(r, &ti->offset)))
		return rc;
	if (!gguf_type_name(ti->type))
		return bad(r, "unknown tensor type");
	if (ti->ne[0] % ggml_types[ti->type].block)
		return bad(r, "tensor row is not a whole number of blocks");
	if (ti->offset % alignment)
		return bad(r, "tensor data offset is not aligned");
	ti->nbytes = gguf_type_nbytes(ti->type, nel);
	if (nel && !ti->nbytes)
		return bad(r, "tensor too large");
	return LM_OK;
}

/* ---- interpretation -------------------------------------------------------- */

const struct lm_gguf_kv *gguf_kv(const struct lm_gguf *g, const char *key)
{
	for (size_t i = 0; i < g->nkvs; i++)
		if (!strcmp(g->kvs[i].key, key))
			return &g->kvs[i];
	return NULL;
}

static const struct lm_gguf_kv *arch_kv(const struct lm_gguf *g, const char *suffix)
{
	char key[320];

	if (!g->arch)
		return NULL;
	snprintf(key, sizeof(key), "%s.%s", g->arch, suffix);
	return gguf_kv(g, key);
}

/* An unsigned 32-bit scalar (any integer type), else def. */
static uint32_t kv_u32(const struct lm_gguf_kv *kv, uint32_t def)
{
	if (!kv || kv->type == GGUF_T_ARRAY || kv->type == GGUF_T_STRING || kv->type == GGUF_T_BOOL ||
	    kv->type == GGUF_T_FLOAT32 || kv->type == GGUF_T_FLOAT64)
		return def;
	if (kv->i < 0 || (uint64_t)kv->i > UINT32_MAX)
		return def;
	return (uint32_t)kv->i;
}

/* Value of a scalar-or-per-layer key for layer l (first layer by default). */
static uint32_t kv_layer(const struct lm_gguf_kv *kv, uint32_t l, uint32_t def)
{
	if (kv && kv->type == GGUF_T_ARRAY) {
		if (!kv->arr || l >= kv->arr_len || kv->arr[l] < 0 || kv->arr[l] > UINT32_MAX)
			return def;
		return (uint32_t)kv->arr[l];
	}
	return kv_u32(kv, def);
}

static const char *kv_str(const struct lm_gguf *g, const char *key)
{
	const struct lm_gguf_kv *kv = gguf_kv(g, key);
	return kv && kv->type == GGUF_T_STRING ? kv->text : NULL;
}

/* The quant label when general.file_type is absent: the type holding the
 * most bytes among the 2-D weights. */
static void quant_from_tensors(struct lm_gguf *g)
{
	uint64_t bytes[N_GGML_TYPES] = { 0 };
	uint32_t best = 0;

	for (size_t i = 0; i < g->ntensors; i++)
		if (g->tensors[i].n_dims >= 2 && g->tensors[i].type < N_GGML_TYPES)
			bytes[g->tensors[i].type] += g->tensors[i].nbytes;
	for (uint32_t t = 1; t < N_GGML_TYPES; t++)
		if (bytes[t] > bytes[best])
			best = t;
	if (bytes[best])
		lm_strlcpy(g->quant, ggml_types[best].name, sizeof(g->quant));
}

static int interpret(struct rd *r, struct lm_gguf *g)
{
	const struct lm_gguf_kv *kv, *hkv;
	const char *s;

	if ((s = kv_str(g, "general.architecture")))
		g->arch = lm_xstrdup(s);
	if ((s = kv_str(g, "general.name")))
		g->name = lm_xstrdup(s);
	kv = gguf_kv(g, "general.file_type");
	g->file_type = kv ? (int)kv_u32(kv, (uint32_t)-1) : -1;
	if (g->file_type >= 0 && gguf_file_type_name(g->file_type))
		lm_strlcpy(g->quant, gguf_file_type_name(g->file_type), sizeof(g->quant));
	else
		quant_from_tensors(g);
	g->block_count = kv_u32(arch_kv(g, "block_count"), 0);
	if (g->block_count > GGUF_MAX_LAYERS)
		return bad(r, "block_count too large");
	g->ctx_train = kv_u32(arch_kv(g, "context_length"), 0);
	g->n_embd = kv_u32(arch_kv(g, "embedding_length"), 0);
	g->n_ff = kv_layer(arch_kv(g, "feed_forward_length"), 0, 0);
	hkv = arch_kv(g, "attention.head_count");
	g->n_head = kv_layer(hkv, 0, 0);
	kv = arch_kv(g, "attention.head_count_kv");
	if (g->block_count) {
		g->head_kv = lm_xcalloc(g->block_count, sizeof(uint32_t));
		for (uint32_t l = 0; l < g->block_count; l++) {
			uint32_t h = kv_layer(hkv, l, g->n_head);
			g->head_kv[l] = kv ? kv_layer(kv, l, h) : h;
			if (g->head_kv[l] > g->n_head_kv)
				g->n_head_kv = g->head_kv[l];
		}
	} else {
		g->n_head_kv = kv ? kv_layer(kv, 0, g->n_head) : g->n_head;
	}
	g->key_length = kv_u32(arch_kv(g, "attention.key_length"),
			       g->n_head ? g->n_embd / g->n_head : 0);
	g->value_length = kv_u32(arch_kv(g, "attention.value_length"), g->key_length);
	g->sliding_window = kv_u32(arch_kv(g, "attention.sliding_window"), 0);
	kv = arch_kv(g, "attention.sliding_window_pattern");
	if (kv && kv->type == GGUF_T_ARRAY && kv->arr && g->block_count) {
		g->swa_layers = lm_xcalloc(g->block_count, 1);
		for (uint32_t l = 0; l < g->block_count && l < kv->arr_len; l++)
			g->swa_layers[l] = kv->arr[l] != 0;
	} else {
		g->swa_pattern = kv_u32(kv, 0);
	}
	g->kv_lora_rank = kv_u32(arch_kv(g, "attention.kv_lora_rank"), 0);
	g->n_expert = kv_u32(arch_kv(g, "expert_count"), 0);
	g->n_expert_used = kv_u32(arch_kv(g, "expert_used_count"), 0);
	g->n_vocab = kv_u32(arch_kv(g, "vocab_size"), 0);
	if (!g->n_vocab && (kv = gguf_kv(g, "tokenizer.ggml.tokens")) && kv->type == GGUF_T_ARRAY)
		g->n_vocab = kv->arr_len;
	g->has_chat_template = kv_str(g, "tokenizer.chat_template") != NULL;
	g->split_no = (int)kv_u32(gguf_kv(g, "split.no"), 0);
	g->split_count = (int)kv_u32(gguf_kv(g, "split.count"), 0);
	if (g->split_count > 99999 || (g->split_count && g->split_no >= g->split_count))
		return bad(r, "bad split numbers");
	return LM_OK;
}

/* ---- the whole header ---------------------------------------------------- */

static int rd_header(struct rd *r, struct lm_gguf *g)
{
	uint8_t magic[4];
	uint64_t nt, nkv, nel;
	const struct lm_gguf_kv *al;
	int rc;

	memset(g, 0, sizeof(*g));
	g->file_type = -1;
	g->file_size = r->size;
	if (r->size < 24 || (rc = rd_bytes(r, magic, 4)))
		return lm_err_set(r->err, LM_EINTEGRITY, "'%s' is not a gguf file (too short)", r->name);
	if (memcmp(magic, "GGUF", 4))
		return lm_err_set(r->err, LM_EINTEGRITY, "'%s' is not a gguf file (bad magic)", r->name);
	if ((rc = rd_u32(r, &g->version)))
		return rc;
	if (g->version && !(g->version & 0xFFFF))
		return lm_err_set(r->err, LM_EINTEGRITY, "'%s' is a big-endian gguf file, not supported",
				  r->name);
	if (g->version < 2 || g->version > 3)
		return lm_err_set(r->err, LM_EINTEGRITY, "'%s' has unsupported gguf version %u",
				  r->name, g->version);
	if ((rc = rd_u64(r, &nt)) || (rc = rd_u64(r, &nkv)))
		return rc;
	if (nt > GGUF_MAX_TENSORS || nt > (r->size - r->pos) / 32)
		return bad(r, "absurd tensor count");
	if (nkv > GGUF_MAX_KV || nkv > (r->size - r->pos) / 13)
		return bad(r, "absurd metadata count");
	g->n_tensors = nt;
	g->n_kv = nkv;
	g->kvs = lm_xcalloc(nkv ? nkv : 1, sizeof(*g->kvs));
	for (uint64_t i = 0; i < nkv; i++) {
		g->nkvs = i + 1;
		if ((rc = rd_kv(r, &g->kvs[i])))
			return rc;
		for (uint64_t j = 0; j < i; j++)
			if (!strcmp(g->kvs[j].key, g->kvs[i].key))
				return bad(r, "duplicate metadata key");
	}
	g->alignment = 32;
	if ((al = gguf_kv(g, "general.alignment"))) {
		g->alignment = kv_u32(al, 0);
		if (!g->alignment || (g->alignment & (g->alignment - 1)) || g->alignment > (1u << 20))
			return bad(r, "bad general.alignment");
	}
	g->tensors = lm_xcalloc(nt ? nt : 1, sizeof(*g->tensors));
	for (uint64_t i = 0; i < nt; i++) {
		struct lm_gguf_tensor *ti = &g->tensors[i];
		g->ntensors = i + 1;
		if ((rc = rd_tensor(r, ti, g->alignment)))
			return rc;
		nel = (uint64_t)ti->ne[0] * (uint64_t)ti->ne[1] * (uint64_t)ti->ne[2] *
		      (uint64_t)ti->ne[3]; /* bounded by rd_tensor */
		if (g->params + nel < g->params || g->weight_bytes + ti->nbytes < g->weight_bytes ||
		    ti->offset > UINT64_MAX / 2 - ti->nbytes)
			return bad(r, "tensors too large");
		g->params += nel;
		g->weight_bytes += ti->nbytes;
		if (ti->offset + ti->nbytes > g->data_end)
			g->data_end = ti->offset + ti->nbytes;
	}
	g->data_offset = (r->pos + g->alignment - 1) / g->alignment * g->alignment;
	if (g->data_end > UINT64_MAX / 2 - g->data_offset)
		return bad(r, "tensor data offset too large");
	g->data_end += g->data_offset;
	return interpret(r, g);
}

static int read_with(struct rd *r, struct lm_gguf *g)
{
	int rc = rd_header(r, g);

	if (rc)
		gguf_release(g);
	return rc;
}

int gguf_read_mem(const void *buf, size_t len, struct lm_gguf *g, struct lm_err *err)
{
	struct rd r = { .fd = -1, .mem = buf, .size = len, .name = "(memory)", .err = err };

	return read_with(&r, g);
}

int gguf_read_fd(int fd, const char *name, struct lm_gguf *g, struct lm_err *err)
{
	struct stat st;
	struct rd r = { .fd = fd, .name = name, .err = err };
	int rc;

	memset(g, 0, sizeof(*g));
	if (fstat(fd, &st) < 0)
		return lm_err_set(err, LM_EFAIL, "cannot stat '%s': %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return lm_err_set(err, LM_EFAIL, "'%s' is not a regular file", name);
	r.size = (uint64_t)st.st_size;
	r.buf = lm_xmalloc(RD_BUF);
	rc = read_with(&r, g);
	free(r.buf);
	return rc;
}

int gguf_read(const char *path, struct lm_gguf *g, struct lm_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		memset(g, 0, sizeof(*g));
		return lm_err_set(err, errno == ENOENT ? LM_ENOTFOUND : LM_EFAIL, "cannot open '%s': %s",
				  path, strerror(errno));
	}
	rc = gguf_read_fd(fd, path, g, err);
	close(fd);
	return rc;
}

/* Add the tensors of a later split part to g. */
static void add_part(struct lm_gguf *g, struct lm_gguf *p)
{
	g->params += p->params;
	g->weight_bytes += p->weight_bytes;
	g->n_tensors += p->n_tensors;
	g->tensors = lm_xrealloc(g->tensors, (g->ntensors + p->ntensors + 1) * sizeof(*g->tensors));
	memcpy(g->tensors + g->ntensors, p->tensors, p->ntensors * sizeof(*p->tensors));
	g->ntensors += p->ntensors;
	p->ntensors = 0; /* names now owned by g */
}

int gguf_read_model(const char *first_path, struct lm_gguf *g, struct lm_err *err)
{
	char prefix[4096], part[4096 + 32];
	int index, count, rc;

	if ((rc = gguf_read(first_path, g, err)))
		return rc;
	if (g->split_count <= 1)
		return LM_OK;
	if (g->split_no != 0) {
		rc = lm_err_set(err, LM_EUSAGE, "'%s' is part %d of %d, not the first", first_path,
				g->split_no + 1, g->split_count);
		goto out;
	}
	if (gguf_split_parse(first_path, &index, &count, prefix, sizeof(prefix)) || count != g->split_count) {
		rc = lm_err_set(err, LM_EINTEGRITY, "'%s' is split in %d parts but not named so",
				first_path, g->split_count);
		goto out;
	}
	for (int i = 2; i <= count; i++) {
		struct lm_gguf p;

		gguf_split_path(part, sizeof(part), prefix, i, count);
		if ((rc = gguf_read(part, &p, err)))
			goto out;
		if (p.split_no != i - 1 || p.split_count != count) {
			gguf_release(&p);
			rc = lm_err_set(err, LM_EINTEGRITY, "'%s' is not part %d of %d", part, i, count);
			goto out;
		}
		add_part(g, &p);
		gguf_release(&p);
	}
out:
	if (rc)
		gguf_release(g);
	return rc;
}

void gguf_release(struct lm_gguf *g)
{
	for (size_t i = 0; i < g->nkvs; i++) {
		free(g->kvs[i].key);
		free(g->kvs[i].text);
		free(g->kvs[i].arr);
	}
	free(g->kvs);
	for (size_t i = 0; i < g->ntensors; i++)
		free(g->tensors[i].name);
	free(g->tensors);
	free(g->arch);
	free(g->name);
	free(g->head_kv);
	free(g->swa_layers);
	memset(g, 0, sizeof(*g));
	g->file_type = -1;
}

/* ---- file names ------------------------------------------------------------ */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int gguf_split_parse(const char *path, int *index, int *count, char *prefix, size_t size)
{
	size_t n = strlen(path);
	const char *s;

	if (n >= 5 && lm_ends_with_ci(path, ".gguf"))
		n -= 5;
	/* "-NNNNN-of-NNNNN" is 15 characters, and a prefix must remain */
	if (n < 16 || base_name(path) > path + n - 16)
		return -1;
	s = path + n - 15;
	if (s[0] != '-' || s[6] != '-' || tolower((unsigned char)s[7]) != 'o' ||
	    tolower((unsigned char)s[8]) != 'f' || s[9] != '-')
		return -1;
	for (int i = 0; i < 5; i++)
		if (!isdigit((unsigned char)s[1 + i]) || !isdigit((unsigned char)s[10 + i]))
			return -1;
	*index = atoi(s + 1);
	*count = atoi(s + 10);
	if (*index < 1 || *count < 1 || *index > *count)
		return -1;
	if (prefix) {
		if ((size_t)(s - path) >= size)
			return -1;
		memcpy(prefix, path, (size_t)(s - path));
		prefix[s - path] = '\0';
	}
	return 0;
}

int gguf_split_path(char *buf, size_t size, const char *prefix, int index, int count)
{
	int n = snprintf(buf, size, "%s-%05d-of-%05d.gguf", prefix, index, count);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Does tok (length n) look like a quant label? Q4_K_M, IQ2_XXS, Q8_0, F16,
 * BF16, MXFP4(_MOE), TQ1_0, Q4_0_4_4, Q4_K_XL... */
static int is_quant(const char *tok, size_t n)
{
	static const char *const words[] = { "F16", "F32", "BF16", "MXFP4", "MXFP4_MOE", "FP16",
					     "FP32", "TQ1_0", "TQ2_0" };
	size_t i = 0;

	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		if (strlen(words[w]) == n && !strncasecmp(tok, words[w], n))
			return 1;
	if (i < n && toupper((unsigned char)tok[i]) == 'I')
		i++;
	if (i >= n || toupper((unsigned char)tok[i]) != 'Q')
		return 0;
	i++;
	if (i >= n || !isdigit((unsigned char)tok[i]))
		return 0;
	while (i < n && isdigit((unsigned char)tok[i]))
		i++;
	while (i < n) {
		if (tok[i] != '_' || i + 1 >= n || !isalnum((unsigned char)tok[i + 1]))
			return 0;
		for (i++; i < n && isalnum((unsigned char)tok[i]); i++)
			;
	}
	return 1;
}

/* Search one name (no directory, no extension) for the last quant token. */
static int quant_in(const char *s, size_t len, char *out, size_t size)
{
	size_t end = len;

	while (end > 0) {
		size_t start = end;
		while (start > 0 && s[start - 1] != '-' && s[start - 1] != '.')
			start--;
		if (is_quant(s + start, end - start)) {
			size_t ud = start >= 3 && !strncasecmp(s + start - 3, "UD-", 3) &&
					    (start == 3 || s[start - 4] == '-' || s[start - 4] == '.')
					    ? 3 : 0;
			size_t n = end - start + ud;
			if (n >= size)
				return -1;
			for (size_t i = 0; i < n; i++)
				out[i] = (char)toupper((unsigned char)s[start - ud + i]);
			out[n] = '\0';
			return 0;
		}
		end = start ? start - 1 : 0;
	}
	return -1;
}

int gguf_quant_from_name(const char *filename, char *out, size_t size)
{
	char prefix[4096];
	const char *name;
	size_t len;
	int idx, cnt;

	if (gguf_split_parse(filename, &idx, &cnt, prefix, sizeof(prefix)) &&
	    lm_strlcpy(prefix, filename, sizeof(prefix)) >= sizeof(prefix))
		return -1;
	len = strlen(prefix);
	if (len >= 5 && lm_ends_with_ci(prefix, ".gguf"))
		prefix[len -= 5] = '\0';
	name = base_name(prefix);
	if (!quant_in(name, strlen(name), out, size))
		return 0;
	/* unsloth keeps big splits in a directory named for the quant */
	if (name > prefix + 1) {
		const char *dend = name - 1, *dstart = dend;
		while (dstart > prefix && dstart[-1] != '/')
			dstart--;
		if (!quant_in(dstart, (size_t)(dend - dstart), out, size))
			return 0;
	}
	return -1;
}
