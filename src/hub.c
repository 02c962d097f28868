/* hub: the Hugging Face Hub API over http.c (search, model info, tree,
 * resolve) and the mapping of its errors to exit codes. */
#include "localmodel/hub.h"
#include "localmodel/http.h"

#include <cJSON.h>
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HUB_DEFAULT_ENDPOINT "https://huggingface.co"
#define HUB_MAX_PAGES 1000

char *hub_endpoint(void)
{
	const char *e = getenv("HF_ENDPOINT");
	char *s = lm_xstrdup(e && *e ? e : HUB_DEFAULT_ENDPOINT);
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

/* A token file's first line, trimmed, or NULL. */
static char *token_from_file(const char *path)
{
	char *data = NULL;
	size_t len;
	struct lm_err err;

	if (lm_read_file(path, 4096, &data, &len, &err))
		return NULL;
	char *s = data;
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strcspn(s, "\r\n");
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	char *tok = n ? lm_xstrndup(s, n) : NULL;
	free(data);
	return tok;
}

char *hub_token(void)
{
	const char *vars[] = { "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN" };
	const char *p, *home;
	char *path, *tok;

	for (size_t i = 0; i < 2; i++)
		if ((p = getenv(vars[i])) && *p)
			return lm_xstrdup(p);
	if ((p = getenv("HF_TOKEN_PATH")) && *p)
		return token_from_file(p);
	if ((p = getenv("HF_HOME")) && *p)
		path = lm_asprintf("%s/token", p);
	else if ((p = getenv("XDG_CACHE_HOME")) && *p == '/')
		path = lm_asprintf("%s/huggingface/token", p);
	else if ((home = getenv("HOME")) && *home)
		path = lm_asprintf("%s/.cache/huggingface/token", home);
	else
		return NULL;
	tok = token_from_file(path);
	free(path);
	return tok;
}

/* "host[:port]" of a URL (caller frees). */
static char *url_host(const char *url)
{
	const char *s = strstr(url, "://");
	s = s ? s + 3 : url;
	const char *at = NULL;
	size_t n = strcspn(s, "/?#");
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	if (at) {
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	return lm_xstrndup(s, n);
}

/* hub_open with a cancel flag for every request (or NULL). */
static int hub_open_cancel(struct lm_hub **out, volatile sig_atomic_t *cancel, struct lm_err *err)
{
	struct lm_hub *hub = lm_xcalloc(1, sizeof(*hub));
	struct lm_http_opts o;
	int rc;

	hub->endpoint = hub_endpoint();
	hub->host = url_host(hub->endpoint);
	hub->token = hub_token();
	memset(&o, 0, sizeof(o));
	o.token = hub->token;
	o.token_host = hub->host;
	o.cancel = cancel;
	if ((rc = http_new(&hub->http, &o, err))) {
		hub_free(hub);
		*out = NULL;
		return rc;
	}
	*out = hub;
	return LM_OK;
}

int hub_open(struct lm_hub **out, struct lm_err *err)
{
	return hub_open_cancel(out, NULL, err);
}

void hub_free(struct lm_hub *hub)
{
	if (!hub)
		return;
	http_free(hub->http);
	free(hub->endpoint);
	free(hub->host);
	if (hub->token) {
		memset(hub->token, 0, strlen(hub->token));
		free(hub->token);
	}
	free(hub);
}

int hub_repo_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/') || strstr(s, ".."))
		return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/-_.", *p))
			return 0;
	return s[0] != '.' && s[0] != '-';
}

/* Percent-encode everything but unreserved characters (caller frees). */
static char *url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = lm_xmalloc(strlen(s) * 3 + 1), *p = o;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-_.~", c)) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return o;
}

/* ---- JSON ------------------------------------------------------------ */

static char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? lm_xstrdup(v->valuestring) : NULL;
}

static int64_t json_int(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9.0e18)
		return 0;
	return (int64_t)v->valuedouble;
}

void hub_repo_release(struct hub_repo *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->last_modified);
	free(r->sha);
	free(r->arch);
	free(r->gated);
	memset(r, 0, sizeof(*r));
}

void hub_repo_list_free(struct hub_repo *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hub_repo_release(&list[i]);
	free(list);
}

