/*
 * catalog: the built-in catalog of well-known GGUF models (static data).
 *
 * Every entry says where its figures come from:
 *   - shape (block_count, embedding_length, head counts, head dim, trained
 *     context, sliding window) from the original model's config.json, as the
 *     GGUF converter copies it into the file's metadata;
 *   - params: the weights the GGUF file holds (the text model; the output
 *     head counted when the checkpoint stores it apart from the embedding),
 *     computed from config.json and matching the model card's figure; for
 *     MoE models the card's total and active counts;
 *   - file sizes, in order of preference:
 *       "exact"     the file's byte size as published for that file name;
 *       "card"      the quantizer's model-card table or the Hub listing, in
 *                   GB with two decimals, so exact to about +-5 MB;
 *       "estimated" computed, as the comment says. The rule used throughout,
 *                   checked against every card figure above to within 0.5%:
 *                     Q8_0   = params x 8.5 bits + 7 MB (tokenizer, metadata)
 *                     Q6_K   = params x 6.5625 bits + 7 MB
 *                     Q4_K_M = params x (4.79 + 1.77 x s) bits + 7 MB, where
 *                              s is the share of params in the tensor llama.cpp
 *                              keeps at Q6_K (the output head, or the tied
 *                              embedding);
 *                   MXFP4 (gpt-oss): experts at 4.25 bits, the rest Q8_0.
 * Sizes of split files are the sum of all parts; path names the first part.
 *
 * The KV shapes of the Gemma 3, Qwen3 and gpt-oss entries agree exactly with
 * the f16 KV bytes per token a public app catalog lists for them (e.g.
 * Gemma 3 27B: 10 global layers x 16 kv heads x (128 + 128) x 2 = 81920,
 * the sliding layers holding only their 1024-token window).
 */
#include "localmodel/catalog.h"

#include <strings.h>

#define GB(x) ((uint64_t)((x) * 1e9 + 0.5))
#define FILES(a) .files = (a), .nfiles = sizeof(a) / sizeof((a)[0])
#define CHAT LM_TASK_CHAT
#define CODE LM_TASK_CODE
#define REASON LM_TASK_REASONING

/* ---- Qwen2.5 0.5B Instruct ---------------------------------------------- */
/* sizes: Q4_K_M exact 397808192 (bartowski/Qwen2.5-0.5B-Instruct-GGUF); Q8_0
 * estimated (rule above; Q8_0 blocks of 32 fit the 896-wide rows, unlike the
 * K-quants, which is why Q4_K_M is far above the rule for this model);
 * shape: Qwen/Qwen2.5-0.5B-Instruct config.json (24 layers, hidden 896,
 * 14 heads, 2 kv heads, head dim 64, max_position_embeddings 32768, no
 * sliding window in use); params 0.494B (model card: 0.49B), tied. */
static const struct lm_catalog_file f_qwen25_05b[] = {
	{ "Q4_K_M", "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", 397808192ULL, 1 },
	{ "Q8_0", "Qwen2.5-0.5B-Instruct-Q8_0.gguf", GB(0.532), 1 },
};

/* ---- Qwen3 0.6B --------------------------------------------------------- */
/* sizes: Q4_K_M exact 396705472 (unsloth/Qwen3-0.6B-GGUF, as a public model
 * registry pins it with its sha256); Q6_K and Q8_0 estimated (rule above;
 * the Q8_0 rule gives 0.640 GB, and Qwen/Qwen3-0.6B-GGUF's own Q8_0 is
 * 639446688 bytes);
 * shape: Qwen/Qwen3-0.6B config.json (28 layers, hidden 1024, 16 heads,
 * 8 kv heads, head_dim 128, max_position_embeddings 40960);
 * params: model card, 0.6B (0.596B computed, embedding tied to the output:
 * these files hold no separate head). */
static const struct lm_catalog_file f_qwen3_06b[] = {
	{ "Q4_K_M", "Qwen3-0.6B-Q4_K_M.gguf", 396705472ULL, 1 },
	{ "Q6_K", "Qwen3-0.6B-Q6_K.gguf", GB(0.496), 1 },
	{ "Q8_0", "Qwen3-0.6B-Q8_0.gguf", GB(0.640), 1 },
};

/* ---- Gemma 3 1B (QAT) --------------------------------------------------- */
/* sizes: Q4_0 (quantization-aware trained) exact 720425472
 * (lmstudio-community/gemma-3-1B-it-QAT-GGUF);
 * shape: google/gemma-3-1b-it config.json (26 layers, hidden 1152,
 * 4 heads, 1 kv head, head_dim 256, max_position_embeddings 32768,
 * sliding_window 512, sliding_window_pattern 6: five local layers, then one
 * global);
 * params: model card, 1B (1.000B computed, tied embedding). */
static const struct lm_catalog_file f_gemma3_1b[] = {
	{ "Q4_0", "gemma-3-1B-it-QAT-Q4_0.gguf", 720425472ULL, 1 },
};

/* ---- Llama 3.2 1B Instruct ---------------------------------------------- */
/* sizes: card of bartowski/Llama-3.2-1B-Instruct-GGUF (Q4_K_S 0.78,
 * Q5_K_M 0.91, Q6_K 1.02, Q8_0 1.32 GB); Q4_K_M exact 807694464 (0.81 GB
 * on the card);
 * shape: meta-llama/Llama-3.2-1B-Instruct config.json (16 layers, hidden
 * 2048, 32 heads, 8 kv heads, head_dim 64, max_position_embeddings 131072);
 * params: model card, 1.23B (1.236B computed, tied). */
