/* supervise_guard: the memory guard inside the supervisor. Every few
 * seconds it samples memory (guard.c); past the limits it gives memory
 * back, least valuable first, across every server localmodel runs: an idle
 * router model is unloaded (POST /models/unload), else a server is stopped
 * (SIGTERM to its supervisor; this supervisor's own server through the
 * loop). Models marked to stay are never chosen. Supervisors share the
 * decision through <run_dir>/guard.lock (flock) and guard.last (when the
 * last action was taken), so that one crossing costs one action. In router
 * mode it also makes room before a model loads: on the router's "spawning
 * server instance" line, idle models are unloaded, least recently used
 * first, until the new one's estimate fits in what is available. */
#include "supervise_internal.h"
#include "localmodel/guard.h"
#include "localmodel/os.h"
#include "localmodel/store.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define MAX_MODELS 256
#define TREND_EVERY_S 30

struct model_use {
	char name[256];
	int port;
	int64_t last_used;
};

struct sup_guard {
	struct sup_config *c;
	const char *key;
	void (*note)(void *data, const char *msg);
	void *data;
	struct guard_hyst h;
	int64_t next;
	time_t trend_saved;
	struct model_use uses[MAX_MODELS];
	size_t nuses;
	char pending[256];  /* a router model that just started loading */
	int said_nothing;   /* "nothing may be given up" was logged (until re-armed) */
	struct guard_sample prev; /* the previous sample, for the swap rate */
	int64_t prev_ms;
};

static void notef(struct sup_guard *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notef(struct sup_guard *g, const char *fmt, ...)
{
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g->note)
		g->note(g->data, msg);
}

static long env_ms(const char *name, long def)
{
	const char *v = getenv(name);
	long out;

	return v && *v && lm_parse_long(v, 10, 86400000, &out) == 0 ? out : def;
}

struct sup_guard *sup_guard_new(struct sup_config *c, const char *key,
				void (*note)(void *data, const char *msg), void *data)
{
	struct sup_guard *g = lm_xcalloc(1, sizeof(*g));

	g->c = c;
	g->key = key;
	g->note = note;
	g->data = data;
	if (c->guard_interval_ms <= 0)
		c->guard_interval_ms = (int)env_ms("LOCALMODEL_GUARD_INTERVAL_MS", 2000);
	if (c->guard_settle_ms <= 0)
		c->guard_settle_ms = (int)env_ms("LOCALMODEL_GUARD_SETTLE_MS", 10000);
	if (c->guard_rearm_ms <= 0)
		c->guard_rearm_ms = (int)env_ms("LOCALMODEL_GUARD_REARM_MS", 60000);
	/* a new server on this port: what the guard did to the last one is history */
	guard_record_remove(c->run_dir, c->st.port);
	return g;
}

void sup_guard_free(struct sup_guard *g)
{
	free(g);
}

int64_t sup_guard_next(const struct sup_guard *g)
{
	return g->next;
}

/* ---- router models: which loads, which answers ------------------------ */

static struct model_use *use_of(struct sup_guard *g, const char *name)
{
	for (size_t i = 0; i < g->nuses; i++)
		if (!strcmp(g->uses[i].name, name))
			return &g->uses[i];
	if (g->nuses == MAX_MODELS)
		return NULL;
	struct model_use *u = &g->uses[g->nuses++];
	lm_strlcpy(u->name, name, sizeof(u->name));
	return u;
}

void sup_guard_line(struct sup_guard *g, const char *line)
{
	static const char spawn[] = "spawning server instance with name=";
	const char *p;

	if (!g->c->st.router)
		return;
	if ((p = strstr(line, spawn))) {
		char name[256];
		const char *end = strstr(p, " on port ");
		p += sizeof(spawn) - 1;
		if (!end || (size_t)(end - p) >= sizeof(name))
			return;
		memcpy(name, p, (size_t)(end - p));
		name[end - p] = '\0';
		struct model_use *u = use_of(g, name);
		if (u) {
			u->port = atoi(end + 9);
			u->last_used = lm_mono_ms();
		}
		lm_strlcpy(g->pending, name, sizeof(g->pending));
		return;
	}
	/* "[ 41000] ..." : a line of the child on that port */
	if (line[0] == '[') {
		int port = atoi(line + 1 + strspn(line + 1, " "));
		for (size_t i = 0; i < g->nuses; i++)
			if (port > 0 && g->uses[i].port == port)
				g->uses[i].last_used = lm_mono_ms();
	}
}

