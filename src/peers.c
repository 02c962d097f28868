/* peers: parsing peers, probing them in parallel, and the routing decision. */
#include "localmodel/peers.h"
#include "localmodel/dl.h"
#include "localmodel/supervise.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const peers_paths[PEER_NREQ] = {
	[PEER_HEALTH] = "/health",
	[PEER_MODELS] = "/v1/models",
	[PEER_PROPS] = "/props",
	[PEER_SLOTS] = "/slots?fail_on_no_slot=1",
};

/* ---- parsing ---------------------------------------------------------- */

/* host[:port] of an http(s) URL into buf. */
static void url_hostport(const char *url, char *buf, size_t size)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	if (n >= size)
		n = size - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

int peers_parse_one(const char *spec, struct lm_peer *p, struct lm_err *err)
{
	char buf[1024], *save = NULL, *tok, *url = NULL;
	size_t len;

	memset(p, 0, sizeof(*p));
	if (lm_strlcpy(buf, spec, sizeof(buf)) >= sizeof(buf))
		return lm_err_set(err, LM_EUSAGE, "peer too long: '%.60s...'", spec);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (lm_starts_with(tok, "key_file=")) {
			const char *home = getenv("HOME"), *k = tok + 9;
			int tilde = lm_starts_with(k, "~/") && home && *home;
			if (!*k || snprintf(p->key_file, sizeof(p->key_file), "%s%s", tilde ? home : "",
					    tilde ? k + 1 : k) >= (int)sizeof(p->key_file))
				return lm_err_set(err, LM_EUSAGE, "bad key_file in peer '%s'", spec);
			continue;
		}
		if (url)
			return lm_err_set(err, LM_EUSAGE, "bad peer '%s': want [NAME=]URL [key_file=PATH]",
					  spec);
		char *eq = strchr(tok, '='), *scheme = strstr(tok, "://");
		if (eq && (!scheme || eq < scheme)) {
			*eq = '\0';
			if (!*tok || lm_strlcpy(p->name, tok, sizeof(p->name)) >= sizeof(p->name))
				return lm_err_set(err, LM_EUSAGE, "bad peer name in '%s'", spec);
			tok = eq + 1;
		}
		url = tok;
	}
	if (!url || (!lm_starts_with(url, "http://") && !lm_starts_with(url, "https://")) ||
	    !url[strcspn(url, ":") + 3] || url[strcspn(url, ":") + 3] == '/')
		return lm_err_set(err, LM_EUSAGE, "bad peer '%s': want an http:// or https:// URL", spec);
	if (lm_strlcpy(p->base, url, sizeof(p->base)) >= sizeof(p->base))
		return lm_err_set(err, LM_EUSAGE, "peer URL too long: '%.60s...'", url);
	len = strlen(p->base);
	while (len && p->base[len - 1] == '/')
		p->base[--len] = '\0';
	if (lm_ends_with(p->base, "/v1"))
		p->base[len - 3] = '\0';
	if (!p->name[0])
		url_hostport(p->base, p->name, sizeof(p->name));
	return LM_OK;
}

void peers_add(struct lm_peer **list, size_t *n, const struct lm_peer *p)
{
	*list = lm_xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[*n] = *p;
	(*list)[*n].preference = *n ? (*list)[*n - 1].preference + 1 : 0;
	(*n)++;
}

int peers_parse_list(const char *spec, struct lm_peer **list, size_t *n, struct lm_err *err)
{
	char *copy = lm_xstrdup(spec), *save = NULL, *tok;
	int rc = LM_OK;

	for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		struct lm_peer p;
		while (isspace((unsigned char)*tok))
			tok++;
		if (!*tok)
			continue;
		if (!(rc = peers_parse_one(tok, &p, err)))
			peers_add(list, n, &p);
	}
	free(copy);
	return rc;
}

/* ---- the verdict ------------------------------------------------------ */