/* Fill r from one model object; -1 when it has no id. */
static int repo_from_json(const cJSON *o, struct hub_repo *r)
{
	const cJSON *gguf, *st, *gated;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(o))
		return -1;
	r->id = json_str(o, "id");
	if (!r->id)
		r->id = json_str(o, "modelId");
	if (!r->id || !hub_repo_valid(r->id)) {
		hub_repo_release(r);
		return -1;
	}
	r->last_modified = json_str(o, "lastModified");
	r->sha = json_str(o, "sha");
	r->downloads = json_int(o, "downloads");
	r->likes = json_int(o, "likes");
	gated = cJSON_GetObjectItemCaseSensitive(o, "gated");
	if (cJSON_IsString(gated) && gated->valuestring)
		r->gated = lm_xstrdup(gated->valuestring);
	else if (cJSON_IsTrue(gated))
		r->gated = lm_xstrdup("true");
	gguf = cJSON_GetObjectItemCaseSensitive(o, "gguf");
	if (cJSON_IsObject(gguf)) {
		r->arch = json_str(gguf, "architecture");
		r->params = json_int(gguf, "total");
		r->ctx = json_int(gguf, "context_length");
	}
	st = cJSON_GetObjectItemCaseSensitive(o, "safetensors");
	if (!r->params && cJSON_IsObject(st))
		r->params = json_int(st, "total");
	return 0;
}

int hub_parse_search(const char *json, size_t len, struct hub_repo **out, size_t *n,
		     struct lm_err *err)
{
	cJSON *doc = cJSON_ParseWithLength(json, len), *it;
	struct hub_repo *v = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		return lm_err_set(err, LM_ENET, "the Hub sent a malformed model list");
	}
	cJSON_ArrayForEach(it, doc) {
		struct hub_repo r;
		if (repo_from_json(it, &r))
			continue;
		v = lm_xrealloc(v, (k + 1) * sizeof(*v));
		v[k++] = r;
	}
	cJSON_Delete(doc);
	*out = v;
	*n = k;
	return LM_OK;
}

int hub_parse_model(const char *json, size_t len, struct hub_repo *out, struct lm_err *err)
{
	cJSON *doc = cJSON_ParseWithLength(json, len);
	int bad = repo_from_json(doc, out);

	cJSON_Delete(doc);
	if (bad)
		return lm_err_set(err, LM_ENET, "the Hub sent malformed model information");
	return LM_OK;
}

static int is_hex(const char *s, size_t want)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return 0;
	return n == want;
}

/* A path in a repo we are willing to write below our models directory. */
static int safe_repo_path(const char *p)
{
	if (!*p || p[0] == '/' || strlen(p) > 1024)
		return 0;
	for (const char *s = p;;) {
		size_t n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0; /* also "a//b" and a trailing '/' */
		if (!s[n])
			break;
		s += n + 1;
	}
	for (const char *s = p; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '\\')
			return 0;
	return 1;
}

int hub_parse_tree(const char *json, size_t len, struct hub_file **out, size_t *n,
		   struct lm_err *err)
{
	cJSON *doc = cJSON_ParseWithLength(json, len), *it;

	if (!cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		return lm_err_set(err, LM_ENET, "the Hub sent a malformed file list");
	}
	cJSON_ArrayForEach(it, doc) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "path");
		const cJSON *size = cJSON_GetObjectItemCaseSensitive(it, "size");
		const cJSON *lfs = cJSON_GetObjectItemCaseSensitive(it, "lfs");
		if (!cJSON_IsString(type) || strcmp(type->valuestring, "file"))
			continue;
		if (!cJSON_IsString(path) || !safe_repo_path(path->valuestring))
			continue;
		if (!cJSON_IsNumber(size) || size->valuedouble < 0 || size->valuedouble > 1e15)
			continue;
		struct hub_file f = { 0 };
		f.path = lm_xstrdup(path->valuestring);
		f.size = (uint64_t)size->valuedouble;
		f.oid = json_str(it, "oid");
		if (cJSON_IsObject(lfs)) {
			char *oid = json_str(lfs, "oid");
			if (oid && is_hex(oid, 64)) {
				for (char *c = oid; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				f.sha256 = oid;
			} else {
				free(oid);
			}
		}
		*out = lm_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = f;
	}
	cJSON_Delete(doc);
	return LM_OK;
}

/* One file of a model's siblings (model info with blobs=true) into f; -1
 * when it is not a usable file entry or lacks its size. */