/* The fit's estimate of a router model (by its router name), 0 unknown. */
static uint64_t model_bytes(const struct sup_guard *g, const char *name)
{
	const struct sup_config *c = g->c;

	if (!c->model_bytes)
		return 0;
	for (size_t i = 0; i + 1 < c->nname_map; i += 2)
		if (!strcmp(c->name_map[i], name) || !strcmp(c->name_map[i + 1], name))
			return c->model_bytes[i / 2];
	return 0;
}

/* ---- what the servers hold -------------------------------------------- */

struct cands {
	struct guard_cand *v;
	struct sup_state *st; /* the server of each candidate */
	size_t n, cap;
};

static struct guard_cand *cand_add(struct cands *cs, const struct sup_state *st)
{
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 8;
		cs->v = lm_xrealloc(cs->v, cs->cap * sizeof(*cs->v));
		cs->st = lm_xrealloc(cs->st, cs->cap * sizeof(*cs->st));
	}
	memset(&cs->v[cs->n], 0, sizeof(cs->v[0]));
	cs->st[cs->n] = *st;
	cs->v[cs->n].port = st->port;
	return &cs->v[cs->n++];
}

static void cands_free(struct cands *cs)
{
	free(cs->v);
	free(cs->st);
	memset(cs, 0, sizeof(*cs));
}

static char *get_body(const struct sup_state *st, const char *key, const char *path)
{
	int status = 0;
	char *body = NULL;
	struct lm_err err = { 0 };

	if (sup_http_get(st->host, st->port, path, key, 1000, &status, &body, &err) ||
	    status != 200) {
		free(body);
		return NULL;
	}
	return body;
}

/* llamacpp:requests_processing of a server's /metrics (a router model's
 * with name), -1 unknown. */
static int busy_of(const struct sup_state *st, const char *key, const char *name)
{
	char path[700], q[600];
	size_t k = 0;
	int busy = -1;

	if (name) {
		for (const unsigned char *p = (const unsigned char *)name; *p && k + 4 < sizeof(q); p++)
			k += (size_t)(strchr("/:? &=#%+", *p) ? snprintf(q + k, sizeof(q) - k, "%%%02X", *p)
							    : (q[k] = (char)*p, 1));
		q[k] = '\0';
		snprintf(path, sizeof(path), "/metrics?model=%s&autoload=false", q);
	} else {
		lm_strlcpy(path, "/metrics", sizeof(path));
	}
	char *body = get_body(st, key, path);
	const char *m = body ? strstr(body, "\nllamacpp:requests_processing ") : NULL;
	if (m)
		busy = atoi(m + 30);
	free(body);
	return busy;
}

static int sleeping_of(const struct sup_state *st, const char *key)
{
	char *body = get_body(st, key, "/props");
	cJSON *o = body ? cJSON_Parse(body) : NULL;
	int s = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "is_sleeping"));

	cJSON_Delete(o);
	free(body);
	return s;
}

/* The loaded models of a router (GET /models, status "loaded"). */
static void router_models(struct sup_guard *g, const struct sup_state *st, const char *key,
			  struct cands *cs)
{
	char *body = get_body(st, key, "/models");
	cJSON *o = body ? cJSON_Parse(body) : NULL, *m;
	int own = st->port == g->c->st.port;

	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(o, "data")) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
		const cJSON *status = cJSON_GetObjectItemCaseSensitive(m, "status");
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(status, "value");
		if (!cJSON_IsString(id) || !cJSON_IsString(value) ||
		    strcmp(value->valuestring, "loaded"))
			continue;
		struct guard_cand *c = cand_add(cs, st);
		c->kind = GUARD_ROUTER_MODEL;
		lm_strlcpy(c->model, id->valuestring, sizeof(c->model));
		c->keep = guard_list_has(st->keep, c->model);
		c->busy = busy_of(st, key, c->model) > 0;
		if (own) {
			struct model_use *u = use_of(g, c->model);
			c->last_used = u ? u->last_used : 0;
			c->bytes = model_bytes(g, c->model);
		}
	}
	cJSON_Delete(o);
	free(body);
}