/* An error body's message ({"error":{"message":...}}), or "". */
static void error_message(const char *body, char *buf, size_t size)
{
	cJSON *doc = body ? cJSON_Parse(body) : NULL;
	cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
	cJSON *m = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;

	buf[0] = '\0';
	if (cJSON_IsString(m))
		snprintf(buf, size, ": %s", m->valuestring);
	cJSON_Delete(doc);
}

static void add_model(struct lm_peer_report *r, const cJSON *item)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
	const cJSON *al = cJSON_GetObjectItemCaseSensitive(item, "aliases");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(item, "status");
	const cJSON *a;
	struct lm_peer_model *m;

	if (!cJSON_IsString(id))
		return;
	r->models = lm_xrealloc(r->models, (r->nmodels + 1) * sizeof(*r->models));
	m = &r->models[r->nmodels++];
	memset(m, 0, sizeof(*m));
	m->id = lm_xstrdup(id->valuestring);
	cJSON_ArrayForEach(a, al) {
		if (!cJSON_IsString(a) || !strcmp(a->valuestring, m->id))
			continue;
		m->aliases = lm_xrealloc(m->aliases, (m->naliases + 1) * sizeof(char *));
		m->aliases[m->naliases++] = lm_xstrdup(a->valuestring);
	}
	st = cJSON_IsObject(st) ? cJSON_GetObjectItemCaseSensitive(st, "value") : NULL;
	if (cJSON_IsString(st)) {
		lm_strlcpy(m->state, st->valuestring, sizeof(m->state));
		r->router = 1;
	}
}

static void read_models(const char *body, struct lm_peer_report *r)
{
	cJSON *doc = cJSON_Parse(body), *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "data"))
		add_model(r, it);
	cJSON_Delete(doc);
}

static void read_props(const struct lm_peer_answer *a, struct lm_peer_report *r)
{
	cJSON *doc, *v;

	if (a->status != 200 || !a->body)
		return;
	doc = cJSON_Parse(a->body);
	v = cJSON_GetObjectItemCaseSensitive(doc, "is_sleeping");
	if (cJSON_IsBool(v))
		r->sleeping = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(doc, "role");
	if (cJSON_IsString(v) && !strcmp(v->valuestring, "router"))
		r->router = 1;
	cJSON_Delete(doc);
}

void peers_judge(const struct lm_peer_answer a[PEER_NREQ], int has_key, struct lm_peer_report *r)
{
	const struct lm_peer_answer *h = &a[PEER_HEALTH], *m = &a[PEER_MODELS];
	char msg[160];

	r->healthy = 0;
	r->sleeping = r->free_slot = -1;
	r->reason[0] = '\0';
	if (!h->status) {
		r->state = "unreachable";
		snprintf(r->reason, sizeof(r->reason), "no answer: %s",
			 h->error[0] ? h->error : "unknown error");
		return;
	}
	if (h->status == 503) {
		error_message(h->body, msg, sizeof(msg));
		r->state = "loading";
		snprintf(r->reason, sizeof(r->reason), "/health answered 503 (loading the model%s)",
			 msg[0] ? msg : "");
		return;
	}
	if (h->status != 200) {
		r->state = "error";
		snprintf(r->reason, sizeof(r->reason), "/health answered %ld (not a llama-server?)",
			 h->status);
		return;
	}
	if (m->status == 401 || m->status == 403) {
		r->state = "unauthorized";
		snprintf(r->reason, sizeof(r->reason), "%s (%ld from /v1/models)",
			 has_key ? "the API key was refused" : "an API key is needed (set key_file=)",
			 m->status);
		return;
	}
	if (m->status == 503) {
		r->state = "loading";
		snprintf(r->reason, sizeof(r->reason), "/v1/models answered 503 (loading)");
		return;
	}
	if (m->status != 200 || !m->body) {
		r->state = "error";
		if (m->status)
			snprintf(r->reason, sizeof(r->reason), "/v1/models answered %ld", m->status);
		else
			snprintf(r->reason, sizeof(r->reason), "/v1/models: %s",
				 m->error[0] ? m->error : "no answer");
		return;
	}
	read_models(m->body, r);
	read_props(&a[PEER_PROPS], r);
	if (!r->router && a[PEER_SLOTS].status == 200)
		r->free_slot = 1;
	else if (!r->router && a[PEER_SLOTS].status == 503)
		r->free_slot = 0;
	r->healthy = 1;
	r->state = r->sleeping == 1 ? "sleeping" : "ok";
}

