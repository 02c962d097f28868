/* fit: memory estimate (see fit.h for the formula). */
#include "localmodel/fit.h"
#include "localmodel/catalog.h"
#include "localmodel/gguf.h"
#include "localmodel/hw.h"

#include <string.h>

#define FIT_MLA_ROPE 64
#define FIT_CTX_STEP 1024

void fit_opts_default(struct lm_fit_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cache = LM_CACHE_F16;
	o->reserve_bytes = 2ull << 30;
	o->parallel = 1;
	o->gpu_layers = -1;
}

void fit_model_set_swa(struct lm_fit_model *m, uint32_t window, uint32_t every)
{
	m->sliding_window = window;
	for (uint32_t l = 0; l < m->n_layers && l < LM_FIT_MAX_LAYERS; l++)
		m->swa[l] = window && (every == 0 || l % every < every - 1);
}

/* llama.cpp's SWA pattern for architectures that do not store one. */
static uint32_t arch_swa_every(const char *arch)
{
	static const struct { const char *arch; uint32_t every; } known[] = {
		{ "gemma2", 2 }, { "gemma3", 6 }, { "gpt-oss", 2 }, { "cohere2", 4 },
		{ "llama4", 4 }, { "exaone4", 4 },
	};

	for (size_t i = 0; arch && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(arch, known[i].arch))
			return known[i].every;
	return 0;
}

/* What one token reads: the token embedding table is only gathered from
 * (one row) unless there is no output.weight (then it is the output
 * matrix too); expert tensors ("*_exps") count at n_expert_used/n_expert.
 * Tensors of the parts not read are taken to be like the ones read. */
static void gguf_active(struct lm_fit_model *m, const struct lm_gguf *g)
{
	uint64_t sum = 0, embd = 0, exps = 0, embd_p = 0, exps_p = 0;
	int tied = 1;
	double used, scale;

	for (size_t i = 0; i < g->ntensors; i++) {
		const struct lm_gguf_tensor *t = &g->tensors[i];
		uint64_t np = 1;
		for (uint32_t d = 0; d < t->n_dims && d < 4; d++)
			np *= (uint64_t)(t->ne[d] > 0 ? t->ne[d] : 1);
		sum += t->nbytes;
		if (!t->name)
			continue;
		if (!strcmp(t->name, "output.weight"))
			tied = 0;
		if (!strcmp(t->name, "token_embd.weight")) {
			embd += t->nbytes;
			embd_p += np;
		} else if (strstr(t->name, "_exps")) {
			exps += t->nbytes;
			exps_p += np;
		}
	}
	if (!sum)
		return;
	used = g->n_expert && g->n_expert_used ? (double)g->n_expert_used / g->n_expert : 1.0;
	scale = (double)g->weight_bytes / (double)sum;
	m->active_bytes = g->weight_bytes -
			  (uint64_t)((double)(tied ? 0 : embd) + (double)exps * (1 - used) * scale);
	m->active_params = g->params -
			   (uint64_t)((double)(tied ? 0 : embd_p) + (double)exps_p * (1 - used) * scale);
}

int fit_model_from_gguf(struct lm_fit_model *m, const struct lm_gguf *g, struct lm_err *err)
{
	memset(m, 0, sizeof(*m));
	if (!g->block_count)
		return lm_err_set(err, LM_EUSAGE, "model has no block_count: cannot estimate its memory");
	if (g->block_count > LM_FIT_MAX_LAYERS)
		return lm_err_set(err, LM_EUSAGE, "model has too many layers (%u)", g->block_count);
	m->weight_bytes = g->weight_bytes;
	m->params = g->params;
	m->n_layers = g->block_count;
	m->n_embd = g->n_embd;
	m->n_ff = g->n_ff;
	m->n_vocab = g->n_vocab;
	m->ctx_train = g->ctx_train;
	m->key_length = g->key_length;
	m->value_length = g->value_length;
	m->kv_lora_rank = g->kv_lora_rank;
	for (uint32_t l = 0; l < m->n_layers; l++)
		m->head_kv[l] = (uint16_t)(g->head_kv && g->head_kv[l] < 65536 ? g->head_kv[l] : 0);
	if (g->sliding_window && g->swa_layers) {
		m->sliding_window = g->sliding_window;
		memcpy(m->swa, g->swa_layers, m->n_layers);
	} else if (g->sliding_window && (g->swa_pattern || arch_swa_every(g->arch))) {
		fit_model_set_swa(m, g->sliding_window,
				  g->swa_pattern ? g->swa_pattern : arch_swa_every(g->arch));
	}
	gguf_active(m, g);
	return LM_OK;
}

