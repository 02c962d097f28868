/*
 * speed: how fast a model runs on a machine. Pure arithmetic on plain
 * structs, plus a short portable probe and a small per-machine cache file.
 * Nothing here prints; nothing allocated is handed out.
 *
 * The model (decode is memory-bandwidth bound, prompt processing compute
 * bound; the public llama.cpp benchmarks in discussions #4167 and #15013
 * show both on CPUs, Apple and discrete GPUs):
 *
 *   bytes read per token = active weight bytes (the token embedding table is
 *                          not read: one row is gathered; for a mixture of
 *                          experts only the used share of the expert tensors)
 *                        + KV bytes per token x tokens in the cache (ctx_used)
 *   decode s/token       = gpu_share x bytes / gpu_bw
 *                        + (1 - gpu_share) x bytes / host_bw
 *                        + token overhead (graph build and launch; per
 *                          backend: CPU 10 ms, Apple 6 ms, discrete GPU 1.5 ms)
 *   prompt s/token       = 2 x active params x gpu_share / gpu_flops
 *                        + 2 x active params x (1 - gpu_share) / (host_flops_thread x threads)
 *
 * gpu_share is the share of layers offloaded (the -ngl count over n_layers+1).
 * Bandwidths and compute are *effective* figures: what llama.cpp achieves,
 * not the data-sheet peak. They come, best first, from:
 *
 *   1. the served history (speed_learn): measured tok/s of past requests
 *      against the prediction for the same model give correction factors
 *      for this machine, one for decode (the bandwidths) and one for the
 *      prompt (the compute);
 *   2. the probe (speed_probe; measured on first use, or again with
 *      `recommend --calibrate`): a memory-read pass on every core and a
 *      small int8 block dot-product pass shaped like ggml's Q8_0 kernels
 *      (vectorised by the compiler at the baseline ISA), cached per
 *      machine. The CPU decode reads weights at LM_SPEED_PROBE_BW_EFF of
 *      the probe's read rate, and prompt processing runs at
 *      LM_SPEED_CPU_FLOPS_EFF times the probe's rate per thread with every
 *      thread computing (ggml uses AVX2/NEON kernels and batches, the probe
 *      SSE2/NEON). Both were fitted with llama-server b10587 on a 2-core
 *      AMD EPYC (AVX2) VM, dense Q8_0 models reading 1.3 and 3.4 GB a
 *      token, q8_0 KV, flash attention, 512-token prompts, with nothing
 *      else running: the probe read 15-20 GB/s and 6.9-8.8 GOP/s a thread
 *      (5.6 to 10.4 over a day); decode ran at 0.79-0.81 of that read
 *      rate, prompt processing at 5.8-7.4x the probe's rate (the 3B shape
 *      lower: the 1B one spends more of its work in the large output
 *      matrix). That VM's own speed swung too: llama-server read the 1B
 *      model's prompt at 38-47 tokens/s and generated 9.2-11.4 tokens/s in
 *      runs of the same day. A busy machine probes low (another process on
 *      the second core halves both figures); the history (1.) corrects
 *      both;
 *   3. the chip table (speed_chip_find): data-sheet memory bandwidth and
 *      FP16 throughput of Apple M1-M4, common NVIDIA and AMD cards, and CPU
 *      memory by DDR generation and channel count; GPUs and Apple reach
 *      LM_SPEED_GPU_BW_EFF of their bandwidth in decode (the two-term fit of
 *      the published anchors: M1, M2 Ultra, RTX 4090 within ~10%) and
 *      LM_SPEED_GPU_FLOPS_EFF of their FP16 rate in prompt processing. An


 *
 * Accuracy to expect: CPU decode within ~15% once calibrated or learnt;
 * table-only figures within ~25% for known chips; prompt figures on GPUs
 * within ~40% (kernels and batch sizes vary a lot between builds).
 */
#ifndef LOCALMODEL_SPEED_H
#define LOCALMODEL_SPEED_H

#include <stddef.h>
#include <stdint.h>
#include "base.h"

struct lm_hw;
struct lm_fit_model;

#define LM_SPEED_CPU_BW_EFF 0.48     /* of a DDR data-sheet figure (table, --bandwidth) */
#define LM_SPEED_PROBE_BW_EFF 0.80   /* of the probe's measured read rate */
#define LM_SPEED_CPU_FLOPS_EFF 6.6   /* times the probe's int8 dot-product rate */
#define LM_SPEED_GPU_BW_EFF 0.9
#define LM_SPEED_GPU_FLOPS_EFF 0.6
#define LM_SPEED_CPU_TOKEN_S 0.010
#define LM_SPEED_APPLE_TOKEN_S 0.006
#define LM_SPEED_GPU_TOKEN_S 0.0015
#define LM_SPEED_GPU_BW_DEFAULT 300.0   /* GB/s of a GPU not in the table */
#define LM_SPEED_GPU_TFLOPS_DEFAULT 20.0
#define LM_SPEED_CTX_USED 512     /* tokens in the cache for the figures shown */
#define LM_SPEED_FLOOR 3.0        /* default usable decode floor, tokens/s */

enum lm_speed_source {
	LM_SPEED_SRC_TABLE = 0, /* chip table or defaults */
	LM_SPEED_SRC_PROBE,     /* this machine's cached probe */
	LM_SPEED_SRC_HISTORY,   /* corrected by served history */
	LM_SPEED_SRC_GIVEN,     /* --bandwidth */
};

