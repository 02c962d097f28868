/* guard: the memory picture and the guard's pure decisions (see guard.h). */
#include "localmodel/guard.h"
#include "localmodel/hw.h"
#include "localmodel/os.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GiB 1073741824.0
#define GROWTH_EVIDENCE (256ull << 20)
#define SWAP_IO_EVIDENCE (64.0 * 1048576.0)

/* ---- sampling --------------------------------------------------------- */

double guard_parse_psi(const char *text)
{
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, "some ", 5)) {
			const char *a = strstr(p, "avg10=");
			const char *nl = strchr(p, '\n');
			if (a && (!nl || a < nl))
				return strtod(a + 6, NULL);
			return -1;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

int guard_parse_vmstat(const char *text, uint64_t *in, uint64_t *out)
{
	int found = 0;

	*in = *out = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "pswpin ", 7)) {
			*in = strtoull(p + 7, NULL, 10);
			found |= 1;
		} else if (!strncmp(p, "pswpout ", 8)) {
			*out = strtoull(p + 8, NULL, 10);
			found |= 2;
		}
	}
	return found == 3 ? 0 : -1;
}

double guard_mac_pressure(long level)
{
	switch (level) {
	case 1: return 0;
	case 2: return 50;
	case 4: return 100;
	default: return -1;
	}
}

/* A file under the sysroot, or NULL. */
static char *sys_read(const char *root, const char *path)
{
	char full[PATH_MAX];
	char *text = NULL;
	size_t len;

	snprintf(full, sizeof(full), "%s%s", root, path);
	if (lm_read_file(full, 1 << 20, &text, &len, NULL) != 0)
		return NULL;
	return text;
}

/* A Mac's pressure level: <sysroot>/sysctl.txt when there is one, else the
 * OS's sysctl (none on Linux). */
int guard_sample(struct guard_sample *s, struct lm_err *err)
{
	struct lm_hw hw;
	const char *root = getenv("LOCALMODEL_SYSROOT");
	int rc;

	memset(s, 0, sizeof(*s));
	s->pressure = -1;
	s->swap_rate = -1;
	if (!root)
		root = "";
	if ((rc = hw_probe(&hw, NULL, HW_NO_TOOLS, err)))
		return rc;
	s->at = lm_now();
	s->ram_total = hw_planning_ram(&hw);
	s->available = hw_usable_ram(&hw);
	s->swap_total = hw.swap_total;
	s->swap_used = hw.swap_used;
	if (!strcmp(hw.os, "darwin")) {
		s->swap_dynamic = 1;
		s->pressure = guard_mac_pressure(hw.mac_pressure_level);
		return LM_OK;
	}
	char *psi = sys_read(root, "/proc/pressure/memory");
	if (psi)
		s->pressure = guard_parse_psi(psi);
	free(psi);
	char *vm = sys_read(root, "/proc/vmstat");
	if (vm)
		s->have_vmstat = guard_parse_vmstat(vm, &s->swap_in, &s->swap_out) == 0;
	free(vm);
	return LM_OK;
}

double guard_swap_rate(const struct guard_sample *prev, const struct guard_sample *now,
		       int64_t ms, uint64_t page_size)
{
	if (!prev->have_vmstat || !now->have_vmstat || ms <= 0 || now->swap_in < prev->swap_in ||
	    now->swap_out < prev->swap_out)
		return -1;
	uint64_t pages = (now->swap_in - prev->swap_in) + (now->swap_out - prev->swap_out);
	return (double)pages * (double)page_size * 1000.0 / (double)ms;
}

/* ---- limits and verdicts ---------------------------------------------- */

void guard_limits_default(struct guard_limits *l, const struct guard_sample *s,
			  double swap_limit_gb, double pressure_limit)
{
	memset(l, 0, sizeof(*l));
	l->swap_limit = s->ram_total / 4 * 3;
	l->swap_warn = s->ram_total / 2;
	if (!s->swap_dynamic && s->swap_total) {
		uint64_t cap = s->swap_total / 10 * 9, wcap = s->swap_total / 10 * 6;
		l->swap_limit = l->swap_limit < cap ? l->swap_limit : cap;
		l->swap_warn = l->swap_warn < wcap ? l->swap_warn : wcap;
	}
	if (swap_limit_gb > 0) {
		l->swap_limit = (uint64_t)(swap_limit_gb * GiB);
		l->swap_warn = l->swap_limit / 3 * 2;
	} else if (swap_limit_gb < 0) {
		l->swap_limit = l->swap_warn = 0;
	}
	l->pressure_limit = pressure_limit > 0 ? pressure_limit : pressure_limit < 0 ? 0 : 40;
	l->rearm_ms = 60000;
	l->settle_ms = 10000;
}