static const struct lm_catalog_file f_llama32_1b[] = {
	{ "Q4_K_S", "Llama-3.2-1B-Instruct-Q4_K_S.gguf", GB(0.78), 1 },
	{ "Q4_K_M", "Llama-3.2-1B-Instruct-Q4_K_M.gguf", 807694464ULL, 1 },
	{ "Q5_K_M", "Llama-3.2-1B-Instruct-Q5_K_M.gguf", GB(0.91), 1 },
	{ "Q6_K", "Llama-3.2-1B-Instruct-Q6_K.gguf", GB(1.02), 1 },
	{ "Q8_0", "Llama-3.2-1B-Instruct-Q8_0.gguf", GB(1.32), 1 },
};

/* ---- Qwen3 1.7B --------------------------------------------------------- */
/* sizes: Q4_K_M exact 1107409472 (unsloth/Qwen3-1.7B-GGUF, pinned with its
 * sha256 in a public model registry); Q6_K and Q8_0 estimated (rule above,
 * with the embedding tied as in these files; bartowski's conversion keeps a
 * separate 0.31B head and is larger: Q8_0 2.17 GB on its card);
 * shape: Qwen/Qwen3-1.7B config.json (28 layers, hidden 2048, 16 heads,
 * 8 kv heads, head_dim 128, 40960);
 * params: model card, 1.7B (1.721B computed, tied). */
static const struct lm_catalog_file f_qwen3_17b[] = {
	{ "Q4_K_M", "Qwen3-1.7B-Q4_K_M.gguf", 1107409472ULL, 1 },
	{ "Q6_K", "Qwen3-1.7B-Q6_K.gguf", GB(1.419), 1 },
	{ "Q8_0", "Qwen3-1.7B-Q8_0.gguf", GB(1.836), 1 },
};

/* ---- Llama 3.2 3B Instruct ---------------------------------------------- */
/* sizes: Hub listing of bartowski/Llama-3.2-3B-Instruct-GGUF (Q3_K_L 1.82,
 * IQ4_XS 1.83, Q5_K_M 2.32, Q6_K 2.64, Q8_0 3.42 GB); Q4_K_M exact
 * 2019377696 (2.02 GB on the Hub);
 * shape: meta-llama/Llama-3.2-3B-Instruct config.json (28 layers, hidden
 * 3072, 24 heads, 8 kv heads, head_dim 128, 131072);
 * params: model card, 3.21B (tied). */
static const struct lm_catalog_file f_llama32_3b[] = {
	{ "Q3_K_L", "Llama-3.2-3B-Instruct-Q3_K_L.gguf", GB(1.82), 1 },
	{ "IQ4_XS", "Llama-3.2-3B-Instruct-IQ4_XS.gguf", GB(1.83), 1 },
	{ "Q4_K_M", "Llama-3.2-3B-Instruct-Q4_K_M.gguf", 2019377696ULL, 1 },
	{ "Q5_K_M", "Llama-3.2-3B-Instruct-Q5_K_M.gguf", GB(2.32), 1 },
	{ "Q6_K", "Llama-3.2-3B-Instruct-Q6_K.gguf", GB(2.64), 1 },
	{ "Q8_0", "Llama-3.2-3B-Instruct-Q8_0.gguf", GB(3.42), 1 },
};

/* ---- Phi-4-mini-instruct (3.8B) ----------------------------------------- */
/* sizes: Q4_K_M exact 2491874400 (lmstudio-community/Phi-4-mini-instruct-
 * GGUF, pinned with its sha256 in a public model registry; bartowski's file
 * is listed at 2.49 GB too); Q6_K and Q8_0 estimated (rule above);
 * shape: microsoft/Phi-4-mini-instruct config.json (32 layers, hidden 3072,
 * 24 heads, 8 kv heads, head dim 128, max_position_embeddings 131072; its
 * sliding_window 262144 exceeds the context, so none); GGUF arch "phi3";
 * params: model card, 3.8B (3.836B computed, tied). */
static const struct lm_catalog_file f_phi4_mini[] = {
	{ "Q4_K_M", "Phi-4-mini-instruct-Q4_K_M.gguf", 2491874400ULL, 1 },
	{ "Q6_K", "Phi-4-mini-instruct-Q6_K.gguf", GB(3.15), 1 },
	{ "Q8_0", "Phi-4-mini-instruct-Q8_0.gguf", GB(4.08), 1 },
};

/* ---- Gemma 3 4B IT ------------------------------------------------------ */
/* sizes: Q4_K_M exact 2489894016 (unsloth/gemma-3-4b-it-GGUF, pinned by
 * revision and sha256 in a public app's model list); Q5_K_M, Q6_K and Q8_0
 * estimated: 2.83, 3.19 and 4.13 GB, the card figures of bartowski's files
 * of these types (the rule above gives 3.19 and 4.13); the vision projector
 * is a separate mmproj file, not counted;
 * shape: google/gemma-3-4b-it config.json text_config (34 layers, hidden
 * 2560, 8 heads, 4 kv heads, head_dim 256, max_position_embeddings 131072,
 * sliding_window 1024, pattern 6);
 * params: 3.88B text weights (card: 4.3B with the vision tower). */
static const struct lm_catalog_file f_gemma3_4b[] = {
	{ "Q4_K_M", "gemma-3-4b-it-Q4_K_M.gguf", 2489894016ULL, 1 },
	{ "Q5_K_M", "gemma-3-4b-it-Q5_K_M.gguf", GB(2.83), 1 },
	{ "Q6_K", "gemma-3-4b-it-Q6_K.gguf", GB(3.19), 1 },
	{ "Q8_0", "gemma-3-4b-it-Q8_0.gguf", GB(4.13), 1 },
};

