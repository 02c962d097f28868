/* status_memory: the memory picture and the guard's records in `status`. */
#include "status_memory.h"
#include "localmodel/guard.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

cJSON *status_guard_json(const struct lm_ctx *ctx, int port)
{
	struct guard_record g;
	struct lm_err err = { 0 };

	if (guard_record_read(ctx->paths.run_dir, port, &g, &err))
		return cJSON_CreateNull();
	return guard_record_json(&g);
}

/* Swap growth in bytes per second since the guard's saved sample (a
 * supervisor saves one every 30 s; an older one is not a trend of now),
 * NAN when unknown. */
static double swap_trend(const struct lm_ctx *ctx, struct guard_sample *now)
{
	struct guard_sample then;

	if (guard_sample_load(ctx->paths.run_dir, &then) || now->at - then.at < 1 ||
	    now->at - then.at > 90)
		return NAN;
	now->swap_rate = guard_swap_rate(&then, now, (int64_t)(now->at - then.at) * 1000,
					 (uint64_t)sysconf(_SC_PAGESIZE));
	return ((double)now->swap_used - (double)then.swap_used) / (double)(now->at - then.at);
}

static int sample(const struct lm_ctx *ctx, struct guard_sample *s, struct guard_limits *l)
{
	struct lm_err err = { 0 };

	if (guard_sample(s, &err))
		return -1;
	guard_limits_default(l, s, ctx->cfg.swap_limit_gb, ctx->cfg.pressure_limit);
	return 0;
}

static int is_live(cJSON *servers, int port)
{
	cJSON *o;

	cJSON_ArrayForEach(o, servers) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "port");
		if (cJSON_IsNumber(p) && (int)p->valuedouble == port)
			return 1;
	}
	return 0;
}

void status_memory_json(const struct lm_ctx *ctx, cJSON *doc, cJSON *servers)
{
	struct guard_sample s;
	struct guard_limits l;
	struct guard_record *recs = NULL;
	size_t n = 0;

	if (sample(ctx, &s, &l) == 0) {
		double t = swap_trend(ctx, &s);
		cJSON_AddItemToObject(doc, "memory", guard_memory_json(&s, &l, t));
	}
	else
		cJSON_AddNullToObject(doc, "memory");
	guard_record_list(ctx->paths.run_dir, &recs, &n);
	for (size_t i = 0; i < n; i++) {
		if (is_live(servers, recs[i].port))
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "model", recs[i].model);
		cJSON_AddNumberToObject(o, "port", recs[i].port);
		cJSON_AddStringToObject(o, "health", "stopped");
		cJSON_AddItemToObject(o, "guard", guard_record_json(&recs[i]));
		cJSON_AddItemToArray(servers, o);
	}
	free(recs);
}

void status_memory_print(const struct lm_ctx *ctx)
{
	struct guard_sample s;
	struct guard_limits l;
	struct guard_record *recs = NULL;
	size_t n = 0;
	char total[32], avail[32], used[32], lim[32], trend[64] = "";

	if (sample(ctx, &s, &l) == 0) {
		double t = swap_trend(ctx, &s);
		lm_format_size(s.ram_total, total, sizeof(total));
		lm_format_size(s.available, avail, sizeof(avail));
		lm_format_size(s.swap_used, used, sizeof(used));
		lm_format_size(l.swap_limit, lim, sizeof(lim));
		if (!isnan(t)) {
			char rate[32];
			lm_format_size((uint64_t)fabs(t), rate, sizeof(rate));
			snprintf(trend, sizeof(trend), ", %s %s/s", t > 0 ? "rising" : t < 0 ? "falling"
				 : "steady", rate);
		}
		if (s.swap_rate >= 0) {
			char io[32];
			size_t k = strlen(trend);
			lm_format_size((uint64_t)s.swap_rate, io, sizeof(io));
			snprintf(trend + k, sizeof(trend) - k, ", swapping %s/s", io);
		}
		printf("memory:   %s total, %s available, swap %s used%s", total, avail, used, trend);
		if (s.pressure >= 0)
			printf(", pressure %.0f%%", s.pressure);
		printf(" (guard acts above %s of swap", l.swap_limit ? lim : "-");
		if (l.pressure_limit > 0)
			printf(" or pressure %.0f%%", l.pressure_limit);
		printf(")\n");
	}
	guard_record_list(ctx->paths.run_dir, &recs, &n);
	for (size_t i = 0; i < n; i++)
		printf("guard:    port %d: %s '%s' at %s: %s\n", recs[i].port, recs[i].action,
		       recs[i].model, recs[i].at, recs[i].reason);
	free(recs);
}
