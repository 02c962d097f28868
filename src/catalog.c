/*
 * catalog: the built-in catalog of well-known GGUF models (static data).
 *
 * Every entry says where its figures come from:
 *   - shape (block_count, embedding_length, head counts, head dim, trained
 *     context, sliding window) from the original model's config.json, as the
 *     GGUF converter copies it into the file's metadata;
 *   - parameters from the model card (total and, for MoE, active);
 *   - file sizes, in order of preference:
 *       "exact"    the file's byte size as published for that file name;
 *       "card"     the quantizer's model-card table or the Hub file listing,
 *                  given in GB with two or three significant decimals, so
 *                  the figure is exact to about +-5 MB;
 *       "estimated" derived from a sibling quant of the same model or from
 *                  bits per weight; the comment says how.
 * Sizes of split files are the sum of all parts; path names the first part.
 */
#include "localmodel/catalog.h"

#include <strings.h>

#define GB(x) ((uint64_t)((x) * 1e9 + 0.5))
#define FILES(a) .files = (a), .nfiles = sizeof(a) / sizeof((a)[0])
#define CHAT LM_TASK_CHAT
#define CODE LM_TASK_CODE
#define REASON LM_TASK_REASONING

/* ---- Qwen3 4B ----------------------------------------------------------- */
/* sizes: card of bartowski/Qwen_Qwen3-4B-GGUF (Q8_0 4.28, Q6_K 3.31,
 * Q5_K_M 2.89, Q4_K_S 2.38 GB); Q4_K_M exact 2497281632 (listed as 2.50 GB
 * on the card);
 * shape: Qwen/Qwen3-4B config.json (36 layers, hidden 2560, 32 heads,
 * 8 kv heads, head_dim 128, 40960), the same figures the GGUF metadata of
 * the Qwen3-4B conversions shows (qwen3.block_count 36, ...);
 * params: model card, 4.0B. */
static const struct lm_catalog_file f_qwen3_4b[] = {
	{ "Q4_K_S", "Qwen_Qwen3-4B-Q4_K_S.gguf", GB(2.38), 1 },
	{ "Q4_K_M", "Qwen_Qwen3-4B-Q4_K_M.gguf", 2497281632ULL, 1 },
	{ "Q5_K_M", "Qwen_Qwen3-4B-Q5_K_M.gguf", GB(2.89), 1 },
	{ "Q6_K", "Qwen_Qwen3-4B-Q6_K.gguf", GB(3.31), 1 },
	{ "Q8_0", "Qwen_Qwen3-4B-Q8_0.gguf", GB(4.28), 1 },
};

/* ---- Qwen3 8B ----------------------------------------------------------- */
/* sizes: card of bartowski/Qwen_Qwen3-8B-GGUF (Q8_0 8.71, Q6_K 6.73 GB);
 * Q4_K_M exact 5027784096 (5.03 GB on the card and on the Hub);
 * shape: Qwen/Qwen3-8B config.json (36 layers, hidden 4096, 32 heads,
 * 8 kv heads, head_dim 128, 40960);
 * params: model card, 8.2B. */
static const struct lm_catalog_file f_qwen3_8b[] = {
	{ "Q4_K_M", "Qwen_Qwen3-8B-Q4_K_M.gguf", 5027784096ULL, 1 },
	{ "Q6_K", "Qwen_Qwen3-8B-Q6_K.gguf", GB(6.73), 1 },
	{ "Q8_0", "Qwen_Qwen3-8B-Q8_0.gguf", GB(8.71), 1 },
};

/* ---- Qwen3 14B ---------------------------------------------------------- */
/* sizes: card of bartowski/Qwen_Qwen3-14B-GGUF (Q4_K_M 9.00, Q5_K_M 10.51,
 * Q6_K 12.12, Q8_0 15.70 GB);
 * shape: Qwen/Qwen3-14B config.json (40 layers, hidden 5120, 40 heads,
 * 8 kv heads, head_dim 128, 40960);
 * params: model card, 14.8B. */
