/* test_usage_report: --since parsing, and the report from the summary tables
 * against the report from the raw rows (the fallback when locked). */
#include "localmodel/store.h"
#include "localmodel/usage_report.h"
#include "t.h"

#include <math.h>
#include <sqlite3.h>

static void test_since(void)
{
	struct lm_err err = { 0 };
	time_t now = 1775822400; /* 2026-04-10T12:00:00Z */
	time_t t = 0;

	CHECK_INT(usagedb_parse_since("7d", now, &t, &err), 0);
	CHECK_INT(now - t, 7 * 86400);
	CHECK_INT(usagedb_parse_since("12h", now, &t, &err), 0);
	CHECK_INT(now - t, 12 * 3600);
	CHECK_INT(usagedb_parse_since("2w", now, &t, &err), 0);
	CHECK_INT(now - t, 14 * 86400);
	CHECK_INT(usagedb_parse_since("30m", now, &t, &err), 0);
	CHECK_INT(now - t, 1800);
	CHECK_INT(usagedb_parse_since("0d", now, &t, &err), 0);
	CHECK_INT(t, now);
	CHECK_INT(usagedb_parse_since("2026-04-01", now, &t, &err), 0);
	CHECK_INT(t, 1775001600);
	CHECK_INT(usagedb_parse_since("2026-04-01T06:00:00Z", now, &t, &err), 0);
	CHECK_INT(t, 1775001600 + 6 * 3600);
	CHECK_INT(usagedb_parse_since("d", now, &t, &err), LM_EUSAGE);
	CHECK_INT(usagedb_parse_since("-3d", now, &t, &err), LM_EUSAGE);
	CHECK_INT(usagedb_parse_since("3y", now, &t, &err), LM_EUSAGE);
	CHECK_INT(usagedb_parse_since("3.5d", now, &t, &err), LM_EUSAGE);
	CHECK_INT(usagedb_parse_since("99999999999999999999d", now, &t, &err), LM_EUSAGE);
	CHECK_INT(usagedb_parse_since("", now, &t, &err), LM_EUSAGE);
	CHECK_INT(usagedb_parse_since(NULL, now, &t, &err), LM_EUSAGE);
	CHECK(strstr(err.msg, "--since") != NULL);
}

static int same(const struct usagedb_report *a, const struct usagedb_report *b)
{
	if (a->n != b->n || a->totals.requests != b->totals.requests ||
	    a->totals.tokens_in != b->totals.tokens_in ||
	    a->totals.tokens_out != b->totals.tokens_out ||
	    a->totals.tokens_cached != b->totals.tokens_cached)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->rows[i].key, b->rows[i].key) ||
		    a->rows[i].requests != b->rows[i].requests ||
		    a->rows[i].tokens_in != b->rows[i].tokens_in ||
		    (a->rows[i].last_used == NULL) != (b->rows[i].last_used == NULL) ||
		    (a->rows[i].last_used && strcmp(a->rows[i].last_used, b->rows[i].last_used)) ||
		    fabs(a->rows[i].tok_per_sec - b->rows[i].tok_per_sec) > 1e-6)
			return 0;
	return 1;
}

static void test_cache_vs_raw(void)
{
	struct lm_store *s = NULL, *lock = NULL;
	struct lm_err err = { 0 };
	char path[512];
	static const time_t windows[] = { 0, 1767225600, 1769904000 + 3600 * 7 + 13, 1772150400,
					  1775800000, 1900000000 };

	snprintf(path, sizeof(path), "%s/u.db", t_tmpdir());
	CHECK_INT(store_open(&s, path, STORE_RW, 0, &err), 0);
	CHECK_INT(store_open(&lock, path, STORE_RW, 0, &err), 0);
	if (!s || !lock)
		return;
	CHECK_INT(sqlite3_exec(store_db(s),
			       "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
			       " WHERE i < 4999) INSERT INTO model_usage(model, timestamp, tokens_in,"
			       " tokens_out, tokens_cached, duration_ms, tok_per_sec) SELECT"
			       " 'm' || (i % 4), strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + i * 1931,"
			       " 'unixepoch'), i % 13, i % 7, i % 3, 10.5, CASE WHEN i % 5 THEN 30"
			       " ELSE 0 END FROM n", NULL, NULL, NULL), SQLITE_OK);
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++)
		for (int g = 0; g < 2; g++)
			for (int m = 0; m < 2; m++) {
				struct usagedb_report a, b;
				const char *model = m ? "m2" : NULL;
				CHECK_INT(usagedb_report(s, model, windows[w], g, &a, &err), 0);
				CHECK_INT(a.from_cache, 1);
				/* another connection holds the write lock: raw rows answer */
				sqlite3_exec(store_db(s), "DELETE FROM meta WHERE key LIKE 'usage%'",
					     NULL, NULL, NULL);
				sqlite3_exec(store_db(lock), "BEGIN IMMEDIATE", NULL, NULL, NULL);
				CHECK_INT(usagedb_report(s, model, windows[w], g, &b, &err), 0);
				CHECK_INT(b.from_cache, 0);
				sqlite3_exec(store_db(lock), "ROLLBACK", NULL, NULL, NULL);
				if (!same(&a, &b))
					fprintf(stderr, "window %zu group %d model %d differs\n", w, g,
						m);
				CHECK(same(&a, &b));
				usagedb_report_release(&a);
				usagedb_report_release(&b);
			}
	store_close(lock);
	store_close(s);
}

int main(void)
{
	test_since();
	test_cache_vs_raw();
	return T_DONE();
}