static void server_cand(const struct sup_state *st, const char *key, struct cands *cs)
{
	struct guard_cand *c = cand_add(cs, st);
	uint64_t rss = 0;

	c->kind = GUARD_SERVER;
	lm_strlcpy(c->model, st->model, sizeof(c->model));
	if (st->router) {
		c->has_keep = st->keep[0] != '\0';
	} else {
		c->keep = guard_list_has(st->keep, st->model) || guard_list_has(st->keep, st->alias);
		c->busy = busy_of(st, key, NULL) > 0;
		c->sleeping = sleeping_of(st, key);
	}
	if (st->child_pid > 0 && os_proc_rss(st->child_pid, &rss) == 0)
		c->bytes = rss;
	else
		c->bytes = st->expected;
}

/* Every live server's candidates. */
static void gather(struct sup_guard *g, struct cands *cs)
{
	struct sup_state *sts = NULL;
	size_t n = 0;
	struct lm_err err = { 0 };

	if (sup_state_list(g->c->run_dir, &sts, &n, &err))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct sup_state *st = &sts[i];
		int own = st->port == g->c->st.port;
		if (!own && (!sup_state_alive(st) || st->phase != SUP_RUNNING))
			continue;
		/* an RPC worker holds layers for a head on another machine: not
		 * this machine's to give up (and it has no HTTP to ask) */
		if ((own ? g->c->st.rpc_worker : st->rpc_worker))
			continue;
		char *key = own ? NULL : st->key_file[0] ? sup_key_read(st->key_file) : NULL;
		const char *k = own ? g->key : key;
		if (st->router)
			router_models(g, own ? &g->c->st : st, k, cs);
		server_cand(own ? &g->c->st : st, k, cs);
		if (key) {
			memset(key, 0, strlen(key));
			free(key);
		}
	}
	free(sts);
}

/* ---- acting ------------------------------------------------------------ */

static void record(struct sup_guard *g, const struct sup_state *st, const char *model,
		   enum guard_action a, const char *reason, const struct guard_sample *s)
{
	struct guard_record r;
	struct lm_err err = { 0 };
	struct lm_store *db = NULL;

	memset(&r, 0, sizeof(r));
	lm_strlcpy(r.action, guard_action_name(a), sizeof(r.action));
	lm_strlcpy(r.reason, reason, sizeof(r.reason));
	lm_strlcpy(r.model, model, sizeof(r.model));
	r.at_epoch = lm_now();
	lm_time_iso(r.at_epoch, r.at, sizeof(r.at));
	r.port = st->port;
	r.swap_used = s->swap_used;
	r.pressure = s->pressure;
	if (guard_record_write(g->c->run_dir, &r, &err))
		notef(g, "memory guard: %s", err.msg);
	notef(g, "memory guard: %s '%s' on port %d: %s", r.action, model, st->port, reason);
	if (!g->c->db_path)
		return;
	struct lm_guard_row row = { r.at, st->session[0] ? st->session : NULL, st->port, model,
				    r.action, reason, s->swap_used, s->pressure };
	lm_err_clear(&err);
	if (store_open(&db, g->c->db_path, STORE_EXISTING, 5000, &err) == LM_OK)
		store_guard_add(db, &row, &err);
	if (err.msg[0])
		notef(g, "memory guard: cannot record the action: %s", err.msg);
	store_close_lazy(db);
}

static int unload(const struct sup_state *st, const char *key, const char *model)
{
	cJSON *o = cJSON_CreateObject();
	char *json;
	int status = 0, rc;
	struct lm_err err = { 0 };

	cJSON_AddStringToObject(o, "model", model);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	rc = sup_http_post(st->host, st->port, "/models/unload", key, json, 5000, &status, NULL,
			   &err);
	free(json);
	return rc == LM_OK && status == 200 ? 0 : -1;
}

