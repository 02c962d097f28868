/*
 * fit: how much memory a model needs and where it goes on a machine. Pure
 * arithmetic on two plain descriptions (no I/O, nothing allocated):
 *
 *   model   (struct lm_fit_model)   from a GGUF header or a catalog entry
 *   machine (struct lm_fit_machine) from the hardware probe or given sizes
 *
 * The formula (all sizes in bytes):
 *
 *   kv(ctx)     = sum over layers l of
 *                   ctx_l x n_head_kv(l) x (key_length + value_length) x elem
 *                 ctx_l = ctx, or for a sliding-window layer
 *                 min(ctx, window x slots + ubatch)
 *                 elem  = 2 (f16), 34/32 (q8_0), 18/32 (q4_0), 4 (f32)
 *                 MLA layers (kv_lora_rank > 0): ctx x (kv_lora_rank +
 *                 key_length_rope) x elem, with key_length_rope = 64
 *   compute     = ubatch x 4 x (3 x n_ff + 4 x n_embd) + ubatch x 2 x ctx
 *                 the graph's largest live f32 tensors for one ubatch (the
 *                 FFN's gate, up and their product; the attention input,
 *                 output and residual) and the f16 attention mask over the
 *                 cache; ubatch = 512, n_ff = 3.5 x n_embd when unknown.
 *                 The output logits are computed for one token per
 *                 sequence, so the vocabulary does not count.
 *   overhead    = 50 MiB of process memory on the host (runtime, libraries,
 *                 output buffer), plus 512 MiB per discrete GPU (driver
 *                 context) when anything is offloaded
 *
 * Sources: llama-server (llama.cpp b10587) on the CPU, q8_0 KV with flash
 * attention, after one completion: its "compute buffer size" log lines
 * were 38-104 MiB for 0.5B- to 3B-shaped models at 4k-16k context, growing
 * with n_ff and the context but not with the vocabulary; peak resident
 * memory exceeded weights + KV + compute by 40-60 MiB. Weights and KV match
 * the formulas above to the MiB. The earlier terms (a vocabulary-sized
 * compute buffer, 256 MiB overhead) made small models look 1.3-1.7x bigger
 * than they are.
 *   per layer   = weight_bytes / (n_layers + 1)   (the "+1" is the output
 *                 layer, which counts as one more layer for -ngl like in
 *                 llama.cpp) and kv(ctx) / n_layers
 *
 *   total       = weights + kv + compute + overhead
 *
 * With g layers offloaded (0 <= g <= n_layers + 1), the GPU holds g layers
 * of weights and KV, plus the compute buffer and the driver overhead; the
 * host holds the rest (and a host compute buffer when not all is offloaded).
 * Budgets: system RAM minus the reserve (2 GiB by default); GPU memory as
 * given. On unified memory (Apple) the GPU share is part of RAM: everything
 * must fit in RAM minus the reserve, and what is offloaded must fit in the
 * GPU working-set limit.
 *
 * Verdicts: FULL_GPU when every layer fits on the GPU; PARTIAL_GPU when at
 * least one does; CPU when nothing does (or there is no GPU) but the whole
 * fits in RAM; NO_FIT otherwise (missing_bytes says by how much at the
 * smallest context).
 *
 * Context: a requested context is used as given. Otherwise ("auto") the
 * largest context in [4096, ctx_train] (steps of 1024, ctx_train itself
 * allowed) that keeps the best verdict and GPU layer count found at 4096;
 * when ctx_train < 4096, ctx_train.
 */
#ifndef LOCALMODEL_FIT_H
#define LOCALMODEL_FIT_H

#include <stddef.h>
#include <stdint.h>
#include "base.h"

struct lm_gguf;
struct lm_catalog_model;
struct lm_catalog_file;
struct lm_hw;

#define LM_FIT_MAX_LAYERS 1024
#define LM_FIT_MIN_CTX 4096
#define LM_FIT_UBATCH 512
#define LM_FIT_HOST_OVERHEAD (50ull << 20)
#define LM_FIT_GPU_OVERHEAD (512ull << 20)

enum lm_cache_type {
	LM_CACHE_F16 = 0,
	LM_CACHE_Q8_0,
	LM_CACHE_Q4_0,
	LM_CACHE_F32,
};

struct lm_fit_model {
	uint64_t weight_bytes;   /* all tensor data (all split parts) */
	uint64_t params;
	uint64_t active_bytes;   /* weight bytes read per token: all but the
				    token embeddings (unless tied to the output),
				    experts at their used share; 0 = weight_bytes */
	uint64_t active_params;  /* parameters multiplied per token; 0 = params */
	uint32_t n_ff;           /* feed-forward length, 0 = unknown (4 x n_embd) */
	uint32_t n_layers;       /* block_count, <= LM_FIT_MAX_LAYERS */
	uint32_t n_embd;
	uint64_t n_vocab;        /* 0 = unknown */
	uint32_t ctx_train;      /* 0 = unknown (then 4096 is assumed) */
	uint32_t key_length;     /* per head */
	uint32_t value_length;
	uint32_t kv_lora_rank;   /* MLA, 0 when none */
	uint32_t sliding_window; /* 0 = none */
	uint16_t head_kv[LM_FIT_MAX_LAYERS]; /* per layer; 0 = no KV (e.g. recurrent) */
	uint8_t swa[LM_FIT_MAX_LAYERS];      /* per layer: 1 = sliding window */
};

