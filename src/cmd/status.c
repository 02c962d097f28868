/* status: version, paths, servers (live state from the local servers
 * only), runtime and models. Read-only, except that stale server records
 * are removed. The hardware summary joins the "hardware" object. */
#include "localmodel/cleanup.h"
#include "localmodel/cmd.h"
#include "localmodel/hw.h"
#include "localmodel/paths.h"
#include "localmodel/runtime.h"
#include "localmodel/store.h"
#include "localmodel/os.h"
#include "localmodel/supervise.h"
#include "localmodel/usage_capture.h"
#include "localmodel/ui.h"
#include "status_memory.h"

#include <cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct lm_opt opts[] = {
	{ "peers", 0, LM_OPT_FLAG, NULL, "probe this machine's servers and the peers (status_peers.c)" },
	{ "peer", 0, LM_OPT_VALUE, "SPEC", "with --peers: these peers instead of the config's" },
	{ "model", 0, LM_OPT_VALUE, "NAME", "with --peers: the first healthy provider serving NAME" },
	{ "timeout", 0, LM_OPT_VALUE, "SECONDS", "with --peers: time for all probes (3)" },
	LM_OPT_END,
};

/* What one server looks like now. */
struct server_info {
	struct sup_state st;
	const char *health;   /* ok, loading, sleeping, down, restarting */
	int64_t uptime_s;
	int64_t rss_bytes;    /* -1 unknown */
	int busy_slots;       /* -1 unknown */
	int64_t requests;     /* usage rows of the session, -1 unknown */
	int64_t tokens_in;    /* from /metrics (else the usage rows), -1 unknown */
	int64_t tokens_out;
	int runtime_outdated; /* runtime/current now points at another build */
	char endpoint[320];
};

struct status_info {
	char runtime_bin[PATH_MAX];
	char runtime_target[PATH_MAX];
	int runtime_installed;
	int64_t models;
	int64_t models_bytes;
	int64_t stale_models; /* stale models (cleanup's rule), -1 unknown */
	int64_t stale_bytes;
	struct server_info *servers;
	size_t nservers;
	struct sup_state *stale;
	size_t nstale;
	struct lm_hw hw;
	int hw_ok;
	struct rt_info rt;     /* the current runtime, when rt_ok */
	int rt_ok;
	struct cleanup_partial *partials; /* unfinished downloads */
	size_t npartials;
};

static void read_runtime(const struct lm_ctx *ctx, struct status_info *si)
{
	char cur[PATH_MAX];
	ssize_t n;

	if (paths_join(cur, sizeof(cur), ctx->paths.runtime_dir, "current") < 0)
		return;
	n = readlink(cur, si->runtime_target, sizeof(si->runtime_target) - 1);
	if (n > 0)
		si->runtime_target[n] = '\0';
	if (paths_join(si->runtime_bin, sizeof(si->runtime_bin), cur, "llama-server") == 0)
		si->runtime_installed = access(si->runtime_bin, X_OK) == 0;
}

/* Request and token sums of a session's usage rows. */
static void usage_rows(struct lm_store *store, const char *session, struct server_info *sv)
{
	int64_t r, in, out;

	if (store && store_session_usage(store, session, &r, &in, &out, NULL) == LM_OK) {
		sv->requests = r;
		sv->tokens_in = in;
		sv->tokens_out = out;
	}
}

/* GET path from the server; the body when it answered 200. */
static char *local_get(const struct sup_state *st, const char *path, const char *key, int *status)
{
	char *body = NULL;
	struct lm_err err = { 0 };

	if (sup_http_get(st->host, st->port, path, key, 500, status, &body, &err) || *status != 200) {
		free(body);
		return NULL;
	}
	return body;
}

