/* recommend: suggest models that fit this machine (three tiers: fast,
 * balanced, most capable), from the built-in catalog and, with --online,
 * the Hub search. */
#include "localmodel/catalog.h"
#include "localmodel/cmd.h"
#include "localmodel/fit.h"
#include "localmodel/gguf.h"
#include "localmodel/http.h"
#include "localmodel/hw.h"
#include "localmodel/predict.h"
#include "localmodel/speed.h"
#include "localmodel/store.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GiB (1ull << 30)
#define REC_SLOTS 4 /* llama-server's default number of slots */
/* Tier speeds (decode tokens/s): fast answers come at least twice as fast
 * as people read (about 4-5 words, 6-8 tokens a second); balanced ones
 * keep up with reading; most capable only needs the usable floor. */
#define REC_FAST_TOK_S 20.0
#define REC_BALANCED_TOK_S 8.0

static const struct lm_opt opts[] = {
	{ "task", 0, LM_OPT_VALUE, "TASK", "chat (default), code or reasoning" },
	{ "memory", 0, LM_OPT_VALUE, "SIZE", "plan for this much RAM (8G, 16GiB)" },
	{ "gpu-memory", 0, LM_OPT_VALUE, "SIZE", "plan for this much GPU memory (0 = none)" },
	{ "context", 0, LM_OPT_VALUE, "N", "context length wanted (tokens)" },
	{ "online", 0, LM_OPT_FLAG, NULL, "add candidates from the Hub search" },
	{ "min-speed", 0, LM_OPT_VALUE, "TOK/S", "usable floor: slowest decode offered (default 3)" },
	{ "bandwidth", 0, LM_OPT_VALUE, "GB/S", "plan for this memory bandwidth (68, 800GB/s, 1.8T)" },
	{ "calibrate", 0, LM_OPT_FLAG, NULL, "measure this machine's memory and compute first (cached)" },
	LM_OPT_END,
};

enum tier { TIER_FAST, TIER_BALANCED, TIER_CAPABLE, NTIERS };
static const char *const tier_json[NTIERS] = { "fast", "balanced", "most_capable" };
static const char *const tier_text[NTIERS] = { "fast", "balanced", "most capable" };

/* One model file with its fit on this machine. */
struct cand {
	const struct lm_catalog_model *m;
	const struct lm_catalog_file *f;
	struct lm_fit_result r;
	struct lm_speed_result sp; /* predicted speeds */
	uint64_t active_bytes; /* weights read per token */
	int reference;         /* the model's usual file: Q4_K_M, else its first */
	int installed;
	int online;            /* from the Hub search: shape estimated */
	size_t order;          /* of its model: catalog order, then the Hub's */
};

/* A model found by the Hub search, dressed as a catalog entry. */
#define ONLINE_MAX 8
struct online {
	struct lm_catalog_model m;
	struct lm_catalog_file f;
	char repo[256];
	char path[512];
	char quant[32];
};

struct plan {
	struct lm_hw hw;
	struct lm_fit_machine mc;
	struct lm_speed_machine sm;
	double floor;          /* usable decode floor, tokens/s */
	const struct cand *fastest; /* fits, but below the floor: the fastest */
	struct lm_fit_opts fo;
	uint64_t fast_budget;  /* GPU memory, else RAM minus the reserve */
	int has_gpu;
	int planned;           /* --memory or --gpu-memory given */
	uint64_t plan_ram, plan_gpu;
	unsigned task;
	struct cand *c;
	size_t n, cap;
	struct online online[ONLINE_MAX];
	size_t nonline;
	struct cand *pick[NTIERS];
	const struct cand *smallest; /* when nothing fits */
	char note[256];
};

static int parse_task(const char *s, unsigned *task, struct lm_err *err)
{
	if (!s || !strcmp(s, "chat"))
		*task = LM_TASK_CHAT;
	else if (!strcmp(s, "code"))
		*task = LM_TASK_CODE;
	else if (!strcmp(s, "reasoning"))
		*task = LM_TASK_REASONING;
	else
		return lm_err_set(err, LM_EUSAGE, "unknown task '%s' (chat, code or reasoning)", s);
	return LM_OK;
}

/* The fit options recommend uses: what serve runs with. */
static void plan_opts(const struct lm_ctx *ctx, struct plan *p, long want_ctx)
{
	fit_opts_default(&p->fo);
	p->fo.ctx = (uint32_t)want_ctx;
	p->fo.cache = LM_CACHE_Q8_0; /* serve's cache with flash attention */
	p->fo.parallel = REC_SLOTS;
	p->fo.reserve_bytes = (uint64_t)(ctx->cfg.reserve_gb * (double)GiB);
	p->has_gpu = p->mc.gpu_bytes > 0;
	if (p->has_gpu)
		p->fast_budget = p->mc.gpu_bytes;
	else
		p->fast_budget = p->mc.ram_bytes > p->fo.reserve_bytes
					 ? p->mc.ram_bytes - p->fo.reserve_bytes : 0;
}

