/* speed: decode and prompt speed predictions (see speed.h for the model). */
#include "localmodel/speed.h"
#include "localmodel/fit.h"
#include "localmodel/hw.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GB 1e9
#define SPEED_PROBE_VERSION 2 /* 1: a scalar float matmul */

/*
 * Data-sheet figures. Apple: memory bandwidth per chip from Apple's
 * product pages and newsroom posts (M1 68.25 GB/s, M1 Pro 200, M1 Max 400,
 * M1 Ultra 800, M2 100, M2 Pro 200, M2 Max 400, M2 Ultra 800, M3 100,
 * M3 Pro 150, M3 Max 300 (the 30-core GPU; 400 for 40 cores), M3 Ultra 819,
 * M4 120, M4 Pro 273, M4 Max 410 (546 for 40 cores)); FP16 rate = the GPU's
 * FP32 TFLOPS (Apple GPUs run FP16 at the FP32 rate). NVIDIA and AMD: the
 * vendors' specification pages (memory bandwidth; dense FP16 tensor or
 * matrix TFLOPS with FP32 accumulate). Longer names first, so that "M2 Max"
 * is not taken for "M2".
 */
static const struct lm_speed_chip chips[] = {
	{ "M1 Ultra", 800, 21.0 },  { "M1 Max", 400, 10.4 },  { "M1 Pro", 200, 5.2 },
	{ "M1", 68.25, 2.6 },       { "M2 Ultra", 800, 27.2 }, { "M2 Max", 400, 13.6 },
	{ "M2 Pro", 200, 6.8 },     { "M2", 100, 3.6 },        { "M3 Ultra", 819, 28.0 },
	{ "M3 Max", 300, 14.2 },    { "M3 Pro", 150, 7.4 },    { "M3", 100, 4.1 },
	{ "M4 Max", 410, 16.1 },    { "M4 Pro", 273, 9.2 },    { "M4", 120, 4.3 },
	{ "RTX 5090", 1792, 209.5 }, { "RTX 5080", 960, 112.6 }, { "RTX 5070 Ti", 896, 87.9 },
	{ "RTX 5070", 672, 61.7 },  { "RTX 4090", 1008, 165.2 }, { "RTX 4080", 717, 97.5 },
	{ "RTX 4070 Ti", 504, 80.2 }, { "RTX 4070", 504, 58.3 }, { "RTX 4060 Ti", 288, 44.1 },
	{ "RTX 4060", 272, 30.1 },  { "RTX 3090", 936, 71.0 }, { "RTX 3080", 760, 59.5 },
	{ "RTX 3070", 448, 40.6 },  { "RTX 3060", 360, 25.4 }, { "A100", 1555, 312 },
	{ "H100", 3350, 989 },      { "L40S", 864, 362 },      { "L4", 300, 121 },
	{ "T4", 320, 65 },          { "RX 7900 XTX", 960, 122.8 }, { "RX 7900 XT", 800, 103 },
	{ "RX 7800 XT", 624, 74.6 }, { "RX 6800 XT", 512, 41.5 }, { "MI300X", 5300, 1307 },
};

/* Is needle in hay as whole words, case-insensitive ("RTX 4090" is not in
 * "RTX 40900")? */
static int word_in(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (const char *p = hay; *p; p++) {
		if (strncasecmp(p, needle, n))
			continue;
		if ((p == hay || !isalnum((unsigned char)p[-1])) && !isalnum((unsigned char)p[n]))
			return 1;
	}
	return 0;
}

const struct lm_speed_chip *speed_chip_find(const char *s)
{
	for (size_t i = 0; s && i < sizeof(chips) / sizeof(chips[0]); i++)
		if (word_in(s, chips[i].name))
			return &chips[i];
	return NULL;
}

double speed_ddr_bw(int mts, int channels)
{
	return (double)mts * 1e6 * 8.0 * channels;
}

/* CPU prompt FLOP/s per thread when nothing is measured. */
static double default_cpu_flops(const struct lm_hw *hw)
{
	if (hw->cpu_flags & (LM_CPU_AVX2 | LM_CPU_NEON))
		return 135e9;
	return 30e9;
}

