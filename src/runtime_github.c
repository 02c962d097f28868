/* runtime_github: llama.cpp's releases on the GitHub API (see runtime.h):
 * the client (token for the API host only), paging through releases,
 * nightly tags and the asset for this platform. */
#include "localmodel/runtime.h"
#include "runtime_internal.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RT_MAX_PAGES 20

/* ---- GitHub client -------------------------------------------------- */

struct rt_client {
	struct lm_http *api; /* Accept/version headers, token for the API host */
	struct lm_http *dl;  /* downloads: no token, no API headers */
	char *base;          /* API base URL without trailing '/' */
	int has_token;
};

static const char *const api_headers[] = {
	"Accept: application/vnd.github+json",
	"X-GitHub-Api-Version: 2022-11-28",
	NULL,
};

/* "host[:port]" of a URL. */
static char *url_host(const char *url)
{
	const char *s = strstr(url, "://");
	s = s ? s + 3 : url;
	const char *at = s + strcspn(s, "/?#");
	const char *user = memchr(s, '@', (size_t)(at - s));
	if (user)
		s = user + 1;
	return lm_xstrndup(s, (size_t)(at - s));
}

int rt_client_new(struct rt_client **out, const char *api, const char *token,
		  struct lm_err *err)
{
	struct rt_client *c = lm_xcalloc(1, sizeof(*c));
	struct lm_http_opts ao = { 0 }, dopts = { 0 };
	char *host;
	int rc;

	c->base = lm_xstrdup(api && *api ? api : RT_DEFAULT_API);
	while (lm_ends_with(c->base, "/"))
		c->base[strlen(c->base) - 1] = '\0';
	host = url_host(c->base);
	c->has_token = token && *token;
	ao.token = c->has_token ? token : NULL;
	ao.token_host = host;
	ao.extra_headers = api_headers;
	rc = http_new(&c->api, &ao, err);
	if (!rc)
		rc = http_new(&c->dl, &dopts, err);
	free(host);
	if (rc) {
		rt_client_free(c);
		return rc;
	}
	*out = c;
	return LM_OK;
}

void rt_client_free(struct rt_client *c)
{
	if (!c)
		return;
	http_free(c->api);
	http_free(c->dl);
	free(c->base);
	free(c);
}

void rt_release_release(struct rt_release *r)
{
	if (r) {
		free(r->url);
		r->url = NULL;
	}
}

/* Turn a non-200 API answer into an error: rate limits with their reset
 * time, bad credentials, not found. */
static int api_error(const struct rt_client *c, const struct lm_http_response *r,
		     const char *what, struct lm_err *err)
{
	const char *rem = http_header(r, "X-RateLimit-Remaining");
	const char *reset = http_header(r, "X-RateLimit-Reset");
	const char *retry = http_header(r, "Retry-After");
	cJSON *doc = r->body ? cJSON_Parse(r->body) : NULL;
	cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "message");
	char msg[160] = "";
	int rc;

	if (cJSON_IsString(m))
		snprintf(msg, sizeof(msg), ": %s", m->valuestring);
	if ((r->status == 403 || r->status == 429) && rem && !strcmp(rem, "0")) {
		long t = 0;
		char when[32] = "an unknown time";
		if (reset && lm_parse_long(reset, 0, 1L << 40, &t) == 0) {
			lm_time_iso((time_t)t, when, sizeof(when));
			long mins = (long)((t - (long)time(NULL) + 59) / 60);
			if (mins > 0)
				snprintf(when + strlen(when), sizeof(when) - strlen(when), " (in %ld min)",
					 mins);
		}
		rc = lm_err_set(err, LM_ENET, "GitHub API rate limit reached; it resets at %s%s",
				when, c->has_token ? "" : "; set GITHUB_TOKEN for a higher limit");
	} else if ((r->status == 403 || r->status == 429) && retry) {
		rc = lm_err_set(err, LM_ENET,
				"GitHub API secondary rate limit reached; retry in %s seconds", retry);
	} else if (r->status == 401) {
		rc = lm_err_set(err, LM_ENET, "GitHub API refused the token (401%s); check GITHUB_TOKEN",
				msg);
	} else if (r->status == 404) {
		rc = lm_err_set(err, LM_ENOTFOUND, "%s not found on %s", what, c->base);
	} else {
		rc = lm_err_set(err, LM_ENET, "GitHub API answered %ld for %s%s", r->status, what, msg);
	}
	cJSON_Delete(doc);
	return rc;
}