static int sibling_file(const cJSON *it, struct hub_file *f)
{
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "rfilename");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(it, "size");
	const cJSON *lfs = cJSON_GetObjectItemCaseSensitive(it, "lfs");

	memset(f, 0, sizeof(*f));
	if (!cJSON_IsString(path) || !cJSON_IsNumber(size) || size->valuedouble < 0 ||
	    size->valuedouble > 1e15)
		return -1;
	f->path = lm_xstrdup(path->valuestring);
	f->size = (uint64_t)size->valuedouble;
	f->oid = json_str(it, "blobId");
	if (cJSON_IsObject(lfs)) {
		/* here the hash is "sha256"; the tree API calls it "oid" */
		char *sha = json_str(lfs, "sha256");
		if (sha && is_hex(sha, 64)) {
			for (char *c = sha; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			f->sha256 = sha;
		} else {
			free(sha);
		}
	}
	return 0;
}

int hub_parse_model_files(const char *json, size_t len, struct hub_repo *info,
			  struct hub_file **out, size_t *n, struct lm_err *err)
{
	cJSON *doc = cJSON_ParseWithLength(json, len), *it;
	const cJSON *sib;
	int complete = 1;

	*out = NULL;
	*n = 0;
	if (repo_from_json(doc, info)) {
		cJSON_Delete(doc);
		return lm_err_set(err, LM_ENET, "the Hub sent malformed model information");
	}
	sib = cJSON_GetObjectItemCaseSensitive(doc, "siblings");
	if (!cJSON_IsArray(sib))
		complete = 0;
	cJSON_ArrayForEach(it, sib) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "rfilename");
		struct hub_file f;
		if (cJSON_IsString(path) && !safe_repo_path(path->valuestring))
			continue; /* never written anywhere: as the tree parser does */
		if (sibling_file(it, &f)) {
			complete = 0;
			break;
		}
		*out = lm_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = f;
	}
	cJSON_Delete(doc);
	if (!complete) {
		hub_file_list_free(*out, *n);
		*out = NULL;
		*n = 0;
		return 1;
	}
	return LM_OK;
}

/* ---- errors ------------------------------------------------------------ */

/* Seconds until the rate limit resets, from Retry-After or RateLimit t=. */
static long retry_seconds(const struct lm_http_response *r)
{
	const char *ra = http_header(r, "Retry-After");
	const char *rl = http_header(r, "RateLimit");
	long v;

	if (ra && lm_parse_long(ra, 0, 86400 * 7, &v) == 0)
		return v;
	if (rl) {
		const char *t = strstr(rl, ";t=");
		if (t)
			return strtol(t + 3, NULL, 10);
	}
	return -1;
}

/* A short, printable copy of the Hub's X-Error-Message, or "". */
static void error_message(const struct lm_http_response *r, char *buf, size_t size)
{
	const char *m = http_header(r, "X-Error-Message");
	size_t k = 0;

	buf[0] = '\0';
	if (!m)
		return;
	for (; *m && k + 1 < size && k < 200; m++)
		if ((unsigned char)*m >= 0x20 && *m != 0x7f)
			buf[k++] = *m;
	buf[k] = '\0';
}

int hub_check_status(const struct lm_hub *hub, const struct lm_http_response *r,
		     const char *repo, const char *what, struct lm_err *err)
{
	const char *code = http_header(r, "X-Error-Code");
	long st = r->status;
	char msg[256];

	if (st >= 200 && st < 400)
		return LM_OK;
	error_message(r, msg, sizeof(msg));
	if (code && !strcmp(code, "GatedRepo"))
		return lm_err_set(err, LM_ENET, "repo '%s' is gated%s request access on %s/%s",
				  repo, hub->token ? " and the token in use has no access yet:"
						   : ": set HF_TOKEN to a Hugging Face token and",
				  hub->endpoint, repo);
	if (st == 429) {
		long s = retry_seconds(r);
		if (s < 0)
			return lm_err_set(err, LM_ENET,
					  "rate limited by the Hub; retry in a few minutes");
		char when[32];
		lm_time_iso(lm_now() + s, when, sizeof(when));
		return lm_err_set(err, LM_ENET, "rate limited by the Hub; retry in %ld s (after %s)",
				  s, when);
	}
	if (st == 401 && hub->token && strstr(msg, "Invalid credentials"))
		return lm_err_set(err, LM_ENET, "the Hub refused the token: invalid credentials");
	if ((code && !strcmp(code, "RepoNotFound")) || st == 401)
		return lm_err_set(err, LM_ENOTFOUND, "repo '%s' not found on %s%s", repo,
				  hub->endpoint,
				  hub->token ? "" : " (private and gated repos also look missing "
						    "without a token: set HF_TOKEN)");
	if (code && !strcmp(code, "RevisionNotFound"))
		return lm_err_set(err, LM_ENOTFOUND, "revision not found in repo '%s'", repo);
	if (st == 404)
		return lm_err_set(err, LM_ENOTFOUND, "%s not found", what);
	if (st == 403)
		return lm_err_set(err, LM_ENET, "the Hub refused access to %s: %s", what,
				  msg[0] ? msg : "403 Forbidden");
	if (st >= 500)
		return lm_err_set(err, LM_ENET, "the Hub failed on %s (HTTP %ld)", what, st);
	return lm_err_set(err, LM_ENET, "unexpected answer from the Hub for %s: HTTP %ld%s%s",
			  what, st, msg[0] ? ": " : "", msg);
}