/* Probe the machine, then replace what --memory / --gpu-memory give. */
static int plan_machine(struct lm_ctx *ctx, struct lm_args *args, struct plan *p,
			struct lm_err *err)
{
	int have_ram = args_has(args, "memory"), have_gpu = args_has(args, "gpu-memory");
	long want_ctx = 0;
	int rc;

	if ((rc = args_get_size(args, "memory", &p->plan_ram, err)) ||
	    (rc = args_get_size(args, "gpu-memory", &p->plan_gpu, err)) ||
	    (rc = args_get_long(args, "context", 512, 16 * 1024 * 1024, &want_ctx, err)))
		return rc;
	if (have_ram && p->plan_ram < (64ull << 20))
		return lm_err_set(err, LM_EUSAGE, "--memory '%s' is too small", args_get(args, "memory"));
	{
		const struct lm_machine *mach = ctx_machine(ctx);
		if (!mach->ok)
			return lm_err_set(err, mach->err.code, "%s", mach->err.msg);
		p->hw = mach->hw;
		p->mc = mach->plan;
	}
	p->planned = have_ram || have_gpu;
	if (have_ram) {
		p->mc.ram_bytes = p->plan_ram;
		if (p->mc.unified && !have_gpu)
			p->mc.gpu_bytes = hw_apple_gpu_share(p->plan_ram, 0);
	}
	if (have_gpu) {
		p->mc.gpu_bytes = p->plan_gpu;
		if (!p->mc.unified)
			p->mc.ngpus = p->plan_gpu ? (p->mc.ngpus ? p->mc.ngpus : 1) : 0;
	}
	if (p->mc.unified && p->mc.gpu_bytes > p->mc.ram_bytes)
		p->mc.gpu_bytes = p->mc.ram_bytes;
	if (!p->mc.ram_bytes)
		return lm_err_set(err, LM_EFAIL, "cannot tell how much memory this machine has; "
				  "plan with --memory SIZE");
	plan_opts(ctx, p, want_ctx);
	return LM_OK;
}

/* "68", "68G", "800GB/s", "1.8T", "500M": bytes per second (decimal
 * units, as bandwidths are quoted; a bare number is GB/s). 0 when bad. */
static double parse_bandwidth(const char *s)
{
	char *end;
	double v = strtod(s, &end), unit = 1e9;

	if (end == s || !(v > 0))
		return 0;
	if (*end == 'M' || *end == 'm')
		unit = 1e6, end++;
	else if (*end == 'G' || *end == 'g')
		end++;
	else if (*end == 'T' || *end == 't')
		unit = 1e12, end++;
	if (!strcasecmp(end, "B/s") || !strcasecmp(end, "B") || !*end)
		return v * unit;
	return 0;
}

/* The speed figures: this machine's best (history, calibration, table),
 * or for a planned machine the table and --bandwidth. --calibrate measures
 * first and caches the result under the state directory. */
static int plan_speed(struct lm_ctx *ctx, struct lm_args *args, struct plan *p,
		      struct lm_err *err)
{
	const char *ms = args_get(args, "min-speed");
	const char *bws = args_get(args, "bandwidth");
	double bw = 0;
	int rc;

	p->floor = LM_SPEED_FLOOR;
	if (ms) {
		char *end;
		p->floor = strtod(ms, &end);
		if (end == ms || *end || !(p->floor >= 0 && p->floor <= 10000))
			return lm_err_set(err, LM_EUSAGE, "--min-speed '%s' is not a number of "
					  "tokens per second", ms);
	}
	if (bws && !(bw = parse_bandwidth(bws)))
		return lm_err_set(err, LM_EUSAGE, "bad bandwidth '%s' (GB/s: 68, 800GB/s, 1.8T)", bws);
	if (bws && bw < 1e9)
		return lm_err_set(err, LM_EUSAGE, "--bandwidth '%s' is too small (GB/s: 68, "
				  "800GB/s, 1.8T)", bws);
	if (args_has(args, "calibrate")) {
		struct lm_speed_probe pr;
		if ((rc = predict_calibrate(&p->hw, ctx->paths.state_dir, &pr, err)))
			return rc;
		snprintf(p->note, sizeof(p->note), "calibrated: %.1f GB/s memory reads, %.1f GFLOP/s "
			 "a thread", pr.read_bw / 1e9, pr.flops / 1e9);
	}
	if (p->planned || bw) {
		speed_machine_from_hw(&p->sm, &p->hw);
		if (!p->mc.gpu_bytes)
			p->sm.gpu_bw = 0;
		else
			speed_machine_plan_gpu(&p->sm);
		if (bw)
			speed_machine_set_bandwidth(&p->sm, bw, p->mc.gpu_bytes > 0);
		if (bw && p->mc.unified)
			p->sm.host_bw = p->sm.gpu_bw * 0.5;
	} else {
		ctx_speed(ctx, &p->hw, &p->mc, &p->sm, 1);
	}
	return LM_OK;
}

