/* stop: stop running servers: SIGTERM to the supervisor (which stops its
 * child), SIGKILL after the timeout; only processes matching their records. */
#include "localmodel/cmd.h"
#include "localmodel/supervise.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct lm_opt opts[] = {
	{ "port", 'p', LM_OPT_VALUE, "N", "the server on this port" },
	{ "all", 0, LM_OPT_FLAG, NULL, "every server" },
	{ "timeout", 0, LM_OPT_VALUE, "SECONDS", "wait before SIGKILL (10)" },
	LM_OPT_END,
};

/* Does the server match MODEL (name, alias, or a prefix of either)? */
static int matches_model(const struct sup_state *st, const char *m)
{
	size_t n = strlen(m);

	return !strcasecmp(st->model, m) || !strcasecmp(st->alias, m) ||
	       !strncasecmp(st->model, m, n) || !strncasecmp(st->alias, m, n);
}

/* Mark which live servers to stop; LM_ESTATE/LM_EUSAGE when none or unclear. */
static int select_servers(const struct lm_args *args, const struct sup_state *live, size_t n,
			  int *pick, struct lm_err *err)
{
	long port = 0;
	size_t count = 0;
	int rc;

	if ((rc = args_get_long(args, "port", 1, 65535, &port, err)))
		return rc;
	if (args_has(args, "all") + (port > 0) + (args->npos > 0) > 1)
		return lm_err_set(err, LM_EUSAGE, "give one of MODEL, --port or --all");
	if (!args_has(args, "all") && !port && !args->npos && n > 1)
		return lm_err_set(err, LM_EUSAGE, "%zu servers are running: give MODEL, --port or --all", n);
	for (size_t i = 0; i < n; i++) {
		pick[i] = port ? live[i].port == port
			       : args->npos ? matches_model(&live[i], args->pos[0]) : 1;
		count += (size_t)pick[i];
	}
	if (count)
		return LM_OK;
	if (port)
		return lm_err_set(err, LM_ESTATE, "no server is running on port %ld", port);
	if (args->npos)
		return lm_err_set(err, LM_ESTATE, "no server is running '%s'", args->pos[0]);
	return lm_err_set(err, LM_ESTATE, "no server is running");
}

static int stop_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct sup_state *live = NULL, *stale = NULL;
	size_t nlive = 0, nstale = 0;
	struct lm_err err = { 0 };
	long timeout = 10;
	int *pick = NULL, rc;
	cJSON *doc = NULL, *stopped = NULL, *sarr = NULL;

	if ((rc = args_want_pos(args, 0, 1, &err)) ||
	    (rc = args_get_long(args, "timeout", 0, 3600, &timeout, &err)) ||
	    (rc = sup_state_reap(ctx->paths.run_dir, ctx->store, &live, &nlive, &stale, &nstale,
				 &err)))
		goto fail;
	for (size_t i = 0; i < nstale; i++)
		if (stale[i].remove_errno)
			ui_warn(ctx, "a stale record of port %d (supervisor pid %d is gone) could not be"
				" removed: %s", stale[i].port, (int)stale[i].sup_pid,
				strerror(stale[i].remove_errno));
		else
			ui_info(ctx, "removed a stale record: port %d, supervisor pid %d is gone",
				stale[i].port, (int)stale[i].sup_pid);
	pick = lm_xcalloc(nlive + 1, sizeof(*pick));
	if ((rc = select_servers(args, live, nlive, pick, &err)))
		goto fail;
	if (ctx->json) {
		doc = cJSON_CreateObject();
		stopped = cJSON_AddArrayToObject(doc, "stopped");
		sarr = cJSON_AddArrayToObject(doc, "stale");
		for (size_t i = 0; i < nstale; i++)
			cJSON_AddItemToArray(sarr, cJSON_CreateNumber(stale[i].port));
	}
	for (size_t i = 0; i < nlive; i++) {
		struct lm_err e = { 0 };
		if (!pick[i])
			continue;
		if (sup_stop(&live[i], (int)(timeout * 1000), &e)) {
			ui_error(ctx, "%s", e.msg);
			rc = e.code;
			continue;
		}
		if (doc) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "model", live[i].model);
			cJSON_AddNumberToObject(o, "port", live[i].port);
			cJSON_AddNumberToObject(o, "pid", live[i].sup_pid);
			cJSON_AddItemToArray(stopped, o);
		} else if (!ctx->quiet) {
			printf("stopped %s on port %d\n", live[i].model, live[i].port);
		}
	}
	if (doc)
		ui_json_print(doc);
	goto out;
fail:
	rc = ui_fail(ctx, &err);
out:
	free(pick);
	free(live);
	free(stale);
	return rc;
}

const struct lm_cmd cmd_stop = {
	.name = "stop",
	.alias = NULL,
	.summary = "stop a running server",
	.usage = "localmodel stop [MODEL | --port N | --all] [--timeout SECONDS]",
	.opts = opts,
	.needs = NEED_STORE,
	.run = stop_run,
};
