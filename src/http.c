/* http: requests on libcurl with retries, manual redirects (so that the
 * token never leaves its host), Link paging and URL helpers. Downloads are
 * in http_download.c. */
#include "http_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HTTP_MAX_BODY (64u << 20)
#define HTTP_MAX_REDIRECTS 10
#define HTTP_MAX_SERVER_WAIT_S 60

/* Split an absolute URL into lowercase host and port (default port of its
 * scheme when none). 0 ok, -1 when it does not parse. */
static int url_host_port(const char *url, char **host, long *port)
{
	CURLU *u = lm_curl.url();
	char *hs = NULL, *ps = NULL;
	int rc = -1;

	if (!u)
		return -1;
	if (lm_curl.url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (lm_curl.url_get(u, CURLUPART_HOST, &hs, 0) != CURLUE_OK)
		goto out;
	if (lm_curl.url_get(u, CURLUPART_PORT, &ps, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	*host = lm_xstrdup(hs);
	for (char *p = *host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	*port = strtol(ps, NULL, 10);
	rc = 0;
out:
	lm_curl.free(hs);
	lm_curl.free(ps);
	lm_curl.url_cleanup(u);
	return rc;
}

char *http_url_hostport(const char *url)
{
	char *host = NULL, *out;
	long port;

	if (dl_curl_load(NULL) != LM_OK || url_host_port(url, &host, &port) < 0)
		return NULL;
	out = strchr(host, ':') ? lm_asprintf("[%s]:%ld", host, port)
				: lm_asprintf("%s:%ld", host, port);
	free(host);
	return out;
}

/* Parse "host", "host:port", "[v6]:port" into the token host fields. */
static void set_token_host(struct lm_http *h, const char *hp)
{
	const char *colon;
	char *host;

	h->token_port = 443;
	if (hp[0] == '[') {
		const char *end = strchr(hp, ']');
		host = lm_xstrndup(hp + 1, end ? (size_t)(end - hp - 1) : strlen(hp + 1));
		colon = end && end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(hp, ':');
		host = colon ? lm_xstrndup(hp, (size_t)(colon - hp)) : lm_xstrdup(hp);
	}
	if (colon)
		h->token_port = strtol(colon + 1, NULL, 10);
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	h->token_host = host;
}

/* The stall limit in seconds: the caller's, else LOCALMODEL_HTTP_STALL_S (a
 * test knob, so that a stall test need not wait 30 s), else 30. */
static long stall_limit_s(const struct lm_http_opts *o)
{
	const char *env = getenv("LOCALMODEL_HTTP_STALL_S");
	long v = env && *env ? strtol(env, NULL, 10) : 0;

	if (o && o->low_speed_time_s > 0)
		return o->low_speed_time_s;
	return v > 0 && v <= 3600 ? v : 30;
}

/* One cache of connections, DNS answers and TLS sessions for every
 * transfer of a handle: the Hub's API requests, the resolve requests and
 * the downloads (all parts of a split model) reuse each other's
 * connections instead of opening new ones. NULL when libcurl refuses
 * (then each transfer keeps its own cache). */
static CURLSH *share_new(void)
{
	CURLSH *s = lm_curl.share_init();

	if (!s)
		return NULL;
	if (lm_curl.share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    lm_curl.share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    lm_curl.share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		lm_curl.share_cleanup(s);
		return NULL;
	}
	return s;
}

int http_new(struct lm_http **out, const struct lm_http_opts *o, struct lm_err *err)
{
	struct lm_http *h;
	size_t n = 0;
	int rc = dl_curl_load(err);

	*out = NULL;
	if (rc != LM_OK)
		return rc;
	h = lm_xcalloc(1, sizeof(*h));
	h->easy = lm_curl.easy_init();
	if (!h->easy) {
		free(h);
		return lm_err_set(err, LM_EFAIL, "libcurl: cannot create a handle");
	}
	h->share = share_new();
	h->connect_timeout_s = o && o->connect_timeout_s > 0 ? o->connect_timeout_s : 15;
	h->low_speed_time_s = stall_limit_s(o);
	h->max_retries = !o || o->max_retries == 0 ? 5 : o->max_retries < 0 ? -1 : o->max_retries;
	if (o && o->token && *o->token && o->token_host && *o->token_host) {
		h->token = lm_xstrdup(o->token);
		set_token_host(h, o->token_host);
	}
	while (o && o->extra_headers && o->extra_headers[n])
		n++;
	h->extra = lm_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		h->extra[i] = lm_xstrdup(o->extra_headers[i]);
	snprintf(h->user_agent, sizeof(h->user_agent), "localmodel/%s", LM_VERSION);
	h->cancel = o ? o->cancel : NULL;
	*out = h;
	return LM_OK;
}

void http_free(struct lm_http *h)
{
	if (!h)
		return;
	if (h->easy)
		lm_curl.easy_cleanup(h->easy);
	if (h->share)
		lm_curl.share_cleanup(h->share); /* after every handle using it */
	if (h->token) {
		/* do not leave the secret lying in freed memory */
		volatile char *p = h->token;
		while (*p)
			*p++ = 0;
		free(h->token);
	}
	free(h->token_host);
	free(h->link_host);
	for (size_t i = 0; h->extra && h->extra[i]; i++)
		free(h->extra[i]);
	free(h->extra);
	free(h);
}

void http_easy_common(struct lm_http *h, CURL *c)
{
	lm_curl.easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	lm_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->connect_timeout_s);
	lm_curl.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	lm_curl.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->low_speed_time_s);
	lm_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	lm_curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	lm_curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	lm_curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	lm_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	lm_curl.easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (h->share)
		lm_curl.easy_setopt(c, CURLOPT_SHARE, h->share);
}

struct curl_slist *http_headers_for(const struct lm_http *h, const char *url)
{
	struct curl_slist *l = NULL;
	char *host = NULL;
	long port = 0;

	if (h->token && url_host_port(url, &host, &port) == 0 && !strcmp(host, h->token_host) &&
	    port == h->token_port) {
		char *a = lm_asprintf("Authorization: Bearer %s", h->token);
		l = lm_curl.slist_append(l, a);
		memset(a, 0, strlen(a));
		free(a);
	}
	free(host);
	for (size_t i = 0; h->extra[i]; i++)
		l = lm_curl.slist_append(l, h->extra[i]);
	return l;
}

void http_response_reset(struct lm_http_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
	free(r->url);
	memset(r, 0, sizeof(*r));
}

void http_response_release(struct lm_http_response *r)
{
	if (r)
		http_response_reset(r);
}

size_t http_header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct lm_http_response *r = arg;
	size_t len = size * n, end = len;
	const char *colon;

	while (end > 0 && (buf[end - 1] == '\r' || buf[end - 1] == '\n'))
		end--;
	if (end >= 5 && !strncmp(buf, "HTTP/", 5)) {
		const char *sp = memchr(buf, ' ', end);
		for (size_t i = 0; i < r->nheaders; i++) {
			free(r->headers[i].name);
			free(r->headers[i].value);
		}
		r->nheaders = 0;
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	colon = memchr(buf, ':', end);
	if (!colon)
		return len;
	r->headers = lm_xrealloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
	r->headers[r->nheaders].name = lm_xstrndup(buf, (size_t)(colon - buf));
	colon++;
	while (colon < buf + end && (*colon == ' ' || *colon == '\t'))
		colon++;
	r->headers[r->nheaders].value = lm_xstrndup(colon, (size_t)(buf + end - colon));
	r->nheaders++;
	return len;
}

/* Append response bytes to resp->body (bounded). */
static size_t body_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct lm_http_response *r = arg;
	size_t len = size * n;

	if (lm_bytes_append(&r->body, &r->body_len, buf, len, HTTP_MAX_BODY) < 0)
		return 0;
	return len;
}

const char *http_header(const struct lm_http_response *r, const char *name)
{
	for (size_t i = 0; r && i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

int http_status_retryable(long s)
{
	return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

int http_response_retryable(const struct lm_http_response *r)
{
	const char *rem = http_header(r, "X-RateLimit-Remaining");

	if (http_status_retryable(r->status))
		return 1;
	return r->status == 403 && rem && strtol(rem, NULL, 10) == 0;
}

/* The t= of a RateLimit header whose r= is 0, or -1. */
static long ratelimit_reset(const char *v)
{
	const char *r = strstr(v, ";r="), *t = strstr(v, ";t=");

	if (!r || !t || strtol(r + 3, NULL, 10) != 0)
		return -1;
	return strtol(t + 3, NULL, 10);
}

long http_retry_after(const struct lm_http_response *r)
{
	const char *v = http_header(r, "Retry-After");
	char *end;

	if (v) {
		long s = strtol(v, &end, 10);
		if (end != v && s >= 0)
			return s;
	}
	v = http_header(r, "RateLimit");
	if (v && ratelimit_reset(v) >= 0)
		return ratelimit_reset(v);
	v = http_header(r, "X-RateLimit-Remaining");
	if (v && strtol(v, NULL, 10) == 0 && http_header(r, "X-RateLimit-Reset")) {
		long long reset = strtoll(http_header(r, "X-RateLimit-Reset"), NULL, 10);
		long long now = (long long)time(NULL);
		return reset > now ? (long)(reset - now) : 0;
	}
	return -1;
}

long http_backoff_ms(int attempt, long server_wait_s)
{
	static const long steps[] = { 1, 2, 4, 8, 8 };
	const char *env = getenv("LOCALMODEL_HTTP_BACKOFF_MS");
	long unit = 1000, s;

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);
		if (*end == '\0' && v >= 0 && v <= 100000)
			unit = v;
	}
	if (server_wait_s > HTTP_MAX_SERVER_WAIT_S)
		return -1;
	if (server_wait_s >= 0)
		s = server_wait_s + 1;
	else
		s = steps[attempt < 0 ? 0 : attempt > 4 ? 4 : attempt];
	return s * unit;
}

char *http_url_for_msg(const char *url)
{
	size_t n = strcspn(url, "?#");
	return lm_xstrndup(url, n);
}

static int cancelled(const struct lm_http *h)
{
	return h->cancel && *h->cancel;
}

/* Sleep ms milliseconds, cut short by cancel. */
static void sleep_ms(const struct lm_http *h, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !cancelled(h))
		;
}

/* curl progress callback: a non-zero return aborts the transfer. */
static int xfer_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	return cancelled(arg);
}