/* Wall-clock ms of the last action of any supervisor (guard.last). */
static int64_t last_action(const char *run_dir)
{
	char path[PATH_MAX], *text = NULL;
	size_t len;
	int64_t v = 0;

	snprintf(path, sizeof(path), "%s/guard.last", run_dir);
	if (lm_read_file(path, 64, &text, &len, NULL) == 0)
		v = strtoll(text, NULL, 10);
	free(text);
	return v;
}

static void set_last_action(const char *run_dir, int64_t ms)
{
	char path[PATH_MAX], text[32];
	int fd;

	snprintf(path, sizeof(path), "%s/guard.last", run_dir);
	snprintf(text, sizeof(text), "%lld\n", (long long)ms);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0) {
		/* the next action just comes sooner */
	}
	close(fd);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Give up the least valuable thing; 1 when it is our own server. */
static int act(struct sup_guard *g, const struct guard_sample *s, const char *why, char *out,
	       size_t size)
{
	struct cands cs = { 0 };
	enum guard_action a;
	int own = 0;

	gather(g, &cs);
	int i = guard_choose(cs.v, cs.n, &a);
	if (i < 0) {
		if (!g->said_nothing)
			notef(g, "memory guard: %s, but nothing may be given up (models marked to "
				 "stay, or asleep)", why);
		g->said_nothing = 1;
	} else if (a == GUARD_UNLOADED) {
		const struct sup_state *st = &cs.st[i];
		char *key = st->port == g->c->st.port || !st->key_file[0] ? NULL : sup_key_read(st->key_file);
		if (unload(st, st->port == g->c->st.port ? g->key : key, cs.v[i].model) == 0)
			record(g, st, cs.v[i].model, a, why, s);
		else
			notef(g, "memory guard: cannot unload '%s' on port %d", cs.v[i].model, st->port);
		free(key);
	} else if (cs.v[i].port == g->c->st.port) {
		record(g, &cs.st[i], cs.v[i].model, a, why, s);
		snprintf(out, size, "%s", why);
		own = 1;
	} else {
		const struct sup_state *st = &cs.st[i];
		record(g, st, cs.v[i].model, a, why, s);
		if (sup_proc_signal(st->sup_pid, st->sup_start, st->sup_exe, SIGTERM) < 0)
			notef(g, "memory guard: the supervisor of port %d is gone", st->port);
	}
	cands_free(&cs);
	return own;
}

/* One decision under the shared lock: 1 when our own server must stop. */
static int decide(struct sup_guard *g, const struct guard_sample *s, const struct guard_limits *l,
		  char *why, size_t size)
{
	char path[PATH_MAX], reason[200];
	int fd, own = 0;
	int64_t now = lm_mono_ms();

	guard_level(l, s, reason, sizeof(reason));
	snprintf(path, sizeof(path), "%s/guard.lock", g->c->run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (fd >= 0)
			close(fd);
		return 0; /* another supervisor is deciding */
	}
	int64_t last = last_action(g->c->run_dir), wnow = wall_ms();
	if (last && wnow - last >= 0 && wnow - last < l->settle_ms) {
		/* another server's guard just acted on this same crossing */
		guard_mark_acted(&g->h, s, now - (wnow - last));
	} else {
		own = act(g, s, reason, why, size);
		set_last_action(g->c->run_dir, wall_ms());
		guard_mark_acted(&g->h, s, now);
	}
	close(fd);
	return own;
}

/* ---- router loads ------------------------------------------------------- */

/* What the other live servers will still grow to (their expected size
 * beyond their resident memory). */
static uint64_t others_growth(const struct sup_guard *g)
{
	struct sup_state *sts = NULL;
	size_t n = 0;
	struct lm_err err = { 0 };
	uint64_t sum = 0;

	if (sup_state_list(g->c->run_dir, &sts, &n, &err))
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t rss = 0;
		if (sts[i].port == g->c->st.port || !sup_state_alive(&sts[i]))
			continue;
		if (sts[i].child_pid > 0)
			os_proc_rss(sts[i].child_pid, &rss);
		sum += sts[i].expected > rss ? sts[i].expected - rss : 0;
	}
	free(sts);
	return sum;
}