/* Is this repo:quant in the inventory? */
static int is_installed(const struct lm_model *inv, size_t ninv, const char *repo, const char *quant)
{
	for (size_t i = 0; i < ninv; i++)
		if (inv[i].repo_source && inv[i].quantization &&
		    !strcasecmp(inv[i].repo_source, repo) && !strcasecmp(inv[i].quantization, quant))
			return 1;
	return 0;
}

/* Fit every file of model m (when it suits the task and context). */
static void add_model(struct plan *p, const struct lm_catalog_model *m, size_t order,
		      const struct lm_model *inv, size_t ninv, int online)
{
	if (!(m->tasks & p->task))
		return;
	if (p->fo.ctx && m->ctx_train && p->fo.ctx > m->ctx_train)
		return;
	for (size_t j = 0; j < m->nfiles && p->n < p->cap; j++) {
		struct cand *c = &p->c[p->n];
		struct lm_fit_model fm;
		fit_model_from_catalog(&fm, m, &m->files[j]);
		if (fit_estimate(&fm, &p->mc, &p->fo, &c->r, NULL))
			continue;
		c->m = m;
		c->f = &m->files[j];
		c->active_bytes = m->params ? (uint64_t)((double)c->f->size_bytes *
					(double)(m->active_params ? m->active_params : m->params) /
					(double)m->params) : c->f->size_bytes;
		c->installed = is_installed(inv, ninv, m->repo, c->f->quant);
		c->reference = catalog_file(m, "Q4_K_M") ? c->f == catalog_file(m, "Q4_K_M") : j == 0;
		c->online = online;
		c->order = order;
		predict_speed(&fm, &c->r, p->fo.cache, &p->sm, &c->sp);
		p->n++;
	}
}

/* Every catalog file (and Hub candidate) for the task, with its fit. */
static int gather(struct lm_ctx *ctx, struct plan *p, struct lm_err *err)
{
	struct lm_model *inv = NULL;
	size_t ninv = 0;
	int rc;

	if (ctx->store && (rc = store_model_list(ctx->store, &inv, &ninv, err)))
		return rc;
	p->cap = 64 + lm_catalog_len * 8;
	p->c = lm_xcalloc(p->cap, sizeof(*p->c));
	for (size_t i = 0; i < lm_catalog_len; i++)
		add_model(p, &lm_catalog[i], i, inv, ninv, 0);
	for (size_t i = 0; i < p->nonline; i++)
		add_model(p, &p->online[i].m, lm_catalog_len + i, inv, ninv, 1);
	store_model_list_free(inv, ninv);
	return LM_OK;
}

/* Bits per weight a quant label names: "Q4_K_M" 4, "IQ3_XS" 3, "MXFP4" 4,
 * "F16" 16; 0 when unknown. */
static int quant_bits(const char *q)
{
	if (!strncasecmp(q, "UD-", 3))
		q += 3;
	if (toupper((unsigned char)q[0]) == 'I')
		q++;
	if (toupper((unsigned char)q[0]) == 'Q' || toupper((unsigned char)q[0]) == 'F')
		return atoi(q + 1);
	if (!strncasecmp(q, "BF", 2))
		return atoi(q + 2);
	if (!strncasecmp(q, "MXFP", 4))
		return atoi(q + 4);
	return 0;
}

/* Does c qualify for tier t? Every tier needs the usable decode floor;
 * fast needs REC_FAST_TOK_S, balanced REC_BALANCED_TOK_S. Fast and
 * balanced take a model's usual file only; most capable may take a smaller
 * quant of a bigger model, down to 3 bits a weight (below, quality falls
 * off). */