/* One request, no redirect, no retry. Returns the curl code. */
static CURLcode perform_once(struct lm_http *h, const char *url, int head,
			     struct lm_http_response *r, char *errbuf)
{
	CURL *c = h->easy;
	struct curl_slist *hdrs = http_headers_for(h, url);
	CURLcode cc;

	http_response_reset(r);
	lm_curl.easy_reset(c);
	http_easy_common(h, c);
	lm_curl.easy_setopt(c, CURLOPT_URL, url);
	if (head)
		lm_curl.easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		lm_curl.easy_setopt(c, CURLOPT_HTTPGET, 1L);
	/* HTTP/2 when a TLS server offers it: the API requests of a pull
	 * then share one connection */
	lm_curl.easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	lm_curl.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	lm_curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_cb);
	lm_curl.easy_setopt(c, CURLOPT_HEADERDATA, r);
	lm_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
	lm_curl.easy_setopt(c, CURLOPT_WRITEDATA, r);
	lm_curl.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (h->cancel) {
		lm_curl.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xfer_cb);
		lm_curl.easy_setopt(c, CURLOPT_XFERINFODATA, h);
		lm_curl.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	errbuf[0] = '\0';
	cc = lm_curl.easy_perform(c);
	lm_curl.easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	lm_curl.easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	lm_curl.slist_free_all(hdrs);
	if (cc == CURLE_OK) {
		long code = 0;
		lm_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		r->status = code;
	}
	if (!r->body) {
		r->body = lm_xstrdup("");
		r->body_len = 0;
	}
	return cc;
}