enum guard_level guard_level(const struct guard_limits *l, const struct guard_sample *s,
			     char *why, size_t size)
{
	char used[32], lim[32];
	int over = 0;

	why[0] = '\0';
	lm_format_size(s->swap_used, used, sizeof(used));
	if (l->swap_limit && s->swap_used > l->swap_limit) {
		lm_format_size(l->swap_limit, lim, sizeof(lim));
		snprintf(why, size, "swap %s in use, limit %s", used, lim);
		over = 1;
	}
	if (l->pressure_limit > 0 && s->pressure >= l->pressure_limit) {
		size_t n = strlen(why);
		snprintf(why + n, size - n, "%smemory pressure %.0f%%, limit %.0f%%", n ? "; " : "",
			 s->pressure, l->pressure_limit);
		over = 1;
	}
	if (over)
		return GUARD_OVER;
	if (l->swap_warn && s->swap_used > l->swap_warn) {
		lm_format_size(l->swap_warn, lim, sizeof(lim));
		snprintf(why, size, "swap %s in use, warning at %s", used, lim);
		return GUARD_WARN;
	}
	snprintf(why, size, "swap %s in use%s", used, s->pressure >= 0 ? "" : ", pressure unknown");
	return GUARD_OK;
}

/* Clearly below the limits: where the guard re-arms. */
static int below_rearm(const struct guard_limits *l, const struct guard_sample *s)
{
	int swap_ok = !l->swap_limit || s->swap_used < l->swap_limit / 100 * 85;
	int pres_ok = l->pressure_limit <= 0 || s->pressure < l->pressure_limit / 2;
	return swap_ok && pres_ok;
}

int guard_should_act(struct guard_hyst *h, const struct guard_limits *l,
		     const struct guard_sample *s, int64_t now_ms)
{
	char why[160];
	enum guard_level lv = guard_level(l, s, why, sizeof(why));

	if (!h->acted)
		return lv == GUARD_OVER;
	if (below_rearm(l, s)) {
		if (!h->below_since)
			h->below_since = now_ms;
		if (now_ms - h->below_since >= l->rearm_ms) {
			h->acted = 0;
			h->below_since = 0;
			h->warned = 0;
		}
		return 0;
	}
	h->below_since = 0;
	if (lv != GUARD_OVER || now_ms - h->acted_ms < l->settle_ms)
		return 0;
	/* still over: act again only when it is getting worse */
	return (l->pressure_limit > 0 && s->pressure >= l->pressure_limit) ||
	       s->swap_used >= h->swap_at_act + GROWTH_EVIDENCE || s->swap_rate >= SWAP_IO_EVIDENCE;
}

void guard_mark_acted(struct guard_hyst *h, const struct guard_sample *s, int64_t now_ms)
{
	h->acted = 1;
	h->acted_ms = now_ms;
	h->swap_at_act = s->swap_used;
	h->below_since = 0;
}

/* ---- choices ---------------------------------------------------------- */

const char *guard_action_name(enum guard_action a)
{
	switch (a) {
	case GUARD_UNLOADED: return "unloaded";
	case GUARD_SLEPT: return "slept";
	case GUARD_STOPPED: return "stopped";
	default: return "none";
	}
}

/* 1 when a is less valuable than b (to be given up first). */
static int model_before(const struct guard_cand *a, const struct guard_cand *b)
{
	if (a->last_used != b->last_used)
		return a->last_used < b->last_used;
	return a->bytes > b->bytes;
}

static int server_before(const struct guard_cand *a, const struct guard_cand *b)
{
	if (a->busy != b->busy)
		return !a->busy;
	return a->bytes > b->bytes;
}

static int model_may_go(const struct guard_cand *c)
{
	return c->kind == GUARD_ROUTER_MODEL && !c->keep && !c->busy;
}