static int qualifies(const struct plan *p, const struct cand *c, enum tier t)
{
	if (c->r.verdict == LM_FIT_NO_FIT || c->sp.decode_tok_s < p->floor)
		return 0;
	if (t != TIER_CAPABLE && !c->reference)
		return 0;
	if (quant_bits(c->f->quant) < (t == TIER_CAPABLE ? 3 : 4))
		return 0;
	if (t == TIER_CAPABLE)
		return 1;
	return c->sp.decode_tok_s >= (t == TIER_FAST ? REC_FAST_TOK_S : REC_BALANCED_TOK_S);
}

/* Is a better than b for a tier: more parameters; between models of the
 * same size, one not tagged for reasoning unless the task is (they think at
 * length before answering), then catalog order; for one model, its usual
 * file, then the bigger (higher quality) file. */
static int better(const struct plan *p, const struct cand *a, const struct cand *b)
{
	if (!b)
		return 1;
	if (a->m->params != b->m->params)
		return a->m->params > b->m->params;
	if (a->m != b->m) {
		int ra = !!(a->m->tasks & LM_TASK_REASONING), rb = !!(b->m->tasks & LM_TASK_REASONING);
		if (ra != rb && p->task != LM_TASK_REASONING)
			return ra < rb;
		return a->order < b->order;
	}
	if (a->reference != b->reference)
		return a->reference;
	return a->f->size_bytes > b->f->size_bytes;
}

static int taken(const struct plan *p, const struct lm_catalog_model *m)
{
	for (int t = 0; t < NTIERS; t++)
		if (p->pick[t] && p->pick[t]->m == m)
			return 1;
	return 0;
}

/* The usual file with the fastest predicted decode among the models not
 * picked yet, or NULL. */
static struct cand *fastest(struct plan *p)
{
	struct cand *best = NULL;

	for (size_t i = 0; i < p->n; i++) {
		struct cand *c = &p->c[i];
		if (!qualifies(p, c, TIER_CAPABLE) || !c->reference || taken(p, c->m))
			continue;
		if (!best || c->sp.decode_tok_s > best->sp.decode_tok_s)
			best = c;
	}
	return best;
}

/* Pick one candidate per tier, each a different model when possible:
 * most capable first, then balanced, then fast. When no model reaches the
 * fast tier's speed, the fastest one left is fast; fast is never slower
 * than balanced. */
static void choose(struct plan *p)
{
	static const enum tier order[NTIERS] = { TIER_CAPABLE, TIER_BALANCED, TIER_FAST };

	for (int k = 0; k < NTIERS; k++) {
		enum tier t = order[k];
		struct cand *best = NULL;
		for (size_t i = 0; i < p->n; i++)
			if (qualifies(p, &p->c[i], t) && !taken(p, p->c[i].m) &&
			    better(p, &p->c[i], best))
				best = &p->c[i];
		p->pick[t] = best;
	}
	if (!p->pick[TIER_FAST])
		p->pick[TIER_FAST] = fastest(p);
	if (p->pick[TIER_FAST] && p->pick[TIER_BALANCED] &&
	    p->pick[TIER_FAST]->sp.decode_tok_s < p->pick[TIER_BALANCED]->sp.decode_tok_s) {
		struct cand *c = p->pick[TIER_FAST];
		p->pick[TIER_FAST] = p->pick[TIER_BALANCED];
		p->pick[TIER_BALANCED] = c;
	}
	/* the smallest option, to suggest when nothing fits; the fastest that
	 * fits, when nothing is fast enough */
	for (size_t i = 0; i < p->n; i++) {
		const struct cand *c = &p->c[i];
		if (!p->smallest || c->r.total_bytes < p->smallest->r.total_bytes)
			p->smallest = c;
		if (c->r.verdict != LM_FIT_NO_FIT &&
		    (!p->fastest || c->sp.decode_tok_s > p->fastest->sp.decode_tok_s))
			p->fastest = c;
	}
}

static void why(const struct plan *p, const struct cand *c, enum tier t, char *buf, size_t size)
{
	char where[96];
	double act = (double)(c->m->active_params ? c->m->active_params : c->m->params) / 1e9;

	if (c->r.verdict == LM_FIT_FULL_GPU)
		snprintf(where, sizeof(where), "%s", p->mc.unified ? "all on the GPU (unified memory)"
								  : "all on the GPU");
	else if (c->r.verdict == LM_FIT_PARTIAL_GPU)
		snprintf(where, sizeof(where), "%d of %d layers on the GPU", c->r.gpu_layers,
			 c->r.n_layers_total);
	else
		snprintf(where, sizeof(where), "on the CPU");
	switch (t) {
	case TIER_FAST:
		snprintf(buf, size, "quick answers: ~%.0f tokens/s, %.1fB parameters read per token, %s",
			 c->sp.decode_tok_s, act, where);
		break;
	case TIER_BALANCED:
		snprintf(buf, size, "good quality at reading speed or better (~%.0f tokens/s), %s",
			 c->sp.decode_tok_s, where);
		break;
	default:
		snprintf(buf, size, "the largest model that fits and runs at ~%.1f tokens/s, %s",
			 c->sp.decode_tok_s, where);
		break;
	}
	if (c->online) {
		size_t n = strlen(buf);
		snprintf(buf + n, size - n, " (from the Hub search: memory estimated from its "
			 "parameter count)");
	}
}