struct lm_fit_machine {
	uint64_t ram_bytes;  /* system memory the model may use (before reserve) */
	uint64_t gpu_bytes;  /* GPU memory usable (sum over devices), 0 = none;
				unified: the GPU working-set limit */
	int ngpus;           /* discrete devices (driver overhead each) */
	int unified;         /* GPU memory is part of ram_bytes (Apple) */
};

struct lm_fit_opts {
	uint32_t ctx;            /* wanted context, 0 = auto */
	enum lm_cache_type cache;/* K and V cache type */
	uint64_t reserve_bytes;  /* RAM kept free */
	int parallel;            /* server slots (SWA cache scales with it), 0 = 1 */
	int gpu_layers;          /* -1 = auto, else forced (clamped to n_layers+1) */
};

enum lm_fit_verdict {
	LM_FIT_FULL_GPU = 0,
	LM_FIT_PARTIAL_GPU,
	LM_FIT_CPU,
	LM_FIT_NO_FIT,
};

struct lm_fit_result {
	enum lm_fit_verdict verdict;
	uint32_t ctx;            /* context chosen (or requested) */
	int gpu_layers;          /* layers offloaded, as for -ngl (n_layers+1 = all) */
	int n_layers_total;      /* n_layers + 1 */
	uint64_t total_bytes;    /* weights + kv + compute + overhead */
	uint64_t gpu_bytes;      /* of which on the GPU */
	uint64_t cpu_bytes;      /* of which in system memory */
	uint64_t weight_bytes;
	uint64_t kv_bytes;
	uint64_t compute_bytes;
	uint64_t overhead_bytes;
	uint64_t missing_bytes;  /* NO_FIT: how much more memory is needed */
};

void fit_opts_default(struct lm_fit_opts *o); /* auto ctx, f16, 2 GiB, 1 slot, auto ngl */

/* Model descriptions. fit_model_from_gguf wants a header read with
 * gguf_read_model (all parts) for weight_bytes of the whole model. */
int fit_model_from_gguf(struct lm_fit_model *m, const struct lm_gguf *g, struct lm_err *err);
/* From a catalog entry and one of its files (weight_bytes = file size). */
void fit_model_from_catalog(struct lm_fit_model *m, const struct lm_catalog_model *c,
			    const struct lm_catalog_file *f);
/* Per-layer SWA flags for "1 full-attention layer every `every` layers"
 * (llama.cpp's pattern: layer l is SWA when l % every < every - 1;
 * every == 0: all layers SWA). */
void fit_model_set_swa(struct lm_fit_model *m, uint32_t window, uint32_t every);

/* A model of which only the file size is known: a generic shape (32
 * layers, 4096 wide, 8 KV heads of 128, about 4 bits a weight). */
void fit_model_generic(struct lm_fit_model *m, uint64_t bytes);

/* Machine descriptions. From the probe: planning (use_available = 0) counts
 * total RAM (capped by a cgroup limit) and total VRAM; use_available = 1
 * counts what is free now (for `serve`). */
void fit_machine_from_hw(struct lm_fit_machine *mc, const struct lm_hw *hw, int use_available);
/* From sizes given by the user (--memory, --gpu-memory; gpu 0 = none). */
void fit_machine_from_sizes(struct lm_fit_machine *mc, uint64_t ram, uint64_t gpu, int unified);

/* KV cache bytes for ctx tokens (slots: for SWA layers). */
uint64_t fit_kv_bytes(const struct lm_fit_model *m, uint32_t ctx, enum lm_cache_type t, int slots);
/* Compute buffer bytes for a cache of ctx tokens. */
uint64_t fit_compute_bytes(const struct lm_fit_model *m, uint32_t ctx);

/* Estimate where m goes on mc. LM_OK with r filled (r->verdict may be
 * NO_FIT); LM_EUSAGE when the model description is unusable (no layers). */
int fit_estimate(const struct lm_fit_model *m, const struct lm_fit_machine *mc,
		 const struct lm_fit_opts *o, struct lm_fit_result *r, struct lm_err *err);

const char *fit_verdict_name(enum lm_fit_verdict v); /* "full_gpu", "partial_gpu", "cpu", "no_fit" */
const char *fit_cache_name(enum lm_cache_type t);    /* "f16", "q8_0", "q4_0", "f32" */
/* "f16", "q8_0", "q4_0", "f32" -> type; -1 when unknown. */
int fit_cache_parse(const char *s, enum lm_cache_type *t);

#endif
