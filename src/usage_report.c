/* usage_report: usage report from a lazily folded daily summary of model_usage. */
#include "localmodel/usage_report.h"
#include "localmodel/store.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_KEY "usage_rollup.state"

/* grain 0: all time per model (period ''), 1: month per model ('YYYY-MM'),
 * 2: day per model ('YYYY-MM-DD'), 3: day over all models (model ''). */
static const char create_sql[] =
	"CREATE TABLE IF NOT EXISTS usage_rollup(grain INTEGER NOT NULL, period TEXT NOT NULL,"
	" model TEXT NOT NULL, requests INTEGER NOT NULL, tokens_in INTEGER NOT NULL,"
	" tokens_out INTEGER NOT NULL, tokens_cached INTEGER NOT NULL, duration_ms REAL NOT NULL,"
	" gen_ms REAL NOT NULL, gen_tokens INTEGER NOT NULL, last_ts TEXT,"
	" PRIMARY KEY(grain, period, model)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS usage_rollup_model ON usage_rollup(model, grain, period);";

/* The sums every query computes over model_usage rows. */
#define RAW_SUMS                                                                          \
	"COUNT(*) AS r, COALESCE(SUM(tokens_in),0) AS ti, COALESCE(SUM(tokens_out),0) AS tx,"   \
	" COALESCE(SUM(tokens_cached),0) AS tc, COALESCE(SUM(duration_ms),0) AS d,"            \
	" COALESCE(SUM(CASE WHEN tok_per_sec > 0 THEN tokens_out * 1000.0 / tok_per_sec"      \
	" ELSE 0 END),0) AS gm, COALESCE(SUM(CASE WHEN tok_per_sec > 0 THEN tokens_out"       \
	" ELSE 0 END),0) AS gt, MAX(timestamp) AS lt"

#define ROLL_SUMS                                                                         \
	"SUM(requests), SUM(tokens_in), SUM(tokens_out), SUM(tokens_cached),"            \
	" SUM(duration_ms), SUM(gen_ms), SUM(gen_tokens), MAX(last_ts)"

/* Add one (grain, period, model) cell of sums into usage_rollup. */
static const char upsert_sql[] =
	"INSERT INTO usage_rollup(grain, period, model, requests, tokens_in, tokens_out,"
	" tokens_cached, duration_ms, gen_ms, gen_tokens, last_ts)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	" ON CONFLICT(grain, period, model) DO UPDATE SET requests = requests + excluded.requests,"
	" tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out,"
	" tokens_cached = tokens_cached + excluded.tokens_cached,"
	" duration_ms = duration_ms + excluded.duration_ms, gen_ms = gen_ms + excluded.gen_ms,"
	" gen_tokens = gen_tokens + excluded.gen_tokens,"
	" last_ts = MAX(COALESCE(last_ts, ''), COALESCE(excluded.last_ts, ''))";

/* New rows, read in id order (a plain table scan) and summed in memory. */
static const char scan_sql[] =
	"SELECT model, timestamp, tokens_in, tokens_out, tokens_cached, duration_ms, tok_per_sec"
	" FROM model_usage WHERE id > ?1 AND id <= ?2";

/* By model. ?1 first whole day, ?2 window start (ISO), ?3 model or NULL,
 * ?4 1 when there is a window, ?5 first whole month. */
static const char by_model_sql[] =
	"SELECT k, SUM(r), SUM(ti), SUM(tx), SUM(tc), SUM(d), SUM(gm), SUM(gt), MAX(lt) FROM ("
	" SELECT model AS k, requests r, tokens_in ti, tokens_out tx, tokens_cached tc,"
	" duration_ms d, gen_ms gm, gen_tokens gt, NULLIF(last_ts, '') lt FROM usage_rollup"
	" WHERE grain = 0 AND period = '' AND ?4 = 0 AND (?3 IS NULL OR model = ?3)"
	" UNION ALL SELECT model, " ROLL_SUMS " FROM usage_rollup"
	" WHERE grain = 1 AND period >= ?5 AND ?4 = 1 AND (?3 IS NULL OR model = ?3) GROUP BY 1"
	" UNION ALL SELECT model, " ROLL_SUMS " FROM usage_rollup"
	" WHERE grain = 2 AND period >= ?1 AND period < ?5 AND ?4 = 1"
	" AND (?3 IS NULL OR model = ?3) GROUP BY 1"
	" UNION ALL SELECT model, " RAW_SUMS " FROM model_usage"
	" WHERE timestamp >= ?2 AND timestamp < ?1 AND ?4 = 1 AND (?3 IS NULL OR model = ?3)"
	" GROUP BY 1) GROUP BY k ORDER BY k";

