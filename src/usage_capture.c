/* usage_capture: llama-server timing lines -> batched model_usage rows. */
#include "localmodel/usage_capture.h"
#include "localmodel/store.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES 65536 /* longer stderr lines are skipped whole */
#define MAX_OPEN_REQS 256    /* open (incomplete) requests kept at most */

/* ---- parsing --------------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Match a word (case-sensitive) followed by a non-letter; returns the end. */
static const char *eat_word(const char *p, const char *w)
{
	size_t n = strlen(w);
	if (strncmp(p, w, n) || isalpha((unsigned char)p[n]))
		return NULL;
	return p + n;
}

/* A non-negative decimal integer that fits int64; returns the end or NULL. */
static const char *eat_int(const char *p, int64_t *out)
{
	int64_t v = 0;
	const char *s = p;

	if (!isdigit((unsigned char)*p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		int d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	return p > s ? p : NULL;
}

/* A non-negative finite decimal number "12", "5.10", "0.80". */
static const char *eat_num(const char *p, double *out)
{
	const char *s = p;
	char buf[64];
	size_t n;

	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	n = (size_t)(p - s);
	if (n == 0 || n >= sizeof(buf) || *s == '.')
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, NULL);
	if (errno || !isfinite(*out))
		return NULL;
	return p;
}

/* "[ 8081] " relay prefix of a router child; returns the rest of the line. */
static const char *eat_port_prefix(const char *p, int *port)
{
	int64_t v;
	const char *q;

	*port = 0;
	if (*p != '[')
		return p;
	q = skip_ws(p + 1);
	if (!(q = eat_int(q, &v)) || *q != ']' || v < 1 || v > 65535)
		return p;
	*port = (int)v;
	return q + 1;
}

/* The label after "task T |": prompt eval / eval / total, words separated
 * by any run of blanks. */
static const char *eat_label(const char *p, enum usagelog_kind *kind)
{
	const char *q;

	if ((q = eat_word(p, "prompt"))) {
		q = skip_ws(q);
		if (!(q = eat_word(q, "eval")))
			return NULL;
		*kind = USAGELOG_PROMPT;
	} else if ((q = eat_word(p, "eval"))) {
		*kind = USAGELOG_EVAL;
	} else if ((q = eat_word(p, "total"))) {
		*kind = USAGELOG_TOTAL;
	} else {
		return NULL;
	}
	q = skip_ws(q);
	return eat_word(q, "time");
}

enum usagelog_kind usagelog_parse_timing(const char *line, struct usagelog_timing *out)
{
	struct usagelog_timing t;
	const char *p;
	int64_t v;

	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	if (!line)
		return USAGELOG_NONE;
	p = eat_port_prefix(skip_ws(line), &t.port);
	if (!(p = strstr(p, "print_timing:")))
		return USAGELOG_NONE;
	p = skip_ws(p + strlen("print_timing:"));
	if (!(p = eat_word(p, "id")) || !(p = eat_int(skip_ws(p), &v)) || v > 1000000)
		return USAGELOG_NONE;
	t.slot = (long)v;
	p = skip_ws(p);
	if (*p++ != '|')
		return USAGELOG_NONE;
	if (!(p = eat_word(skip_ws(p), "task")) || !(p = eat_int(skip_ws(p), &v)))
		return USAGELOG_NONE;
	t.task = (long long)v;
	p = skip_ws(p);
	if (*p++ != '|')
		return USAGELOG_NONE;
	if (!(p = eat_label(skip_ws(p), &t.kind)))
		return USAGELOG_NONE;
	p = skip_ws(p);
	if (*p++ != '=')
		return USAGELOG_NONE;
	if (!(p = eat_num(skip_ws(p), &t.ms)) || !(p = eat_word(skip_ws(p), "ms")))
		return USAGELOG_NONE;
	p = skip_ws(p);
	if (*p++ != '/')
		return USAGELOG_NONE;
	if (!(p = eat_int(skip_ws(p), &t.tokens)) || !eat_word(skip_ws(p), "tokens"))
		return USAGELOG_NONE;
	*out = t;
	return t.kind;
}

/* Value of one metrics line "name value" (no labels); -1 when unusable. */
static int64_t metric_value(const char *p)
{
	int64_t v;
	double d;
	const char *q;

	p = skip_ws(p);
	if ((q = eat_int(p, &v)) && (*q == '\0' || *q == '\n' || *q == '\r' || *q == ' '))
		return v;
	errno = 0;
	d = strtod(p, NULL);
	if (errno || !isfinite(d) || d < 0 || d >= 9.2e18)
		return -1;
	return (int64_t)llround(d);
}

int usagelog_parse_metrics(const char *text, struct usagelog_counters *out)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
		{ "llamacpp:prompt_tokens_total", offsetof(struct usagelog_counters, prompt_tokens) },
		{ "llamacpp:prompt_tokens_cached_total",
		  offsetof(struct usagelog_counters, cached_tokens) },
		{ "llamacpp:tokens_predicted_total",
		  offsetof(struct usagelog_counters, predicted_tokens) },
	};
	int found = 0;

	out->prompt_tokens = out->cached_tokens = out->predicted_tokens = -1;
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		const char *line = skip_ws(p);
		for (size_t i = 0; *line != '#' && i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i].name);
			if (strncmp(line, keys[i].name, n) || (line[n] != ' ' && line[n] != '\t'))
				continue;
			int64_t v = metric_value(line + n);
			if (v >= 0) {
				*(int64_t *)((char *)out + keys[i].off) = v;
				found = 1;
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return found ? 0 : -1;
}