/* ---- Qwen3 4B ----------------------------------------------------------- */
/* sizes: card of bartowski/Qwen_Qwen3-4B-GGUF (Q4_K_S 2.38, Q4_K_M 2.50,
 * Q5_K_M 2.89, Q6_K 3.31, Q8_0 4.28 GB; Qwen3-4B Q4_K_M files of other
 * repos are published at 2497281632 and 2497281120 bytes);
 * shape: Qwen/Qwen3-4B config.json (36 layers, hidden 2560, 32 heads,
 * 8 kv heads, head_dim 128, 40960), as the GGUF metadata of Qwen3-4B
 * conversions shows (qwen3.block_count 36, head_count_kv 8, ...);
 * params: model card, 4.0B (4.022B computed, tied). */
static const struct lm_catalog_file f_qwen3_4b[] = {
	{ "Q4_K_S", "Qwen_Qwen3-4B-Q4_K_S.gguf", GB(2.38), 1 },
	{ "Q4_K_M", "Qwen_Qwen3-4B-Q4_K_M.gguf", GB(2.50), 1 },
	{ "Q5_K_M", "Qwen_Qwen3-4B-Q5_K_M.gguf", GB(2.89), 1 },
	{ "Q6_K", "Qwen_Qwen3-4B-Q6_K.gguf", GB(3.31), 1 },
	{ "Q8_0", "Qwen_Qwen3-4B-Q8_0.gguf", GB(4.28), 1 },
};

/* ---- Qwen2.5-Coder 7B Instruct ------------------------------------------ */
/* sizes: Q4_K_M 4.68 GB, as a public catalog lists this repo's file (4.36
 * GiB; Qwen's own q4_k_m is also listed at 4.68 GB; the rule above gives
 * 4.69); Q6_K and Q8_0 estimated (rule above);
 * shape: Qwen/Qwen2.5-Coder-7B-Instruct config.json (28 layers, hidden 3584,
 * 28 heads, 4 kv heads, head dim 128, max_position_embeddings 32768);
 * params: model card, 7.61B (7.616B computed). */
static const struct lm_catalog_file f_qwen25_coder_7b[] = {
	{ "Q4_K_M", "Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf", GB(4.68), 1 },
	{ "Q6_K", "Qwen2.5-Coder-7B-Instruct-Q6_K.gguf", GB(6.25), 1 },
	{ "Q8_0", "Qwen2.5-Coder-7B-Instruct-Q8_0.gguf", GB(8.10), 1 },
};

/* ---- DeepSeek-R1-Distill-Qwen-7B ---------------------------------------- */
/* sizes: estimated (rule above; the same shapes as Qwen2.5 7B; a public
 * catalog lists this Q4_K_M as 4.7 GB);
 * shape: deepseek-ai/DeepSeek-R1-Distill-Qwen-7B config.json (28 layers,
 * hidden 3584, 28 heads, 4 kv heads, head dim 128, max_position_embeddings
 * 131072; use_sliding_window false);
 * params: 7.6B (7.616B computed). */
static const struct lm_catalog_file f_r1_qwen_7b[] = {
	{ "Q4_K_M", "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf", GB(4.69), 1 },
	{ "Q6_K", "DeepSeek-R1-Distill-Qwen-7B-Q6_K.gguf", GB(6.25), 1 },
	{ "Q8_0", "DeepSeek-R1-Distill-Qwen-7B-Q8_0.gguf", GB(8.10), 1 },
};

/* ---- Llama 3.1 8B Instruct ---------------------------------------------- */
/* sizes: Q4_K_M exact 4920734656 (a public app catalog lists this file
 * name, with this repo among its sources); Q5_K_M 5.73, Q6_K 6.60, Q8_0
 * 8.54 GB are
 * the Hub sizes of Llama 3 8B quants of the same types (identical tensor
 * shapes, so identical sizes up to metadata; the rule above gives 6.59 and
 * 8.54);
 * shape: meta-llama/Llama-3.1-8B-Instruct config.json (32 layers, hidden
 * 4096, 32 heads, 8 kv heads, head_dim 128, 131072);
 * params: model card, 8.03B. */
static const struct lm_catalog_file f_llama31_8b[] = {
	{ "Q4_K_M", "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", 4920734656ULL, 1 },
	{ "Q5_K_M", "Meta-Llama-3.1-8B-Instruct-Q5_K_M.gguf", GB(5.73), 1 },
	{ "Q6_K", "Meta-Llama-3.1-8B-Instruct-Q6_K.gguf", GB(6.60), 1 },
	{ "Q8_0", "Meta-Llama-3.1-8B-Instruct-Q8_0.gguf", GB(8.54), 1 },
};

/* ---- DeepSeek-R1-Distill-Llama-8B --------------------------------------- */
/* sizes: estimated as the Llama 3.1 8B files above (same tensor shapes:
 * Q4_K_M 4920734656 there, Q6_K 6.60, Q8_0 8.54 GB);
 * shape: deepseek-ai/DeepSeek-R1-Distill-Llama-8B config.json (32 layers,
 * hidden 4096, 32 heads, 8 kv heads, head dim 128, 131072);
 * params: 8.03B. */
static const struct lm_catalog_file f_r1_llama_8b[] = {
	{ "Q4_K_M", "DeepSeek-R1-Distill-Llama-8B-Q4_K_M.gguf", GB(4.92), 1 },
	{ "Q6_K", "DeepSeek-R1-Distill-Llama-8B-Q6_K.gguf", GB(6.60), 1 },
	{ "Q8_0", "DeepSeek-R1-Distill-Llama-8B-Q8_0.gguf", GB(8.54), 1 },
};