static const struct lm_catalog_file f_qwen3_14b[] = {
	{ "Q4_K_M", "Qwen_Qwen3-14B-Q4_K_M.gguf", GB(9.00), 1 },
	{ "Q5_K_M", "Qwen_Qwen3-14B-Q5_K_M.gguf", GB(10.51), 1 },
	{ "Q6_K", "Qwen_Qwen3-14B-Q6_K.gguf", GB(12.12), 1 },
	{ "Q8_0", "Qwen_Qwen3-14B-Q8_0.gguf", GB(15.70), 1 },
};

/* ---- Qwen3 30B-A3B (MoE) ------------------------------------------------ */
/* sizes: card of bartowski/Qwen_Qwen3-30B-A3B-GGUF (Q5_K_M 21.74, Q6_K 25.10,
 * Q8_0 32.48 GB); Q4_K_M estimated as Q5_K_M x 0.857 (the Q4_K_M/Q5_K_M
 * ratio of Qwen3-14B on the same card: 9.00/10.51);
 * shape: Qwen/Qwen3-30B-A3B config.json (48 layers, hidden 2048, 32 heads,
 * 4 kv heads, head_dim 128, 40960, 128 experts, 8 active);
 * params: model card, 30.5B total, 3.3B activated. */
static const struct lm_catalog_file f_qwen3_30b_a3b[] = {
	{ "Q4_K_M", "Qwen_Qwen3-30B-A3B-Q4_K_M.gguf", GB(18.62), 1 },
	{ "Q5_K_M", "Qwen_Qwen3-30B-A3B-Q5_K_M.gguf", GB(21.74), 1 },
	{ "Q6_K", "Qwen_Qwen3-30B-A3B-Q6_K.gguf", GB(25.10), 1 },
	{ "Q8_0", "Qwen_Qwen3-30B-A3B-Q8_0.gguf", GB(32.48), 1 },
};

/* ---- Llama 3.2 1B Instruct ---------------------------------------------- */
/* sizes: card of bartowski/Llama-3.2-1B-Instruct-GGUF (Q4_K_S 0.78,
 * Q5_K_M 0.91, Q6_K 1.02, Q8_0 1.32 GB); Q4_K_M exact 807694464 (0.81 GB
 * on the card);
 * shape: meta-llama/Llama-3.2-1B-Instruct config.json (16 layers, hidden
 * 2048, 32 heads, 8 kv heads, head_dim 64, max_position_embeddings 131072);
 * params: model card, 1.23B. */
static const struct lm_catalog_file f_llama32_1b[] = {
	{ "Q4_K_S", "Llama-3.2-1B-Instruct-Q4_K_S.gguf", GB(0.78), 1 },
	{ "Q4_K_M", "Llama-3.2-1B-Instruct-Q4_K_M.gguf", 807694464ULL, 1 },
	{ "Q5_K_M", "Llama-3.2-1B-Instruct-Q5_K_M.gguf", GB(0.91), 1 },
	{ "Q6_K", "Llama-3.2-1B-Instruct-Q6_K.gguf", GB(1.02), 1 },
	{ "Q8_0", "Llama-3.2-1B-Instruct-Q8_0.gguf", GB(1.32), 1 },
};

/* ---- Llama 3.2 3B Instruct ---------------------------------------------- */
/* sizes: Hub listing of bartowski/Llama-3.2-3B-Instruct-GGUF (Q3_K_L 1.82,
 * IQ4_XS 1.83, Q5_K_M 2.32, Q6_K 2.64, Q8_0 3.42 GB); Q4_K_M exact
 * 2019377696 (2.02 GB on the Hub);
 * shape: meta-llama/Llama-3.2-3B-Instruct config.json (28 layers, hidden
 * 3072, 24 heads, 8 kv heads, head_dim 128, 131072);
 * params: model card, 3.21B. */
static const struct lm_catalog_file f_llama32_3b[] = {
	{ "Q3_K_L", "Llama-3.2-3B-Instruct-Q3_K_L.gguf", GB(1.82), 1 },
	{ "IQ4_XS", "Llama-3.2-3B-Instruct-IQ4_XS.gguf", GB(1.83), 1 },
	{ "Q4_K_M", "Llama-3.2-3B-Instruct-Q4_K_M.gguf", 2019377696ULL, 1 },
	{ "Q5_K_M", "Llama-3.2-3B-Instruct-Q5_K_M.gguf", GB(2.32), 1 },
	{ "Q6_K", "Llama-3.2-3B-Instruct-Q6_K.gguf", GB(2.64), 1 },
	{ "Q8_0", "Llama-3.2-3B-Instruct-Q8_0.gguf", GB(3.42), 1 },
};