/* Ask the server itself: health, sleeping, busy slots, token counters. */
static void probe_server(struct server_info *sv)
{
	const struct sup_state *st = &sv->st;
	char *key = st->key_file[0] ? sup_key_read(st->key_file) : NULL;
	char *body;
	int status = 0;

	if (st->phase == SUP_RESTARTING) {
		sv->health = "restarting";
		goto out;
	}
	if (st->rpc_worker) { /* no HTTP: the supervisor saw it bind its port */
		sv->health = st->phase == SUP_RUNNING ? "ok" : "starting";
		goto out;
	}
	body = local_get(st, "/health", NULL, &status);
	free(body);
	if (status == 503 || (status == 0 && st->phase == SUP_STARTING)) {
		sv->health = "loading";
		goto out;
	}
	if (status != 200) {
		sv->health = "down";
		goto out;
	}
	sv->health = "ok";
	if (st->router)
		goto out;
	if ((body = local_get(st, "/props", key, &status))) {
		cJSON *p = cJSON_Parse(body);
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "is_sleeping")))
			sv->health = "sleeping";
		cJSON_Delete(p);
		free(body);
	}
	if ((body = local_get(st, "/slots", key, &status))) {
		cJSON *a = cJSON_Parse(body), *it;
		if (cJSON_IsArray(a)) {
			sv->busy_slots = 0;
			cJSON_ArrayForEach(it, a)
				sv->busy_slots += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "is_processing"));
		}
		cJSON_Delete(a);
		free(body);
	}
	if ((body = local_get(st, "/metrics", key, &status))) {
		struct usagelog_counters c;
		/* with --no-slots (ours) /slots answers 501: the gauge says it */
		const char *g = strstr(body, "\nllamacpp:requests_processing ");
		if (sv->busy_slots < 0 && g)
			sv->busy_slots = atoi(g + 30);
		if (usagelog_parse_metrics(body, &c) == 0) {
			if (c.prompt_tokens >= 0)
				sv->tokens_in = c.prompt_tokens;
			if (c.predicted_tokens >= 0)
				sv->tokens_out = c.predicted_tokens;
		}
		free(body);
	}
out:
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
}

static void gather_server(struct lm_ctx *ctx, struct status_info *si, struct server_info *sv)
{
	const struct sup_state *st = &sv->st;
	uint64_t rss;
	int v6 = strchr(st->host, ':') && st->host[0] != '[';

	sv->rss_bytes = sv->busy_slots = -1;
	sv->requests = sv->tokens_in = sv->tokens_out = -1;
	snprintf(sv->endpoint, sizeof(sv->endpoint), "%s%s%s%s:%d%s", st->rpc_worker ? "" : "http://",
		 v6 ? "[" : "", st->host, v6 ? "]" : "", st->port, st->rpc_worker ? "" : "/v1");
	sv->uptime_s = st->started ? (int64_t)(time(NULL) - st->started) : 0;
	if (st->child_pid > 0 && sup_proc_matches(st->child_pid, st->child_start, NULL) &&
	    os_proc_rss(st->child_pid, &rss) == 0)
		sv->rss_bytes = (int64_t)rss;
	if (ctx->store && st->session[0]) {
		struct server_info rows = *sv;
		usage_rows(ctx->store, st->session, &rows);
		sv->requests = rows.requests;
		sv->tokens_in = rows.tokens_in;
		sv->tokens_out = rows.tokens_out;
	}
	probe_server(sv);
	sv->runtime_outdated = !getenv("LOCALMODEL_LLAMA_SERVER") &&
			       rt_restart_needed(ctx->paths.runtime_dir, st->runtime) == 1;
}

static int gather(struct lm_ctx *ctx, struct status_info *si, struct lm_err *err)
{
	struct sup_state *live = NULL;
	size_t nlive = 0;
	int rc;

	memset(si, 0, sizeof(*si));
	read_runtime(ctx, si);
	si->rt_ok = rt_current(ctx->paths.runtime_dir, &si->rt, NULL) == LM_OK;
	const struct lm_machine *m = ctx_machine(ctx);
	si->hw_ok = m->ok;
	if (m->ok)
		si->hw = m->hw;
	if ((rc = sup_state_reap(ctx->paths.run_dir, ctx->store, &live, &nlive, &si->stale,
				 &si->nstale, err)))
		return rc;
	si->servers = lm_xcalloc(nlive + 1, sizeof(*si->servers));
	si->nservers = nlive;
	for (size_t i = 0; i < nlive; i++) {
		si->servers[i].st = live[i];
		gather_server(ctx, si, &si->servers[i]);
	}
	free(live);
	cleanup_partials(ctx->paths.models_dir, &si->partials, &si->npartials);
	si->stale_models = -1;
	if (ctx->store &&
	    cleanup_nudge_query(ctx->paths.db_path, lm_now() - (time_t)ctx->cfg.stale_days * 86400,
				&si->stale_models, &si->stale_bytes) < 0)
		si->stale_models = -1;
	if (ctx->store)
		return store_model_totals(ctx->store, &si->models, &si->models_bytes, err);
	return LM_OK;
}

