/* fit: memory estimate (see fit.h for the formula). */
#include "localmodel/fit.h"

#include <string.h>

void fit_opts_default(struct lm_fit_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->reserve_bytes = 2ull << 30;
	o->parallel = 1;
	o->gpu_layers = -1;
}

int fit_model_from_gguf(struct lm_fit_model *m, const struct lm_gguf *g, struct lm_err *err)
{
	(void)g;
	memset(m, 0, sizeof(*m));
	return lm_err_set(err, LM_EFAIL, "fit not implemented yet");
}

void fit_model_from_catalog(struct lm_fit_model *m, const struct lm_catalog_model *c,
			    const struct lm_catalog_file *f)
{
	(void)c;
	(void)f;
	memset(m, 0, sizeof(*m));
}

void fit_model_set_swa(struct lm_fit_model *m, uint32_t window, uint32_t every)
{
	(void)m;
	(void)window;
	(void)every;
}

void fit_machine_from_hw(struct lm_fit_machine *mc, const struct lm_hw *hw, int use_available)
{
	(void)hw;
	(void)use_available;
	memset(mc, 0, sizeof(*mc));
}

void fit_machine_from_sizes(struct lm_fit_machine *mc, uint64_t ram, uint64_t gpu, int unified)
{
	memset(mc, 0, sizeof(*mc));
	mc->ram_bytes = ram;
	mc->gpu_bytes = gpu;
	mc->ngpus = gpu && !unified;
	mc->unified = unified;
}

uint64_t fit_kv_bytes(const struct lm_fit_model *m, uint32_t ctx, enum lm_cache_type t, int slots)
{
	(void)m;
	(void)ctx;
	(void)t;
	(void)slots;
	return 0;
}

uint64_t fit_compute_bytes(const struct lm_fit_model *m)
{
	(void)m;
	return 0;
}

int fit_estimate(const struct lm_fit_model *m, const struct lm_fit_machine *mc,
		 const struct lm_fit_opts *o, struct lm_fit_result *r, struct lm_err *err)
{
	(void)m;
	(void)mc;
	(void)o;
	memset(r, 0, sizeof(*r));
	return lm_err_set(err, LM_EFAIL, "fit not implemented yet");
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
