/* predict: speed figures from history, calibration and the chip table. */
#include "localmodel/predict.h"
#include "localmodel/catalog.h"
#include "localmodel/gguf.h"
#include "localmodel/hw.h"
#include "localmodel/os.h"
#include "localmodel/paths.h"
#include "localmodel/store.h"
#include "localmodel/usage_report.h"

#include <stdlib.h>
#include <string.h>

#define PREDICT_MAX_HISTORY 64
#define PREDICT_MIN_PROMPT 64 /* prompt tokens a model's history needs to tell a speed */

void predict_speed(const struct lm_fit_model *m, const struct lm_fit_result *r,
		   enum lm_cache_type cache, const struct lm_speed_machine *sm,
		   struct lm_speed_result *out)
{
	struct lm_speed_model s;
	uint32_t used = r->ctx && r->ctx < LM_SPEED_CTX_USED ? r->ctx : LM_SPEED_CTX_USED;

	speed_model_from_fit(&s, m, (int)cache);
	speed_predict(&s, sm, r->gpu_layers, r->n_layers_total, used, out);
}

int predict_file(const char *path, const struct lm_fit_machine *mc,
		 const struct lm_speed_machine *sm, struct lm_speed_result *out)
{
	struct lm_gguf g;
	struct lm_fit_model *fm = lm_xcalloc(1, sizeof(*fm));
	struct lm_fit_opts o;
	struct lm_fit_result r;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	fit_opts_default(&o);
	o.ctx = LM_FIT_MIN_CTX;
	o.cache = LM_CACHE_Q8_0;
	o.reserve_bytes = 0;
	if (!gguf_read_model(path, &g, NULL) && !fit_model_from_gguf(fm, &g, NULL) &&
	    !fit_estimate(fm, mc, &o, &r, NULL)) {
		predict_speed(fm, &r, o.cache, sm, out);
		rc = LM_OK;
	}
	gguf_release(&g);
	free(fm);
	return rc;
}

double predict_prompt_measured(const struct usagedb_row *row, int64_t *tokens)
{
	int64_t n = row->tokens_in - row->reconciled_in;
	double ms = row->duration_ms - row->gen_ms;

	*tokens = n;
	return n >= PREDICT_MIN_PROMPT && ms > 0 ? (double)n * 1000.0 / ms : 0;
}

/* The factors the usage log implies: each model with generation time on
 * record, measured decode tok/s against the prediction for its file, and
 * likewise for the prompt where the log tells its time (a request's time
 * less its generation time). */
static void history_factors(struct lm_store *store, const struct lm_fit_machine *mc,
			    const struct lm_speed_machine *sm, double *dec, double *pp)
{
	struct usagedb_report rep;
	struct lm_speed_sample v[PREDICT_MAX_HISTORY], w[PREDICT_MAX_HISTORY];
	size_t n = 0, k = 0;

	*dec = *pp = 1;
	memset(&rep, 0, sizeof(rep));
	if (usagedb_report(store, NULL, 0, USAGEDB_BY_MODEL, &rep, NULL))
		return;
	for (size_t i = 0; i < rep.n && n < PREDICT_MAX_HISTORY; i++) {
		const struct usagedb_row *row = &rep.rows[i];
		struct lm_speed_result sr;
		struct lm_model m;
		if (row->tok_per_sec <= 0 || row->gen_tokens <= 0 || !row->key)
			continue;
		memset(&m, 0, sizeof(m));
		if (store_model_get(store, row->key, &m, NULL))
			continue;
		if (m.file_path && predict_file(m.file_path, mc, sm, &sr) == LM_OK) {
			v[n].predicted = sr.decode_tok_s;
			v[n].measured = row->tok_per_sec;
			v[n].tokens = row->gen_tokens;
			n += v[n].predicted > 0;
			w[k].predicted = sr.prompt_tok_s;
			w[k].measured = predict_prompt_measured(row, &w[k].tokens);
			k += w[k].predicted > 0 && w[k].measured > 0;
		}
		store_model_release(&m);
	}
	if (n)
		*dec = speed_learn_factor(v, n, mc->gpu_bytes && sm->gpu_bw > 0 ? sm->gpu_token_s
										    : sm->cpu_token_s);
	if (k)
		*pp = speed_learn_factor(w, k, 0);
	usagedb_report_release(&rep);
}