/* By day: grain 3 (all models) or grain 2 (one model) through the model
 * index, plus the partial first day. */
static const char by_day_sql[] =
	"SELECT k, SUM(r), SUM(ti), SUM(tx), SUM(tc), SUM(d), SUM(gm), SUM(gt), MAX(lt) FROM ("
	" SELECT period AS k, requests r, tokens_in ti, tokens_out tx, tokens_cached tc,"
	" duration_ms d, gen_ms gm, gen_tokens gt, NULLIF(last_ts, '') lt FROM usage_rollup"
	" WHERE model = COALESCE(?3, '') AND grain = CASE WHEN ?3 IS NULL THEN 3 ELSE 2 END"
	" AND period >= ?1"
	" UNION ALL SELECT substr(timestamp, 1, 10), " RAW_SUMS " FROM model_usage"
	" WHERE timestamp >= ?2 AND timestamp < ?1 AND ?4 = 1 AND (?3 IS NULL OR model = ?3)"
	" GROUP BY 1) GROUP BY k ORDER BY k";

#define DIRECT_QUERY(KEY_RAW)                                                              \
	"SELECT " KEY_RAW ", " RAW_SUMS " FROM model_usage"                                     \
	" WHERE timestamp >= ?2 AND (?3 IS NULL OR model = ?3)"                                 \
	" AND COALESCE(?1, ?4, ?5, 1) IS NOT NULL GROUP BY 1 ORDER BY 1"

static const char *const queries[2][2] = {
	/* [group][direct] */
	{ by_model_sql, DIRECT_QUERY("model") },
	{ by_day_sql, DIRECT_QUERY("substr(timestamp, 1, 10)") },
};

static int db_err(sqlite3 *db, struct lm_err *err, const char *what)
{
	int code = (sqlite3_errcode(db) & 0xff) == SQLITE_FULL ? LM_ERESOURCE : LM_EFAIL;
	return lm_err_set(err, code, "database: %s: %s", what, sqlite3_errmsg(db));
}

int usagedb_parse_since(const char *s, time_t now, time_t *out, struct lm_err *err)
{
	long n;
	size_t len = s ? strlen(s) : 0;

	if (len >= 2 && isdigit((unsigned char)s[0]) && strchr("mhdw", s[len - 1])) {
		char num[32];
		static const long mul[] = { ['m'] = 60, ['h'] = 3600, ['d'] = 86400,
					    ['w'] = 7 * 86400 };
		if (len - 1 < sizeof(num)) {
			memcpy(num, s, len - 1);
			num[len - 1] = '\0';
			long unit = mul[(unsigned char)s[len - 1]];
			if (lm_parse_long(num, 0, 100L * 366 * 86400 / unit, &n) == 0) {
				*out = now - (time_t)(n * unit);
				return LM_OK;
			}
		}
	} else if (s && lm_time_parse(s, out) == 0) {
		return LM_OK;
	}
	return lm_err_set(err, LM_EUSAGE,
			  "bad --since '%s': want 7d, 12h, 2w, 30m or YYYY-MM-DD", s ? s : "");
}

static int read_state(struct lm_store *s, int64_t *hw, int64_t *count, struct lm_err *err)
{
	char *v = NULL;
	long long a = 0, b = 0;
	int rc;

	*hw = *count = -1;
	if ((rc = store_meta_get(s, STATE_KEY, &v, err)))
		return rc;
	if (v && sscanf(v, "%lld %lld", &a, &b) == 2) {
		*hw = a;
		*count = b;
	}
	free(v);
	return LM_OK;
}