/* ---- Qwen3 8B ----------------------------------------------------------- */
/* sizes: Q4_K_M exact 5027783488 (Qwen/Qwen3-8B-GGUF, pinned with its
 * sha256 in a public model registry); Q6_K and Q8_0 estimated (rule above:
 * 6.73 and 8.71 GB, the figures bartowski's card gives for its files of
 * these types);
 * shape: Qwen/Qwen3-8B config.json (36 layers, hidden 4096, 32 heads,
 * 8 kv heads, head_dim 128, 40960);
 * params: model card, 8.2B (8.191B computed). */
static const struct lm_catalog_file f_qwen3_8b[] = {
	{ "Q4_K_M", "Qwen3-8B-Q4_K_M.gguf", 5027783488ULL, 1 },
	{ "Q6_K", "Qwen3-8B-Q6_K.gguf", GB(6.73), 1 },
	{ "Q8_0", "Qwen3-8B-Q8_0.gguf", GB(8.71), 1 },
};

/* ---- Gemma 3 12B IT ----------------------------------------------------- */
/* sizes: Q4_K_M exact 7300778336 (unsloth/gemma-3-12b-it-GGUF, pinned by
 * revision and sha256 in a public app's model list); Q6_K and Q8_0
 * estimated (rule above);
 * shape: google/gemma-3-12b-it config.json text_config (48 layers, hidden
 * 3840, 16 heads, 8 kv heads, head_dim 256, 131072, sliding_window 1024,
 * pattern 6);
 * params: 11.77B text weights (card: 12B with the vision tower). */
static const struct lm_catalog_file f_gemma3_12b[] = {
	{ "Q4_K_M", "gemma-3-12b-it-Q4_K_M.gguf", 7300778336ULL, 1 },
	{ "Q6_K", "gemma-3-12b-it-Q6_K.gguf", GB(9.66), 1 },
	{ "Q8_0", "gemma-3-12b-it-Q8_0.gguf", GB(12.51), 1 },
};

/* ---- Phi-4 (14B) -------------------------------------------------------- */
/* sizes: Q4_K_S exact 8440762560 (microsoft/phi-4-gguf, Microsoft's own
 * release);
 * shape: microsoft/phi-4 config.json (40 layers, hidden 5120, 40 heads,
 * 10 kv heads, head dim 128, max_position_embeddings 16384); GGUF
 * architecture "phi3";
 * params: model card, 14B (14.66B computed). */
static const struct lm_catalog_file f_phi4[] = {
	{ "Q4_K_S", "phi-4-Q4_K_S.gguf", 8440762560ULL, 1 },
};

/* ---- Qwen3 14B ---------------------------------------------------------- */
/* sizes: card of bartowski/Qwen_Qwen3-14B-GGUF (Q4_K_M 9.00, Q5_K_M 10.51,
 * Q6_K 12.12, Q8_0 15.70 GB);
 * shape: Qwen/Qwen3-14B config.json (40 layers, hidden 5120, 40 heads,
 * 8 kv heads, head_dim 128, 40960);
 * params: model card, 14.8B (14.768B computed). */
static const struct lm_catalog_file f_qwen3_14b[] = {
	{ "Q4_K_M", "Qwen_Qwen3-14B-Q4_K_M.gguf", GB(9.00), 1 },
	{ "Q5_K_M", "Qwen_Qwen3-14B-Q5_K_M.gguf", GB(10.51), 1 },
	{ "Q6_K", "Qwen_Qwen3-14B-Q6_K.gguf", GB(12.12), 1 },
	{ "Q8_0", "Qwen_Qwen3-14B-Q8_0.gguf", GB(15.70), 1 },
};

/* ---- DeepSeek-R1-Distill-Qwen-14B --------------------------------------- */
/* sizes: estimated (rule above; nearly the shapes of Qwen3-14B, whose card
 * reads 9.00 / 12.12 / 15.70 GB);
 * shape: deepseek-ai/DeepSeek-R1-Distill-Qwen-14B config.json (48 layers,
 * hidden 5120, 40 heads, 8 kv heads, head dim 128, 131072);
 * params: 14.8B (14.770B computed). */
static const struct lm_catalog_file f_r1_qwen_14b[] = {
	{ "Q4_K_M", "DeepSeek-R1-Distill-Qwen-14B-Q4_K_M.gguf", GB(9.02), 1 },
	{ "Q6_K", "DeepSeek-R1-Distill-Qwen-14B-Q6_K.gguf", GB(12.12), 1 },
	{ "Q8_0", "DeepSeek-R1-Distill-Qwen-14B-Q8_0.gguf", GB(15.70), 1 },
};

/* ---- gpt-oss-20b (MoE) -------------------------------------------------- */
/* sizes: MXFP4 exact 12109565632 (lmstudio-community/gpt-oss-20b-GGUF; the
 * weights ship in MXFP4, so this is the native 4-bit file);
 * shape: openai/gpt-oss-20b config.json (24 layers, hidden 2880, 64 heads,
 * 8 kv heads, head_dim 64, max_position_embeddings 131072, sliding_window
 * 128 on every other layer: layer_types alternate sliding/full);
 * params: model card, 21B total (20.91B), 3.6B active (3.61B). */
static const struct lm_catalog_file f_gpt_oss_20b[] = {
	{ "MXFP4", "gpt-oss-20b-MXFP4.gguf", 12109565632ULL, 1 },
};