/* The probe as every calibration runs it: 256 MiB read, 9 rounds, every
 * thread. */
static int probe_machine(const struct lm_hw *hw, struct lm_speed_probe *p, struct lm_err *err)
{
	return speed_probe(p, 256u << 20, 9, hw->cores_logical, err);
}

int predict_calibrate(const struct lm_hw *hw, const char *state_dir, struct lm_speed_probe *p,
		      struct lm_err *err)
{
	char key[17];
	int rc;

	if ((rc = probe_machine(hw, p, err)) ||
	    (rc = paths_ensure_dir(state_dir, err)))
		return rc;
	speed_machine_key(hw, key);
	return speed_cache_save(state_dir, key, p, err);
}

/* The first prediction on this machine measures it; on a machine half busy
 * or more (load average; LOCALMODEL_TEST_LOAD for tests) the figures are
 * used now but not kept, since a busy probe reads low and would stand
 * until 'recommend --calibrate': the next quiet run measures again. */
static int first_use_probe(const struct lm_hw *hw, const char *state_dir, struct lm_speed_probe *p)
{
	const char *t = getenv("LOCALMODEL_TEST_LOAD");
	double load = t && *t ? atof(t) : os_load_1min();

	if (hw->cores_logical > 0 && load >= 0.5 * hw->cores_logical)
		return probe_machine(hw, p, NULL);
	return predict_calibrate(hw, state_dir, p, NULL);
}

void predict_machine(struct lm_speed_machine *sm, const struct lm_hw *hw,
		     const struct lm_fit_machine *mc, const char *state_dir,
		     struct lm_store *store, int may_probe)
{
	struct lm_speed_probe p;
	char key[17];
	int rc = LM_ENOTFOUND;

	speed_machine_from_hw(sm, hw);
	speed_machine_key(hw, key);
	if (state_dir && (rc = speed_cache_load(state_dir, key, &p, NULL)) == LM_ENOTFOUND &&
	    may_probe)
		rc = first_use_probe(hw, state_dir, &p);
	if (state_dir && rc == LM_OK)
		speed_machine_use_probe(sm, p.read_bw, p.flops);
	if (store) {
		double dec, pp;
		history_factors(store, mc, sm, &dec, &pp);
		speed_machine_apply_factor(sm, dec);
		speed_machine_apply_prompt_factor(sm, pp);
	}
}

int predict_file_size(const struct lm_fit_machine *mc, uint64_t reserve,
		      const struct lm_speed_machine *sm, const char *repo, uint64_t bytes,
		      struct lm_fit_result *r, struct lm_speed_result *sp)
{
	const struct lm_catalog_model *cat = repo ? catalog_find(repo) : NULL;
	struct lm_fit_model *m = lm_xcalloc(1, sizeof(*m));
	struct lm_fit_opts o;
	int rc;

	if (cat && cat->n_layers) {
		struct lm_catalog_file cf = { NULL, NULL, bytes, 1 };
		fit_model_from_catalog(m, cat, &cf);
	} else {
		fit_model_generic(m, bytes);
	}
	fit_opts_default(&o);
	o.ctx = LM_FIT_MIN_CTX;
	o.cache = LM_CACHE_Q8_0;
	o.reserve_bytes = reserve;
	rc = fit_estimate(m, mc, &o, r, NULL);
	if (!rc)
		predict_speed(m, r, o.cache, sm, sp);
	free(m);
	return rc;
}

const char *predict_source_name(enum lm_speed_source s)
{
	static const char *const names[] = { "table", "calibration", "history", "given" };
	return (unsigned)s < 4 ? names[s] : "unknown";
}