/* One row of two integers from sql with an optional int64 parameter. */
static int query2(sqlite3 *db, const char *sql, int64_t p1, int64_t *a, int64_t *b,
		  struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "usage summary");
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, p1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*a = sqlite3_column_int64(st, 0);
		if (b)
			*b = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? LM_OK : db_err(db, err, "usage summary");
}

/* Highest id and row count of model_usage: two queries, as together they
 * would defeat SQLite's shortcuts and scan the whole table. */
static int usage_extent(sqlite3 *db, int64_t *max_id, int64_t *count, struct lm_err *err)
{
	int rc = query2(db, "SELECT COALESCE(MAX(id),0) FROM model_usage", 0, max_id, NULL, err);
	return rc ? rc : query2(db, "SELECT COUNT(*) FROM model_usage", 0, count, NULL, err);
}

static int exec(sqlite3 *db, const char *sql, struct lm_err *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, err, "usage summary");
	return LM_OK;
}

/* ---- folding new rows: sums per (model, period) in memory ----------- */

struct cell {
	int model;           /* index into fold.names; -1 = empty slot */
	char period[11];     /* "YYYY-MM-DD", "YYYY-MM" or "" */
	int64_t r, ti, tx, tc, gt;
	double d, gm;
	char lt[32];         /* newest timestamp */
};

struct cellmap {
	struct cell *v;
	size_t cap, n;
};

struct fold {
	char **names;        /* distinct model names */
	size_t nnames;
	int *slots;          /* open addressing over names, -1 empty */
	size_t capnames;
	struct cellmap grain[4];
};

static uint64_t hash_str(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Index of a model name, added when new. */
static int fold_name(struct fold *f, const char *name)
{
	if ((f->nnames + 1) * 2 > f->capnames) {
		size_t cap = f->capnames ? f->capnames * 2 : 64;
		int *slots = lm_xmalloc(cap * sizeof(*slots));
		for (size_t i = 0; i < cap; i++)
			slots[i] = -1;
		for (size_t i = 0; i < f->nnames; i++) {
			size_t k = hash_str(f->names[i], 14695981039346656037ULL) & (cap - 1);
			while (slots[k] >= 0)
				k = (k + 1) & (cap - 1);
			slots[k] = (int)i;
		}
		free(f->slots);
		f->slots = slots;
		f->capnames = cap;
		f->names = lm_xrealloc(f->names, cap * sizeof(*f->names));
	}
	size_t k = hash_str(name, 14695981039346656037ULL) & (f->capnames - 1);
	while (f->slots[k] >= 0) {
		if (!strcmp(f->names[f->slots[k]], name))
			return f->slots[k];
		k = (k + 1) & (f->capnames - 1);
	}
	f->names[f->nnames] = lm_xstrdup(name);
	f->slots[k] = (int)f->nnames;
	return (int)f->nnames++;
}

static size_t cell_slot(const struct cellmap *m, int model, const char *period)
{
	size_t k = hash_str(period, 14695981039346656037ULL ^ (uint64_t)model * 0x9e3779b97f4a7c15ULL) &
		   (m->cap - 1);
	while (m->v[k].model >= 0 && (m->v[k].model != model || strcmp(m->v[k].period, period)))
		k = (k + 1) & (m->cap - 1);
	return k;
}

/* The cell of (model, period), created empty when new. */
static struct cell *cell_get(struct cellmap *m, int model, const char *period)
{
	if ((m->n + 1) * 10 > m->cap * 7) {
		struct cellmap g = { NULL, m->cap ? m->cap * 2 : 256, 0 };
		g.v = lm_xmalloc(g.cap * sizeof(*g.v));
		for (size_t i = 0; i < g.cap; i++)
			g.v[i].model = -1;
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].model >= 0)
				g.v[cell_slot(&g, m->v[i].model, m->v[i].period)] = m->v[i];
		g.n = m->n;
		free(m->v);
		*m = g;
	}
	size_t k = cell_slot(m, model, period);
	struct cell *c = &m->v[k];
	if (c->model < 0) {
		memset(c, 0, sizeof(*c));
		c->model = model;
		lm_strlcpy(c->period, period, sizeof(c->period));
		m->n++;
	}
	return c;
}