/* The speed figures the picks were made with. */
static void speed_json(cJSON *doc, const struct plan *p)
{
	cJSON *sp = cJSON_AddObjectToObject(doc, "speed");

	cJSON_AddStringToObject(sp, "source", predict_source_name(p->sm.source));
	cJSON_AddNumberToObject(sp, "floor_tok_s", p->floor);
	cJSON_AddNumberToObject(sp, "host_bandwidth_bytes", round(p->sm.host_bw));
	cJSON_AddNumberToObject(sp, "gpu_bandwidth_bytes", round(p->sm.gpu_bw));
	cJSON_AddNumberToObject(sp, "threads", p->sm.threads);
	cJSON_AddNumberToObject(sp, "history_factor", p->sm.factor);
	cJSON_AddNumberToObject(sp, "history_prompt_factor", p->sm.prompt_factor);
	if (p->sm.chip[0])
		cJSON_AddStringToObject(sp, "chip", p->sm.chip);
}

static void print_json(const struct plan *p)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *hw = hw_json(&p->hw), *recs, *bud;
	char reason[256];

	if (p->planned) {
		cJSON *pl = cJSON_AddObjectToObject(hw, "planned");
		cJSON_AddNumberToObject(pl, "memory_bytes", (double)p->mc.ram_bytes);
		cJSON_AddNumberToObject(pl, "gpu_memory_bytes", (double)p->mc.gpu_bytes);
	}
	bud = cJSON_AddObjectToObject(hw, "budget");
	cJSON_AddNumberToObject(bud, "ram_bytes", (double)p->mc.ram_bytes);
	cJSON_AddNumberToObject(bud, "gpu_bytes", (double)p->mc.gpu_bytes);
	cJSON_AddNumberToObject(bud, "reserve_bytes", (double)p->fo.reserve_bytes);
	cJSON_AddBoolToObject(bud, "unified", p->mc.unified);
	cJSON_AddItemToObject(doc, "hardware", hw);
	speed_json(doc, p);
	recs = cJSON_AddArrayToObject(doc, "recommendations");
	for (int t = 0; t < NTIERS; t++) {
		const struct cand *c = p->pick[t];
		cJSON *o;
		if (!c)
			continue;
		o = cJSON_CreateObject();
		why(p, c, (enum tier)t, reason, sizeof(reason));
		cJSON_AddStringToObject(o, "tier", tier_json[t]);
		cJSON_AddStringToObject(o, "repo", c->m->repo);
		cJSON_AddStringToObject(o, "quant", c->f->quant);
		cJSON_AddStringToObject(o, "file", c->f->path);
		cJSON_AddNumberToObject(o, "size_bytes", (double)c->f->size_bytes);
		cJSON_AddNumberToObject(o, "context", c->r.ctx);
		cJSON_AddNumberToObject(o, "memory_bytes", (double)c->r.total_bytes);
		cJSON_AddNumberToObject(o, "gpu_layers", c->r.gpu_layers);
		cJSON_AddBoolToObject(o, "installed", c->installed);
		cJSON_AddStringToObject(o, "verdict", fit_verdict_name(c->r.verdict));
		cJSON_AddNumberToObject(o, "decode_tok_s", round(c->sp.decode_tok_s * 10) / 10);
		cJSON_AddNumberToObject(o, "prompt_tok_s", round(c->sp.prompt_tok_s * 10) / 10);
		cJSON_AddStringToObject(o, "why", reason);
		cJSON_AddItemToArray(recs, o);
	}
	if (p->note[0])
		cJSON_AddStringToObject(doc, "note", p->note);
	ui_json_print(doc);
}

static void offload_text(const struct cand *c, char *buf, size_t size)
{
	if (c->r.verdict == LM_FIT_FULL_GPU)
		snprintf(buf, size, "all %d layers", c->r.n_layers_total);
	else if (c->r.verdict == LM_FIT_PARTIAL_GPU)
		snprintf(buf, size, "%d/%d layers", c->r.gpu_layers, c->r.n_layers_total);
	else
		snprintf(buf, size, "none (CPU)");
}