/* A model started loading: unload idle ones until its estimate fits in
 * what is available, less the reserve and the other servers' growth. */
static void make_room(struct sup_guard *g)
{
	struct guard_sample s;
	struct lm_err err = { 0 };
	struct cands cs = { 0 };
	char name[256];
	uint64_t need, avail;
	int covered;

	lm_strlcpy(name, g->pending, sizeof(name));
	g->pending[0] = '\0';
	need = model_bytes(g, name);
	if (!need || guard_sample(&s, &err))
		return;
	uint64_t keep_free = g->c->reserve + others_growth(g);
	avail = s.available > keep_free ? s.available - keep_free : 0;
	if (need <= avail)
		return;
	router_models(g, &g->c->st, g->key, &cs);
	size_t *idx = lm_xcalloc(cs.n ? cs.n : 1, sizeof(*idx));
	size_t k = guard_plan_unload(cs.v, cs.n, name, need, avail, idx, &covered);
	char needs[32], has[32], reason[320];
	lm_format_size(need, needs, sizeof(needs));
	lm_format_size(avail, has, sizeof(has));
	snprintf(reason, sizeof(reason), "to make room for '%s' (needs %s, %s available)", name,
		 needs, has);
	for (size_t j = 0; j < k; j++) {
		const struct guard_cand *c = &cs.v[idx[j]];
		if (unload(&g->c->st, g->key, c->model) == 0)
			record(g, &g->c->st, c->model, GUARD_UNLOADED, reason, &s);
	}
	if (!covered)
		notef(g, "memory guard: '%s' may not fit: %s, and no more idle models may be "
			 "unloaded", name, reason + 3);
	free(idx);
	cands_free(&cs);
}

/* ---- the tick ------------------------------------------------------------ */

int sup_guard_tick(struct sup_guard *g, int ready, char *why, size_t size)
{
	struct guard_sample s;
	struct guard_limits l;
	struct lm_err err = { 0 };
	char msg[200];
	int64_t now = lm_mono_ms();

	if (!ready)
		return 0;
	if (g->pending[0])
		make_room(g);
	if (now < g->next)
		return 0;
	g->next = now + g->c->guard_interval_ms;
	if (guard_sample(&s, &err))
		return 0;
	if (g->prev_ms)
		s.swap_rate = guard_swap_rate(&g->prev, &s, now - g->prev_ms,
					      (uint64_t)sysconf(_SC_PAGESIZE));
	g->prev = s;
	g->prev_ms = now;
	guard_limits_default(&l, &s, g->c->swap_limit_gb, g->c->pressure_limit);
	l.settle_ms = g->c->guard_settle_ms;
	l.rearm_ms = g->c->guard_rearm_ms;
	if (s.at - g->trend_saved >= TREND_EVERY_S && guard_sample_save(g->c->run_dir, &s) == 0)
		g->trend_saved = s.at;
	enum guard_level lv = guard_level(&l, &s, msg, sizeof(msg));
	if (lv != GUARD_OK && !g->h.warned) {
		notef(g, "memory guard: %s", msg);
		g->h.warned = 1;
	} else if (lv == GUARD_OK && !g->h.acted) {
		g->h.warned = 0; /* a warning that passed without an action */
	}
	int was = g->h.acted;
	if (!guard_should_act(&g->h, &l, &s, now)) {
		if (was && !g->h.acted) {
			notef(g, "memory guard: re-armed (%s)", msg);
			g->said_nothing = 0;
		}
		return 0;
	}
	return decide(g, &s, &l, why, size);
}

void sup_guard_end_reason(struct sup_guard *g, char *reason, size_t size)
{
	struct guard_record r;
	struct lm_err err = { 0 };

	if (guard_record_read(g->c->run_dir, g->c->st.port, &r, &err) ||
	    strcmp(r.action, "stopped") || r.at_epoch < g->c->st.started)
		return;
	snprintf(reason, size, "stopped by the memory guard: %.400s", r.reason);
}