static void cell_add(struct cell *c, const struct cell *x)
{
	c->r += x->r;
	c->ti += x->ti;
	c->tx += x->tx;
	c->tc += x->tc;
	c->gt += x->gt;
	c->d += x->d;
	c->gm += x->gm;
	if (strcmp(x->lt, c->lt) > 0)
		lm_strlcpy(c->lt, x->lt, sizeof(c->lt));
}

/* Sum rows (from, to] per model and day (grain 2). */
static int fold_scan(sqlite3 *db, struct fold *f, int64_t from, int64_t to, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, scan_sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "usage summary");
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *model = (const char *)sqlite3_column_text(st, 0);
		const char *ts = (const char *)sqlite3_column_text(st, 1);
		struct cell x = { 0 };
		char day[11];
		double tps = sqlite3_column_double(st, 6);

		lm_strlcpy(day, ts ? ts : "", sizeof(day));
		x.r = 1;
		x.ti = sqlite3_column_int64(st, 2);
		x.tx = sqlite3_column_int64(st, 3);
		x.tc = sqlite3_column_int64(st, 4);
		x.d = sqlite3_column_double(st, 5);
		if (tps > 0) {
			x.gm = (double)x.tx * 1000.0 / tps;
			x.gt = x.tx;
		}
		lm_strlcpy(x.lt, ts ? ts : "", sizeof(x.lt));
		cell_add(cell_get(&f->grain[2], fold_name(f, model ? model : ""), day), &x);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? LM_OK : db_err(db, err, "usage summary");
}

/* Derive months (1), all time (0) and days over all models (3) from days. */
static void fold_derive(struct fold *f)
{
	struct cellmap *days = &f->grain[2];
	int all = fold_name(f, "");

	for (size_t i = 0; i < days->cap; i++) {
		const struct cell *c = &days->v[i];
		char month[8];
		if (c->model < 0)
			continue;
		lm_strlcpy(month, c->period, sizeof(month));
		cell_add(cell_get(&f->grain[1], c->model, month), c);
		cell_add(cell_get(&f->grain[0], c->model, ""), c);
		cell_add(cell_get(&f->grain[3], all, c->period), c);
	}
}

static int cell_cmp(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;
	int d = strcmp(x->period, y->period);
	return d ? d : (x->model > y->model) - (x->model < y->model);
}