/* GET an API URL and parse its JSON body. */
static int api_get(struct rt_client *c, const char *url, const char *what,
		   struct lm_http_response *resp, cJSON **out, struct lm_err *err)
{
	int rc;

	memset(resp, 0, sizeof(*resp));
	*out = NULL;
	if ((rc = http_get(c->api, url, 0, resp, err)))
		return err ? lm_err_prefix(err, "cannot reach the GitHub API") : rc;
	if (resp->status != 200)
		return api_error(c, resp, what, err);
	if (!(*out = cJSON_Parse(resp->body ? resp->body : "")))
		return lm_err_set(err, LM_ENET, "the GitHub API sent invalid JSON for %s", what);
	return LM_OK;
}

const char *rt_jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jtrue(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const cJSON *find_asset(const cJSON *rel, const char *pattern)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(rel, "assets")) {
		const char *name = rt_jstr(a, "name");
		if (name && fnmatch(pattern, name, 0) == 0)
			return a;
	}
	return NULL;
}

/* Fill out from a release and its matching asset. */
static int take_asset(const cJSON *rel, const cJSON *a, struct rt_release *out,
		      struct lm_err *err)
{
	const char *tag = rt_jstr(rel, "tag_name"), *url = rt_jstr(a, "browser_download_url");
	const char *digest = rt_jstr(a, "digest");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(a, "size");

	if (!url)
		return lm_err_set(err, LM_ENET, "asset '%s' has no download URL", rt_jstr(a, "name"));
	lm_strlcpy(out->tag, tag, sizeof(out->tag));
	out->build = rt_tag_build(tag);
	lm_strlcpy(out->asset, rt_jstr(a, "name"), sizeof(out->asset));
	free(out->url);
	out->url = lm_xstrdup(url);
	/* a number out of range would be undefined behaviour to convert */
	out->size = cJSON_IsNumber(size) && size->valuedouble > 0 && size->valuedouble < 1.8e19
			    ? (uint64_t)size->valuedouble : 0;
	out->sha256[0] = '\0';
	if (digest && lm_starts_with(digest, "sha256:") && strlen(digest) == 7 + 64) {
		for (int i = 0; i < 64; i++)
			out->sha256[i] = (char)tolower((unsigned char)digest[7 + i]);
		out->sha256[64] = '\0';
		if (strspn(out->sha256, "0123456789abcdef") != 64)
			out->sha256[0] = '\0';
	}
	return LM_OK;
}

static int fetch_tag(struct rt_client *c, const char *tag, cJSON **out, struct lm_err *err);

/* The b<N> tag that a full release's nightly-tag.txt names. */
static int read_nightly(struct rt_client *c, const cJSON *asset, char tag[64], struct lm_err *err)
{
	struct lm_http_response r = { 0 };
	const char *url = rt_jstr(asset, "browser_download_url");
	int rc;

	if (!url)
		return lm_err_set(err, LM_ENET, "nightly-tag.txt has no download URL");
	if ((rc = http_get(c->dl, url, 0, &r, err)))
		return rc;
	if (r.status != 200) {
		rc = lm_err_set(err, LM_ENET, "cannot download nightly-tag.txt: HTTP %ld", r.status);
	} else {
		size_t n = r.body ? strspn(r.body, "b0123456789") : 0;
		snprintf(tag, 64, "%.*s", (int)(n < 63 ? n : 63), r.body ? r.body : "");
		if (rt_tag_build(tag) < 0)
			rc = lm_err_set(err, LM_ENET, "nightly-tag.txt does not name a build");
	}
	http_response_release(&r);
	return rc;
}