/* ---- order and route -------------------------------------------------- */

void peers_order(struct lm_peer_report *r, size_t n)
{
	/* insertion sort: stable, and n is small */
	for (size_t i = 1; i < n; i++) {
		struct lm_peer_report x = r[i];
		size_t j = i;
		while (j > 0 && (x.healthy > r[j - 1].healthy ||
				 (x.healthy == r[j - 1].healthy &&
				  x.peer.preference < r[j - 1].peer.preference))) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = x;
	}
}

int peers_serves(const struct lm_peer_report *r, const char *model)
{
	for (size_t i = 0; i < r->nmodels; i++) {
		if (!strcmp(r->models[i].id, model))
			return 1;
		for (size_t k = 0; k < r->models[i].naliases; k++)
			if (!strcmp(r->models[i].aliases[k], model))
				return 1;
	}
	return 0;
}

const struct lm_peer_report *peers_route(const struct lm_peer_report *r, size_t n,
					 const char *model)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].healthy && (!model || peers_serves(&r[i], model)))
			return &r[i];
	return NULL;
}

void peers_report_release(struct lm_peer_report *r)
{
	for (size_t i = 0; i < r->nmodels; i++) {
		free(r->models[i].id);
		for (size_t k = 0; k < r->models[i].naliases; k++)
			free(r->models[i].aliases[k]);
		free(r->models[i].aliases);
	}
	free(r->models);
	r->models = NULL;
	r->nmodels = 0;
}

void peers_reports_free(struct lm_peer_report *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		peers_report_release(&r[i]);
	free(r);
}

/* ---- probing ---------------------------------------------------------- */

#define BODY_MAX (4u << 20)

struct req {
	CURL *easy;
	struct curl_slist *hdrs;
	struct lm_peer_answer ans;
	size_t len;
	char errbuf[CURL_ERROR_SIZE];
	int64_t start;
	long latency_ms;
};

static size_t body_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct req *q = arg;
	size_t len = size * n;

	if (lm_bytes_append(&q->ans.body, &q->len, buf, len, BODY_MAX) < 0)
		return 0;
	return len;
}

static CURL *req_setup(struct req *q, const struct lm_peer *p, const char *path,
		       const char *key, int timeout_ms)
{
	char *url = lm_asprintf("%s%s", p->base, path);
	CURL *c = lm_curl.easy_init();

	if (!c) {
		free(url);
		return NULL;
	}
	lm_curl.easy_setopt(c, CURLOPT_URL, url);
	free(url); /* libcurl keeps its own copy */
	lm_curl.easy_setopt(c, CURLOPT_USERAGENT, "localmodel/" LM_VERSION);
	lm_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	lm_curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	lm_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	lm_curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	lm_curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	lm_curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	lm_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	lm_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
	lm_curl.easy_setopt(c, CURLOPT_WRITEDATA, q);
	lm_curl.easy_setopt(c, CURLOPT_ERRORBUFFER, q->errbuf);
	lm_curl.easy_setopt(c, CURLOPT_PRIVATE, q);
	if (key) {
		char *a = lm_asprintf("Authorization: Bearer %s", key);
		q->hdrs = lm_curl.slist_append(NULL, a);
		memset(a, 0, strlen(a));
		free(a);
		lm_curl.easy_setopt(c, CURLOPT_HTTPHEADER, q->hdrs);
	}
	q->easy = c;
	q->start = lm_mono_ms();
	return c;
}