void speed_machine_from_hw(struct lm_speed_machine *sm, const struct lm_hw *hw)
{
	const struct lm_speed_chip *c = NULL;
	int discrete = 0;

	memset(sm, 0, sizeof(*sm));
	sm->threads = hw->cores_physical > 0 ? hw->cores_physical
					     : hw->cores_logical > 0 ? hw->cores_logical : 1;
	sm->host_bw = speed_ddr_bw(3200, 2) * LM_SPEED_CPU_BW_EFF;
	sm->host_flops = default_cpu_flops(hw);
	sm->cpu_token_s = LM_SPEED_CPU_TOKEN_S;
	sm->gpu_token_s = LM_SPEED_GPU_TOKEN_S;
	sm->factor = 1;
	sm->prompt_factor = 1;
	sm->source = LM_SPEED_SRC_TABLE;
	if (hw->unified_memory)
		c = speed_chip_find(hw->cpu_model);
	for (int i = 0; i < hw->ngpus; i++) {
		/* the devices the fit offloads to (see fit_machine_from_hw) */
		if (hw->gpus[i].vendor != LM_GPU_NVIDIA && hw->gpus[i].vendor != LM_GPU_AMD)
			continue;
		discrete++;
		if (!c)
			c = speed_chip_find(hw->gpus[i].name);
	}
	if (hw->unified_memory) {
		/* the CPU side of Apple silicon reaches about half the GPU's bandwidth */
		double bw = (c ? c->bw_gbs : 100) * GB;
		sm->host_bw = bw * 0.5 * LM_SPEED_GPU_BW_EFF;
		sm->gpu_bw = bw * LM_SPEED_GPU_BW_EFF;
		sm->gpu_flops = (c ? c->tflops : 3.6) * 1e12 * LM_SPEED_GPU_FLOPS_EFF;
		sm->gpu_token_s = LM_SPEED_APPLE_TOKEN_S;
	} else if (discrete) {
		sm->gpu_bw = (c ? c->bw_gbs : LM_SPEED_GPU_BW_DEFAULT) * GB * LM_SPEED_GPU_BW_EFF;
		sm->gpu_flops = (c ? c->tflops : LM_SPEED_GPU_TFLOPS_DEFAULT) * 1e12 *
				LM_SPEED_GPU_FLOPS_EFF;
	}
	if (c)
		lm_strlcpy(sm->chip, c->name, sizeof(sm->chip));
}

void speed_machine_plan_gpu(struct lm_speed_machine *sm)
{
	if (sm->gpu_bw > 0)
		return;
	sm->gpu_bw = LM_SPEED_GPU_BW_DEFAULT * GB * LM_SPEED_GPU_BW_EFF;
	sm->gpu_flops = LM_SPEED_GPU_TFLOPS_DEFAULT * 1e12 * LM_SPEED_GPU_FLOPS_EFF;
}

void speed_machine_use_probe(struct lm_speed_machine *sm, double read_bw, double flops)
{
	if (read_bw > 0)
		sm->host_bw = read_bw * LM_SPEED_PROBE_BW_EFF;
	if (flops > 0)
		sm->host_flops = flops * LM_SPEED_CPU_FLOPS_EFF;
	sm->source = LM_SPEED_SRC_PROBE;
}

void speed_machine_set_bandwidth(struct lm_speed_machine *sm, double bw, int gpu)
{
	if (gpu)
		sm->gpu_bw = bw * LM_SPEED_GPU_BW_EFF;
	else
		sm->host_bw = bw * LM_SPEED_CPU_BW_EFF;
	sm->source = LM_SPEED_SRC_GIVEN;
}

void speed_model_from_fit(struct lm_speed_model *s, const struct lm_fit_model *m, int cache_type)
{
	memset(s, 0, sizeof(*s));
	s->active_bytes = m->active_bytes ? m->active_bytes : m->weight_bytes;
	s->active_params = m->active_params ? m->active_params : m->params;
	s->kv_token_bytes = fit_kv_bytes(m, 1, (enum lm_cache_type)cache_type, 1);
}

void speed_predict(const struct lm_speed_model *s, const struct lm_speed_machine *sm,
		   int gpu_layers, int n_layers_total, uint32_t ctx_used,
		   struct lm_speed_result *r)
{
	double share = 0, bytes, flop, t_dec, t_pp, host_flops;