/* GET a JSON URL; non-success statuses mapped through hub_check_status. */
static int get_json(struct lm_hub *hub, const char *url, const char *repo, const char *what,
		    struct lm_http_response *resp, struct lm_err *err)
{
	int rc;

	memset(resp, 0, sizeof(*resp));
	if ((rc = http_get(hub->http, url, 0, resp, err)))
		return rc;
	if ((rc = hub_check_status(hub, resp, repo, what, err))) {
		http_response_release(resp);
		return rc;
	}
	return LM_OK;
}

/* ---- API calls ----------------------------------------------------------- */

int hub_search(struct lm_hub *hub, const char *query, const char *sort, int limit,
	       struct hub_repo **out, size_t *n, struct lm_err *err)
{
	const char *key = "downloads";
	char *q = url_escape(query ? query : ""), *url;
	int rc = LM_OK, pages = 0;

	*out = NULL;
	*n = 0;
	if (sort && !strcmp(sort, "likes"))
		key = "likes";
	else if (sort && !strcmp(sort, "updated"))
		key = "lastModified";
	url = lm_asprintf("%s/api/models?search=%s&filter=gguf&sort=%s&direction=-1&limit=%d"
			  "&expand=downloads&expand=likes&expand=lastModified&expand=gguf"
			  "&expand=gated&expand=safetensors",
			  hub->endpoint, q, key, limit);
	free(q);
	while (url && (int)*n < limit && pages++ < HUB_MAX_PAGES) {
		struct lm_http_response resp;
		struct hub_repo *page;
		size_t np;
		if ((rc = get_json(hub, url, query, "the model search", &resp, err)))
			break;
		rc = hub_parse_search(resp.body, resp.body_len, &page, &np, err);
		if (!rc) {
			for (size_t i = 0; i < np; i++) {
				if ((int)*n >= limit) {
					hub_repo_release(&page[i]);
					continue;
				}
				*out = lm_xrealloc(*out, (*n + 1) * sizeof(**out));
				(*out)[(*n)++] = page[i];
			}
			free(page);
		}
		char *next = rc ? NULL : http_link_next(&resp);
		free(url);
		url = next ? http_resolve_url(resp.url ? resp.url : hub->endpoint, next) : NULL;
		free(next);
		http_response_release(&resp);
		if (rc)
			break;
	}
	free(url);
	if (rc) {
		hub_repo_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int hub_model_info(struct lm_hub *hub, const char *repo, struct hub_repo *out,
		   struct lm_err *err)
{
	struct lm_http_response resp;
	char *url, what[320];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!hub_repo_valid(repo))
		return lm_err_set(err, LM_EUSAGE, "'%s' is not a repo name (want ORG/REPO)", repo);
	snprintf(what, sizeof(what), "repo '%s'", repo);
	url = lm_asprintf("%s/api/models/%s?expand=sha&expand=gguf&expand=gated"
			  "&expand=lastModified&expand=downloads&expand=likes",
			  hub->endpoint, repo);
	rc = get_json(hub, url, repo, what, &resp, err);
	free(url);
	if (rc)
		return rc;
	rc = hub_parse_model(resp.body, resp.body_len, out, err);
	http_response_release(&resp);
	return rc;
}

int hub_model_files(struct lm_hub *hub, const char *repo, struct hub_repo *info,
		    struct hub_file **out, size_t *n, struct lm_err *err)
{
	struct lm_http_response resp;
	char *url, what[320];
	int rc;

