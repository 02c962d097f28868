/* test_usage_capture: the timing-line parser, the request batcher, /metrics
 * reconciliation, and the rows that reach the database. */
#include "localmodel/usage_capture.h"
#include "localmodel/store.h"
#include "t.h"

#include <sqlite3.h>

static const char *L_PROMPT =
	"slot print_timing: id  3 | task 0 | prompt eval time =       5.10 ms /    39 tokens"
	" (    0.13 ms per token,  7647.06 tokens per second)";
static const char *L_EVAL =
	"slot print_timing: id  3 | task 0 |        eval time =       0.80 ms /     5 tokens"
	" (    0.16 ms per token,  6250.00 tokens per second)";
static const char *L_TOTAL =
	"slot print_timing: id  3 | task 0 |       total time =       5.89 ms /    44 tokens";

static void test_parse_exact(void)
{
	struct usagelog_timing t;

	CHECK_INT(usagelog_parse_timing(L_PROMPT, &t), USAGELOG_PROMPT);
	CHECK_INT(t.slot, 3);
	CHECK_INT(t.task, 0);
	CHECK_INT(t.tokens, 39);
	CHECK(t.ms > 5.09 && t.ms < 5.11);
	CHECK_INT(t.port, 0);
	CHECK_INT(usagelog_parse_timing(L_EVAL, &t), USAGELOG_EVAL);
	CHECK_INT(t.tokens, 5);
	CHECK(t.ms > 0.79 && t.ms < 0.81);
	CHECK_INT(usagelog_parse_timing(L_TOTAL, &t), USAGELOG_TOTAL);
	CHECK_INT(t.tokens, 44);
}

static void test_parse_prefixes(void)
{
	struct usagelog_timing t;

	CHECK_INT(usagelog_parse_timing("0.05.123.456 I slot print_timing: id  0 | task 12 | "
					"prompt eval time = 1.00 ms / 7 tokens (x)\n", &t),
		  USAGELOG_PROMPT);
	CHECK_INT(t.task, 12);
	CHECK_INT(t.tokens, 7);
	CHECK_INT(usagelog_parse_timing("[ 8081] 0.05.123.456 I slot print_timing: id 1 | task 4 |"
					" eval time = 2.5 ms / 9 tokens\r\n", &t),
		  USAGELOG_EVAL);
	CHECK_INT(t.port, 8081);
	CHECK_INT(t.slot, 1);
	CHECK_INT(usagelog_parse_timing("[54321] slot print_timing: id 1 | task 4 | total time ="
					" 3 ms / 10 tokens", &t), USAGELOG_TOTAL);
	CHECK_INT(t.port, 54321);
	/* odd spacing: tabs, no blanks around separators, doubled blanks */
	CHECK_INT(usagelog_parse_timing("slot print_timing:id\t2|task\t5|prompt   eval   time=1.5ms/"
					"3 tokens", &t), USAGELOG_PROMPT);
	CHECK_INT(t.slot, 2);
	CHECK_INT(t.tokens, 3);
	/* colour codes around the line */
	CHECK_INT(usagelog_parse_timing("\x1b[32m0.01.000.000 I slot print_timing: id 0 | task 1 |"
					" total time = 9.00 ms / 12 tokens\x1b[0m", &t),
		  USAGELOG_TOTAL);
	/* a prefix that is not a port is left alone, the line still parses */
	CHECK_INT(usagelog_parse_timing("[x] slot print_timing: id 0 | task 1 | total time = 1 ms"
					" / 1 tokens", &t), USAGELOG_TOTAL);
	CHECK_INT(t.port, 0);
	CHECK_INT(usagelog_parse_timing("[99999] slot print_timing: id 0 | task 1 | total time = 1"
					" ms / 1 tokens", &t), USAGELOG_TOTAL);
	CHECK_INT(t.port, 0);
}