/* ---- Mistral Small 3.2 24B Instruct 2506 -------------------------------- */
/* sizes: Q4_K_M exact 14333922848 (unsloth/Mistral-Small-3.2-24B-Instruct-
 * 2506-GGUF); Q6_K and Q8_0 estimated (rule above);
 * shape: mistralai/Mistral-Small-3.2-24B-Instruct-2506 config.json
 * text_config (40 layers, hidden 5120, 32 heads, 8 kv heads, head_dim 128,
 * max_position_embeddings 131072, no sliding window); GGUF arch "llama";
 * params: 23.57B text weights (card: 24B with the vision encoder). */
static const struct lm_catalog_file f_mistral_small_32[] = {
	{ "Q4_K_M", "Mistral-Small-3.2-24B-Instruct-2506-Q4_K_M.gguf", 14333922848ULL, 1 },
	{ "Q6_K", "Mistral-Small-3.2-24B-Instruct-2506-Q6_K.gguf", GB(19.34), 1 },
	{ "Q8_0", "Mistral-Small-3.2-24B-Instruct-2506-Q8_0.gguf", GB(25.05), 1 },
};

/* ---- Devstral Small 2505 (24B) ------------------------------------------ */
/* sizes: Q4_K_M 14.33 GB as a public model table lists this repo's file
 * (the unsloth Mistral Small 3.2 file of the same shapes is 14333922848
 * bytes; the rule above gives 14.27, 0.4% low for this model); Q6_K and Q8_0
 * estimated (rule above);
 * shape: mistralai/Devstral-Small-2505 config.json (40 layers, hidden 5120,
 * 32 heads, 8 kv heads, head_dim 128, max_position_embeddings 131072);
 * GGUF arch "llama";
 * params: model card, 24B (23.57B computed). */
static const struct lm_catalog_file f_devstral_small[] = {
	{ "Q4_K_M", "mistralai_Devstral-Small-2505-Q4_K_M.gguf", GB(14.33), 1 },
	{ "Q6_K", "mistralai_Devstral-Small-2505-Q6_K.gguf", GB(19.34), 1 },
	{ "Q8_0", "mistralai_Devstral-Small-2505-Q8_0.gguf", GB(25.05), 1 },
};

/* ---- Gemma 3 27B IT ----------------------------------------------------- */
/* sizes: Q4_K_M exact 16546688736 (unsloth/gemma-3-27b-it-GGUF, pinned by
 * revision and sha256 in a public app's model list); Q6_K and Q8_0
 * estimated (rule above);
 * shape: google/gemma-3-27b-it config.json text_config (62 layers, hidden
 * 5376, 32 heads, 16 kv heads, head_dim 128, 131072, sliding_window 1024,
 * pattern 6);
 * params: 27.01B text weights (card: 27B). */
static const struct lm_catalog_file f_gemma3_27b[] = {
	{ "Q4_K_M", "gemma-3-27b-it-Q4_K_M.gguf", 16546688736ULL, 1 },
	{ "Q6_K", "gemma-3-27b-it-Q6_K.gguf", GB(22.16), 1 },
	{ "Q8_0", "gemma-3-27b-it-Q8_0.gguf", GB(28.70), 1 },
};

/* ---- Qwen3 30B-A3B (MoE) ------------------------------------------------ */
/* sizes: card of bartowski/Qwen_Qwen3-30B-A3B-GGUF (Q5_K_M 21.74, Q6_K 25.10,
 * Q8_0 32.48 GB); Q4_K_M estimated at 18.56 GB: the Q4_K_M files of
 * Qwen3-30B-A3B-Instruct-2507 and Qwen3-Coder-30B-A3B (same tensor shapes)
 * are 18556686752 and 18556689568 bytes;
 * shape: Qwen/Qwen3-30B-A3B config.json (48 layers, hidden 2048, 32 heads,
 * 4 kv heads, head_dim 128, 40960, 128 experts, 8 active);
 * params: model card, 30.5B total, 3.3B activated. */
static const struct lm_catalog_file f_qwen3_30b_a3b[] = {
	{ "Q4_K_M", "Qwen_Qwen3-30B-A3B-Q4_K_M.gguf", GB(18.56), 1 },
	{ "Q5_K_M", "Qwen_Qwen3-30B-A3B-Q5_K_M.gguf", GB(21.74), 1 },
	{ "Q6_K", "Qwen_Qwen3-30B-A3B-Q6_K.gguf", GB(25.10), 1 },
	{ "Q8_0", "Qwen_Qwen3-30B-A3B-Q8_0.gguf", GB(32.48), 1 },
};

/* ---- Qwen3-Coder 30B-A3B Instruct (MoE) --------------------------------- */
/* sizes: UD-Q4_K_XL exact 17665334432; Q4_K_M exact 18556689568 (pinned
 * with its sha256 in a public model registry, and the same in a public app
 * catalog); Q8_0 exact 32483935392 (that app catalog);
 * shape: Qwen/Qwen3-Coder-30B-A3B-Instruct config.json (48 layers, hidden
 * 2048, 32 heads, 4 kv heads, head_dim 128, max_position_embeddings 262144,
 * 128 experts, 8 active);
 * params: model card, 30.5B total, 3.3B activated. */
static const struct lm_catalog_file f_qwen3_coder_30b[] = {
	{ "UD-Q4_K_XL", "Qwen3-Coder-30B-A3B-Instruct-UD-Q4_K_XL.gguf", 17665334432ULL, 1 },
	{ "Q4_K_M", "Qwen3-Coder-30B-A3B-Instruct-Q4_K_M.gguf", 18556689568ULL, 1 },
	{ "Q8_0", "Qwen3-Coder-30B-A3B-Instruct-Q8_0.gguf", 32483935392ULL, 1 },
};