/* ---- the logger ------------------------------------------------------ */

/* A counter across child restarts: runs that ended plus the current run. */
struct counter {
	int64_t done; /* sum of the last values of runs that ended */
	int64_t last; /* last value seen in this run, -1 none */
};

struct ul_model {
	char *name;
	int port;            /* router port, 0 = none */
	struct counter prompt, predicted, cached;
	int64_t cached_carry; /* cached tokens not yet given to a row */
	int64_t requests, tokens_in, tokens_out, tokens_cached;
	int64_t rec_in, rec_out;   /* tokens recorded by reconciliation */
	int64_t gap_in, gap_out;   /* gaps left at the last reconciliation */
};

struct ul_open {             /* a request whose lines are still coming */
	int port;
	long slot;
	long long task;
	int have_prompt, have_eval;
	double prompt_ms, eval_ms;
	int64_t prompt_n, eval_n;
};

struct ul_row {
	size_t model;        /* index into models */
	char ts[32];
	int64_t in, out, cached;
	double ms, tps;
	int scraped;         /* got its share of a /metrics cached delta */
	int reconciled;      /* tokens of the counters, not a request */
	long long made_ms;   /* monotonic time it was made */
};

struct lm_usagelog {
	struct lm_store *store;
	int own_store;
	char *session;
	struct ul_model *models; /* [0] = the default model */
	size_t nmodels;
	struct ul_open open[MAX_OPEN_REQS];
	size_t nopen;
	struct ul_row *rows;
	size_t nrows, caprows;
	int64_t dropped;
	int metrics_seen;
	char *partial;       /* incomplete line of usagelog_feed */
	size_t npartial;
	int skipping;        /* inside an overlong line */
};

static size_t model_find_or_add(struct lm_usagelog *u, const char *name)
{
	for (size_t i = 0; i < u->nmodels; i++)
		if (!strcmp(u->models[i].name, name))
			return i;
	u->models = lm_xrealloc(u->models, (u->nmodels + 1) * sizeof(*u->models));
	struct ul_model *m = &u->models[u->nmodels];
	memset(m, 0, sizeof(*m));
	m->name = lm_xstrdup(name);
	m->prompt.last = m->predicted.last = m->cached.last = -1;
	return u->nmodels++;
}

/* The model a line belongs to: its router port's, else the default. */
static size_t model_for_port(const struct lm_usagelog *u, int port)
{
	if (port)
		for (size_t i = 0; i < u->nmodels; i++)
			if (u->models[i].port == port)
				return i;
	return 0;
}

int usagelog_new_store(struct lm_usagelog **out, struct lm_store *store, const char *model,
		       const char *session_id, struct lm_err *err)
{
	struct lm_usagelog *u;

	*out = NULL;
	if (!model || !*model)
		return lm_err_set(err, LM_EUSAGE, "usage log needs a model name");
	u = lm_xcalloc(1, sizeof(*u));
	u->store = store;
	u->session = session_id ? lm_xstrdup(session_id) : NULL;
	model_find_or_add(u, model);
	*out = u;
	return LM_OK;
}

int usagelog_new(struct lm_usagelog **out, const char *db_path, const char *model,
		 const char *session_id, struct lm_err *err)
{
	struct lm_store *s;
	int rc;

	*out = NULL;
	/* a short wait: the supervisor must keep reading its child's stderr */
	if ((rc = store_open(&s, db_path, STORE_RW, 250, err)))
		return rc;
	if ((rc = usagelog_new_store(out, s, model, session_id, err))) {
		store_close(s);
		return rc;
	}
	(*out)->own_store = 1;
	return LM_OK;
}