	memset(info, 0, sizeof(*info));
	*out = NULL;
	*n = 0;
	if (!hub_repo_valid(repo))
		return lm_err_set(err, LM_EUSAGE, "'%s' is not a repo name (want ORG/REPO)", repo);
	snprintf(what, sizeof(what), "repo '%s'", repo);
	/* blobs=true: every file with its size and LFS sha256, in the same
	 * answer as the commit (the API allows no expand= beside it) */
	url = lm_asprintf("%s/api/models/%s?blobs=true", hub->endpoint, repo);
	rc = get_json(hub, url, repo, what, &resp, err);
	free(url);
	if (rc)
		return rc;
	rc = hub_parse_model_files(resp.body, resp.body_len, info, out, n, err);
	http_response_release(&resp);
	if (rc != 1)
		return rc;
	/* no usable file list there: the tree of the commit, page by page */
	return hub_tree_list(hub, repo, info->sha && *info->sha ? info->sha : "main", out, n, err);
}

int hub_tree_list(struct lm_hub *hub, const char *repo, const char *revision,
		  struct hub_file **out, size_t *n, struct lm_err *err)
{
	char *rev = url_escape(revision && *revision ? revision : "main"), *url, *prev = NULL;
	char what[320];
	int rc = LM_OK, pages = 0;