/* One row of the chip table: data-sheet figures. */
struct lm_speed_chip {
	const char *name;    /* matched as a word-bounded substring, case-insensitive */
	double bw_gbs;       /* memory bandwidth, GB/s (1e9 bytes) */
	double tflops;       /* FP16 throughput (dense), TFLOP/s; 0 for CPU memory rows */
};

struct lm_speed_machine {
	double host_bw;          /* effective bytes/s the CPU decode reads */
	double host_flops;       /* effective prompt FLOP/s per thread */
	int threads;             /* threads llama-server uses (physical cores) */
	double gpu_bw;           /* effective GPU bytes/s (0 = no GPU) */
	double gpu_flops;        /* effective GPU FLOP/s */
	double cpu_token_s;      /* per-token overhead, CPU only */
	double gpu_token_s;      /* per-token overhead with layers offloaded */
	double factor;           /* history correction of decode applied (1 = none) */
	double prompt_factor;    /* history correction of the prompt applied (1 = none) */
	enum lm_speed_source source;
	char chip[64];           /* table row used for the GPU or unified memory, "" */
};

/* What speed needs of a model. */
struct lm_speed_model {
	uint64_t active_bytes;   /* weight bytes read per token */
	uint64_t active_params;  /* parameters multiplied per token */
	uint64_t kv_token_bytes; /* KV cache bytes per token of context */
};

struct lm_speed_result {
	double decode_tok_s;
	double prompt_tok_s;
	double gpu_share;        /* share of the weights on the GPU */
};

/* Table lookup: the row whose name occurs in s, or NULL. */
const struct lm_speed_chip *speed_chip_find(const char *s);
/* Bandwidth of CPU memory: channels x MT/s x 8 bytes (DDR4/DDR5 DIMMs). */
double speed_ddr_bw(int mts, int channels);

/* The machine from the probe and the table (source TABLE). */
void speed_machine_from_hw(struct lm_speed_machine *sm, const struct lm_hw *hw);
/* Replace the host figures with a probe's measurements (source PROBE):
 * read_bw bytes/s of the memory-read pass, flops of the matmul per thread. */
void speed_machine_use_probe(struct lm_speed_machine *sm, double read_bw, double flops);
/* A planned GPU (--gpu-memory) on a machine without one: the figures of a
 * GPU not in the table, unless there already is one. */
void speed_machine_plan_gpu(struct lm_speed_machine *sm);
/* Plan another machine: bw bytes/s of data-sheet bandwidth for whatever
 * holds the weights (the GPU when gpu, else the CPU memory) (source GIVEN). */
void speed_machine_set_bandwidth(struct lm_speed_machine *sm, double bw, int gpu);

/* From a fit model description (its active_bytes/active_params, KV at t). */
void speed_model_from_fit(struct lm_speed_model *s, const struct lm_fit_model *m, int cache_type);

/* Predict for gpu_layers of n_layers_total offloaded and ctx_used tokens in
 * the cache. */
void speed_predict(const struct lm_speed_model *s, const struct lm_speed_machine *sm,
		   int gpu_layers, int n_layers_total, uint32_t ctx_used,
		   struct lm_speed_result *r);

/* One model's served history: predicted and measured decode tok/s, and how
 * many tokens the measurement covers. */
struct lm_speed_sample {
	double predicted;
	double measured;
	int64_t tokens;
};
/* The correction factor the history implies: the token-weighted geometric
 * mean of measured/predicted decode time ratios (token overhead excluded),
 * clamped to [0.25, 4]; 1 when there is too little (< 16 tokens) history. */
double speed_learn_factor(const struct lm_speed_sample *v, size_t n, double token_s);
/* Apply a decode factor: the bandwidths scaled by it (source HISTORY). */
void speed_machine_apply_factor(struct lm_speed_machine *sm, double factor);
/* Apply a prompt factor (speed_learn_factor with token_s 0 over prompt
 * samples): the compute figures scaled by it (source HISTORY). */
void speed_machine_apply_prompt_factor(struct lm_speed_machine *sm, double factor);

/* The probe: a memory-read pass over `bytes` on `threads` threads (best of
 * 7, as decode reads with every core) and, on `threads` threads at once
 * (as the prompt is read), dot products of int8 blocks as ggml's Q8_0
 * kernels compute them (each thread's best of rounds rounds of ~3 MOP;
 * their mean). Plain C and POSIX threads; well under a second on a quiet
 * machine. */
struct lm_speed_probe {
	double read_bw;  /* bytes/s */
	double flops;    /* FLOP/s a thread, all threads busy (a product and its sum: 2) */
};
int speed_probe(struct lm_speed_probe *p, size_t bytes, int rounds, int threads,
		struct lm_err *err);

/* A key for this machine (CPU, cores, RAM, GPUs): 16 hex digits. */
void speed_machine_key(const struct lm_hw *hw, char out[17]);
/* The cache file <dir>/speed-<key>.txt: "probe = 2", "read_bw = N" and
 * "flops = N". load: LM_ENOTFOUND when absent or written by another probe
 * (its figures mean something else: measure again). */
int speed_cache_load(const char *dir, const char *key, struct lm_speed_probe *p,
		     struct lm_err *err);
int speed_cache_save(const char *dir, const char *key, const struct lm_speed_probe *p,
		     struct lm_err *err);

#endif