static void add_num_or_null(cJSON *o, const char *name, int64_t v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, (double)v);
}

static cJSON *server_json(const struct server_info *sv)
{
	const struct sup_state *st = &sv->st;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "model", st->model);
	if (st->alias[0])
		cJSON_AddStringToObject(o, "alias", st->alias);
	else
		cJSON_AddNullToObject(o, "alias");
	cJSON_AddStringToObject(o, "endpoint", sv->endpoint);
	cJSON_AddStringToObject(o, "host", st->host);
	cJSON_AddNumberToObject(o, "port", st->port);
	cJSON_AddNumberToObject(o, "pid", st->sup_pid);
	add_num_or_null(o, "child_pid", st->child_pid > 0 ? st->child_pid : -1);
	cJSON_AddStringToObject(o, "health", sv->health);
	cJSON_AddNumberToObject(o, "uptime_s", (double)sv->uptime_s);
	add_num_or_null(o, "rss_bytes", sv->rss_bytes);
	add_num_or_null(o, "busy_slots", sv->busy_slots);
	add_num_or_null(o, "requests", sv->requests);
	add_num_or_null(o, "tokens_in", sv->tokens_in);
	add_num_or_null(o, "tokens_out", sv->tokens_out);
	cJSON_AddNumberToObject(o, "restarts", st->restarts);
	if (st->last_restart[0])
		cJSON_AddStringToObject(o, "last_restart", st->last_restart);
	else
		cJSON_AddNullToObject(o, "last_restart");
	add_num_or_null(o, "ctx_per_slot", st->ctx_slot > 0 ? st->ctx_slot : -1);
	add_num_or_null(o, "slots", st->slots > 0 ? st->slots : -1);
	cJSON_AddBoolToObject(o, "kv_unified", st->kv_unified);
	cJSON_AddBoolToObject(o, "router", st->router);
	cJSON_AddStringToObject(o, "session", st->session);
	cJSON_AddStringToObject(o, "log", st->log_path);
	if (st->key_file[0])
		cJSON_AddStringToObject(o, "api_key_file", st->key_file);
	else
		cJSON_AddNullToObject(o, "api_key_file");
	cJSON_AddStringToObject(o, "runtime", st->runtime);
	cJSON_AddBoolToObject(o, "runtime_outdated", sv->runtime_outdated);
	cJSON_AddBoolToObject(o, "rpc_worker", st->rpc_worker);
	if (st->rpc_worker)
		status_worker_json(st, o);
	return o;
}