/* ---- Qwen3 32B ---------------------------------------------------------- */
/* sizes: Q8_0 34.82 GB from the card of bartowski/Qwen_Qwen3-32B-GGUF;
 * Q4_K_M estimated at 19.76 GB, the published size of a Qwen3-32B Q4_K_M of
 * another repo (19762149024 bytes; the rule above gives 19.80); Q6_K
 * estimated (rule above);
 * shape: Qwen/Qwen3-32B config.json (64 layers, hidden 5120, 64 heads,
 * 8 kv heads, head_dim 128, 40960);
 * params: model card, 32.8B (32.762B computed). */
static const struct lm_catalog_file f_qwen3_32b[] = {
	{ "Q4_K_M", "Qwen_Qwen3-32B-Q4_K_M.gguf", GB(19.76), 1 },
	{ "Q6_K", "Qwen_Qwen3-32B-Q6_K.gguf", GB(26.88), 1 },
	{ "Q8_0", "Qwen_Qwen3-32B-Q8_0.gguf", GB(34.82), 1 },
};

/* ---- DeepSeek-R1-Distill-Qwen-32B --------------------------------------- */
/* sizes: Q4_K_M exact 19851335584 (unsloth/DeepSeek-R1-Distill-Qwen-32B-GGUF,
 * pinned with its sha256 in a public model registry, which also gives
 * context_length 131072); Q6_K and Q8_0 estimated (rule above);
 * shape: deepseek-ai/DeepSeek-R1-Distill-Qwen-32B config.json (64 layers,
 * hidden 5120, 40 heads, 8 kv heads, head dim 128, 131072);
 * params: 32.8B (32.764B computed). */
static const struct lm_catalog_file f_r1_qwen_32b[] = {
	{ "Q4_K_M", "DeepSeek-R1-Distill-Qwen-32B-Q4_K_M.gguf", 19851335584ULL, 1 },
	{ "Q6_K", "DeepSeek-R1-Distill-Qwen-32B-Q6_K.gguf", GB(26.88), 1 },
	{ "Q8_0", "DeepSeek-R1-Distill-Qwen-32B-Q8_0.gguf", GB(34.82), 1 },
};

/* ---- Llama 3.3 70B Instruct --------------------------------------------- */
/* sizes: Q4_K_M 42521954560, as a public app catalog records this repo's
 * file (that catalog also carries invented entries, so take it as card
 * grade; the rule above gives 42.48 GB); Q6_K and Q8_0 estimated (rule
 * above); files over 50 GB come as a folder of
 * parts, as the quantizer's download notes say (download "<name>/" whole);
 * shape: meta-llama/Llama-3.3-70B-Instruct config.json (80 layers, hidden
 * 8192, 64 heads, 8 kv heads, head dim 128, 131072);
 * params: model card, 70B (70.55B computed). */
static const struct lm_catalog_file f_llama33_70b[] = {
	{ "Q4_K_M", "Llama-3.3-70B-Instruct-Q4_K_M.gguf", 42521954560ULL, 1 },
	{ "Q6_K", "Llama-3.3-70B-Instruct-Q6_K/"
		  "Llama-3.3-70B-Instruct-Q6_K-00001-of-00002.gguf", GB(57.88), 2 },
	{ "Q8_0", "Llama-3.3-70B-Instruct-Q8_0/"
		  "Llama-3.3-70B-Instruct-Q8_0-00001-of-00002.gguf", GB(74.97), 2 },
};

/* ---- DeepSeek-R1-Distill-Llama-70B -------------------------------------- */
/* sizes: estimated as Llama 3.3 70B above (same tensor shapes: Q4_K_M
 * 42.52 GB there, Q6_K and Q8_0 by the rule above);
 * shape: deepseek-ai/DeepSeek-R1-Distill-Llama-70B config.json (80 layers,
 * hidden 8192, 64 heads, 8 kv heads, head dim 128, 131072);
 * params: 70.55B. */
static const struct lm_catalog_file f_r1_llama_70b[] = {
	{ "Q4_K_M", "DeepSeek-R1-Distill-Llama-70B-Q4_K_M.gguf", GB(42.52), 1 },
	{ "Q6_K", "DeepSeek-R1-Distill-Llama-70B-Q6_K/"
		  "DeepSeek-R1-Distill-Llama-70B-Q6_K-00001-of-00002.gguf", GB(57.88), 2 },
	{ "Q8_0", "DeepSeek-R1-Distill-Llama-70B-Q8_0/"
		  "DeepSeek-R1-Distill-Llama-70B-Q8_0-00001-of-00002.gguf", GB(74.97), 2 },
};

/* ---- gpt-oss-120b (MoE) ------------------------------------------------- */
/* sizes: MXFP4 63387346464 bytes for the three parts together, as a public
 * app catalog records ggml-org/gpt-oss-120b-GGUF (a public directory
 * listing shows the three files at 59 GiB; the MXFP4 rule above gives
 * 63.45 GB);
 * shape: openai/gpt-oss-120b config.json (36 layers, hidden 2880, 64 heads,
 * 8 kv heads, head_dim 64, 131072, sliding_window 128 on every other layer,
 * 128 experts, 4 active); the same catalog's KV cost, 37748736 bytes per
 * 1k tokens at f16, is exactly 18 full-attention layers x 8 x (64 + 64) x 2;
 * params: model card, 117B total (116.83B), 5.1B active (5.13B). */
static const struct lm_catalog_file f_gpt_oss_120b[] = {
	{ "MXFP4", "gpt-oss-120b-mxfp4-00001-of-00003.gguf", 63387346464ULL, 3 },
};

