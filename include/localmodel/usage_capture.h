/*
 * usage_capture (functions usagelog_*): turns llama-server's stderr timing lines into model_usage rows.
 *
 * The supervisor feeds every stderr line of its llama-server child to
 * usagelog_feed_line(). For each request llama-server prints three lines
 * (HACKING.md, "llama-server"):
 *
 *   slot print_timing: id  3 | task 0 | prompt eval time =  5.10 ms /  39 tokens (...)
 *   slot print_timing: id  3 | task 0 |        eval time =  0.80 ms /   5 tokens (...)
 *   slot print_timing: id  3 | task 0 |       total time =  5.89 ms /  44 tokens
 *
 * optionally behind a log prefix ("0.05.123.456 I ") and, in router mode,
 * behind the relay prefix of the child ("[ 8081] "). A request is complete
 * at its "total time" line (or when its slot starts another request, or at
 * finish); complete requests are buffered in memory and written in one
 * transaction by usagelog_flush() (store_usage_add, which also bumps
 * model_inventory.last_used / total_requests). Lines that are not timing
 * lines, or are garbled, are ignored: feeding never fails.
 *
 * /metrics text (usagelog_metrics) supplies the cached prompt tokens (not in
 * the stderr lines) and the counters the parsed sums are checked against at
 * usagelog_finish(): llamacpp:prompt_tokens_total must equal the sum of
 * tokens_in, llamacpp:tokens_predicted_total the sum of tokens_out, when no
 * line was lost. A counter that goes down means the child restarted; the
 * counters of each run are added up.
 *
 * Rows: model = the model given to usagelog_new (or the one registered for
 * the router port), session_id = the session given, timestamp = lm_now() when
 * the request completed, tokens_in = prompt tokens evaluated (cache hits
 * excluded), tokens_out = generated tokens, duration_ms = total time,
 * tok_per_sec = generated tokens per second of eval time, tokens_cached =
 * the growth of prompt_tokens_cached_total since the previous scrape, spread
 * over the rows still buffered (exact per session, approximate per row).
 *
 * At finish, the session's figures go to the meta table under key
 * "usage.session.<session_id>" as a JSON object:
 *   {"requests","tokens_in","tokens_out","tokens_cached","metrics_prompt",
 *    "metrics_predicted","metrics_cached","diff_in","diff_out","dropped",
 *    "metrics_seen"}
 * diff_in = metrics_prompt - tokens_in, diff_out = metrics_predicted -
 * tokens_out (0 and 0 when nothing was lost; only meaningful when
 * metrics_seen is true).
 *
 * Not thread-safe: one usagelog per supervisor loop. All strings passed in
 * are copied. Free with usagelog_free (it does not flush).
 */
#ifndef LOCALMODEL_USAGE_CAPTURE_H
#define LOCALMODEL_USAGE_CAPTURE_H

#include <stdint.h>
#include "base.h"

struct lm_store;
struct lm_usagelog;

/* Flush policy used by usagelog_tick. */
#define USAGELOG_BATCH_ROWS 64     /* flush when this many rows wait */
#define USAGELOG_BATCH_MS 1000     /* or when the oldest waits this long */
#define USAGELOG_MAX_PENDING 100000 /* beyond this (database unwritable) rows are dropped */

/* ---- parsing (pure functions, exposed for tests) --------------------- */

enum usagelog_kind {
	USAGELOG_NONE = 0,   /* not a timing line */
	USAGELOG_PROMPT,     /* "prompt eval time = X ms / N tokens" */
	USAGELOG_EVAL,       /* "eval time = X ms / N tokens" */
	USAGELOG_TOTAL,      /* "total time = X ms / N tokens" */
};

struct usagelog_timing {
	enum usagelog_kind kind;
	int port;        /* router relay prefix "[ PORT] ", 0 when absent */
	long slot;       /* "id N" */
	long long task;  /* "task T" */
	double ms;
	int64_t tokens;
};

/* Parse one stderr line (with or without trailing newline). Returns the kind
 * (USAGELOG_NONE for anything else, including garbage; *out is then zeroed). */
enum usagelog_kind usagelog_parse_timing(const char *line, struct usagelog_timing *out);

/* Counters from a Prometheus text body of llama-server's /metrics;
 * -1 for a counter that is absent. */
