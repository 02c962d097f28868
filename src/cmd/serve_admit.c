/* serve_admit: serve's admission by the memory available now (see
 * serve_admit.h). */
#include "serve_admit.h"
#include "localmodel/guard.h"
#include "localmodel/os.h"
#include "localmodel/supervise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append text to buf (truncating quietly), after ", " when buf is not empty. */
static void append(char *buf, size_t size, const char *text)
{
	size_t n = strlen(buf);

	if (n < size)
		snprintf(buf + n, size - n, "%s%s", n ? ", " : "", text);
}

void admit_machine(struct lm_ctx *ctx, int port, struct lm_machine *out, char *holders,
		   size_t size)
{
	const struct lm_machine *m = ctx_machine(ctx);
	struct sup_state *sts = NULL;
	size_t n = 0;
	struct lm_err err = { 0 };
	uint64_t growth = 0, held = 0;
	char a[32], b[32], one[700];

	*out = *m;
	holders[0] = '\0';
	if (!m->ok)
		return;
	sup_state_list(ctx->paths.run_dir, &sts, &n, &err);
	for (size_t i = 0; i < n; i++) {
		const struct sup_state *st = &sts[i];
		uint64_t rss = 0, grows;
		if (st->port == port || !sup_state_alive(st))
			continue;
		if (st->child_pid > 0)
			os_proc_rss(st->child_pid, &rss);
		grows = st->expected > rss ? st->expected - rss : 0;
		growth += grows;
		held += rss;
		lm_format_size(rss, a, sizeof(a));
		lm_format_size(st->expected, b, sizeof(b));
		if (grows)
			snprintf(one, sizeof(one), "'%s' on port %d (%s, growing to %s)", st->model,
				 st->port, a, b);
		else
			snprintf(one, sizeof(one), "'%s' on port %d (%s)", st->model, st->port, a);
		append(holders, size, one);
	}
	free(sts);
	uint64_t used = m->hw.ram_total > m->hw.ram_available ? m->hw.ram_total - m->hw.ram_available : 0;
	lm_format_size(used > held ? used - held : 0, a, sizeof(a));
	snprintf(one, sizeof(one), "%s (%s)", held ? "other processes" : "processes other than localmodel's", a);
	append(holders, size, one);
	out->now.ram_bytes = m->now.ram_bytes > growth ? m->now.ram_bytes - growth : 0;
	if (out->now.unified && out->now.gpu_bytes > out->now.ram_bytes)
		out->now.gpu_bytes = out->now.ram_bytes;
}

int admit_refuse(const char *name, const struct lm_fit_result *r, const struct lm_machine *mach,
		 const char *holders, const char *hint, struct lm_err *err)
{
	char need[32], miss[32], avail[32], reserve[32];

	lm_format_size(r->total_bytes, need, sizeof(need));
	lm_format_size(r->missing_bytes, miss, sizeof(miss));
	lm_format_size(mach->now.ram_bytes > mach->reserve ? mach->now.ram_bytes - mach->reserve : 0,
		       avail, sizeof(avail));
	lm_format_size(mach->reserve, reserve, sizeof(reserve));
	return lm_err_set(err, LM_ERESOURCE,
			  "'%s' does not fit in the memory available now, though it fits this "
			  "machine: it needs %s at context %u, %s more than the memory available "
			  "now (%s after the %s reserve); memory is held by %s; %s (--force to "
			  "serve anyway)",
			  name, need, r->ctx, miss, avail, reserve, holders, hint);
}

void admit_keep_list(const char *flag, const char *cfg, char *const *name_map, size_t npairs,
		     char *out, size_t size)
{
	out[0] = '\0';
	if (flag && *flag)
		append(out, size, flag);
	if (cfg && *cfg)
		append(out, size, cfg);
	for (size_t i = 0; i < npairs; i++) {
		const char *router = name_map[2 * i], *inv = name_map[2 * i + 1];
		if (guard_list_has(out, inv) && !guard_list_has(out, router))
			append(out, size, router);
		else if (guard_list_has(out, router) && !guard_list_has(out, inv))
			append(out, size, inv);
	}
}