	memset(r, 0, sizeof(*r));
	if (gpu_layers > 0 && n_layers_total > 0 && sm->gpu_bw > 0)
		share = gpu_layers >= n_layers_total ? 1.0 : (double)gpu_layers / n_layers_total;
	bytes = (double)s->active_bytes + (double)s->kv_token_bytes * ctx_used;
	flop = 2.0 * (double)s->active_params;
	host_flops = sm->host_flops * (sm->threads > 0 ? sm->threads : 1);
	t_dec = share > 0 ? share * bytes / sm->gpu_bw + sm->gpu_token_s : sm->cpu_token_s;
	if (share < 1)
		t_dec += (1 - share) * bytes / (sm->host_bw > 0 ? sm->host_bw : 1);
	t_pp = (1 - share) * flop / (host_flops > 0 ? host_flops : 1);
	if (share > 0)
		t_pp += share * flop / (sm->gpu_flops > 0 ? sm->gpu_flops : 1);
	r->gpu_share = share;
	r->decode_tok_s = t_dec > 0 ? 1.0 / t_dec : 0;
	r->prompt_tok_s = t_pp > 0 ? 1.0 / t_pp : 0;
}

double speed_learn_factor(const struct lm_speed_sample *v, size_t n, double token_s)
{
	double wsum = 0, lsum = 0, f;

	for (size_t i = 0; i < n; i++) {
		double tp, tm;
		if (v[i].predicted <= 0 || v[i].measured <= 0 || v[i].tokens <= 0)
			continue;
		tp = 1.0 / v[i].predicted - token_s;
		tm = 1.0 / v[i].measured - token_s;
		if (tp <= 0 || tm <= 0)
			continue;
		lsum += (double)v[i].tokens * log(tp / tm);
		wsum += (double)v[i].tokens;
	}
	if (wsum < 16)
		return 1;
	f = exp(lsum / wsum);
	return f < 0.25 ? 0.25 : f > 4 ? 4 : f;
}

void speed_machine_apply_factor(struct lm_speed_machine *sm, double factor)
{
	if (factor <= 0 || factor == 1)
		return;
	sm->host_bw *= factor;
	sm->gpu_bw *= factor;
	sm->factor = factor;
	sm->source = LM_SPEED_SRC_HISTORY;
}

void speed_machine_apply_prompt_factor(struct lm_speed_machine *sm, double factor)
{
	if (factor <= 0 || factor == 1)
		return;
	sm->host_flops *= factor;
	sm->gpu_flops *= factor;
	sm->prompt_factor = factor;
	sm->source = LM_SPEED_SRC_HISTORY;
}

/* ---- the probe -------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sum 64-bit words with four accumulators (the compiler vectorises it). */
static uint64_t read_pass(const uint64_t *w, size_t n)
{
	uint64_t a = 0, b = 0, c = 0, d = 0;

	for (size_t i = 0; i + 4 <= n; i += 4) {
		a += w[i];
		b += w[i + 1];
		c += w[i + 2];
		d += w[i + 3];
	}
	return a ^ b ^ c ^ d;
}

#define PROBE_MAX_THREADS 64

static volatile uint64_t probe_sink;

struct slice {
	const uint64_t *w;
	size_t n;
	uint64_t sum;
};

static void *read_slice(void *arg)
{
	struct slice *s = arg;

	s->sum = read_pass(s->w, s->n);
	return NULL;
}

/* One read pass over w with `threads` threads (as decode uses every
 * core); seconds, or -1 when a thread cannot be started. */
/* Run fn on each of n jobs (size bytes apart) at once: jobs 1.. on threads
 * of their own, job 0 on the caller's. How many ran (fewer when a thread
 * cannot be started: the jobs from there on did not run). */
static int run_threads(void *(*fn)(void *), void *jobs, size_t size, int n)
{
	pthread_t tid[PROBE_MAX_THREADS];
	int started = 1;

	for (int i = 1; i < n; i++, started++)
		if (pthread_create(&tid[i], NULL, fn, (char *)jobs + size * (size_t)i))
			break;
	fn(jobs);
	for (int i = 1; i < started; i++)
		pthread_join(tid[i], NULL);
	return started;
}