/* ---- Llama 3.1 8B Instruct ---------------------------------------------- */
/* sizes: Q4_K_M exact 4920734656; Q5_K_M 5.73, Q6_K 6.60, Q8_0 8.54 GB are
 * the Hub sizes of Llama 3 8B quants of the same type (identical tensor
 * shapes, so identical sizes up to metadata: card-grade, not this repo's
 * own listing);
 * shape: meta-llama/Llama-3.1-8B-Instruct config.json (32 layers, hidden
 * 4096, 32 heads, 8 kv heads, head_dim 128, 131072);
 * params: model card, 8.03B. */
static const struct lm_catalog_file f_llama31_8b[] = {
	{ "Q4_K_M", "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", 4920734656ULL, 1 },
	{ "Q5_K_M", "Meta-Llama-3.1-8B-Instruct-Q5_K_M.gguf", GB(5.73), 1 },
	{ "Q6_K", "Meta-Llama-3.1-8B-Instruct-Q6_K.gguf", GB(6.60), 1 },
	{ "Q8_0", "Meta-Llama-3.1-8B-Instruct-Q8_0.gguf", GB(8.54), 1 },
};

/* ---- gpt-oss-20b (MoE) -------------------------------------------------- */
/* sizes: MXFP4 exact 12109565632 (lmstudio-community/gpt-oss-20b-GGUF;
 * the weights ship in MXFP4, so this is the native 4-bit file);
 * shape: openai/gpt-oss-20b config.json (24 layers, hidden 2880, 64 heads,
 * 8 kv heads, head_dim 64, max_position_embeddings 131072, sliding_window
 * 128 on every other layer: layer_types alternate sliding/full);
 * params: model card, 21B total (20.9B), 3.6B active. */
static const struct lm_catalog_file f_gpt_oss_20b[] = {
	{ "MXFP4", "gpt-oss-20b-MXFP4.gguf", 12109565632ULL, 1 },
};

/* ---- Gemma 3 1B (QAT) --------------------------------------------------- */
/* sizes: Q4_0 (quantization-aware trained) exact 720425472
 * (lmstudio-community/gemma-3-1B-it-QAT-GGUF);
 * shape: google/gemma-3-1b-it config.json (26 layers, hidden 1152,
 * 4 heads, 1 kv head, head_dim 256, max_position_embeddings 32768,
 * sliding_window 512, sliding_window_pattern 6: five local layers then one
 * global);
 * params: model card, 1B (999.9M). */
static const struct lm_catalog_file f_gemma3_1b[] = {
	{ "Q4_0", "gemma-3-1B-it-QAT-Q4_0.gguf", 720425472ULL, 1 },
};

/* ---- Phi-4 (14B) -------------------------------------------------------- */
/* sizes: Q4_K_S exact 8440762560 (microsoft/phi-4-gguf);
 * shape: microsoft/phi-4 config.json (40 layers, hidden 5120, 40 heads,
 * 10 kv heads, head dim 128, max_position_embeddings 16384); GGUF
 * architecture "phi3";
 * params: model card, 14B (14.7B). */
static const struct lm_catalog_file f_phi4[] = {
	{ "Q4_K_S", "phi-4-Q4_K_S.gguf", 8440762560ULL, 1 },
};

