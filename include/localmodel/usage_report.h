/*
 * usage_report (functions usagedb_*): the usage report over model_usage, fast on a long history.
 *
 * A full scan of a million model_usage rows costs most of a second, so the
 * report reads a derived table, usage_daily(model, day, sums...), kept up to
 * date lazily: each report first folds the rows added since the last fold
 * (id > high-water mark, a cheap range scan) into it. usage_daily is a cache:
 * dropping it (or rows vanishing from model_usage) only costs one rebuild.
 * Rows of the first, partial day of a --since window are read from
 * model_usage itself through its timestamp index.
 *
 * When the database cannot be written (read-only file, lock held too long)
 * the report is computed from model_usage directly: slower, same figures.
 *
 * Results are owned by the caller: usagedb_report_release.
 */
#ifndef LOCALMODEL_USAGE_REPORT_H
#define LOCALMODEL_USAGE_REPORT_H

#include <stdint.h>
#include <time.h>
#include "base.h"

struct lm_store;

enum usagedb_group { USAGEDB_BY_MODEL, USAGEDB_BY_DAY };

struct usagedb_row {
	char *key;            /* model name, or "YYYY-MM-DD" */
	int64_t requests;
	int64_t tokens_in;    /* prompt tokens evaluated */
	int64_t tokens_out;
	int64_t tokens_cached;
	double duration_ms;   /* total time of the requests */
	double tok_per_sec;   /* generated tokens per second of generation */
	char *last_used;      /* newest timestamp, ISO-8601 (NULL when none) */
	double gen_ms;        /* generation time behind tok_per_sec */
	int64_t gen_tokens;
	int64_t reconciled_in;  /* of tokens_in/out: counted by llama-server's */
	int64_t reconciled_out; /* /metrics, not told by a request (by model only) */
};

struct usagedb_report {
	struct usagedb_row *rows;
	size_t n;
	struct usagedb_row totals; /* key NULL */
	int from_cache;       /* 1 when usage_daily answered */
};

/* Parse "7d", "12h", "2w", "30m", "YYYY-MM-DD" or an ISO-8601 time into the
 * start of the window, relative to now. 0 ok, LM_EUSAGE bad. */
int usagedb_parse_since(const char *s, time_t now, time_t *out, struct lm_err *err);

/* Bring usage_daily up to date (creates it when missing). */
int usagedb_refresh(struct lm_store *s, struct lm_err *err);

/* Sums since `since` (0 = all time) for one model (NULL = all), grouped. */
int usagedb_report(struct lm_store *s, const char *model, time_t since,
		   enum usagedb_group group, struct usagedb_report *out, struct lm_err *err);
void usagedb_report_release(struct usagedb_report *r);

#endif