/* The machine and the budget the picks were made for. */
static void print_budget(const struct plan *p)
{
	char line[512], ram[32], gpu[48], res[32];

	hw_summary(&p->hw, line, sizeof(line));
	printf("machine:  %s\n", line);
	lm_format_size(p->mc.ram_bytes, ram, sizeof(ram));
	lm_format_size(p->fo.reserve_bytes, res, sizeof(res));
	if (p->mc.gpu_bytes) {
		lm_format_size(p->mc.gpu_bytes, gpu, sizeof(gpu));
		lm_strlcpy(gpu + strlen(gpu), " GPU memory", sizeof(gpu) - strlen(gpu));
	} else {
		lm_strlcpy(gpu, "no GPU", sizeof(gpu));
	}
	printf("%s %s RAM%s, %s, keeping %s free\n", p->planned ? "planning:" : "budget:  ", ram,
	       p->mc.unified ? " (unified)" : "", gpu, res);
	if (p->note[0])
		printf("note:     %s\n", p->note);
}

/* One row per pick; the INSTALLED column only when something is. */
static void print_table(const struct lm_ctx *ctx, const struct plan *p)
{
	struct ui_table t;
	int installed = 0;

	for (int k = 0; k < NTIERS; k++)
		installed |= p->pick[k] && p->pick[k]->installed;
	ui_table_init(&t, installed ? 9 : 8);
	t.right_align = 1u << 3 | 1u << 4 | 1u << 5 | 1u << 7;
	ui_table_row(&t, "TIER", "MODEL", "QUANT", "SIZE", "CONTEXT", "MEMORY", "GPU OFFLOAD",
		     "SPEED", "INSTALLED");
	for (int k = 0; k < NTIERS; k++) {
		const struct cand *c = p->pick[k];
		char size[32], mem[32], cx[32], off[48], sp[32];
		if (!c)
			continue;
		lm_format_size(c->f->size_bytes, size, sizeof(size));
		lm_format_size(c->r.total_bytes, mem, sizeof(mem));
		snprintf(cx, sizeof(cx), "%u", c->r.ctx);
		offload_text(c, off, sizeof(off));
		snprintf(sp, sizeof(sp), "~%.*f tok/s", c->sp.decode_tok_s < 10 ? 1 : 0,
			 c->sp.decode_tok_s);
		ui_table_row(&t, tier_text[k], c->m->repo, c->f->quant, size, cx, mem, off, sp,
			     c->installed ? "yes" : "no");
	}
	ui_table_print(ctx, &t, stdout);
	ui_table_release(&t);
}

static void print_text(const struct lm_ctx *ctx, const struct plan *p)
{
	char line[512];

	print_budget(p);
	putchar('\n');
	print_table(ctx, p);
	putchar('\n');
	for (int k = 0; k < NTIERS; k++) {
		if (!p->pick[k])
			continue;
		why(p, p->pick[k], (enum tier)k, line, sizeof(line));
		printf("%-13s %s\n", tier_text[k], line);
	}
	for (int k = 0; k < NTIERS; k++) {
		if (p->pick[k] && !p->pick[k]->installed) {
			printf("\nget one with: localmodel pull %s:%s\n", p->pick[k]->m->repo,
			       p->pick[k]->f->quant);
			break;
		}
	}
}

/* Nothing fits: say so, and name the smallest option and what it lacks. */
static int nothing_fits(struct lm_ctx *ctx, struct plan *p)
{
	char need[32], miss[32], have[32];

	lm_format_size(p->mc.ram_bytes, have, sizeof(have));
	if (p->fastest) {
		snprintf(p->note, sizeof(p->note), "nothing that fits runs at the usable floor of "
			 "%.1f tokens/s; the fastest, %s:%s, would make ~%.1f (--min-speed sets the "
			 "floor)", p->floor, p->fastest->m->repo, p->fastest->f->quant,
			 p->fastest->sp.decode_tok_s);
		if (ctx->json)
			print_json(p);
		else
			ui_error(ctx, "%s", p->note);
		return LM_ERESOURCE;
	}
	if (!p->smallest) {
		snprintf(p->note, sizeof(p->note), "no model in the catalog matches this task and context");
	} else {
		lm_format_size(p->smallest->r.total_bytes, need, sizeof(need));
		lm_format_size(p->smallest->r.missing_bytes, miss, sizeof(miss));
		snprintf(p->note, sizeof(p->note),
			 "nothing fits; the smallest option, %s:%s, needs %s: %s more than is free "
			 "after the %.1f GB reserve", p->smallest->m->repo, p->smallest->f->quant,
			 need, miss, ctx->cfg.reserve_gb);
	}
	if (ctx->json) {
		print_json(p);
		return LM_ERESOURCE;
	}
	if (!p->smallest) {
		ui_error(ctx, "%s", p->note);
		return LM_ERESOURCE;
	}
	ui_error(ctx, "nothing in the catalog fits this machine (%s RAM%s)", have,
		 p->mc.gpu_bytes ? " and its GPU" : "");
	fprintf(stderr, "the smallest option, %s:%s, needs %s: %s more than is free after "
			"the %.1f GB reserve (reserve_gb in the config)\n", p->smallest->m->repo,
			p->smallest->f->quant, need, miss, ctx->cfg.reserve_gb);
	return LM_ERESOURCE;
}