/* One hop (no redirect) with the retry policy. */
static int get_with_retries(struct lm_http *h, const char *url, unsigned flags,
			    struct lm_http_response *r, struct lm_err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	int max = (flags & HTTP_NO_RETRY) || h->max_retries < 0 ? 0 : h->max_retries;

	for (int attempt = 0;; attempt++) {
		CURLcode cc;
		long wait;

		if (cancelled(h))
			goto interrupted;
		cc = perform_once(h, url, flags & HTTP_HEAD, r, errbuf);
		if (cancelled(h))
			goto interrupted;
		if (cc == CURLE_OK) {
			if (!http_response_retryable(r) || attempt >= max)
				return LM_OK;
			wait = http_backoff_ms(attempt, http_retry_after(r));
			if (wait < 0)
				return LM_OK;
		} else {
			if (attempt >= max || cc == CURLE_WRITE_ERROR) {
				char *u = http_url_for_msg(url);
				lm_err_set(err, LM_ENET, "cannot get '%s': %s", u,
					   cc == CURLE_WRITE_ERROR ? "response too large"
					   : errbuf[0]		   ? errbuf
								   : lm_curl.easy_strerror(cc));
				free(u);
				http_response_reset(r);
				return LM_ENET;
			}
			wait = http_backoff_ms(attempt, -1);
		}
		sleep_ms(h, wait);
	}
interrupted:
	{
		char *u = http_url_for_msg(url);
		lm_err_set(err, LM_EFAIL, "request to '%s' interrupted", u);
		free(u);
		http_response_reset(r);
		return LM_EFAIL;
	}
}