/* Upsert every cell of every grain, in key order. */
static int fold_write(sqlite3 *db, struct fold *f, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc = LM_OK;

	if (sqlite3_prepare_v2(db, upsert_sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "usage summary");
	for (int g = 0; g < 4 && !rc; g++) {
		struct cellmap *m = &f->grain[g];
		size_t n = 0;
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].model >= 0)
				m->v[n++] = m->v[i];
		qsort(m->v, n, sizeof(*m->v), cell_cmp);
		for (size_t i = 0; i < n && !rc; i++) {
			const struct cell *c = &m->v[i];
			sqlite3_reset(st);
			sqlite3_bind_int(st, 1, g);
			sqlite3_bind_text(st, 2, c->period, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, f->names[c->model], -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, c->r);
			sqlite3_bind_int64(st, 5, c->ti);
			sqlite3_bind_int64(st, 6, c->tx);
			sqlite3_bind_int64(st, 7, c->tc);
			sqlite3_bind_double(st, 8, c->d);
			sqlite3_bind_double(st, 9, c->gm);
			sqlite3_bind_int64(st, 10, c->gt);
			sqlite3_bind_text(st, 11, c->lt, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = db_err(db, err, "usage summary");
		}
		/* the map is no longer a hash table: mark it consumed */
		m->n = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static void fold_release(struct fold *f)
{
	for (size_t i = 0; i < f->nnames; i++)
		free(f->names[i]);
	free(f->names);
	free(f->slots);
	for (int g = 0; g < 4; g++)
		free(f->grain[g].v);
}

/* Fold rows (from, to] into every grain of usage_rollup. */
static int fold(sqlite3 *db, int64_t from, int64_t to, struct lm_err *err)
{
	struct fold f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = fold_scan(db, &f, from, to, err);
	if (!rc) {
		fold_derive(&f);
		rc = fold_write(db, &f, err);
	}
	fold_release(&f);
	return rc;
}

/* Under the write lock: fold new rows, or rebuild when rows vanished. */
static int refresh_locked(struct lm_store *s, struct lm_err *err)
{
	sqlite3 *db = store_db(s);
	int64_t hw, cnt, max_id, total, newer = 0;
	char state[64];
	int rc;

	/* a big fold reads the whole table: map it rather than copy it page by page */
	exec(db, "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536", NULL);
	if ((rc = exec(db, create_sql, err)) || (rc = read_state(s, &hw, &cnt, err)))
		return rc;
	if ((rc = usage_extent(db, &max_id, &total, err)))
		return rc;
	if (hw >= 0 && (rc = query2(db, "SELECT COUNT(*) FROM model_usage WHERE id > ?", hw,
				    &newer, NULL, err)))
		return rc;
	if (hw < 0 || hw > max_id || total - newer != cnt) {
		/* first use, or rows were deleted or rewritten: start over */
		if ((rc = exec(db, "DELETE FROM usage_rollup", err)))
			return rc;
		hw = 0;
	}
	if (max_id > hw && (rc = fold(db, hw, max_id, err)))
		return rc;
	snprintf(state, sizeof(state), "%lld %lld", (long long)max_id, (long long)total);
	return store_meta_set(s, STATE_KEY, state, err);
}

int usagedb_refresh(struct lm_store *s, struct lm_err *err)
{
	sqlite3 *db = store_db(s);
	int64_t hw, cnt, max_id, total;
	int rc;

	/* the common case, nothing new: two cheap reads, no write lock */
	if (read_state(s, &hw, &cnt, err) == LM_OK && hw >= 0 &&
	    usage_extent(db, &max_id, &total, err) == LM_OK &&
	    max_id == hw && total == cnt &&
	    sqlite3_table_column_metadata(db, NULL, "usage_rollup", "period", NULL, NULL, NULL,
					  NULL, NULL) == SQLITE_OK)
		return LM_OK;
	if ((rc = store_begin(s, err)))
		return rc;
	if ((rc = refresh_locked(s, err))) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s, err);
}

static void row_from_stmt(sqlite3_stmt *st, struct usagedb_row *r)
{
	const unsigned char *k = sqlite3_column_text(st, 0);
	const unsigned char *lt = sqlite3_column_text(st, 8);

	memset(r, 0, sizeof(*r));
	r->key = lm_xstrdup(k ? (const char *)k : "");
	r->requests = sqlite3_column_int64(st, 1);
	r->tokens_in = sqlite3_column_int64(st, 2);
	r->tokens_out = sqlite3_column_int64(st, 3);
	r->tokens_cached = sqlite3_column_int64(st, 4);
	r->duration_ms = sqlite3_column_double(st, 5);
	r->gen_ms = sqlite3_column_double(st, 6);
	r->gen_tokens = sqlite3_column_int64(st, 7);
	r->last_used = lt && *lt ? lm_xstrdup((const char *)lt) : NULL;
}

/* Generated tokens per second: from generation time when known, else from
 * the whole request time. */
static void row_finish(struct usagedb_row *r)
{
	if (r->gen_ms > 0)
		r->tok_per_sec = (double)r->gen_tokens * 1000.0 / r->gen_ms;
	else if (r->duration_ms > 0)
		r->tok_per_sec = (double)r->tokens_out * 1000.0 / r->duration_ms;
	else
		r->tok_per_sec = 0;
}

static void totals_add(struct usagedb_row *t, const struct usagedb_row *r)
{
	t->requests += r->requests;
	t->tokens_in += r->tokens_in;
	t->tokens_out += r->tokens_out;
	t->tokens_cached += r->tokens_cached;
	t->duration_ms += r->duration_ms;
	t->gen_ms += r->gen_ms;
	t->gen_tokens += r->gen_tokens;
	if (r->last_used && (!t->last_used || strcmp(r->last_used, t->last_used) > 0)) {
		free(t->last_used);
		t->last_used = lm_xstrdup(r->last_used);
	}
}

static int run_report(sqlite3 *db, const char *sql, const char *model, time_t since,
		      struct usagedb_report *out, struct lm_err *err)
{
	char from[32] = "", day[32] = "", month[16] = "";
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if (since > 0) {
		time_t whole = since % 86400 ? since - since % 86400 + 86400 : since;
		int y, m, d;
		lm_time_iso(since, from, sizeof(from));
		lm_time_iso(whole, day, sizeof(day));
		day[10] = '\0';
		/* the first whole month: this one when the window starts on the 1st */
		if (sscanf(day, "%d-%d-%d", &y, &m, &d) == 3 && d != 1 && ++m > 12) {
			m = 1;
			y++;
		}
		snprintf(month, sizeof(month), "%04d-%02d", y, m);
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "usage report");
	sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 4, since > 0);
	sqlite3_bind_text(st, 5, month, -1, SQLITE_TRANSIENT);
	if (model)
		sqlite3_bind_text(st, 3, model, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 3);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->rows = lm_xrealloc(out->rows, cap * sizeof(*out->rows));
		}
		row_from_stmt(st, &out->rows[out->n]);
		row_finish(&out->rows[out->n]);
		totals_add(&out->totals, &out->rows[out->n]);
		out->n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(db, err, "usage report");
	row_finish(&out->totals);
	return LM_OK;
}