void usagelog_set_port_model(struct lm_usagelog *u, int port, const char *model)
{
	if (!u || !model || port <= 0)
		return;
	for (size_t i = 1; i < u->nmodels; i++)
		if (u->models[i].port == port)
			u->models[i].port = 0;
	size_t i = model_find_or_add(u, model);
	if (i > 0)
		u->models[i].port = port;
}

/* Turn an open request into a buffered row. */
/* A new waiting row for model mi, stamped now. */
static struct ul_row *row_new(struct lm_usagelog *u, size_t mi)
{
	struct ul_row *r;

	if (u->nrows == u->caprows) {
		u->caprows = u->caprows ? u->caprows * 2 : 64;
		u->rows = lm_xrealloc(u->rows, u->caprows * sizeof(*u->rows));
	}
	r = &u->rows[u->nrows++];
	memset(r, 0, sizeof(*r));
	r->model = mi;
	lm_time_iso(lm_now(), r->ts, sizeof(r->ts));
	r->made_ms = lm_mono_ms();
	return r;
}

static void close_request(struct lm_usagelog *u, size_t k, double total_ms)
{
	struct ul_open *o = &u->open[k];
	struct ul_row *r;
	size_t mi = model_for_port(u, o->port);

	if (o->have_prompt || o->have_eval) {
		r = row_new(u, mi);
		r->in = o->prompt_n;
		r->out = o->eval_n;
		r->ms = total_ms >= 0 ? total_ms : o->prompt_ms + o->eval_ms;
		r->tps = o->eval_ms > 0 ? (double)o->eval_n * 1000.0 / o->eval_ms : 0;
		u->models[mi].requests++;
		u->models[mi].tokens_in += r->in;
		u->models[mi].tokens_out += r->out;
	}
	u->open[k] = u->open[--u->nopen];
}

static int open_find(const struct lm_usagelog *u, int port, long slot)
{
	for (size_t i = 0; i < u->nopen; i++)
		if (u->open[i].port == port && u->open[i].slot == slot)
			return (int)i;
	return -1;
}

/* Drop the oldest rows beyond the cap (database unwritable for long). */
static void rows_cap(struct lm_usagelog *u)
{
	if (u->nrows <= USAGELOG_MAX_PENDING)
		return;
	size_t drop = u->nrows - USAGELOG_MAX_PENDING;
	memmove(u->rows, u->rows + drop, (u->nrows - drop) * sizeof(*u->rows));
	u->nrows -= drop;
	u->dropped += (int64_t)drop;
}

/* Route one parsed timing line to its open request. */
static void on_timing(struct lm_usagelog *u, const struct usagelog_timing *t)
{
	int k = open_find(u, t->port, t->slot);

	if (k >= 0 && u->open[k].task != t->task) {
		/* the slot moved on: the old request ended without its total line */
		close_request(u, (size_t)k, -1);
		k = -1;
	}
	if (t->kind == USAGELOG_TOTAL) {
		if (k >= 0)
			close_request(u, (size_t)k, t->ms);
		return;
	}
	if (k < 0) {
		if (u->nopen == MAX_OPEN_REQS)
			close_request(u, 0, -1);
		k = (int)u->nopen++;
		memset(&u->open[k], 0, sizeof(u->open[k]));
		u->open[k].port = t->port;
		u->open[k].slot = t->slot;
		u->open[k].task = t->task;
	}
	struct ul_open *o = &u->open[k];
	if (t->kind == USAGELOG_PROMPT) {
		o->have_prompt = 1;
		o->prompt_ms = t->ms;
		o->prompt_n = t->tokens;
	} else {
		o->have_eval = 1;
		o->eval_ms = t->ms;
		o->eval_n = t->tokens;
	}
}

size_t usagelog_feed_line(struct lm_usagelog *u, const char *line)
{
	struct usagelog_timing t;

	if (!u)
		return 0;
	if (usagelog_parse_timing(line, &t) != USAGELOG_NONE) {
		on_timing(u, &t);
		rows_cap(u);
	}
	return u->nrows;
}

size_t usagelog_feed(struct lm_usagelog *u, const char *buf, size_t len)
{
	if (!u)
		return 0;
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		if (!u->skipping) {
			if (lm_bytes_append(&u->partial, &u->npartial, buf, n, LINE_MAX_BYTES - 1) < 0) {
				u->skipping = 1;
				u->npartial = 0;
			}
		}
		if (!nl)
			break;
		if (!u->skipping && u->partial)
			usagelog_feed_line(u, u->partial);
		u->skipping = 0;
		u->npartial = 0;
		buf += n + 1;
		len -= n + 1;
	}
	return u->nrows;
}