void fit_model_from_catalog(struct lm_fit_model *m, const struct lm_catalog_model *c,
			    const struct lm_catalog_file *f)
{
	memset(m, 0, sizeof(*m));
	m->weight_bytes = f ? f->size_bytes : 0;
	m->params = c->params;
	m->active_params = c->active_params ? c->active_params : c->params;
	m->active_bytes = c->params ? (uint64_t)((double)m->weight_bytes *
				      (double)m->active_params / (double)c->params) : m->weight_bytes;
	m->n_layers = c->n_layers < LM_FIT_MAX_LAYERS ? c->n_layers : LM_FIT_MAX_LAYERS;
	m->n_embd = c->n_embd;
	m->ctx_train = c->ctx_train;
	m->key_length = c->key_length ? c->key_length : (c->n_head ? c->n_embd / c->n_head : 0);
	m->value_length = c->value_length ? c->value_length : m->key_length;
	for (uint32_t l = 0; l < m->n_layers; l++)
		m->head_kv[l] = (uint16_t)(c->n_head_kv ? c->n_head_kv : c->n_head);
	if (c->sliding_window)
		fit_model_set_swa(m, c->sliding_window, c->swa_every);
}

void fit_machine_from_hw(struct lm_fit_machine *mc, const struct lm_hw *hw, int use_available)
{
	memset(mc, 0, sizeof(*mc));
	mc->ram_bytes = use_available ? hw_usable_ram(hw) : hw_planning_ram(hw);
	if (hw->unified_memory) {
		mc->unified = 1;
		for (int i = 0; i < hw->ngpus; i++)
			if (hw->gpus[i].vendor == LM_GPU_APPLE)
				mc->gpu_bytes = hw->gpus[i].vram_total;
		if (mc->gpu_bytes > mc->ram_bytes)
			mc->gpu_bytes = mc->ram_bytes;
		return;
	}
	for (int i = 0; i < hw->ngpus; i++) {
		const struct lm_gpu *g = &hw->gpus[i];
		if (g->vendor != LM_GPU_NVIDIA && g->vendor != LM_GPU_AMD)
			continue;
		mc->gpu_bytes += g->vram_total - (use_available && g->vram_used < g->vram_total
						  ? g->vram_used : 0);
		mc->ngpus++;
	}
}

void fit_machine_from_sizes(struct lm_fit_machine *mc, uint64_t ram, uint64_t gpu, int unified)
{
	memset(mc, 0, sizeof(*mc));
	mc->ram_bytes = ram;
	mc->gpu_bytes = unified && gpu > ram ? ram : gpu;
	mc->ngpus = gpu && !unified;
	mc->unified = unified;
}

/* Bytes per element of a cache type, as a fraction. */
static void cache_elem(enum lm_cache_type t, uint64_t *num, uint64_t *den)
{
	switch (t) {
	case LM_CACHE_Q8_0: *num = 34; *den = 32; break;
	case LM_CACHE_Q4_0: *num = 18; *den = 32; break;
	case LM_CACHE_F32: *num = 4; *den = 1; break;
	default: *num = 2; *den = 1; break;
	}
}

/* KV bytes of layer l for ctx tokens. */
static uint64_t kv_layer(const struct lm_fit_model *m, uint32_t l, uint32_t ctx,
			 enum lm_cache_type t, int slots)
{
	uint64_t num, den, cells = ctx, per_cell;

	cache_elem(t, &num, &den);
	if (m->swa[l] && m->sliding_window) {
		uint64_t cap = (uint64_t)m->sliding_window * (uint64_t)(slots > 0 ? slots : 1) +
			       LM_FIT_UBATCH;
		if (cap < cells)
			cells = cap;
	}
	if (m->kv_lora_rank)
		per_cell = (uint64_t)m->kv_lora_rank + FIT_MLA_ROPE;
	else
		per_cell = (uint64_t)m->head_kv[l] * (m->key_length + m->value_length);
	return cells * per_cell * num / den;
}

uint64_t fit_kv_bytes(const struct lm_fit_model *m, uint32_t ctx, enum lm_cache_type t, int slots)
{
	uint64_t sum = 0;

	for (uint32_t l = 0; l < m->n_layers && l < LM_FIT_MAX_LAYERS; l++)
		sum += kv_layer(m, l, ctx, t, slots);
	return sum;
}