static void test_parse_garbage(void)
{
	static const char *bad[] = {
		"",
		"srv  llama_server: listening on http://127.0.0.1:8080",
		"slot print_timing:",
		"slot print_timing: id",
		"slot print_timing: id 3",
		"slot print_timing: id 3 | task",
		"slot print_timing: id 3 | task 0 |",
		"slot print_timing: id 3 | task 0 | prompt time = 1 ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | eval time = ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | eval time = 1 ms / tokens",
		"slot print_timing: id 3 | task 0 | eval time = 1 ms / 2",
		"slot print_timing: id 3 | task 0 | eval time = -1 ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | eval time = 1 ms / -2 tokens",
		"slot print_timing: id 3 | task 0 | eval time = nan ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | eval time = inf ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | eval time = .5 ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | evaluation time = 1 ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | eval time = 1 s / 2 tokens",
		"slot print_timing: id -3 | task 0 | eval time = 1 ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | eval time = 1 ms / 99999999999999999999 tokens",
		"slot print_timing: id 3 | task 0 | eval time = 1e400 ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | eval time = "
		"1111111111111111111111111111111111111111111111111111111111111111111111111 ms / 2 tokens",
		"slot print_timing: id 3 | task 99999999999999999999 | eval time = 1 ms / 2 tokens",
		"slot print_timing: id 3 | task 0 | draft acceptance rate = 0.5 (1 accepted / 2 generated)",
		"\xff\xfe\x01 print_timing: id \x80",
		NULL,
	};
	struct usagelog_timing t;

	for (int i = 0; bad[i]; i++) {
		enum usagelog_kind k = usagelog_parse_timing(bad[i], &t);
		if (k != USAGELOG_NONE)
			fprintf(stderr, "parsed garbage #%d: %s\n", i, bad[i]);
		CHECK_INT(k, USAGELOG_NONE);
		CHECK_INT(t.tokens, 0);
	}
	CHECK_INT(usagelog_parse_timing(NULL, &t), USAGELOG_NONE);
	/* big but valid numbers */
	CHECK_INT(usagelog_parse_timing("slot print_timing: id 3 | task 123456789012 | eval time ="
					" 123456789.5 ms / 9223372036854775807 tokens", &t),
		  USAGELOG_EVAL);
	CHECK_INT(t.tokens, INT64_MAX);
	CHECK_INT(t.task, 123456789012LL);
}

static void test_parse_metrics(void)
{
	struct usagelog_counters c;
	const char *body =
		"# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n"
		"# TYPE llamacpp:prompt_tokens_total counter\n"
		"llamacpp:prompt_tokens_total 40\n"
		"llamacpp:prompt_tokens_seconds 7.5\n"
		"llamacpp:prompt_tokens_cached_total 38\n"
		"llamacpp:tokens_predicted_total 1e1\n"
		"llamacpp:spec_decode_num_accepted_tokens_per_pos_total{position=\"0\"} 3\n";

	CHECK_INT(usagelog_parse_metrics(body, &c), 0);
	CHECK_INT(c.prompt_tokens, 40);
	CHECK_INT(c.cached_tokens, 38);
	CHECK_INT(c.predicted_tokens, 10);
	CHECK_INT(usagelog_parse_metrics("{\"error\":{\"code\":501}}", &c), -1);
	CHECK_INT(c.prompt_tokens, -1);
	CHECK_INT(usagelog_parse_metrics("", &c), -1);
	CHECK_INT(usagelog_parse_metrics(NULL, &c), -1);
	CHECK_INT(usagelog_parse_metrics("llamacpp:prompt_tokens_total nan\n"
					 "llamacpp:tokens_predicted_total -4\n", &c), -1);
	CHECK_INT(usagelog_parse_metrics("llamacpp:prompt_tokens_total_extra 5\n", &c), -1);
	CHECK_INT(usagelog_parse_metrics("llamacpp:prompt_tokens_total 9223372036854775807", &c),
		  0);
	CHECK_INT(c.prompt_tokens, INT64_MAX);
}

static struct lm_store *open_store(const char *name)
{
	struct lm_store *s = NULL;
	struct lm_err err = { 0 };
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	if (store_open(&s, path, STORE_RW, 1000, &err))
		fprintf(stderr, "store_open: %s\n", err.msg);
	return s;
}