static void req_done(struct req *q, CURLcode code)
{
	if (code == CURLE_OK) {
		lm_curl.easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &q->ans.status);
		q->latency_ms = (long)(lm_mono_ms() - q->start);
		return;
	}
	q->ans.status = 0;
	snprintf(q->ans.error, sizeof(q->ans.error), "%s",
		 q->errbuf[0] ? q->errbuf : lm_curl.easy_strerror(code));
}

static void free_key(char *key)
{
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
}

/* Run every request on one multi handle until all are done or the
 * deadline passes (each request also carries the deadline itself). */
static void run_all(CURLM *m, int timeout_ms)
{
	int64_t end = lm_mono_ms() + timeout_ms + 200;
	int running = 1;
	CURLMsg *msg;
	int left;

	while (running && lm_mono_ms() < end) {
		if (lm_curl.multi_perform(m, &running) != CURLM_OK)
			break;
		while ((msg = lm_curl.multi_info_read(m, &left)))
			if (msg->msg == CURLMSG_DONE) {
				struct req *q = NULL;
				lm_curl.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&q);
				if (q)
					req_done(q, msg->data.result);
			}
		if (running)
			lm_curl.multi_poll(m, NULL, 0, 100, NULL);
	}
}

int peers_probe(const struct lm_peer *peers, size_t n, int timeout_ms,
		struct lm_peer_report **out, struct lm_err *err)
{
	struct req *q;
	CURLM *m;
	int rc;

	*out = lm_xcalloc(n + 1, sizeof(**out));
	if ((rc = dl_curl_load(err)))
		return rc;
	if (!(m = lm_curl.multi_init()))
		return lm_err_set(err, LM_EFAIL, "cannot start libcurl");
	q = lm_xcalloc(n * PEER_NREQ + 1, sizeof(*q));
	for (size_t i = 0; i < n; i++) {
		char *key = peers[i].key_file[0] ? sup_key_read(peers[i].key_file) : NULL;
		for (int k = 0; k < PEER_NREQ; k++) {
			struct req *r = &q[i * PEER_NREQ + k];
			/* /health is public: the key goes only where it is needed */
			CURL *c = req_setup(r, &peers[i], peers_paths[k], k == PEER_HEALTH ? NULL : key,
					    timeout_ms);
			if (c)
				lm_curl.multi_add_handle(m, c);
			else
				snprintf(r->ans.error, sizeof(r->ans.error), "cannot start libcurl");
		}
		if (peers[i].key_file[0] && !key)
			snprintf(q[i * PEER_NREQ + PEER_MODELS].ans.error,
				 sizeof(q[0].ans.error), "cannot read key_file");
		free_key(key);
	}
	run_all(m, timeout_ms);
	for (size_t i = 0; i < n; i++) {
		struct lm_peer_answer a[PEER_NREQ];
		struct lm_peer_report *r = &(*out)[i];
		for (int k = 0; k < PEER_NREQ; k++) {
			a[k] = q[i * PEER_NREQ + k].ans;
			if (!a[k].status && !a[k].error[0])
				snprintf(a[k].error, sizeof(a[k].error), "no answer within %d ms",
					 timeout_ms);
		}
		r->peer = peers[i];
		peers_judge(a, peers[i].key_file[0] != 0, r);
		r->latency_ms = a[PEER_HEALTH].status ? q[i * PEER_NREQ].latency_ms : -1;
	}
	for (size_t i = 0; i < n * PEER_NREQ; i++) {
		if (q[i].easy) {
			lm_curl.multi_remove_handle(m, q[i].easy);
			lm_curl.easy_cleanup(q[i].easy);
		}
		if (q[i].hdrs)
			lm_curl.slist_free_all(q[i].hdrs);
		free(q[i].ans.body);
	}
	lm_curl.multi_cleanup(m);
	free(q);
	return LM_OK;
}