int usagelog_flush(struct lm_usagelog *u, struct lm_err *err)
{
	struct lm_usage *rows;
	int rc;

	if (!u || u->nrows == 0)
		return LM_OK;
	rows = lm_xcalloc(u->nrows, sizeof(*rows));
	for (size_t i = 0; i < u->nrows; i++) {
		const struct ul_row *r = &u->rows[i];
		rows[i].model = u->models[r->model].name;
		rows[i].session_id = u->session;
		rows[i].timestamp = r->ts;
		rows[i].tokens_in = r->in;
		rows[i].tokens_out = r->out;
		rows[i].tokens_cached = r->cached;
		rows[i].duration_ms = r->ms;
		rows[i].tok_per_sec = r->tps;
		rows[i].reconciled = r->reconciled;
	}
	rc = store_usage_add(u->store, rows, u->nrows, err);
	free(rows);
	if (rc == LM_OK)
		u->nrows = 0;
	return rc;
}

int usagelog_tick(struct lm_usagelog *u, struct lm_err *err)
{
	if (!u || u->nrows == 0)
		return LM_OK;
	if (u->nrows >= USAGELOG_BATCH_ROWS ||
	    lm_mono_ms() - u->rows[0].made_ms >= USAGELOG_BATCH_MS)
		return usagelog_flush(u, err);
	return LM_OK;
}

/* Take a new counter value; a value below the last one is a new run. */
static int64_t counter_take(struct counter *c, int64_t v)
{
	int64_t delta;

	if (v < 0)
		return 0;
	if (c->last < 0) {
		delta = v;
	} else if (v < c->last) {
		c->done += c->last;
		delta = v;
	} else {
		delta = v - c->last;
	}
	c->last = v;
	return delta;
}

static int64_t counter_total(const struct counter *c)
{
	return c->done + (c->last > 0 ? c->last : 0);
}

/* Spread the model's carried cached tokens over its rows not yet scraped. */
static void spread_cached(struct lm_usagelog *u, size_t mi)
{
	struct ul_model *m = &u->models[mi];
	size_t k = 0, last = 0;

	if (m->cached_carry <= 0)
		return;
	for (size_t i = 0; i < u->nrows; i++)
		if (u->rows[i].model == mi && !u->rows[i].scraped) {
			k++;
			last = i;
		}
	if (k == 0)
		return;
	int64_t each = m->cached_carry / (int64_t)k;
	int64_t rest = m->cached_carry - each * (int64_t)k;
	for (size_t i = 0; i < u->nrows; i++)
		if (u->rows[i].model == mi && !u->rows[i].scraped) {
			u->rows[i].cached = each + (i == last ? rest : 0);
			u->rows[i].scraped = 1;
		}
	m->tokens_cached += m->cached_carry;
	m->cached_carry = 0;
}

int usagelog_metrics(struct lm_usagelog *u, const char *model, const char *metrics_text)
{
	struct usagelog_counters c;
	size_t mi = 0;

	if (!u || !metrics_text || usagelog_parse_metrics(metrics_text, &c) < 0)
		return -1;
	if (model) {
		mi = model_find_or_add(u, model);
	}
	struct ul_model *m = &u->models[mi];
	counter_take(&m->prompt, c.prompt_tokens);
	counter_take(&m->predicted, c.predicted_tokens);
	m->cached_carry += counter_take(&m->cached, c.cached_tokens);
	u->metrics_seen = 1;
	spread_cached(u, mi);
	return 0;
}

void usagelog_child_restarted(struct lm_usagelog *u)
{
	if (!u)
		return;
	while (u->nopen > 0)
		close_request(u, 0, -1);
	for (size_t i = 0; i < u->nmodels; i++) {
		struct counter *c[] = { &u->models[i].prompt, &u->models[i].predicted,
					&u->models[i].cached };
		for (size_t k = 0; k < 3; k++)
			if (c[k]->last >= 0) {
				c[k]->done += c[k]->last;
				c[k]->last = -1;
			}
	}
}

/* Take what is missing from one model's rows. A gap is taken once it was
 * there at the previous call too (timing lines of a request that just
 * ended may still be on their way), or at once when final. */