static long long q_int(struct lm_store *s, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void feed_request(struct lm_usagelog *u, const char *pre, int slot, int task, int pn,
			 int en)
{
	char line[256];

	snprintf(line, sizeof(line), "%sslot print_timing: id %2d | task %d | prompt eval time ="
		 " 5.00 ms / %5d tokens (...)", pre, slot, task, pn);
	usagelog_feed_line(u, line);
	snprintf(line, sizeof(line), "%sslot print_timing: id %2d | task %d |        eval time ="
		 " 100.00 ms / %5d tokens (...)", pre, slot, task, en);
	usagelog_feed_line(u, line);
	snprintf(line, sizeof(line), "%sslot print_timing: id %2d | task %d |       total time ="
		 " 105.00 ms / %5d tokens", pre, slot, task, pn + en);
	usagelog_feed_line(u, line);
}

/* A two-request session as the real llama-server logs it, end to end. */
static void test_session_rows(void)
{
	struct lm_store *s = open_store("a.db");
	struct lm_usagelog *u = NULL;
	struct lm_err err = { 0 };
	struct lm_model m = { .model = "org/tiny:Q8_0", .file_path = "/x.gguf",
			      .first_seen = "2026-01-01T00:00:00Z" };
	struct usagelog_stats st;
	char *meta = NULL;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(store_model_upsert(s, &m, &err), 0);
	setenv("LOCALMODEL_NOW", "2026-03-01T10:00:00Z", 1);
	CHECK_INT(usagelog_new_store(&u, s, "org/tiny:Q8_0", "sess-1", &err), 0);
	CHECK_INT(usagelog_feed_line(u, "srv  llama_server: model loaded"), 0);
	CHECK_INT(usagelog_feed_line(u, L_PROMPT), 0);
	CHECK_INT(usagelog_feed_line(u, L_EVAL), 0);
	CHECK_INT(usagelog_feed_line(u, L_TOTAL), 1);
	/* second request: the cache served 38 of 39 prompt tokens */
	usagelog_feed_line(u, "slot print_timing: id  3 | task 2 | prompt eval time = 1.20 ms /"
			   "     1 tokens (...)");
	usagelog_feed_line(u, "slot print_timing: id  3 | task 2 |        eval time = 0.70 ms /"
			   "     5 tokens (...)");
	CHECK_INT(usagelog_feed_line(u, "slot print_timing: id  3 | task 2 |       total time ="
				     "       1.90 ms /     6 tokens"), 2);
	CHECK_INT(usagelog_tick(u, &err), 0); /* 2 rows, too fresh: no flush yet */
	CHECK_INT(q_int(s, "SELECT COUNT(*) FROM model_usage"), 0);
	CHECK_INT(usagelog_finish(u, "llamacpp:prompt_tokens_total 40\n"
				  "llamacpp:prompt_tokens_cached_total 38\n"
				  "llamacpp:tokens_predicted_total 10\n", &err), 0);
	usagelog_stats(u, &st);
	CHECK_INT(st.requests, 2);
	CHECK_INT(st.tokens_in, 40);
	CHECK_INT(st.tokens_out, 10);
	CHECK_INT(st.tokens_cached, 38);
	CHECK_INT(st.diff_in, 0);
	CHECK_INT(st.diff_out, 0);
	CHECK_INT(st.pending, 0);
	CHECK_INT(q_int(s, "SELECT COUNT(*) FROM model_usage WHERE session_id='sess-1'"), 2);
	CHECK_INT(q_int(s, "SELECT SUM(tokens_in) FROM model_usage"), 40);
	CHECK_INT(q_int(s, "SELECT SUM(tokens_out) FROM model_usage"), 10);
	CHECK_INT(q_int(s, "SELECT SUM(tokens_cached) FROM model_usage"), 38);
	CHECK_INT(q_int(s, "SELECT CAST(ROUND(SUM(duration_ms)*100) AS INT) FROM model_usage"),
		  779);
	CHECK_INT(q_int(s, "SELECT CAST(tok_per_sec AS INT) FROM model_usage ORDER BY id LIMIT 1"),
		  6250);
	CHECK_INT(q_int(s, "SELECT total_requests FROM model_inventory"), 2);
	CHECK_INT(q_int(s, "SELECT last_used = '2026-03-01T10:00:00Z' FROM model_inventory"), 1);
	CHECK_INT(store_meta_get(s, "usage.session.sess-1", &meta, &err), 0);
	CHECK(meta && strstr(meta, "\"diff_in\":0") && strstr(meta, "\"metrics_prompt\":40") &&
	      strstr(meta, "\"tokens_cached\":38"));
	free(meta);
	usagelog_free(u);
	unsetenv("LOCALMODEL_NOW");
	store_close(s);
}

/* A lost line shows as a difference against the counters. */
static void test_reconcile_loss(void)
{
	struct lm_store *s = open_store("b.db");
	struct lm_usagelog *u = NULL;
	struct lm_err err = { 0 };
	struct usagelog_stats st;
	char *meta = NULL;

	CHECK_INT(usagelog_new_store(&u, s, "m", "sess-2", &err), 0);
	feed_request(u, "", 0, 1, 10, 20);
	feed_request(u, "", 0, 2, 30, 40);
	/* the third request's lines were lost (a stream cut short) */
	CHECK_INT(usagelog_metrics(u, NULL, "llamacpp:prompt_tokens_total 45\n"
				   "llamacpp:tokens_predicted_total 70\n"), 0);
	/* seen once: not yet taken (its lines may still be on their way) */
	usagelog_reconcile(u, 0);
	usagelog_stats(u, &st);
	CHECK_INT(st.reconciled_in, 0);
	CHECK_INT(st.pending, 2);
	/* seen twice: taken, as one row marked reconciled */
	usagelog_reconcile(u, 0);
	usagelog_stats(u, &st);
	CHECK_INT(st.reconciled_in, 5);
	CHECK_INT(st.reconciled_out, 10);
	CHECK_INT(st.requests, 2);
	/* more comes; the end takes it at once */
	CHECK_INT(usagelog_metrics(u, NULL, "llamacpp:prompt_tokens_total 48\n"
				   "llamacpp:tokens_predicted_total 71\n"), 0);
	CHECK_INT(usagelog_finish(u, NULL, &err), 0);
	usagelog_stats(u, &st);
	CHECK_INT(st.diff_in, 0);
	CHECK_INT(st.diff_out, 0);
	CHECK_INT(st.reconciled_in, 8);
	CHECK_INT(st.reconciled_out, 11);
	CHECK_INT(q_int(s, "select count(*) from model_usage where kind = 'reconciled'"), 2);
	CHECK_INT(q_int(s, "select sum(tokens_in) from model_usage"), 48);
	CHECK_INT(store_meta_get(s, "usage.session.sess-2", &meta, &err), 0);
	CHECK(meta && strstr(meta, "\"reconciled_in\":8") && strstr(meta, "\"diff_in\":0"));
	free(meta);
	usagelog_free(u);
	store_close(s);
}

/* A counter that goes down is a child restart: runs add up. */
static void test_counter_restart(void)
{
	struct lm_store *s = open_store("c.db");
	struct lm_usagelog *u = NULL;
	struct lm_err err = { 0 };
	struct usagelog_stats st;

	CHECK_INT(usagelog_new_store(&u, s, "m", "sess-3", &err), 0);
	feed_request(u, "", 0, 1, 10, 20);
	usagelog_metrics(u, NULL, "llamacpp:prompt_tokens_total 10\n"
			 "llamacpp:tokens_predicted_total 20\nllamacpp:prompt_tokens_cached_total 4\n");
	feed_request(u, "", 0, 1, 7, 3); /* same task id after a restart */
	usagelog_metrics(u, NULL, "llamacpp:prompt_tokens_total 7\n"
			 "llamacpp:tokens_predicted_total 3\nllamacpp:prompt_tokens_cached_total 2\n");
	CHECK_INT(usagelog_finish(u, NULL, &err), 0);
	usagelog_stats(u, &st);
	CHECK_INT(st.requests, 2);
	CHECK_INT(st.metrics_prompt, 17);
	CHECK_INT(st.metrics_predicted, 23);
	CHECK_INT(st.metrics_cached, 6);
	CHECK_INT(st.tokens_cached, 6);
	CHECK_INT(st.diff_in, 0);
	CHECK_INT(st.diff_out, 0);
	CHECK_INT(q_int(s, "SELECT SUM(tokens_cached) FROM model_usage"), 6);
	usagelog_free(u);
	store_close(s);
}

/* An announced restart counts a new run even when its counter already
 * passed the old value. */
static void test_announced_restart(void)
{
	struct lm_store *s = open_store("f.db");
	struct lm_usagelog *u = NULL;
	struct lm_err err = { 0 };
	struct usagelog_stats st;

	CHECK_INT(usagelog_new_store(&u, s, "m", "sess-6", &err), 0);
	feed_request(u, "", 0, 1, 10, 20);
	usagelog_metrics(u, NULL, "llamacpp:prompt_tokens_total 10\n"
			 "llamacpp:tokens_predicted_total 20\n");
	/* the crashed run's half request is closed with what it had */
	usagelog_feed_line(u, "slot print_timing: id 0 | task 2 | prompt eval time = 1 ms / 4 tokens");
	usagelog_child_restarted(u);
	feed_request(u, "", 0, 1, 30, 40);
	usagelog_metrics(u, NULL, "llamacpp:prompt_tokens_total 30\n"
			 "llamacpp:tokens_predicted_total 40\n");
	CHECK_INT(usagelog_finish(u, NULL, &err), 0);
	usagelog_stats(u, &st);
	CHECK_INT(st.requests, 3);
	CHECK_INT(st.metrics_prompt, 40);
	CHECK_INT(st.metrics_predicted, 60);
	CHECK_INT(st.tokens_in, 44);
	CHECK_INT(st.diff_in, -4);
	CHECK_INT(st.diff_out, 0);
	usagelog_child_restarted(NULL);
	usagelog_free(u);
	store_close(s);
}

/* Interleaved slots, router ports, a missing total line, partial chunks. */
static void test_batcher(void)
{
	struct lm_store *s = open_store("d.db");
	struct lm_usagelog *u = NULL;
	struct lm_err err = { 0 };
	struct usagelog_stats st;
	const char *stream =
		"[ 8081] 0.01.000.000 I slot print_timing: id  0 | task 1 | prompt eval time = 1.0 ms"
		" / 11 tokens (x)\n"
		"[ 8082] 0.01.000.000 I slot print_timing: id  0 | task 1 | prompt eval time = 1.0 ms"
		" / 22 tokens (x)\n"
		"[ 8081] 0.01.000.000 I slot print_timing: id  0 | task 1 |        eval time = 2.0 ms"
		" / 3 tokens (x)\n"
		"[ 8082] garbage \xff\xfe\n"
		"[ 8082] 0.01.000.000 I slot print_timing: id  0 | task 1 |        eval time = 4.0 ms"
		" / 4 tokens (x)\n"
		"[ 8081] 0.01.000.000 I slot print_timing: id  0 | task 1 |       total time = 3.0 ms"
		" / 14 tokens\n"
		"[ 8082] 0.01.000.000 I slot print_timing: id  0 | task 1 |       total time = 5.0 ms"
		" / 26 tokens\n"
		/* slot 1 of 8081: no total line, the next task closes it */
		"[ 8081] slot print_timing: id  1 | task 7 | prompt eval time = 1.0 ms / 100 tokens\n"
		"[ 8081] slot print_timing: id  1 | task 7 |        eval time = 1.0 ms / 200 tokens\n"
		"[ 8081] slot print_timing: id  1 | task 8 | prompt eval time = 1.0 ms / 1000 tokens\n"
		"[ 8081] slot print_timing: id  1 | task 8 |        eval time = 1.0 ms / 2000 tokens\n";

	CHECK_INT(usagelog_new_store(&u, s, "router", "sess-4", &err), 0);
	usagelog_set_port_model(u, 8081, "a/one:Q4_K_M");
	usagelog_set_port_model(u, 8082, "b/two:Q8_0");
	/* fed one byte at a time: any split must give the same rows */
	for (size_t i = 0; stream[i]; i++)
		usagelog_feed(u, stream + i, 1);
	usagelog_stats(u, &st);
	CHECK_INT(st.requests, 3); /* the last one waits for more lines */
	CHECK_INT(usagelog_finish(u, NULL, &err), 0);
	usagelog_stats(u, &st);
	CHECK_INT(st.requests, 4);
	CHECK_INT(st.tokens_in, 11 + 22 + 100 + 1000);
	CHECK_INT(st.tokens_out, 3 + 4 + 200 + 2000);
	CHECK_INT(q_int(s, "SELECT SUM(tokens_in) FROM model_usage WHERE model='a/one:Q4_K_M'"),
		  1111);
	CHECK_INT(q_int(s, "SELECT SUM(tokens_in) FROM model_usage WHERE model='b/two:Q8_0'"), 22);
	CHECK_INT(q_int(s, "SELECT COUNT(*) FROM model_usage WHERE model='router'"), 0);
	/* the ms of a request without a total line is prompt + eval */
	CHECK_INT(q_int(s, "SELECT CAST(duration_ms AS INT) FROM model_usage WHERE tokens_in=100"),
		  2);
	usagelog_free(u);
	store_close(s);
}

/* A burst is flushed in batches; a locked database keeps rows for later. */
static void test_flush_policy(void)
{
	struct lm_store *s = open_store("e.db");
	struct lm_store *other = open_store("e.db");
	struct lm_usagelog *u = NULL;
	struct lm_err err = { 0 };
	struct usagelog_stats st;

	CHECK_INT(usagelog_new_store(&u, s, "m", "sess-5", &err), 0);
	for (int i = 0; i < USAGELOG_BATCH_ROWS - 1; i++)
		feed_request(u, "", i % 4, i, 1, 1);
	CHECK_INT(usagelog_tick(u, &err), 0);
	CHECK_INT(q_int(s, "SELECT COUNT(*) FROM model_usage"), 0);
	feed_request(u, "", 0, 1000, 1, 1);
	CHECK_INT(usagelog_tick(u, &err), 0);
	CHECK_INT(q_int(s, "SELECT COUNT(*) FROM model_usage"), USAGELOG_BATCH_ROWS);
	/* another connection holds the write lock */
	sqlite3_busy_timeout(store_db(s), 0);
	CHECK_INT(sqlite3_exec(store_db(other), "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	feed_request(u, "", 0, 2000, 5, 6);
	CHECK(usagelog_flush(u, &err) != 0);
	usagelog_stats(u, &st);
	CHECK_INT(st.pending, 1);
	sqlite3_exec(store_db(other), "ROLLBACK", NULL, NULL, NULL);
	CHECK_INT(usagelog_flush(u, &err), 0);
	CHECK_INT(q_int(s, "SELECT COUNT(*) FROM model_usage"), USAGELOG_BATCH_ROWS + 1);
	usagelog_free(u);
	store_close(other);
	store_close(s);
}

/* Overlong lines are skipped whole; random bytes never crash or count. */
static void test_hostile_input(void)
{
	struct lm_store *s = open_store("g.db");
	struct lm_usagelog *u = NULL;
	struct lm_err err = { 0 };
	struct usagelog_stats st;
	size_t big = 200000;
	char *junk = malloc(big);
	unsigned seed = 12345;

	CHECK_INT(usagelog_new_store(&u, s, "m", "sess-7", &err), 0);
	/* a timing line hidden at the end of a 200 kB line does not count */
	memset(junk, 'x', big);
	usagelog_feed(u, junk, big);
	usagelog_feed(u, L_PROMPT, strlen(L_PROMPT));
	usagelog_feed(u, "\n", 1);
	usagelog_feed(u, L_TOTAL, strlen(L_TOTAL));
	usagelog_feed(u, "\n", 1);
	usagelog_stats(u, &st);
	CHECK_INT(st.requests, 0);
	/* random bytes, with newlines and pieces of real lines mixed in */
	for (int round = 0; round < 2000; round++) {
		char buf[512];
		size_t n = (size_t)(rand_r(&seed) % (sizeof(buf) - 1));
		for (size_t i = 0; i < n; i++) {
			int r = rand_r(&seed) % 100;
			buf[i] = r < 5 ? '\n' : r < 20 ? L_EVAL[rand_r(&seed) % 60] : (char)rand_r(&seed);
		}
		buf[n] = '\0'; /* usagelog_metrics takes a C string */
		usagelog_feed(u, buf, n);
		usagelog_metrics(u, NULL, buf);
	}
	/* still works afterwards */
	usagelog_feed(u, "\n", 1);
	feed_request(u, "", 9, 99, 3, 4);
	CHECK_INT(usagelog_finish(u, NULL, &err), 0);
	usagelog_stats(u, &st);
	CHECK(st.tokens_in >= 3);
	CHECK_INT(st.pending, 0);
	usagelog_free(u);
	free(junk);
	store_close(s);
}

/* usagelog_new opens its own database; bad arguments fail cleanly. */
static void test_new(void)
{
	struct lm_usagelog *u = NULL;
	struct lm_err err = { 0 };
	char path[512];

	snprintf(path, sizeof(path), "%s/sub/own.db", t_tmpdir());
	CHECK_INT(usagelog_new(&u, path, "m", NULL, &err), 0);
	feed_request(u, "", 0, 1, 2, 3);
	CHECK_INT(usagelog_finish(u, "not metrics", &err), 0);
	usagelog_free(u);
	CHECK(usagelog_new(&u, path, "", "s", &err) != 0);
	CHECK(u == NULL);
	CHECK(usagelog_new(&u, "/proc/nonexistent/x.db", "m", "s", &err) != 0);
	CHECK(u == NULL);
	usagelog_free(NULL);
	CHECK_INT(usagelog_feed_line(NULL, L_TOTAL), 0);
}

int main(void)
{
	test_parse_exact();
	test_parse_prefixes();
	test_parse_garbage();
	test_parse_metrics();
	test_session_rows();
	test_reconcile_loss();
	test_counter_restart();
	test_announced_restart();
	test_batcher();
	test_flush_policy();
	test_hostile_input();
	test_new();
	return T_DONE();
}