/* ---- --online: candidates from the Hub search ------------------------- */

/* The Hub endpoint: HF_ENDPOINT without its trailing slashes. */
static void hub_endpoint(char *buf, size_t size)
{
	const char *e = getenv("HF_ENDPOINT");
	size_t n;

	lm_strlcpy(buf, e && *e ? e : "https://huggingface.co", size);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

/* A plausible shape for a model known only by its parameter count: layers
 * and KV width grow with size like the catalog's dense GQA models do (a
 * 1B has 16 layers and 32 KB of f16 KV per token, an 8B 32 and 128 KB, a
 * 70B 80 and 320 KB); a little above them, to stay on the safe side. */
static void online_shape(struct lm_catalog_model *m, double params, uint32_t ctx)
{
	double b = params / 1e9 > 0.1 ? params / 1e9 : 0.1;
	double layers = 16.0 * pow(b, 0.33);
	double kv_token = 40.0 * 1024 * pow(b, 0.55); /* bytes of f16 K+V per token */
	uint32_t head_dim = 128;

	m->params = m->active_params = (uint64_t)params;
	m->n_layers = (uint32_t)(layers < 8 ? 8 : layers > 128 ? 128 : layers);
	m->n_embd = (uint32_t)(2048 * sqrt(b / 2) < 896 ? 896 : 2048 * sqrt(b / 2));
	m->n_head = 32;
	m->key_length = m->value_length = head_dim;
	m->n_head_kv = (uint32_t)(kv_token / 2 / m->n_layers / (2 * head_dim) + 1);
	m->ctx_train = ctx ? ctx : 4096;
}

/* The Q4_K_M GGUF file of a repo (all split parts summed), from its tree. */
static int online_file(struct lm_http *h, const char *ep, struct online *o, struct lm_err *err)
{
	struct lm_http_response resp = { 0 };
	char *url = lm_asprintf("%s/api/models/%s/tree/main?recursive=true", ep, o->repo);
	cJSON *doc = NULL, *e;
	char prefix[512] = "";
	int rc;

	rc = http_get(h, url, HTTP_NO_RETRY, &resp, err);
	free(url);
	if (rc || resp.status != 200 || !(doc = cJSON_Parse(resp.body))) {
		http_response_release(&resp);
		return rc ? rc : LM_ENOTFOUND;
	}
	cJSON_ArrayForEach(e, doc) {
		const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
		cJSON *size = cJSON_GetObjectItem(e, "size");
		char q[32], pre[512];
		int idx, cnt;
		if (!path || !cJSON_IsNumber(size) || !lm_ends_with_ci(path, ".gguf") ||
		    strstr(path, "mmproj") || gguf_quant_from_name(path, q, sizeof(q)) ||
		    strcasecmp(q, "Q4_K_M"))
			continue;
		if (gguf_split_parse(path, &idx, &cnt, pre, sizeof(pre)))
			lm_strlcpy(pre, path, sizeof(pre));
		if (!prefix[0]) {
			lm_strlcpy(prefix, pre, sizeof(prefix));
			lm_strlcpy(o->quant, q, sizeof(o->quant));
			o->f.parts = 0;
		} else if (strcmp(prefix, pre)) {
			continue; /* another Q4_K_M file of the repo: keep the first */
		}
		if (!o->path[0] || strcmp(path, o->path) < 0)
			lm_strlcpy(o->path, path, sizeof(o->path));
		o->f.size_bytes += (uint64_t)size->valuedouble;
		o->f.parts++;
	}
	cJSON_Delete(doc);
	http_response_release(&resp);
	return prefix[0] ? LM_OK : LM_ENOTFOUND;
}

/* Search the Hub for GGUF repos (most downloaded first) and keep those not
 * in the catalog whose Q4_K_M file can be found. */
static int online_search(struct plan *p, struct lm_err *err)
{
	static const char *const words[] = { [LM_TASK_CHAT] = "instruct", [LM_TASK_CODE] = "coder",
					     [LM_TASK_REASONING] = "r1" };
	struct lm_http_opts ho = { .connect_timeout_s = 5, .low_speed_time_s = 10, .max_retries = -1 };
	struct lm_http *h = NULL;
	struct lm_http_response resp = { 0 };
	char ep[512], *url;
	cJSON *doc = NULL, *e;
	int rc;

	hub_endpoint(ep, sizeof(ep));
	if ((rc = http_new(&h, &ho, err)))
		return rc;
	url = lm_asprintf("%s/api/models?search=%s&filter=gguf&sort=downloads&limit=40"
			  "&expand=gguf&expand=downloads", ep, words[p->task]);
	rc = http_get(h, url, HTTP_NO_RETRY, &resp, err);
	free(url);
	if (!rc && resp.status != 200)
		rc = lm_err_set(err, LM_ENET, "the Hub search answered %ld", resp.status);
	if (!rc && !(doc = cJSON_Parse(resp.body)))
		rc = lm_err_set(err, LM_ENET, "the Hub search answered something that is not JSON");
	http_response_release(&resp);
	cJSON_ArrayForEach(e, doc) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(e, "id"));
		cJSON *gg = cJSON_GetObjectItem(e, "gguf");
		cJSON *total = cJSON_GetObjectItem(gg, "total");
		cJSON *cx = cJSON_GetObjectItem(gg, "context_length");
		struct online *o = &p->online[p->nonline];
		struct lm_err ferr = { 0 };
		if (p->nonline >= ONLINE_MAX)
			break;
		if (!id || !cJSON_IsNumber(total) || total->valuedouble < 1e8 || catalog_find(id))
			continue;
		memset(o, 0, sizeof(*o));
		lm_strlcpy(o->repo, id, sizeof(o->repo));
		if (online_file(h, ep, o, &ferr))
			continue;
		online_shape(&o->m, total->valuedouble,
			     cJSON_IsNumber(cx) && cx->valuedouble > 0 && cx->valuedouble < 1e8
			     ? (uint32_t)cx->valuedouble : 0);
		o->m.repo = o->repo;
		o->m.name = o->repo;
		o->m.tasks = p->task;
		o->f.quant = o->quant;
		o->f.path = o->path;
		o->m.files = &o->f;
		o->m.nfiles = 1;
		p->nonline++;
	}
	cJSON_Delete(doc);
	http_free(h);
	return rc;
}