/* The catalog, smallest first. */
const struct lm_catalog_model lm_catalog[] = {
	{
		.repo = "bartowski/Qwen2.5-0.5B-Instruct-GGUF",
		.name = "Qwen2.5 0.5B Instruct",
		.arch = "qwen2",
		.params = 494000000ULL,
		.active_params = 494000000ULL,
		.ctx_train = 32768,
		.n_layers = 24, .n_embd = 896, .n_head = 14, .n_head_kv = 2,
		.key_length = 64, .value_length = 64,
		.tasks = CHAT,
		FILES(f_qwen25_05b),
	},
	{
		.repo = "unsloth/Qwen3-0.6B-GGUF",
		.name = "Qwen3 0.6B",
		.arch = "qwen3",
		.params = 596000000ULL,
		.active_params = 596000000ULL,
		.ctx_train = 40960,
		.n_layers = 28, .n_embd = 1024, .n_head = 16, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | REASON,
		FILES(f_qwen3_06b),
	},
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
		.params = 1236000000ULL,
		.active_params = 1236000000ULL,
		.ctx_train = 131072,
		.n_layers = 16, .n_embd = 2048, .n_head = 32, .n_head_kv = 8,
		.key_length = 64, .value_length = 64,
		.tasks = CHAT,
		FILES(f_llama32_1b),
	},
	{
		.repo = "unsloth/Qwen3-1.7B-GGUF",
		.name = "Qwen3 1.7B",
		.arch = "qwen3",
		.params = 1721000000ULL,
		.active_params = 1721000000ULL,
		.ctx_train = 40960,
		.n_layers = 28, .n_embd = 2048, .n_head = 16, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | REASON,
		FILES(f_qwen3_17b),
	},
	{
		.repo = "bartowski/Llama-3.2-3B-Instruct-GGUF",
		.name = "Llama 3.2 3B Instruct",
		.arch = "llama",
		.params = 3213000000ULL,
		.active_params = 3213000000ULL,
		.ctx_train = 131072,
		.n_layers = 28, .n_embd = 3072, .n_head = 24, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT,
		FILES(f_llama32_3b),
	},
	{
		.repo = "lmstudio-community/Phi-4-mini-instruct-GGUF",
		.name = "Phi-4-mini Instruct 3.8B",
		.arch = "phi3",
		.params = 3836000000ULL,
		.active_params = 3836000000ULL,
		.ctx_train = 131072,
		.n_layers = 32, .n_embd = 3072, .n_head = 24, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | REASON,
		FILES(f_phi4_mini),
	},
	{
		.repo = "unsloth/gemma-3-4b-it-GGUF",
		.name = "Gemma 3 4B IT",
		.arch = "gemma3",
		.params = 3880000000ULL,
		.active_params = 3880000000ULL,
		.ctx_train = 131072,
		.n_layers = 34, .n_embd = 2560, .n_head = 8, .n_head_kv = 4,
		.key_length = 256, .value_length = 256,
		.sliding_window = 1024, .swa_every = 6,
		.tasks = CHAT,
		FILES(f_gemma3_4b),
	},
	{
		.repo = "bartowski/Qwen_Qwen3-4B-GGUF",
		.name = "Qwen3 4B",
		.arch = "qwen3",
		.params = 4022000000ULL,
		.active_params = 4022000000ULL,
		.ctx_train = 40960,
		.n_layers = 36, .n_embd = 2560, .n_head = 32, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_qwen3_4b),
	},
	{
		.repo = "bartowski/Qwen2.5-Coder-7B-Instruct-GGUF",
		.name = "Qwen2.5-Coder 7B Instruct",
		.arch = "qwen2",
		.params = 7616000000ULL,
		.active_params = 7616000000ULL,
		.ctx_train = 32768,
		.n_layers = 28, .n_embd = 3584, .n_head = 28, .n_head_kv = 4,
		.key_length = 128, .value_length = 128,
		.tasks = CODE | CHAT,
		FILES(f_qwen25_coder_7b),
	},
	{
		.repo = "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF",
		.name = "DeepSeek-R1-Distill-Qwen 7B",
		.arch = "qwen2",
		.params = 7616000000ULL,
		.active_params = 7616000000ULL,
		.ctx_train = 131072,
		.n_layers = 28, .n_embd = 3584, .n_head = 28, .n_head_kv = 4,
		.key_length = 128, .value_length = 128,
		.tasks = REASON,
		FILES(f_r1_qwen_7b),
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
		.repo = "bartowski/DeepSeek-R1-Distill-Llama-8B-GGUF",
		.name = "DeepSeek-R1-Distill-Llama 8B",
		.arch = "llama",
		.params = 8030000000ULL,
		.active_params = 8030000000ULL,
		.ctx_train = 131072,
		.n_layers = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = REASON,
		FILES(f_r1_llama_8b),
	},
	{
		.repo = "Qwen/Qwen3-8B-GGUF",
		.name = "Qwen3 8B",
		.arch = "qwen3",
		.params = 8191000000ULL,
		.active_params = 8191000000ULL,
		.ctx_train = 40960,
		.n_layers = 36, .n_embd = 4096, .n_head = 32, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_qwen3_8b),
	},
	{
		.repo = "unsloth/gemma-3-12b-it-GGUF",
		.name = "Gemma 3 12B IT",
		.arch = "gemma3",
		.params = 11766000000ULL,
		.active_params = 11766000000ULL,
		.ctx_train = 131072,
		.n_layers = 48, .n_embd = 3840, .n_head = 16, .n_head_kv = 8,
		.key_length = 256, .value_length = 256,
		.sliding_window = 1024, .swa_every = 6,
		.tasks = CHAT,
		FILES(f_gemma3_12b),
	},
	{
		.repo = "microsoft/phi-4-gguf",
		.name = "Phi-4 14B",
		.arch = "phi3",
		.params = 14660000000ULL,
		.active_params = 14660000000ULL,
		.ctx_train = 16384,
		.n_layers = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 10,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_phi4),
	},
	{
		.repo = "bartowski/Qwen_Qwen3-14B-GGUF",
		.name = "Qwen3 14B",
		.arch = "qwen3",
		.params = 14768000000ULL,
		.active_params = 14768000000ULL,
		.ctx_train = 40960,
		.n_layers = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_qwen3_14b),
	},
	{
		.repo = "bartowski/DeepSeek-R1-Distill-Qwen-14B-GGUF",
		.name = "DeepSeek-R1-Distill-Qwen 14B",
		.arch = "qwen2",
		.params = 14770000000ULL,
		.active_params = 14770000000ULL,
		.ctx_train = 131072,
		.n_layers = 48, .n_embd = 5120, .n_head = 40, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = REASON | CODE,
		FILES(f_r1_qwen_14b),
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
		.repo = "unsloth/Mistral-Small-3.2-24B-Instruct-2506-GGUF",
		.name = "Mistral Small 3.2 24B Instruct",
		.arch = "llama",
		.params = 23572000000ULL,
		.active_params = 23572000000ULL,
		.ctx_train = 131072,
		.n_layers = 40, .n_embd = 5120, .n_head = 32, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE,
		FILES(f_mistral_small_32),
	},
	{
		.repo = "bartowski/mistralai_Devstral-Small-2505-GGUF",
		.name = "Devstral Small 24B (2505)",
		.arch = "llama",
		.params = 23572000000ULL,
		.active_params = 23572000000ULL,
		.ctx_train = 131072,
		.n_layers = 40, .n_embd = 5120, .n_head = 32, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CODE,
		FILES(f_devstral_small),
	},
	{
		.repo = "unsloth/gemma-3-27b-it-GGUF",
		.name = "Gemma 3 27B IT",
		.arch = "gemma3",
		.params = 27009000000ULL,
		.active_params = 27009000000ULL,
		.ctx_train = 131072,
		.n_layers = 62, .n_embd = 5376, .n_head = 32, .n_head_kv = 16,
		.key_length = 128, .value_length = 128,
		.sliding_window = 1024, .swa_every = 6,
		.tasks = CHAT,
		FILES(f_gemma3_27b),
	},
	{
		.repo = "bartowski/Qwen_Qwen3-30B-A3B-GGUF",
		.name = "Qwen3 30B-A3B",
		.arch = "qwen3moe",
		.params = 30530000000ULL,
		.active_params = 3300000000ULL,
		.ctx_train = 40960,
		.n_layers = 48, .n_embd = 2048, .n_head = 32, .n_head_kv = 4,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_qwen3_30b_a3b),
	},
	{
		.repo = "unsloth/Qwen3-Coder-30B-A3B-Instruct-GGUF",
		.name = "Qwen3-Coder 30B-A3B Instruct",
		.arch = "qwen3moe",
		.params = 30530000000ULL,
		.active_params = 3300000000ULL,
		.ctx_train = 262144,
		.n_layers = 48, .n_embd = 2048, .n_head = 32, .n_head_kv = 4,
		.key_length = 128, .value_length = 128,
		.tasks = CODE,
		FILES(f_qwen3_coder_30b),
	},
	{
		.repo = "bartowski/Qwen_Qwen3-32B-GGUF",
		.name = "Qwen3 32B",
		.arch = "qwen3",
		.params = 32762000000ULL,
		.active_params = 32762000000ULL,
		.ctx_train = 40960,
		.n_layers = 64, .n_embd = 5120, .n_head = 64, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE | REASON,
		FILES(f_qwen3_32b),
	},
	{
		.repo = "unsloth/DeepSeek-R1-Distill-Qwen-32B-GGUF",
		.name = "DeepSeek-R1-Distill-Qwen 32B",
		.arch = "qwen2",
		.params = 32764000000ULL,
		.active_params = 32764000000ULL,
		.ctx_train = 131072,
		.n_layers = 64, .n_embd = 5120, .n_head = 40, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = REASON | CODE,
		FILES(f_r1_qwen_32b),
	},
	{
		.repo = "bartowski/Llama-3.3-70B-Instruct-GGUF",
		.name = "Llama 3.3 70B Instruct",
		.arch = "llama",
		.params = 70554000000ULL,
		.active_params = 70554000000ULL,
		.ctx_train = 131072,
		.n_layers = 80, .n_embd = 8192, .n_head = 64, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = CHAT | CODE,
		FILES(f_llama33_70b),
	},
	{
		.repo = "bartowski/DeepSeek-R1-Distill-Llama-70B-GGUF",
		.name = "DeepSeek-R1-Distill-Llama 70B",
		.arch = "llama",
		.params = 70554000000ULL,
		.active_params = 70554000000ULL,
		.ctx_train = 131072,
		.n_layers = 80, .n_embd = 8192, .n_head = 64, .n_head_kv = 8,
		.key_length = 128, .value_length = 128,
		.tasks = REASON | CHAT,
		FILES(f_r1_llama_70b),
	},
	{
		.repo = "ggml-org/gpt-oss-120b-GGUF",
		.name = "gpt-oss 120B",
		.arch = "gpt-oss",
		.params = 116830000000ULL,
		.active_params = 5130000000ULL,
		.ctx_train = 131072,
		.n_layers = 36, .n_embd = 2880, .n_head = 64, .n_head_kv = 8,
		.key_length = 64, .value_length = 64,
		.sliding_window = 128, .swa_every = 2,
		.tasks = CHAT | CODE | REASON,
		FILES(f_gpt_oss_120b),
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