static void print_json(const struct lm_ctx *ctx, const struct status_info *si)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
	cJSON *servers = cJSON_AddArrayToObject(doc, "servers");
	cJSON *stale = cJSON_AddArrayToObject(doc, "stale_cleaned");
	cJSON *rt = cJSON_AddObjectToObject(doc, "runtime");
	cJSON *models = cJSON_AddObjectToObject(doc, "models");
	int restart = 0;

	cJSON_AddStringToObject(doc, "version", LM_VERSION);
	cJSON_AddStringToObject(paths, "config", ctx->paths.config_file);
	cJSON_AddStringToObject(paths, "models", ctx->paths.models_dir);
	cJSON_AddStringToObject(paths, "runtime", ctx->paths.runtime_dir);
	cJSON_AddStringToObject(paths, "database", ctx->paths.db_path);
	cJSON_AddStringToObject(paths, "logs", ctx->paths.log_dir);
	cJSON_AddStringToObject(paths, "run", ctx->paths.run_dir);
	for (size_t i = 0; i < si->nservers; i++) {
		cJSON *sv = server_json(&si->servers[i]);
		cJSON_AddItemToObject(sv, "guard", status_guard_json(ctx, si->servers[i].st.port));
		cJSON_AddItemToArray(servers, sv);
		restart |= si->servers[i].runtime_outdated;
	}
	status_memory_json(ctx, doc, servers);
	for (size_t i = 0; i < si->nstale; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "model", si->stale[i].model);
		cJSON_AddNumberToObject(o, "port", si->stale[i].port);
		cJSON_AddNumberToObject(o, "pid", si->stale[i].sup_pid);
		cJSON_AddBoolToObject(o, "removed", !si->stale[i].remove_errno);
		if (si->stale[i].remove_errno)
			cJSON_AddStringToObject(o, "error", strerror(si->stale[i].remove_errno));
		cJSON_AddItemToArray(stale, o);
	}
	if (si->rt_ok) { /* the record's one JSON form, as install --json gives it */
		rt = rt_info_json(&si->rt, 1);
		cJSON_ReplaceItemInObject(doc, "runtime", rt);
	}
	cJSON_AddBoolToObject(rt, "installed", si->runtime_installed);
	/* the llama-server that serve would run */
	cJSON_DeleteItemFromObject(rt, "server");
	if (si->runtime_installed)
		cJSON_AddStringToObject(rt, "server", si->runtime_bin);
	else
		cJSON_AddNullToObject(rt, "server");
	cJSON_AddBoolToObject(rt, "restart_needed", restart);
	if (si->hw_ok)
		cJSON_AddItemToObject(doc, "hardware", hw_json(&si->hw));
	else
		cJSON_AddObjectToObject(doc, "hardware");
	cJSON_AddNumberToObject(models, "count", (double)si->models);
	cJSON_AddNumberToObject(models, "size_bytes", (double)si->models_bytes);
	add_num_or_null(models, "stale_count", si->stale_models);
	add_num_or_null(models, "stale_bytes", si->stale_models >= 0 ? si->stale_bytes : -1);
	cJSON *parts = cJSON_AddArrayToObject(doc, "partials");
	for (size_t i = 0; i < si->npartials; i++) {
		const struct cleanup_partial *p = &si->partials[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddStringToObject(o, "path", p->path);
		cJSON_AddBoolToObject(o, "partial", 1);
		cJSON_AddNumberToObject(o, "bytes", (double)p->have);
		cJSON_AddNumberToObject(o, "total_bytes", (double)p->total);
		cJSON_AddNumberToObject(o, "age_seconds", (double)(lm_now() > p->mtime ? lm_now() - p->mtime : 0));
		cJSON_AddBoolToObject(o, "downloading", p->active);
		cJSON_AddItemToArray(parts, o);
	}
	ui_json_print(doc);
}