static double read_threads(const uint64_t *w, size_t words, int threads, uint64_t *sink)
{
	struct slice sl[PROBE_MAX_THREADS];
	size_t per = words / (size_t)threads / 4 * 4;
	double t0 = now_s();
	int started;

	for (int i = 0; i < threads; i++) {
		sl[i].w = w + per * (size_t)i;
		sl[i].n = i == threads - 1 ? words - per * (size_t)i : per;
		sl[i].sum = 0;
	}
	started = run_threads(read_slice, sl, sizeof(sl[0]), threads);
	for (int i = 0; i < started; i++)
		*sink += sl[i].sum;
	return started == threads ? now_s() - t0 : -1;
}

/* The compute probe works as ggml's Q8_0 kernels do: blocks of 32 signed
 * bytes with a float scale, the byte products summed per block, then
 * scaled. The block loop has a fixed trip count, which gcc and clang both
 * vectorise at -O2 with the baseline ISA (SSE2, NEON). A scalar float
 * loop was tried first: its rate swung between 2.6 and 4.7 GFLOP/s from
 * one run to the next on a virtual machine whose llama-server prompt
 * speed moved by 20% at most; this one moves about as little. */
#define PROBE_QK 32
#define PROBE_K 2048  /* values per row: 64 blocks */
#define PROBE_ROWS 64 /* weight rows: 144 KiB, in the caches */
#define PROBE_TOKENS 8
#define PROBE_REPS 20 /* passes a timed round */

struct probe_blk {
	float d;
	int8_t q[PROBE_QK];
};

static float dot_q8(const struct probe_blk *x, const struct probe_blk *y, int nb)
{
	float sum = 0;

	for (int b = 0; b < nb; b++) {
		int s = 0;
		for (int i = 0; i < PROBE_QK; i++)
			s += x[b].q[i] * y[b].q[i];
		sum += x[b].d * y[b].d * (float)s;
	}
	return sum;
}

/* The int8 multiply-add rate of one thread, as FLOP/s (two a product):
 * best of rounds rounds; 0 when memory is short. */
static double compute_rate(int rounds, uint64_t *sink)
{
	const int nb = PROBE_K / PROBE_QK;
	struct probe_blk *W = NULL, *X = NULL;
	double best = 0;
	float acc = 0;

	/* at the same place within a cache line in every run */
	if (posix_memalign((void **)&W, 64, sizeof(*W) * (size_t)nb * PROBE_ROWS) ||
	    posix_memalign((void **)&X, 64, sizeof(*X) * (size_t)nb * PROBE_TOKENS)) {
		free(W);
		free(X);
		return 0;
	}
	for (int i = 0; i < nb * PROBE_ROWS; i++) {
		W[i].d = 0.01f;
		for (int j = 0; j < PROBE_QK; j++)
			W[i].q[j] = (int8_t)((i * 7 + j * 3) % 255 - 127);
	}
	for (int i = 0; i < nb * PROBE_TOKENS; i++) {
		X[i].d = 0.02f;
		for (int j = 0; j < PROBE_QK; j++)
			X[i].q[j] = (int8_t)((i * 5 + j) % 255 - 127);
	}
	for (int r = 0; r < rounds; r++) {
		double t0 = now_s(), dt;
		for (int rep = 0; rep < PROBE_REPS; rep++)
			for (int t = 0; t < PROBE_TOKENS; t++)
				for (int w = 0; w < PROBE_ROWS; w++)
					acc += dot_q8(W + (size_t)w * nb, X + (size_t)t * nb, nb);
		dt = now_s() - t0;
		if (dt > 0 && 2.0 * PROBE_K * PROBE_ROWS * PROBE_TOKENS * PROBE_REPS / dt > best)
			best = 2.0 * PROBE_K * PROBE_ROWS * PROBE_TOKENS * PROBE_REPS / dt;
	}
	*sink += (uint64_t)(acc != 0);
	free(W);
	free(X);
	return best;
}

struct compute_job {
	int rounds;
	double rate;
	uint64_t sink;
};

static void *compute_thread(void *arg)
{
	struct compute_job *j = arg;

	j->rate = compute_rate(j->rounds, &j->sink);
	return NULL;
}

/* The compute rate a thread keeps while every thread computes, as
 * llama-server's threads do while reading a prompt (one thread alone runs
 * faster on some machines than any of them together): the mean of the
 * threads' rates; 0 when a thread or its memory is missing. */