static void reconcile_model(struct lm_usagelog *u, size_t mi, int final)
{
	struct ul_model *m = &u->models[mi];
	int64_t gin = counter_total(&m->prompt) - m->tokens_in - m->rec_in;
	int64_t gout = counter_total(&m->predicted) - m->tokens_out - m->rec_out;
	int64_t tin, tout;

	if (m->prompt.last < 0 && m->prompt.done == 0 && m->predicted.last < 0 &&
	    m->predicted.done == 0)
		return; /* no counters seen for this model */
	gin = gin > 0 ? gin : 0;
	gout = gout > 0 ? gout : 0;
	tin = final ? gin : (gin < m->gap_in ? gin : m->gap_in);
	tout = final ? gout : (gout < m->gap_out ? gout : m->gap_out);
	m->gap_in = gin - tin;
	m->gap_out = gout - tout;
	if (tin <= 0 && tout <= 0)
		return;
	struct ul_row *r = row_new(u, mi);
	r->in = tin;
	r->out = tout;
	r->reconciled = 1;
	r->scraped = 1;
	m->rec_in += tin;
	m->rec_out += tout;
}

void usagelog_reconcile(struct lm_usagelog *u, int final)
{
	if (!u || (!final && u->nopen))
		return;
	for (size_t i = 0; i < u->nmodels; i++)
		reconcile_model(u, i, final);
}

void usagelog_stats(const struct lm_usagelog *u, struct usagelog_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!u)
		return;
	for (size_t i = 0; i < u->nmodels; i++) {
		const struct ul_model *m = &u->models[i];
		out->requests += m->requests;
		out->tokens_in += m->tokens_in;
		out->tokens_out += m->tokens_out;
		out->tokens_cached += m->tokens_cached + m->cached_carry;
		out->metrics_prompt += counter_total(&m->prompt);
		out->metrics_predicted += counter_total(&m->predicted);
		out->metrics_cached += counter_total(&m->cached);
		out->reconciled_in += m->rec_in;
		out->reconciled_out += m->rec_out;
	}
	out->metrics_seen = u->metrics_seen;
	out->diff_in = out->metrics_prompt - out->tokens_in - out->reconciled_in;
	out->diff_out = out->metrics_predicted - out->tokens_out - out->reconciled_out;
	out->dropped = u->dropped;
	out->pending = u->nrows;
}

/* Store the session summary in meta as "usage.session.<id>". */
static int save_summary(struct lm_usagelog *u, struct lm_err *err)
{
	struct usagelog_stats st;
	cJSON *o;
	char *key, *js;
	int rc;

	usagelog_stats(u, &st);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "requests", (double)st.requests);
	cJSON_AddNumberToObject(o, "tokens_in", (double)st.tokens_in);
	cJSON_AddNumberToObject(o, "tokens_out", (double)st.tokens_out);
	cJSON_AddNumberToObject(o, "tokens_cached", (double)st.tokens_cached);
	cJSON_AddNumberToObject(o, "metrics_prompt", (double)st.metrics_prompt);
	cJSON_AddNumberToObject(o, "metrics_predicted", (double)st.metrics_predicted);
	cJSON_AddNumberToObject(o, "metrics_cached", (double)st.metrics_cached);
	cJSON_AddNumberToObject(o, "diff_in", (double)(st.metrics_seen ? st.diff_in : 0));
	cJSON_AddNumberToObject(o, "diff_out", (double)(st.metrics_seen ? st.diff_out : 0));
	cJSON_AddNumberToObject(o, "reconciled_in", (double)st.reconciled_in);
	cJSON_AddNumberToObject(o, "reconciled_out", (double)st.reconciled_out);
	cJSON_AddNumberToObject(o, "dropped", (double)st.dropped);
	cJSON_AddBoolToObject(o, "metrics_seen", st.metrics_seen);
	js = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	key = lm_asprintf("usage.session.%s", u->session ? u->session : "-");
	rc = store_meta_set(u->store, key, js, err);
	free(key);
	cJSON_free(js);
	return rc;
}

int usagelog_finish(struct lm_usagelog *u, const char *metrics_text_at_stop,
		    struct lm_err *err)
{
	int rc;

	if (!u)
		return LM_OK;
	if (u->partial && u->npartial && !u->skipping)
		usagelog_feed_line(u, u->partial);
	u->npartial = 0;
	while (u->nopen > 0)
		close_request(u, 0, -1);
	if (metrics_text_at_stop)
		usagelog_metrics(u, NULL, metrics_text_at_stop);
	usagelog_reconcile(u, 1);
	if ((rc = usagelog_flush(u, err)))
		return rc;
	return save_summary(u, err);
}

void usagelog_free(struct lm_usagelog *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nmodels; i++)
		free(u->models[i].name);
	free(u->models);
	free(u->rows);
	free(u->partial);
	free(u->session);
	if (u->own_store)
		store_close(u->store);
	free(u);
}