uint64_t fit_compute_bytes(const struct lm_fit_model *m, uint32_t ctx)
{
	uint64_t ff = m->n_ff ? m->n_ff : (uint64_t)m->n_embd * 7 / 2;

	return (uint64_t)LM_FIT_UBATCH * 4 * (3 * ff + 4ull * m->n_embd) +
	       (uint64_t)LM_FIT_UBATCH * 2 * ctx;
}

/* Where everything goes for one context and one number of offloaded layers. */
struct place {
	int g;
	uint64_t gpu, cpu, kv, compute, overhead;
};

static void place(const struct lm_fit_model *m, const struct lm_fit_machine *mc,
		  const struct lm_fit_opts *o, uint32_t ctx, int g, struct place *p)
{
	uint32_t L = m->n_layers;
	uint64_t wl = m->weight_bytes / (L + 1), wout = m->weight_bytes - wl * L;
	uint64_t gpu_w = 0, gpu_kv = 0, comp = fit_compute_bytes(m, ctx);

	memset(p, 0, sizeof(*p));
	p->g = g;
	p->kv = 0;
	for (uint32_t l = 0; l < L; l++) {
		uint64_t k = kv_layer(m, l, ctx, o->cache, o->parallel);
		p->kv += k;
		if (g > 0 && l + (uint32_t)g >= L + 1) /* llama.cpp offloads the last layers */
			gpu_kv += k;
	}
	if (g > 0)
		gpu_w = wout + (uint64_t)(g - 1) * wl;
	p->overhead = LM_FIT_HOST_OVERHEAD;
	if (g > 0) {
		p->gpu = gpu_w + gpu_kv + comp;
		p->compute = comp;
		if (!mc->unified) {
			p->gpu += LM_FIT_GPU_OVERHEAD * (uint64_t)(mc->ngpus > 0 ? mc->ngpus : 1);
			p->overhead += LM_FIT_GPU_OVERHEAD * (uint64_t)(mc->ngpus > 0 ? mc->ngpus : 1);
		}
	}
	p->cpu = (m->weight_bytes - gpu_w) + (p->kv - gpu_kv) + LM_FIT_HOST_OVERHEAD;
	if ((uint32_t)g < L + 1) {
		p->cpu += comp;
		p->compute += comp;
	}
}

/* How much the placement overflows the budgets (0 = fits). */
static uint64_t overflow(const struct lm_fit_machine *mc, const struct lm_fit_opts *o,
			 const struct place *p)
{
	uint64_t ram = mc->ram_bytes > o->reserve_bytes ? mc->ram_bytes - o->reserve_bytes : 0;
	uint64_t over = 0;

	if (p->gpu > mc->gpu_bytes)
		over += p->gpu - mc->gpu_bytes;
	if (mc->unified) {
		if (p->gpu + p->cpu > ram)
			over += p->gpu + p->cpu - ram;
	} else if (p->cpu > ram) {
		over += p->cpu - ram;
	}
	return over;
}

/* The best placement at ctx: the most layers the GPU holds (or the forced
 * number). */
static void best_place(const struct lm_fit_model *m, const struct lm_fit_machine *mc,
		       const struct lm_fit_opts *o, uint32_t ctx, struct place *p)
{
	int total = (int)m->n_layers + 1;
	int lo = 0, hi = total;

	if (o->gpu_layers >= 0) {
		place(m, mc, o, ctx, o->gpu_layers < total ? o->gpu_layers : total, p);
		return;
	}
	if (!mc->gpu_bytes) {
		place(m, mc, o, ctx, 0, p);
		return;
	}
	/* largest g whose GPU part fits (GPU use grows with g) */
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		place(m, mc, o, ctx, mid, p);
		if (p->gpu <= mc->gpu_bytes)
			lo = mid;
		else
			hi = mid - 1;
	}
	place(m, mc, o, ctx, lo, p);
}