/* 1 when rel (or, for a full release with only nightly-tag.txt, the build
 * it names) has the asset; 0 when not; <0 on error (rc in err). */
static int consider(struct rt_client *c, const cJSON *rel, const struct rt_platform *p,
		    const char *backend, int depth, struct rt_release *out, struct lm_err *err)
{
	const char *tag = rt_jstr(rel, "tag_name");
	const cJSON *a, *nightly;
	char pattern[256], ntag[64];
	cJSON *next = NULL;
	int rc;

	if (!tag || jtrue(rel, "draft"))
		return 0;
	if (rt_asset_pattern(p, backend, tag, pattern, sizeof(pattern), err))
		return -1;
	if ((a = find_asset(rel, pattern)))
		return take_asset(rel, a, out, err) ? -1 : 1;
	if (depth > 0 || !(nightly = find_asset(rel, "nightly-tag.txt")))
		return 0;
	if (read_nightly(c, nightly, ntag, err) || fetch_tag(c, ntag, &next, err))
		return -1;
	rc = consider(c, next, p, backend, depth + 1, out, err);
	if (rc == 1)
		lm_strlcpy(out->via, tag, sizeof(out->via));
	cJSON_Delete(next);
	return rc;
}

static int fetch_tag(struct rt_client *c, const char *tag, cJSON **out, struct lm_err *err)
{
	struct lm_http_response r;
	char *url = lm_asprintf("%s/repos/%s/releases/tags/%s", c->base, RT_REPO, tag);
	char *what = lm_asprintf("release '%s'", tag);
	int rc = api_get(c, url, what, &r, out, err);

	http_response_release(&r);
	free(url);
	free(what);
	return rc;
}

/* Walk /releases newest first, following the Link header. */
static int find_newest(struct rt_client *c, const struct rt_platform *p, const char *backend,
		       struct rt_release *out, struct lm_err *err)
{
	char *url = lm_asprintf("%s/repos/%s/releases?per_page=100", c->base, RT_REPO);
	char pattern[256];
	int rc = LM_OK, found = 0;

	for (int page = 0; url && page < RT_MAX_PAGES && !found && !rc; page++) {
		struct lm_http_response r;
		cJSON *list = NULL, *rel;
		rc = api_get(c, url, "the release list", &r, &list, err);
		free(url);
		url = NULL;
		if (!rc) {
			cJSON_ArrayForEach(rel, list) {
				int k = consider(c, rel, p, backend, 0, out, err);
				if (k != 0) {
					found = k > 0;
					rc = k < 0 ? (err ? err->code : LM_EFAIL) : LM_OK;
					break;
				}
			}
			url = http_link_next(&r);
		}
		cJSON_Delete(list);
		http_response_release(&r);
	}
	free(url);
	if (rc || found)
		return rc;
	rt_asset_pattern(p, backend, "<tag>", pattern, sizeof(pattern), NULL);
	return lm_err_set(err, LM_ENOTFOUND, "no release of %s has an asset '%s'", RT_REPO, pattern);
}

int rt_find(struct rt_client *c, const struct rt_platform *p, const char *backend,
	    const char *tag, struct rt_release *out, struct lm_err *err)
{
	cJSON *rel = NULL;
	char pattern[256];
	int rc, k;

	memset(out, 0, sizeof(*out));
	if (!tag)
		return find_newest(c, p, backend, out, err);
	if ((rc = fetch_tag(c, tag, &rel, err)))
		return rc;
	k = consider(c, rel, p, backend, 0, out, err);
	cJSON_Delete(rel);
	if (k < 0)
		return err ? err->code : LM_EFAIL;
	if (k == 0) {
		rt_asset_pattern(p, backend, tag, pattern, sizeof(pattern), NULL);
		return lm_err_set(err, LM_ENOTFOUND, "release '%s' has no asset '%s'", tag, pattern);
	}
	return LM_OK;
}

int rt_client_download(struct rt_client *c, struct lm_download *d, char sha256[65],
		       struct lm_err *err)
{
	return http_download(c->dl, d, sha256, err);
}