static double compute_threads(int rounds, int threads, uint64_t *sink)
{
	struct compute_job job[PROBE_MAX_THREADS];
	double sum = 0;
	int started, ok = 1;

	for (int i = 0; i < threads; i++)
		job[i] = (struct compute_job){ rounds, 0, 0 };
	started = run_threads(compute_thread, job, sizeof(job[0]), threads);
	for (int i = 0; i < started; i++) {
		sum += job[i].rate;
		ok &= job[i].rate > 0;
		*sink += job[i].sink;
	}
	return ok && started == threads ? sum / threads : 0;
}

int speed_probe(struct lm_speed_probe *p, size_t bytes, int rounds, int threads,
		struct lm_err *err)
{
	size_t words = bytes / 8;
	uint64_t *w;
	uint64_t sink = 0;
	double best = 0;

	memset(p, 0, sizeof(*p));
	threads = threads < 1 ? 1 : threads > PROBE_MAX_THREADS ? PROBE_MAX_THREADS : threads;
	if (words < 1024 || rounds < 1)
		return lm_err_set(err, LM_EUSAGE, "probe sizes too small");
	if (!(w = malloc(words * 8)))
		return lm_err_set(err, LM_ERESOURCE, "cannot allocate %zu bytes for the probe", bytes);
	for (size_t i = 0; i < words; i++)
		w[i] = i; /* touch every page: no zero-page reads */
	for (int r = 0; r < 8; r++) {
		double dt = read_threads(w, words, threads, &sink);
		if (r > 0 && dt > 0 && (double)(words * 8) / dt > best)
			best = (double)(words * 8) / dt;
	}
	free(w);
	p->read_bw = best;
	p->flops = compute_threads(rounds, threads, &sink);
	probe_sink = sink; /* the reads have a use: not optimised away */
	if (p->flops <= 0)
		return lm_err_set(err, LM_ERESOURCE, "cannot run the probe's compute threads");
	return LM_OK;
}

/* ---- the per-machine cache --------------------------------------------- */

void speed_machine_key(const struct lm_hw *hw, char out[17])
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	char buf[512];

	snprintf(buf, sizeof(buf), "%s|%s|%d|%d|%llu", hw->arch, hw->cpu_model, hw->cores_physical,
		 hw->cores_logical, (unsigned long long)(hw->ram_total >> 28));
	for (int i = 0; i < hw->ngpus; i++) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, "|%s", hw->gpus[i].name);
	}
	for (const char *s = buf; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static void cache_path(char *buf, size_t size, const char *dir, const char *key)
{
	snprintf(buf, size, "%s/speed-%s.txt", dir, key);
}

int speed_cache_load(const char *dir, const char *key, struct lm_speed_probe *p,
		     struct lm_err *err)
{
	char path[4096], line[256];
	int version = 1;
	FILE *f;

	memset(p, 0, sizeof(*p));
	cache_path(path, sizeof(path), dir, key);
	if (!(f = fopen(path, "r")))
		return lm_err_set(err, errno == ENOENT ? LM_ENOTFOUND : LM_EFAIL,
				  "cannot read '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		double v;
		int ver;
		if (sscanf(line, " probe = %d", &ver) == 1)
			version = ver;
		else if (sscanf(line, " read_bw = %lf", &v) == 1 && v > 0)
			p->read_bw = v;
		else if (sscanf(line, " flops = %lf", &v) == 1 && v > 0)
			p->flops = v;
	}
	fclose(f);
	if (p->read_bw <= 0 || p->flops <= 0 || version != SPEED_PROBE_VERSION)
		return lm_err_set(err, LM_ENOTFOUND, "'%s' holds no calibration of this probe", path);
	return LM_OK;
}

int speed_cache_save(const char *dir, const char *key, const struct lm_speed_probe *p,
		     struct lm_err *err)
{
	char path[4096], tmp[4200];
	FILE *f;
	int ok;

	cache_path(path, sizeof(path), dir, key);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", tmp, strerror(errno));
	fprintf(f, "# localmodel speed calibration (recommend --calibrate)\n"
		   "probe = %d\nread_bw = %.0f\nflops = %.0f\n", SPEED_PROBE_VERSION, p->read_bw,
		   p->flops);
	ok = !ferror(f);
	if (fclose(f) || !ok || rename(tmp, path)) {
		int e = errno;
		remove(tmp);
		return lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", path, strerror(e));
	}
	return LM_OK;
}