	*out = NULL;
	*n = 0;
	if (!hub_repo_valid(repo)) {
		free(rev);
		return lm_err_set(err, LM_EUSAGE, "'%s' is not a repo name (want ORG/REPO)", repo);
	}
	snprintf(what, sizeof(what), "repo '%s'", repo);
	url = lm_asprintf("%s/api/models/%s/tree/%s?recursive=true&expand=false", hub->endpoint,
			  repo, rev);
	free(rev);
	while (url) {
		struct lm_http_response resp;
		if (++pages > HUB_MAX_PAGES || (prev && !strcmp(prev, url))) {
			rc = lm_err_set(err, LM_ENET, "the Hub's file list of '%s' does not end", repo);
			break;
		}
		if ((rc = get_json(hub, url, repo, what, &resp, err)))
			break;
		rc = hub_parse_tree(resp.body, resp.body_len, out, n, err);
		char *next = rc ? NULL : http_link_next(&resp);
		free(prev);
		prev = url;
		url = next ? http_resolve_url(resp.url ? resp.url : prev, next) : NULL;
		free(next);
		http_response_release(&resp);
		if (rc)
			break;
	}
	free(url);
	free(prev);
	if (rc) {
		hub_file_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void hub_resolved_release(struct hub_resolved *r)
{
	free(r->commit);
	free(r->etag);
	free(r->location);
	memset(r, 0, sizeof(*r));
}

char *hub_file_url(const struct lm_hub *hub, const char *repo, const char *revision,
		   const char *path)
{
	char *rev = url_escape(revision && *revision ? revision : "main");
	char *url = lm_asprintf("%s/%s/resolve/%s/%s", hub->endpoint, repo, rev, path);
	free(rev);
	return url;
}

static char *unquote_etag(const char *e)
{
	if (!strncmp(e, "W/", 2))
		e += 2;
	size_t n = strlen(e);
	if (n >= 2 && e[0] == '"' && e[n - 1] == '"')
		return lm_xstrndup(e + 1, n - 2);
	return lm_xstrdup(e);
}

int hub_resolve(struct lm_hub *hub, const char *repo, const char *revision, const char *path,
		struct hub_resolved *out, struct lm_err *err)
{
	char *url = hub_file_url(hub, repo, revision, path);
	char what[1200];
	int rc = LM_OK;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "file '%s' in '%s'", path, repo);
	for (int hop = 0; hop < 5; hop++) {
		struct lm_http_response resp;
		memset(&resp, 0, sizeof(resp));
		if ((rc = http_get(hub->http, url, HTTP_HEAD | HTTP_NO_REDIRECT, &resp, err)))
			break;
		if ((rc = hub_check_status(hub, &resp, repo, what, err))) {
			http_response_release(&resp);
			break;
		}
		const char *c = http_header(&resp, "X-Repo-Commit");
		const char *e = http_header(&resp, "X-Linked-Etag");
		const char *s = http_header(&resp, "X-Linked-Size");
		const char *loc = http_header(&resp, "Location");
		if (c && !out->commit)
			out->commit = lm_xstrdup(c);
		if (!e && (resp.status < 300 || resp.status >= 400))
			e = http_header(&resp, "ETag");
		if (e && !out->etag)
			out->etag = unquote_etag(e);
		if (!s && (resp.status < 300 || resp.status >= 400))
			s = http_header(&resp, "Content-Length");
		if (s && !out->size)
			out->size = strtoull(s, NULL, 10);
		/* follow only relative redirects (same host): small files, renames */
		int redirect = resp.status >= 300 && resp.status < 400 && loc;
		int again = redirect && loc[0] == '/' && loc[1] != '/' && !out->size;
		if (again) {
			char *next = http_resolve_url(url, loc);
			free(url);
			url = next;
		} else if (!out->location) {
			/* where the file's bytes are: the CDN, or here */
			out->location = redirect ? http_resolve_url(url, loc) : lm_xstrdup(url);
		}
		http_response_release(&resp);
		if (!again)
			break;
	}
	free(url);
	if (rc)
		hub_resolved_release(out);
	return rc;
}

/* ---- resolving ahead ---------------------------------------------------- */

struct hub_prefetch {
	struct lm_hub *hub;      /* its own: a curl handle serves one thread */
	char *repo, *revision;
	char **paths;
	size_t n;
	struct hub_resolved *res;
	int *rc;
	struct lm_err *errs;
	size_t done;             /* resolved so far, under mu */
	volatile sig_atomic_t stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid;
	int running;
};

static void *prefetch_main(void *arg)
{
	struct hub_prefetch *p = arg;

	for (size_t i = 0; i < p->n; i++) {
		if (p->stop)
			p->rc[i] = lm_err_set(&p->errs[i], LM_EFAIL, "interrupted");
		else
			p->rc[i] = hub_resolve(p->hub, p->repo, p->revision, p->paths[i], &p->res[i],
					       &p->errs[i]);
		pthread_mutex_lock(&p->mu);
		p->done = i + 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

int hub_prefetch_start(struct hub_prefetch **out, const char *repo, const char *revision,
		       const char *const *paths, size_t n, struct lm_err *err)
{
	struct hub_prefetch *p = lm_xcalloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if ((rc = hub_open_cancel(&p->hub, &p->stop, err))) {
		free(p);
		return rc;
	}
	p->repo = lm_xstrdup(repo);
	p->revision = lm_xstrdup(revision && *revision ? revision : "main");
	p->n = n;
	p->paths = lm_xcalloc(n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		p->paths[i] = lm_xstrdup(paths[i]);
	p->res = lm_xcalloc(n ? n : 1, sizeof(*p->res));
	p->rc = lm_xcalloc(n ? n : 1, sizeof(int));
	p->errs = lm_xcalloc(n ? n : 1, sizeof(*p->errs));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	{
		/* signals stay with the downloading thread (its waits must see them) */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		p->running = pthread_create(&p->tid, NULL, prefetch_main, p) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (!p->running)
		prefetch_main(p); /* no thread: resolve them now */
	*out = p;
	return LM_OK;
}

int hub_prefetch_get(struct hub_prefetch *p, size_t i, struct hub_resolved *out,
		     struct lm_err *err)
{
	memset(out, 0, sizeof(*out));
	if (i >= p->n)
		return lm_err_set(err, LM_EFAIL, "no such file to resolve");
	pthread_mutex_lock(&p->mu);
	while (p->done <= i)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	*out = p->res[i];
	memset(&p->res[i], 0, sizeof(p->res[i]));
	if (p->rc[i] && err)
		*err = p->errs[i];
	return p->rc[i];
}

void hub_prefetch_free(struct hub_prefetch *p)
{
	if (!p)
		return;
	p->stop = 1;
	if (p->running)
		pthread_join(p->tid, NULL);
	for (size_t i = 0; i < p->n; i++) {
		hub_resolved_release(&p->res[i]);
		free(p->paths[i]);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	hub_free(p->hub);
	free(p->paths);
	free(p->res);
	free(p->rc);
	free(p->errs);
	free(p->repo);
	free(p->revision);
	free(p);
}