static int server_may_go(const struct guard_cand *c)
{
	return c->kind == GUARD_SERVER && !c->keep && !c->sleeping && !c->has_keep;
}

int guard_choose(const struct guard_cand *c, size_t n, enum guard_action *action)
{
	int best = -1;

	*action = GUARD_NONE;
	for (size_t i = 0; i < n; i++)
		if (model_may_go(&c[i]) && (best < 0 || model_before(&c[i], &c[best])))
			best = (int)i;
	if (best >= 0) {
		*action = GUARD_UNLOADED;
		return best;
	}
	for (size_t i = 0; i < n; i++)
		if (server_may_go(&c[i]) && (best < 0 || server_before(&c[i], &c[best])))
			best = (int)i;
	if (best >= 0)
		*action = GUARD_STOPPED;
	return best;
}

size_t guard_plan_unload(const struct guard_cand *c, size_t n, const char *except, uint64_t need,
			 uint64_t avail, size_t *idx, int *covered)
{
	size_t k = 0;
	uint64_t freed = 0;
	char *taken = lm_xcalloc(n ? n : 1, 1);

	*covered = need <= avail;
	while (!*covered) {
		int best = -1;
		for (size_t i = 0; i < n; i++)
			if (!taken[i] && model_may_go(&c[i]) && (!except || strcmp(c[i].model, except)) &&
			    (best < 0 || model_before(&c[i], &c[best])))
				best = (int)i;
		if (best < 0)
			break;
		taken[best] = 1;
		idx[k++] = (size_t)best;
		freed += c[best].bytes;
		*covered = need <= avail + freed;
	}
	free(taken);
	return k;
}

int guard_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (!list || !*name)
		return 0;
	for (const char *p = list; *p;) {
		p += strspn(p, " ,");
		size_t len = strcspn(p, ",");
		while (len && p[len - 1] == ' ')
			len--;
		if (len == n && !strncmp(p, name, n))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* ---- records ---------------------------------------------------------- */

static void record_path(char *buf, size_t size, const char *run_dir, int port)
{
	snprintf(buf, size, "%s/guard-%d.json", run_dir, port);
}

cJSON *guard_record_json(const struct guard_record *g)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "action", g->action);
	cJSON_AddStringToObject(o, "reason", g->reason);
	cJSON_AddStringToObject(o, "at", g->at);
	cJSON_AddStringToObject(o, "model", g->model);
	return o;
}

static int write_atomic(const char *path, const char *text, struct lm_err *err)
{
	char tmp[PATH_MAX + 8];
	size_t len = strlen(text);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", tmp, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", tmp, strerror(e));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return lm_err_set(err, LM_EFAIL, "cannot rename '%s': %s", tmp, strerror(e));
	}
	return LM_OK;
}

int guard_record_write(const char *run_dir, const struct guard_record *g, struct lm_err *err)
{
	char path[PATH_MAX];
	cJSON *o = guard_record_json(g);
	int rc;

	record_path(path, sizeof(path), run_dir, g->port);
	cJSON_AddNumberToObject(o, "port", g->port);
	cJSON_AddNumberToObject(o, "at_epoch", (double)g->at_epoch);
	cJSON_AddNumberToObject(o, "swap_used_bytes", (double)g->swap_used);
	cJSON_AddNumberToObject(o, "pressure", g->pressure);
	char *text = cJSON_PrintUnformatted(o);
	rc = write_atomic(path, text, err);
	free(text);
	cJSON_Delete(o);
	return rc;
}

static void get_str(const cJSON *o, const char *k, char *buf, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	lm_strlcpy(buf, cJSON_IsString(v) ? v->valuestring : "", size);
}

static double get_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int record_parse(const char *text, struct guard_record *g)
{
	cJSON *o = cJSON_Parse(text);

	memset(g, 0, sizeof(*g));
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return -1;
	}
	get_str(o, "action", g->action, sizeof(g->action));
	get_str(o, "reason", g->reason, sizeof(g->reason));
	get_str(o, "at", g->at, sizeof(g->at));
	get_str(o, "model", g->model, sizeof(g->model));
	g->port = (int)get_num(o, "port");
	g->at_epoch = (time_t)get_num(o, "at_epoch");
	g->swap_used = (uint64_t)get_num(o, "swap_used_bytes");
	g->pressure = get_num(o, "pressure");
	cJSON_Delete(o);
	return g->action[0] ? 0 : -1;
}