struct usagelog_counters {
	int64_t prompt_tokens;   /* llamacpp:prompt_tokens_total */
	int64_t cached_tokens;   /* llamacpp:prompt_tokens_cached_total */
	int64_t predicted_tokens;/* llamacpp:tokens_predicted_total */
};

/* Returns 0 when at least one counter was found, -1 otherwise. */
int usagelog_parse_metrics(const char *text, struct usagelog_counters *out);

/* ---- the logger ------------------------------------------------------ */

/* Open db_path (created if missing) with a short busy timeout and log rows
 * for model under session_id (may be NULL). */
int usagelog_new(struct lm_usagelog **out, const char *db_path, const char *model,
		 const char *session_id, struct lm_err *err);
/* The same on a store the caller already has open (borrowed: it must outlive
 * the logger). */
int usagelog_new_store(struct lm_usagelog **out, struct lm_store *store, const char *model,
		       const char *session_id, struct lm_err *err);
/* Router mode: lines relayed as "[ PORT] ..." belong to model. A later call
 * for the same port replaces the model (the router reuses ports). */
void usagelog_set_port_model(struct lm_usagelog *u, int port, const char *model);

/* Feed one stderr line. Never fails; returns the number of rows now waiting
 * to be flushed. */
size_t usagelog_feed_line(struct lm_usagelog *u, const char *line);
/* Feed a chunk of raw bytes (any split); complete lines are fed one by one,
 * a partial last line is kept for the next call. Returns rows waiting. */
size_t usagelog_feed(struct lm_usagelog *u, const char *buf, size_t len);

/* Write all waiting rows in one transaction. On a database error the rows
 * stay buffered (retried next time) and the error is returned. */
int usagelog_flush(struct lm_usagelog *u, struct lm_err *err);
/* Flush when USAGELOG_BATCH_ROWS rows wait or the oldest waited
 * USAGELOG_BATCH_MS; call after feeding and on the loop's timer (~1 s). */
int usagelog_tick(struct lm_usagelog *u, struct lm_err *err);

/* A /metrics body of the (single) model's server; model names the router
 * child it came from (NULL = the model given to usagelog_new). Returns 0 when
 * it held counters, -1 when not (ignored). Scrape right before a flush so
 * cached tokens land on the rows of their requests. */
int usagelog_metrics(struct lm_usagelog *u, const char *model, const char *metrics_text);

/* Record what llama-server's counters (usagelog_metrics) show beyond the
 * requests' timing lines (a stream the client cut short, embeddings,
 * rerank: llama-server counts them but prints no timing lines) as rows
 * marked reconciled, per model. A gap is taken once two calls in a row
 * saw it (lines of a request that just ended may still be coming), or at
 * once when final; nothing while a request is open, unless final. Call it
 * after each scrape; usagelog_finish calls it with final set. */
void usagelog_reconcile(struct lm_usagelog *u, int final);

/* The child was restarted: its /metrics counters start again from zero.
 * (A counter that goes down is detected anyway; this also catches a new run
 * that already counted past the old value before the first scrape.) Open
 * requests of the old run are closed. */
void usagelog_child_restarted(struct lm_usagelog *u);

/* End of the session: take the last /metrics body (may be NULL), close
 * pending requests, flush, compare the sums with the counters and store the
 * summary in meta (see above). */
int usagelog_finish(struct lm_usagelog *u, const char *metrics_text_at_stop,
		    struct lm_err *err);

/* Figures so far, for status lines and tests. */
struct usagelog_stats {
	int64_t requests;      /* rows made (flushed or not) */
	int64_t tokens_in;
	int64_t tokens_out;
	int64_t tokens_cached;
	int64_t metrics_prompt;    /* counters summed over child restarts */
	int64_t metrics_predicted;
	int64_t metrics_cached;
	int metrics_seen;
	int64_t reconciled_in; /* tokens recorded from the counters, not requests */
	int64_t reconciled_out;
	int64_t diff_in;       /* metrics_prompt - tokens_in - reconciled_in */
	int64_t diff_out;      /* metrics_predicted - tokens_out - reconciled_out */
	int64_t dropped;       /* rows lost because the database stayed unwritable */
	size_t pending;        /* rows waiting for a flush */
};
void usagelog_stats(const struct lm_usagelog *u, struct usagelog_stats *out);

/* Free everything (waiting rows are discarded: flush or finish first). */
void usagelog_free(struct lm_usagelog *u);

#endif