/* The catalog, smallest first. */
const struct lm_catalog_model lm_catalog[] = {
	{
		.repo = "lmstudio-community/gemma-3-1B-it-QAT-GGUF",
		.name = "Gemma 3 1B IT (QAT)",
		.arch = "gemma3",
		.params = 1000000000ULL,
		.active_params = 1000000000ULL,
		.ctx_train = 32768,
		.n_layers = 26, .n_embd = 1152, .n_head = 4, .n_head_kv = 1,
		.key_length = 256, .value_length = 256,
		.sliding_window = 512, .swa_every = 6,
		.tasks = CHAT,
		FILES(f_gemma3_1b),
	},
	{
		.repo = "bartowski/Llama-3.2-1B-Instruct-GGUF",
		.name = "Llama 3.2 1B Instruct",
		.arch = "llama",
		.params = 1230000000ULL,
		.active_params = 1230000000ULL,
		.ctx_train = 131072,
		.n_layers = 16, .n_embd = 2048, .n_head = 32, .n_head_kv = 8,
		.key_length = 64, .value_length = 64,
		.tasks = CHAT,
		FILES(f_llama32_1b),
	},
	{
		.repo = "bartowski/Llama-3.2-3B-Instruct-GGUF",
		.name = "Llama 3.2 3B Instruct",
		.arch = "llama",
		.params = 3210000000ULL,
		.active_params = 3210000000ULL,
		.ctx_train = 131072,
		.n_layers = 28, .n_embd = 3072, .n_head = 24, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT,
		FILES(f_llama32_3b),
	},
	{
		.repo = "bartowski/Qwen_Qwen3-4B-GGUF",
		.name = "Qwen3 4B",
		.arch = "qwen3",
		.params = 4020000000ULL,
		.active_params = 4020000000ULL,
		.ctx_train = 40960,
		.n_layers = 36, .n_embd = 2560, .n_head = 32, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_qwen3_4b),
	},
	{
		.repo = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
		.name = "Llama 3.1 8B Instruct",
		.arch = "llama",
		.params = 8030000000ULL,
		.active_params = 8030000000ULL,
		.ctx_train = 131072,
		.n_layers = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT,
		FILES(f_llama31_8b),
	},
	{
		.repo = "bartowski/Qwen_Qwen3-8B-GGUF",
		.name = "Qwen3 8B",
		.arch = "qwen3",
		.params = 8190000000ULL,
		.active_params = 8190000000ULL,
		.ctx_train = 40960,
		.n_layers = 36, .n_embd = 4096, .n_head = 32, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_qwen3_8b),
	},
	{
		.repo = "bartowski/Qwen_Qwen3-14B-GGUF",
		.name = "Qwen3 14B",
		.arch = "qwen3",
		.params = 14800000000ULL,
		.active_params = 14800000000ULL,
		.ctx_train = 40960,
		.n_layers = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_qwen3_14b),
	},
	{
		.repo = "microsoft/phi-4-gguf",
		.name = "Phi-4 14B",
		.arch = "phi3",
		.params = 14700000000ULL,
		.active_params = 14700000000ULL,
		.ctx_train = 16384,
		.n_layers = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 10,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_phi4),
	},
	{
		.repo = "lmstudio-community/gpt-oss-20b-GGUF",
		.name = "gpt-oss 20B",
		.arch = "gpt-oss",
		.params = 20910000000ULL,
		.active_params = 3610000000ULL,
		.ctx_train = 131072,
		.n_layers = 24, .n_embd = 2880, .n_head = 64, .n_head_kv = 8,
		.key_length = 64, .value_length = 64,
		.sliding_window = 128, .swa_every = 2,
		.tasks = CHAT | CODE | REASON,
		FILES(f_gpt_oss_20b),
	},
	{
		.repo = "bartowski/Qwen_Qwen3-30B-A3B-GGUF",
		.name = "Qwen3 30B-A3B",
		.arch = "qwen3moe",
		.params = 30500000000ULL,
		.active_params = 3300000000ULL,
		.ctx_train = 40960,
		.n_layers = 48, .n_embd = 2048, .n_head = 32, .n_head_kv = 4,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_qwen3_30b_a3b),
	},
};

const size_t lm_catalog_len = sizeof(lm_catalog) / sizeof(lm_catalog[0]);

/* The entry for repo (case-insensitive), or NULL. */
const struct lm_catalog_model *catalog_find(const char *repo)
{
	if (!repo)
		return NULL;
	for (size_t i = 0; i < lm_catalog_len; i++)
		if (!strcasecmp(lm_catalog[i].repo, repo))
			return &lm_catalog[i];
	return NULL;
}

/* The file of m with that quant (case-insensitive), or NULL. */
const struct lm_catalog_file *catalog_file(const struct lm_catalog_model *m, const char *quant)
{
	if (!m || !quant)
		return NULL;
	for (size_t i = 0; i < m->nfiles; i++)
		if (!strcasecmp(m->files[i].quant, quant))
			return &m->files[i];
	return NULL;
}
