/*
 * catalog: a built-in catalog of well-known GGUF models, so that `recommend`
 * works offline. Static data only: nothing is allocated or freed. Every
 * figure comes from the model's own pages (repo tree sizes, config.json);
 * src/catalog.c says where for each entry.
 */
#ifndef LOCALMODEL_CATALOG_H
#define LOCALMODEL_CATALOG_H

#include <stddef.h>
#include <stdint.h>

enum lm_task {
	LM_TASK_CHAT = 1 << 0,
	LM_TASK_CODE = 1 << 1,
	LM_TASK_REASONING = 1 << 2,
};

struct lm_catalog_file {
	const char *quant;    /* "Q4_K_M" */
	const char *path;     /* path in the repo of the first (or only) file */
	uint64_t size_bytes;  /* all parts together */
	int parts;            /* 1, or N for -00001-of-0000N splits */
};

struct lm_catalog_model {
	const char *repo;        /* "unsloth/Qwen3-8B-GGUF" */
	const char *name;        /* "Qwen3 8B" */
	const char *arch;        /* general.architecture: "qwen3", "llama", "gemma3", ... */
	uint64_t params;         /* total parameters */
	uint64_t active_params;  /* for MoE: parameters used per token; = params when dense */
	uint32_t ctx_train;      /* trained context length */
	uint32_t n_layers;       /* block_count */
	uint32_t n_embd;         /* embedding_length */
	uint32_t n_head;         /* attention.head_count */
	uint32_t n_head_kv;      /* attention.head_count_kv (for every layer) */
	uint32_t key_length;     /* attention.key_length (head dim) */
	uint32_t value_length;   /* attention.value_length */
	uint32_t sliding_window; /* 0 when none */
	uint32_t swa_every;      /* with sliding_window: 1 full-attention layer every N (0 = all SWA) */
	unsigned tasks;          /* LM_TASK_* */
	const struct lm_catalog_file *files;
	size_t nfiles;
};

extern const struct lm_catalog_model lm_catalog[];
extern const size_t lm_catalog_len;

/* The entry for repo (case-insensitive), or NULL. */
const struct lm_catalog_model *catalog_find(const char *repo);
/* The file of m with that quant (case-insensitive), or NULL. */
const struct lm_catalog_file *catalog_file(const struct lm_catalog_model *m, const char *quant);

#endif