static void fill(const struct lm_fit_model *m, const struct lm_fit_machine *mc,
		 const struct lm_fit_opts *o, uint32_t ctx, const struct place *p,
		 struct lm_fit_result *r)
{
	uint64_t over = overflow(mc, o, p);

	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->gpu_layers = p->g;
	r->n_layers_total = (int)m->n_layers + 1;
	r->gpu_bytes = p->gpu;
	r->cpu_bytes = p->cpu;
	r->total_bytes = p->gpu + p->cpu;
	r->weight_bytes = m->weight_bytes;
	r->kv_bytes = p->kv;
	r->compute_bytes = p->compute;
	r->overhead_bytes = p->overhead;
	if (over) {
		r->verdict = LM_FIT_NO_FIT;
		r->missing_bytes = over;
	} else if (p->g == r->n_layers_total) {
		r->verdict = LM_FIT_FULL_GPU;
	} else {
		r->verdict = p->g > 0 ? LM_FIT_PARTIAL_GPU : LM_FIT_CPU;
	}
}

/* Does ctx keep at least the offload found at the smallest context, and fit? */
static int keeps(const struct lm_fit_model *m, const struct lm_fit_machine *mc,
		 const struct lm_fit_opts *o, uint32_t ctx, int g0)
{
	struct place p;

	best_place(m, mc, o, ctx, &p);
	return p.g >= g0 && !overflow(mc, o, &p);
}

int fit_estimate(const struct lm_fit_model *m, const struct lm_fit_machine *mc,
		 const struct lm_fit_opts *o, struct lm_fit_result *r, struct lm_err *err)
{
	struct place p;
	uint32_t ctx_max, ctx_min, lo, hi;

	memset(r, 0, sizeof(*r));
	if (!m->n_layers || m->n_layers > LM_FIT_MAX_LAYERS)
		return lm_err_set(err, LM_EUSAGE, "model description has no layers");
	if (o->ctx) {
		best_place(m, mc, o, o->ctx, &p);
		fill(m, mc, o, o->ctx, &p, r);
		return LM_OK;
	}
	ctx_max = m->ctx_train ? m->ctx_train : LM_FIT_MIN_CTX;
	ctx_min = ctx_max < LM_FIT_MIN_CTX ? ctx_max : LM_FIT_MIN_CTX;
	best_place(m, mc, o, ctx_min, &p);
	if (overflow(mc, o, &p) || ctx_max == ctx_min || keeps(m, mc, o, ctx_max, p.g)) {
		uint32_t ctx = overflow(mc, o, &p) || ctx_max == ctx_min ? ctx_min : ctx_max;
		best_place(m, mc, o, ctx, &p);
		fill(m, mc, o, ctx, &p, r);
		return LM_OK;
	}
	/* largest ctx_min + k * step (< ctx_max) that keeps the offload */
	lo = 0;
	hi = (ctx_max - ctx_min - 1) / FIT_CTX_STEP;
	while (lo < hi) {
		uint32_t mid = (lo + hi + 1) / 2;
		if (keeps(m, mc, o, ctx_min + mid * FIT_CTX_STEP, p.g))
			lo = mid;
		else
			hi = mid - 1;
	}
	{
		int g0 = p.g;
		uint32_t ctx = ctx_min + lo * FIT_CTX_STEP;
		best_place(m, mc, o, ctx, &p);
		if (p.g < g0) /* cannot happen at lo == 0, kept for safety */
			place(m, mc, o, ctx, g0, &p);
		fill(m, mc, o, ctx, &p, r);
	}
	return LM_OK;
}

const char *fit_verdict_name(enum lm_fit_verdict v)
{
	static const char *const names[] = { "full_gpu", "partial_gpu", "cpu", "no_fit" };
	return (unsigned)v < 4 ? names[v] : "unknown";
}

const char *fit_cache_name(enum lm_cache_type t)
{
	static const char *const names[] = { "f16", "q8_0", "q4_0", "f32" };
	return (unsigned)t < 4 ? names[t] : "unknown";
}

int fit_cache_parse(const char *s, enum lm_cache_type *t)
{
	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, fit_cache_name((enum lm_cache_type)i))) {
			*t = (enum lm_cache_type)i;
			return 0;
		}
	}
	return -1;
}

void fit_model_generic(struct lm_fit_model *m, uint64_t bytes)
{
	m->weight_bytes = bytes;
	m->params = bytes * 2; /* about 4 bits a weight */
	m->n_layers = 32;
	m->n_embd = 4096;
	m->n_vocab = 128000;
	m->ctx_train = LM_FIT_MIN_CTX;
	m->key_length = m->value_length = 128;
	for (uint32_t i = 0; i < m->n_layers; i++)
		m->head_kv[i] = 8;
}