static int recommend_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct plan *p = lm_xcalloc(1, sizeof(*p));
	struct lm_err err = { 0 };
	int rc, any = 0;

	if ((rc = args_want_pos(args, 0, 0, &err)) ||
	    (rc = parse_task(args_get(args, "task"), &p->task, &err)) ||
	    (rc = plan_machine(ctx, args, p, &err)) ||
	    (rc = plan_speed(ctx, args, p, &err))) {
		rc = ui_fail(ctx, &err);
		goto out;
	}
	if (args_has(args, "online") && online_search(p, &err))
		snprintf(p->note, sizeof(p->note), "the Hub search failed (%s); showing the catalog only",
			 err.msg);
	else if (args_has(args, "online"))
		snprintf(p->note, sizeof(p->note), "the Hub search added %zu candidate%s",
			 p->nonline, p->nonline == 1 ? "" : "s");
	if ((rc = gather(ctx, p, &err))) {
		rc = ui_fail(ctx, &err);
		goto out;
	}
	choose(p);
	for (int t = 0; t < NTIERS; t++)
		any |= p->pick[t] != NULL;
	if (!any) {
		rc = nothing_fits(ctx, p);
		goto out;
	}
	if (ctx->json)
		print_json(p);
	else if (!ctx->quiet)
		print_text(ctx, p);
	rc = LM_OK;
out:
	free(p->c);
	free(p);
	return rc;
}

const struct lm_cmd cmd_recommend = {
	.name = "recommend",
	.alias = NULL,
	.summary = "suggest models that fit this machine",
	.usage = "localmodel recommend [--task chat|code|reasoning] [--memory SIZE] [--gpu-memory SIZE]\n"
		 "       [--bandwidth GB/S] [--context N] [--min-speed TOK/S] [--calibrate] [--online]",
	.description = "Probes the machine (or plans for the sizes given) and suggests three models "
		       "from the built-in catalog: fast, balanced and most capable, each with the "
		       "context and GPU offload it would get and its predicted speed. Nothing "
		       "slower than the usable floor (3 tokens/s) is offered.",
	.opts = opts,
	.needs = NEED_STORE_RO | NEED_MACHINE,
	.run = recommend_run,
};