static void fmt_uptime(int64_t s, char *buf, size_t size)
{
	if (s < 120)
		snprintf(buf, size, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(buf, size, "%lldm", (long long)(s / 60));
	else if (s < 172800)
		snprintf(buf, size, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, size, "%lldd", (long long)(s / 86400));
}

/* The context each slot gets, and why the server was last restarted. */
static void print_server_notes(const struct sup_state *st)
{
	if (st->ctx_slot > 0 && st->slots > 1)
		printf("  port %d: %ld tokens of context per slot, %d slots%s\n", st->port,
		       st->ctx_slot, st->slots, st->kv_unified ? " sharing one KV cache" : "");
	else if (st->ctx_slot > 0)
		printf("  port %d: %ld tokens of context\n", st->port, st->ctx_slot);
	if (st->rpc_worker)
		status_worker_text(st);
	if (st->last_restart[0])
		printf("  port %d: restarted %d time%s; last: %s\n", st->port, st->restarts,
		       st->restarts == 1 ? "" : "s", st->last_restart);
}

static void print_servers(const struct lm_ctx *ctx, const struct status_info *si)
{
	struct ui_table t;

	if (!si->nservers) {
		printf("servers:  none running\n");
		return;
	}
	printf("servers:\n");
	ui_table_init(&t, 10);
	t.right_align = (1u << 2) | (1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 9);
	ui_table_row(&t, "MODEL", "ENDPOINT", "PID", "CHILD", "HEALTH", "UPTIME", "RSS", "BUSY",
		     "REQUESTS", "RESTARTS");
	for (size_t i = 0; i < si->nservers; i++) {
		const struct server_info *sv = &si->servers[i];
		char pid[16], child[16], up[16], rss[32] = "-", busy[16] = "-", req[64] = "-", rs[16];
		snprintf(pid, sizeof(pid), "%d", (int)sv->st.sup_pid);
		snprintf(child, sizeof(child), "%d", (int)sv->st.child_pid);
		fmt_uptime(sv->uptime_s, up, sizeof(up));
		if (sv->rss_bytes >= 0)
			lm_format_size((uint64_t)sv->rss_bytes, rss, sizeof(rss));
		if (sv->busy_slots >= 0)
			snprintf(busy, sizeof(busy), "%d", sv->busy_slots);
		if (sv->requests >= 0)
			snprintf(req, sizeof(req), "%lld (%lld tok)", (long long)sv->requests,
				 (long long)((sv->tokens_in > 0 ? sv->tokens_in : 0) +
					     (sv->tokens_out > 0 ? sv->tokens_out : 0)));
		snprintf(rs, sizeof(rs), "%d", sv->st.restarts);
		ui_table_row(&t, sv->st.model, sv->endpoint, pid, sv->st.child_pid > 0 ? child : "-",
			     sv->health, up, rss, busy, req, rs);
	}
	ui_table_print(ctx, &t, stdout);
	ui_table_release(&t);
	for (size_t i = 0; i < si->nservers; i++)
		print_server_notes(&si->servers[i].st);
	for (size_t i = 0; i < si->nservers; i++)
		if (si->servers[i].runtime_outdated)
			printf("  port %d runs an older llama-server: restart it to use the installed one\n",
			       si->servers[i].st.port);
}

static void print_text(const struct lm_ctx *ctx, const struct status_info *si)
{
	char size[32];

	lm_format_size((uint64_t)si->models_bytes, size, sizeof(size));
	printf("%slocalmodel %s%s\n", ui_bold(ctx), LM_VERSION, ui_reset(ctx));
	if (si->rt_ok)
		printf("runtime:  llama.cpp %s (%s) %s\n", si->rt.tag, si->rt.backend,
		       si->runtime_installed ? si->runtime_bin : si->rt.server);
	else
		printf("runtime:  %s\n", si->runtime_installed ? si->runtime_bin
				: "not installed (run 'localmodel install')");
	if (si->hw_ok) {
		char hw[256];
		hw_summary(&si->hw, hw, sizeof(hw));
		printf("hardware: %s\n", hw);
	}
	printf("models:   %lld (%s)", (long long)si->models, size);
	if (si->stale_models > 0) {
		lm_format_size((uint64_t)si->stale_bytes, size, sizeof(size));
		printf(", %lld stale (%s; see 'localmodel cleanup')", (long long)si->stale_models, size);
	}
	printf("\n");
	for (size_t i = 0; i < si->npartials; i++) {
		const struct cleanup_partial *p = &si->partials[i];
		char have[32], total[32], ago[64];
		lm_format_size((uint64_t)p->have, have, sizeof(have));
		lm_format_size((uint64_t)p->total, total, sizeof(total));
		lm_format_ago(p->mtime, lm_now(), ago, sizeof(ago));
		printf("partial:  %s, %s of %s, written %s%s\n", p->name, have,
		       p->total > 0 ? total : "?", ago,
		       p->active ? " (downloading)" : " ('localmodel pull' resumes it)");
	}
	print_servers(ctx, si);
	status_memory_print(ctx);
	for (size_t i = 0; i < si->nstale; i++) {
		const struct sup_state *st = &si->stale[i];
		if (st->remove_errno)
			printf("stale:    record of port %d (supervisor pid %d is gone), not removed: %s\n",
			       st->port, (int)st->sup_pid, strerror(st->remove_errno));
		else
			printf("cleaned:  stale record of port %d (supervisor pid %d is gone)\n",
			       st->port, (int)st->sup_pid);
	}
	printf("config:   %s\n", ctx->paths.config_file);
	printf("data:     %s\n", ctx->paths.data_dir);
	printf("logs:     %s\n", ctx->paths.log_dir);
}

static int status_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct status_info si;
	struct lm_err err = { 0 };
	int rc = LM_OK;

	memset(&si, 0, sizeof(si));
	if (args_has(args, "peers") || args_get(args, "peer"))
		return args_want_pos(args, 0, 0, &err) ? ui_fail(ctx, &err) : status_peers(ctx, args);
	if (args_want_pos(args, 0, 0, &err) || gather(ctx, &si, &err)) {
		rc = ui_fail(ctx, &err);
		goto out;
	}
	if (ctx->json)
		print_json(ctx, &si);
	else if (!ctx->quiet)
		print_text(ctx, &si);
out:
	free(si.servers);
	free(si.stale);
	cleanup_partials_free(si.partials, si.npartials);
	return rc;
}

const struct lm_cmd cmd_status = {
	.name = "status",
	.alias = NULL,
	.summary = "show servers, runtime, hardware and models",
	.usage = "localmodel status [--json]\n"
		 "localmodel status --peers [--peer SPEC] [--model NAME] [--timeout SECONDS] [--json]",
	.opts = opts,
	.needs = NEED_STORE_RO | NEED_MACHINE,
	.run = status_run,
};