int guard_record_read(const char *run_dir, int port, struct guard_record *g, struct lm_err *err)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;

	record_path(path, sizeof(path), run_dir, port);
	if (lm_read_file(path, 1 << 16, &text, &len, NULL) != 0)
		return lm_err_set(err, LM_ENOTFOUND, "no guard record for port %d", port);
	int bad = record_parse(text, g);
	free(text);
	if (bad)
		return lm_err_set(err, LM_EFAIL, "malformed guard record '%s'", path);
	return LM_OK;
}

void guard_record_remove(const char *run_dir, int port)
{
	char path[PATH_MAX];

	record_path(path, sizeof(path), run_dir, port);
	unlink(path);
}

static int by_port(const void *a, const void *b)
{
	return ((const struct guard_record *)a)->port - ((const struct guard_record *)b)->port;
}

int guard_record_list(const char *run_dir, struct guard_record **out, size_t *n)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return LM_OK;
	while ((e = readdir(d))) {
		int port;
		char tail[8];
		struct guard_record g;
		struct lm_err err = { 0 };
		if (sscanf(e->d_name, "guard-%d.%7s", &port, tail) != 2 || strcmp(tail, "json"))
			continue;
		if (guard_record_read(run_dir, port, &g, &err))
			continue;
		g.port = port;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			*out = lm_xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[(*n)++] = g;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), by_port);
	return LM_OK;
}

/* ---- status ----------------------------------------------------------- */

cJSON *guard_memory_json(const struct guard_sample *s, const struct guard_limits *l,
			 double trend_bps)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *lim;

	cJSON_AddNumberToObject(o, "total_bytes", (double)s->ram_total);
	cJSON_AddNumberToObject(o, "available_bytes", (double)s->available);
	cJSON_AddNumberToObject(o, "swap_total_bytes", (double)s->swap_total);
	cJSON_AddNumberToObject(o, "swap_used_bytes", (double)s->swap_used);
	if (isnan(trend_bps))
		cJSON_AddNullToObject(o, "swap_trend_bytes_per_s");
	else
		cJSON_AddNumberToObject(o, "swap_trend_bytes_per_s", trend_bps);
	if (s->swap_rate < 0)
		cJSON_AddNullToObject(o, "swap_io_bytes_per_s");
	else
		cJSON_AddNumberToObject(o, "swap_io_bytes_per_s", s->swap_rate);
	if (s->pressure < 0)
		cJSON_AddNullToObject(o, "pressure");
	else
		cJSON_AddNumberToObject(o, "pressure", s->pressure);
	lim = cJSON_AddObjectToObject(o, "limits");
	cJSON_AddNumberToObject(lim, "swap_warn_bytes", (double)l->swap_warn);
	cJSON_AddNumberToObject(lim, "swap_limit_bytes", (double)l->swap_limit);
	cJSON_AddNumberToObject(lim, "pressure", l->pressure_limit);
	return o;
}

int guard_sample_save(const char *run_dir, const struct guard_sample *s)
{
	char path[PATH_MAX], text[128];
	struct lm_err err = { 0 };

	snprintf(path, sizeof(path), "%s/guard-sample", run_dir);
	snprintf(text, sizeof(text), "%lld %llu %d %llu %llu\n", (long long)s->at,
		 (unsigned long long)s->swap_used, s->have_vmstat, (unsigned long long)s->swap_in,
		 (unsigned long long)s->swap_out);
	return write_atomic(path, text, &err);
}

int guard_sample_load(const char *run_dir, struct guard_sample *s)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	long long at;
	unsigned long long used, in = 0, out = 0;
	int ok, vm = 0;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/guard-sample", run_dir);
	if (lm_read_file(path, 256, &text, &len, NULL) != 0)
		return -1;
	ok = sscanf(text, "%lld %llu %d %llu %llu", &at, &used, &vm, &in, &out) >= 2;
	free(text);
	if (!ok)
		return -1;
	s->at = (time_t)at;
	s->swap_used = used;
	s->have_vmstat = vm;
	s->swap_in = in;
	s->swap_out = out;
	s->swap_rate = -1;
	return 0;
}