/* Reconciled rows carry tokens, not requests: every sum above counted
 * them as rows. Take their count off the requests and tell their tokens,
 * per row (model or day) and in the totals. A database from before they
 * existed has none. */
static int add_reconciled(sqlite3 *db, const char *model, time_t since, int by_model,
			  struct usagedb_report *out, struct lm_err *err)
{
	static const char sql[] =
		"SELECT CASE WHEN ?3 THEN model ELSE substr(timestamp, 1, 10) END,"
		" COUNT(*), SUM(tokens_in), SUM(tokens_out) FROM model_usage"
		" WHERE kind = 'reconciled' AND timestamp >= ?1 AND (?2 IS NULL OR model = ?2)"
		" GROUP BY 1";
	sqlite3_stmt *st;
	char from[32];
	int rc;

	lm_time_iso(since, from, sizeof(from));
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('model_usage')"
			       " WHERE name = 'kind'", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "usage report");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return LM_OK;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "usage report");
	sqlite3_bind_int(st, 3, by_model);
	sqlite3_bind_text(st, 1, since ? from : "", -1, SQLITE_TRANSIENT);
	if (model)
		sqlite3_bind_text(st, 2, model, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		int64_t n = sqlite3_column_int64(st, 1), in = sqlite3_column_int64(st, 2),
			o = sqlite3_column_int64(st, 3);
		out->totals.requests -= n;
		out->totals.reconciled_in += in;
		out->totals.reconciled_out += o;
		for (size_t i = 0; k && i < out->n; i++)
			if (!strcmp(out->rows[i].key, k)) {
				out->rows[i].requests -= n;
				out->rows[i].reconciled_in = in;
				out->rows[i].reconciled_out = o;
			}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? LM_OK : db_err(db, err, "usage report");
}

int usagedb_report(struct lm_store *s, const char *model, time_t since,
		   enum usagedb_group group, struct usagedb_report *out, struct lm_err *err)
{
	struct lm_err ignored = { 0 };
	int g = group == USAGEDB_BY_DAY ? 1 : 0;
	int rc;

	memset(out, 0, sizeof(*out));
	/* a read-only or busy database still gets an answer, from the raw rows */
	out->from_cache = usagedb_refresh(s, &ignored) == LM_OK;
	rc = run_report(store_db(s), queries[g][!out->from_cache], model, since, out, err);
	if (rc == LM_OK)
		rc = add_reconciled(store_db(s), model, since, !g, out, err);
	if (rc)
		usagedb_report_release(out);
	return rc;
}

void usagedb_report_release(struct usagedb_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->rows[i].key);
		free(r->rows[i].last_used);
	}
	free(r->rows);
	free(r->totals.key);
	free(r->totals.last_used);
	memset(r, 0, sizeof(*r));
}