int http_get(struct lm_http *h, const char *url, unsigned flags, struct lm_http_response *resp,
	     struct lm_err *err)
{
	char *cur = lm_xstrdup(url);
	int rc;

	memset(resp, 0, sizeof(*resp));
	for (int hops = 0;; hops++) {
		const char *loc;
		char *next;

		rc = get_with_retries(h, cur, flags, resp, err);
		if (rc != LM_OK)
			goto out;
		loc = http_header(resp, "Location");
		if ((flags & HTTP_NO_REDIRECT) || resp->status < 300 || resp->status > 399 || !loc ||
		    resp->status == 304)
			break;
		if (hops >= HTTP_MAX_REDIRECTS) {
			char *u = http_url_for_msg(url);
			rc = lm_err_set(err, LM_ENET, "too many redirects from '%s'", u);
			free(u);
			http_response_reset(resp);
			goto out;
		}
		next = http_resolve_url(cur, loc);
		if (!next) {
			rc = lm_err_set(err, LM_ENET, "bad redirect location '%s'", loc);
			http_response_reset(resp);
			goto out;
		}
		free(cur);
		cur = next;
	}
	resp->url = cur;
	cur = NULL;
out:
	free(cur);
	return rc;
}

char *http_resolve_url(const char *base, const char *ref)
{
	CURLU *u;
	char *s = NULL, *out = NULL;

	if (dl_curl_load(NULL) != LM_OK || !(u = lm_curl.url()))
		return NULL;
	if (lm_curl.url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    lm_curl.url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    lm_curl.url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		out = lm_xstrdup(s);
	lm_curl.free(s);
	lm_curl.url_cleanup(u);
	return out;
}

/* In one Link header value, the target of rel="next" (borrowed span). */
static int link_find_next(const char *v, const char **start, size_t *len)
{
	while (v && *v) {
		const char *lt = strchr(v, '<'), *gt, *end;
		if (!lt || !(gt = strchr(lt, '>')))
			return 0;
		end = strchr(gt, ',');
		/* parameters between '>' and the next ',' (URLs may hold commas,
		 * but never after '>') */
		for (const char *p = gt + 1; p && *p && (!end || p < end); p = strchr(p + 1, ';')) {
			const char *q = p;
			while (*q == ';' || *q == ' ' || *q == '\t')
				q++;
			if (!strncasecmp(q, "rel=", 4)) {
				q += 4;
				int quoted = *q == '"';
				q += quoted;
				/* rel may list several space separated types */
				while (*q && *q != '"' && *q != ';' && *q != ',') {
					size_t w = strcspn(q, " \";,");
					if (w == 4 && !strncasecmp(q, "next", 4)) {
						*start = lt + 1;
						*len = (size_t)(gt - lt - 1);
						return 1;
					}
					q += w;
					while (*q == ' ')
						q++;
					if (!quoted)
						break;
				}
			}
		}
		v = end ? end + 1 : NULL;
	}
	return 0;
}

char *http_link_next(const struct lm_http_response *r)
{
	for (size_t i = 0; r && i < r->nheaders; i++) {
		const char *s;
		size_t n;
		if (strcasecmp(r->headers[i].name, "Link") ||
		    !link_find_next(r->headers[i].value, &s, &n))
			continue;
		char *ref = lm_xstrndup(s, n);
		char *abs = r->url ? http_resolve_url(r->url, ref) : NULL;
		if (abs) {
			free(ref);
			return abs;
		}
		return ref;
	}
	return NULL;
}
