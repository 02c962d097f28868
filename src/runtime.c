/* runtime: llama.cpp releases, installation and the runtime/ layout. */
#include "localmodel/runtime.h"
#include "localmodel/os.h"
#include "localmodel/archive.h"
#include "localmodel/hw.h"
#include "localmodel/paths.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <dirent.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define RT_MAX_PAGES 20
#define RT_INFO_FILE ".localmodel.json"
#define RT_VERSION_TIMEOUT_MS 10000

/* ---- platform and assets -------------------------------------------- */

static void norm_arch(const char *in, char *out, size_t size)
{
	if (!strcmp(in, "x86_64") || !strcmp(in, "amd64") || !strcmp(in, "x64"))
		lm_strlcpy(out, "x64", size);
	else if (!strcmp(in, "aarch64") || !strcmp(in, "arm64"))
		lm_strlcpy(out, "arm64", size);
	else
		lm_strlcpy(out, in, size);
}

void rt_platform_from_hw(const struct lm_hw *hw, struct rt_platform *p)
{
	struct utsname u;

	memset(p, 0, sizeof(*p));
	if (uname(&u) == 0) {
		char os[sizeof(u.sysname)];
		size_t i;
		for (i = 0; u.sysname[i] && i + 1 < sizeof(os); i++)
			os[i] = (char)tolower((unsigned char)u.sysname[i]);
		os[i] = '\0';
		lm_strlcpy(p->os, os, sizeof(p->os));
		norm_arch(u.machine, p->arch, sizeof(p->arch));
	}
	if (!hw)
		return;
	if (hw->os[0])
		lm_strlcpy(p->os, hw->os, sizeof(p->os));
	if (hw->arch[0])
		norm_arch(hw->arch, p->arch, sizeof(p->arch));
	p->vulkan = hw->vulkan;
	p->nvidia = hw->cuda;
	p->amd = hw->rocm;
	for (int i = 0; i < hw->ngpus && i < LM_HW_MAX_GPUS; i++) {
		p->nvidia |= hw->gpus[i].vendor == LM_GPU_NVIDIA;
		p->amd |= hw->gpus[i].vendor == LM_GPU_AMD;
	}
}

static int is_windows(const struct rt_platform *p)
{
	return lm_starts_with(p->os, "windows") || lm_starts_with(p->os, "mingw") ||
	       lm_starts_with(p->os, "msys") || lm_starts_with(p->os, "cygwin");
}

int rt_choose_backend(const struct rt_platform *p, const char *requested, char backend[16],
		      char *note, size_t nsize, struct lm_err *err)
{
	int linux_ok = !strcmp(p->os, "linux") && (!strcmp(p->arch, "x64") || !strcmp(p->arch, "arm64"));
	int auto_ = !requested || !*requested || !strcmp(requested, "auto");

	if (note && nsize)
		note[0] = '\0';
	if (is_windows(p))
		return lm_err_set(err, LM_EFAIL,
				  "Windows is not supported: download llama.cpp from its releases "
				  "page and register it with 'install --from PATH'");
	if (!strcmp(p->os, "darwin")) {
		const char *b = !strcmp(p->arch, "arm64") ? "metal" : "cpu";
		if (!auto_ && strcmp(requested, b) && !(!strcmp(b, "metal") && !strcmp(requested, "cpu")))
			return lm_err_set(err, LM_EUSAGE,
					  "no '%s' build for macOS %s; use --backend %s", requested,
					  p->arch, b);
		lm_strlcpy(backend, b, 16);
		return LM_OK;
	}
	if (!linux_ok)
		return lm_err_set(err, LM_EFAIL, "no llama.cpp build is published for %s %s",
				  p->os, p->arch);
	if (!auto_) {
		if (strcmp(requested, "cpu") && strcmp(requested, "vulkan") && strcmp(requested, "rocm"))
			return lm_err_set(err, LM_EUSAGE,
					  "no '%s' build for Linux; use cpu, vulkan or rocm%s", requested,
					  !strcmp(requested, "cuda") ? " (no Linux CUDA build is published; "
								       "vulkan runs on NVIDIA GPUs)" : "");
		if (!strcmp(requested, "rocm") && strcmp(p->arch, "x64"))
			return lm_err_set(err, LM_EUSAGE, "the rocm build exists only for x64");
		lm_strlcpy(backend, requested, 16);
		return LM_OK;
	}
	if (p->nvidia || p->amd) {
		lm_strlcpy(backend, "vulkan", 16);
		if (note && p->nvidia)
			snprintf(note, nsize,
				 "NVIDIA GPU found: using the Vulkan build, since llama.cpp publishes "
				 "no CUDA build for Linux%s",
				 p->vulkan ? "" : " (install the Vulkan loader, e.g. libvulkan1)");
		else if (note)
			snprintf(note, nsize,
				 "AMD GPU found: using the Vulkan build (--backend rocm for ROCm)%s",
				 p->vulkan ? "" : " (install the Vulkan loader, e.g. libvulkan1)");
		return LM_OK;
	}
	lm_strlcpy(backend, p->vulkan ? "vulkan" : "cpu", 16);
	return LM_OK;
}

int rt_asset_pattern(const struct rt_platform *p, const char *backend, const char *tag,
		     char *buf, size_t size, struct lm_err *err)
{
	int n;

	if (!strcmp(p->os, "darwin"))
		n = snprintf(buf, size, "llama-%s-bin-macos-%s.tar.gz", tag, p->arch);
	else if (!strcmp(backend, "cpu"))
		n = snprintf(buf, size, "llama-%s-bin-ubuntu-%s.tar.gz", tag, p->arch);
	else if (!strcmp(backend, "vulkan"))
		n = snprintf(buf, size, "llama-%s-bin-ubuntu-vulkan-%s.tar.gz", tag, p->arch);
	else if (!strcmp(backend, "rocm"))
		n = snprintf(buf, size, "llama-%s-bin-ubuntu-rocm-*-%s.tar.gz", tag, p->arch);
	else
		return lm_err_set(err, LM_EUSAGE, "unknown backend '%s'", backend);
	if (n < 0 || (size_t)n >= size)
		return lm_err_set(err, LM_EUSAGE, "tag too long: '%s'", tag);
	return LM_OK;
}

long rt_tag_build(const char *tag)
{
	long v;
	if (!tag || tag[0] != 'b' || lm_parse_long(tag + 1, 0, 1000000000L, &v) < 0)
		return -1;
	return v;
}

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

static const char *jstr(const cJSON *o, const char *key)
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
		const char *name = jstr(a, "name");
		if (name && fnmatch(pattern, name, 0) == 0)
			return a;
	}
	return NULL;
}

/* Fill out from a release and its matching asset. */
static int take_asset(const cJSON *rel, const cJSON *a, struct rt_release *out,
		      struct lm_err *err)
{
	const char *tag = jstr(rel, "tag_name"), *url = jstr(a, "browser_download_url");
	const char *digest = jstr(a, "digest");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(a, "size");

	if (!url)
		return lm_err_set(err, LM_ENET, "asset '%s' has no download URL", jstr(a, "name"));
	lm_strlcpy(out->tag, tag, sizeof(out->tag));
	out->build = rt_tag_build(tag);
	lm_strlcpy(out->asset, jstr(a, "name"), sizeof(out->asset));
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
	const char *url = jstr(asset, "browser_download_url");
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
	const char *tag = jstr(rel, "tag_name");
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

/* ---- llama-server --version ----------------------------------------- */

/* Read the child's stderr until EOF or the deadline. */
static char *read_all(int fd, int timeout_ms, int *timed_out)
{
	size_t len = 0, cap = 4096;
	char *buf = lm_xmalloc(cap);
	int64_t start = lm_mono_ms();

	*timed_out = 0;
	for (;;) {
		long spent = (long)(lm_mono_ms() - start);
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (spent >= timeout_ms) {
			*timed_out = 1;
			break;
		}
		int pr = poll(&pf, 1, (int)(timeout_ms - spent));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			*timed_out = pr == 0;
			break;
		}
		if (len + 1024 > cap && cap < (1 << 20))
			buf = lm_xrealloc(buf, cap *= 2);
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len + 1 >= cap)
			break;
	}
	buf[len] = '\0';
	return buf;
}

static void copy_word(const char *s, const char *stop, char *out, size_t size)
{
	size_t n = strcspn(s, stop);
	if (out && size)
		snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), s);
}

/* Parse "version: V (build N, commit C)". */
static int parse_version(const char *text, long *build, char *version, size_t vsize,
			 char *commit, size_t csize)
{
	const char *v = strstr(text, "version: "), *b = strstr(text, "(build ");
	const char *cm = b ? strstr(b, "commit ") : NULL;
	char *end;

	if (!b)
		return -1;
	long n = strtol(b + 7, &end, 10);
	if (end == b + 7 || n < 0)
		return -1;
	if (build)
		*build = n;
	if (v)
		copy_word(v + 9, " \n(", version, vsize);
	else if (version && vsize)
		version[0] = '\0';
	if (cm)
		copy_word(cm + 7, ")\n ,", commit, csize);
	else if (commit && csize)
		commit[0] = '\0';
	return 0;
}

/* The first line of text, for error messages. */
static void first_line(const char *text, char *out, size_t size)
{
	text += strspn(text, " \n");
	copy_word(text, "\n", out, size);
}

int rt_version(const char *server, long *build, char *version, size_t vsize, char *commit,
	       size_t csize, struct lm_err *err)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)server, "--version", NULL };
	int pipefd[2], status = 0, timed_out = 0, rc = LM_OK;
	char line[200];
	pid_t pid;

	if (access(server, X_OK) < 0)
		return lm_err_set(err, errno == ENOENT ? LM_ENOTFOUND : LM_EFAIL,
				  "cannot run '%s': %s", server, strerror(errno));
	if (os_pipe(pipefd, 0) < 0)
		return lm_err_set(err, LM_EFAIL, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	int sr = posix_spawn(&pid, server, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (sr != 0) {
		close(pipefd[0]);
		return lm_err_set(err, LM_EFAIL, "cannot run '%s': %s", server, strerror(sr));
	}
	char *text = read_all(pipefd[0], RT_VERSION_TIMEOUT_MS, &timed_out);
	close(pipefd[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	first_line(text, line, sizeof(line));
	if (timed_out)
		rc = lm_err_set(err, LM_EFAIL, "'%s --version' did not finish in %d s", server,
				RT_VERSION_TIMEOUT_MS / 1000);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = lm_err_set(err, LM_EFAIL, "'%s --version' failed (%s %d)%s%s", server,
				WIFEXITED(status) ? "exit" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				line[0] ? ": " : "", line);
	else if (parse_version(text, build, version, vsize, commit, csize) < 0)
		rc = lm_err_set(err, LM_EFAIL, "'%s --version' printed no build number%s%s", server,
				line[0] ? ": " : "", line);
	free(text);
	return rc;
}

/* ---- records and layout --------------------------------------------- */

static int write_info(const struct rt_info *in, struct lm_err *err)
{
	cJSON *o = cJSON_CreateObject();
	char path[PATH_MAX + 32];
	int rc;

	cJSON_AddStringToObject(o, "tag", in->tag);
	cJSON_AddNumberToObject(o, "build", (double)in->build);
	cJSON_AddStringToObject(o, "backend", in->backend);
	cJSON_AddStringToObject(o, "source", in->source);
	cJSON_AddStringToObject(o, "origin", in->origin);
	cJSON_AddStringToObject(o, "sha256", in->sha256);
	cJSON_AddStringToObject(o, "installed_at", in->installed_at);
	cJSON_AddStringToObject(o, "version", in->version);
	cJSON_AddStringToObject(o, "commit", in->commit);
	char *text = cJSON_Print(o);
	snprintf(path, sizeof(path), "%s/%s", in->dir, RT_INFO_FILE);
	rc = lm_write_file_atomic(path, text, strlen(text), 0644, err);
	free(text);
	cJSON_Delete(o);
	return rc;
}

static void jcopy(const cJSON *o, const char *key, char *out, size_t size)
{
	const char *s = jstr(o, key);
	lm_strlcpy(out, s ? s : "", size);
}

/* Fill info for runtime/<name> from its record (missing fields stay empty). */
static int read_info(const char *runtime_dir, const char *name, struct rt_info *out,
		     struct lm_err *err)
{
	char path[PATH_MAX * 2];
	char *text = NULL;
	struct stat st;

	memset(out, 0, sizeof(*out));
	lm_strlcpy(out->name, name, sizeof(out->name));
	if (paths_join(out->dir, sizeof(out->dir), runtime_dir, name) < 0 ||
	    paths_join(out->server, sizeof(out->server), out->dir, "llama-server") < 0)
		return lm_err_set(err, LM_EFAIL, "path too long: '%s'", runtime_dir);
	if (stat(out->dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return lm_err_set(err, LM_ERUNTIME, "runtime '%s' is missing", name);
	snprintf(path, sizeof(path), "%s/%s", out->dir, RT_INFO_FILE);
	if (lm_read_file(path, 1 << 16, &text, NULL, NULL) == LM_OK) {
		cJSON *o = cJSON_Parse(text);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "build");
		jcopy(o, "tag", out->tag, sizeof(out->tag));
		jcopy(o, "backend", out->backend, sizeof(out->backend));
		jcopy(o, "source", out->source, sizeof(out->source));
		jcopy(o, "origin", out->origin, sizeof(out->origin));
		jcopy(o, "sha256", out->sha256, sizeof(out->sha256));
		jcopy(o, "installed_at", out->installed_at, sizeof(out->installed_at));
		jcopy(o, "version", out->version, sizeof(out->version));
		jcopy(o, "commit", out->commit, sizeof(out->commit));
		out->build = cJSON_IsNumber(b) && b->valuedouble >= 0 && b->valuedouble < 1e15
				     ? (long)b->valuedouble : 0;
		cJSON_Delete(o);
		free(text);
	}
	if (!out->tag[0]) { /* a directory made by hand: guess from its name */
		copy_word(name, "-", out->tag, sizeof(out->tag));
		out->build = rt_tag_build(out->tag) > 0 ? rt_tag_build(out->tag) : 0;
	}
	return LM_OK;
}

/* The name a runtime/<link> symlink points at, or -1. */
static int read_link_name(const char *runtime_dir, const char *link, char *name, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;

	if (paths_join(path, sizeof(path), runtime_dir, link) < 0)
		return -1;
	n = readlink(path, name, size - 1);
	if (n <= 0)
		return -1;
	name[n] = '\0';
	char *slash = strrchr(name, '/'); /* tolerate absolute targets made by hand */
	if (slash)
		memmove(name, slash + 1, strlen(slash + 1) + 1);
	return name[0] ? 0 : -1;
}

static int info_of_link(const char *runtime_dir, const char *link, struct rt_info *out,
			struct lm_err *err)
{
	char name[PATH_MAX];

	memset(out, 0, sizeof(*out));
	if (read_link_name(runtime_dir, link, name, sizeof(name)) < 0)
		return lm_err_set(err, LM_ERUNTIME,
				  !strcmp(link, "current") ? "no runtime installed; run 'localmodel install'"
							   : "no previous runtime to go back to");
	return read_info(runtime_dir, name, out, err);
}

/* Any failure to find a runtime is "runtime missing" for the caller. */
static int as_runtime_missing(struct lm_err *err)
{
	if (err)
		err->code = LM_ERUNTIME;
	return LM_ERUNTIME;
}

int rt_current(const char *runtime_dir, struct rt_info *out, struct lm_err *err)
{
	int rc = info_of_link(runtime_dir, "current", out, err);
	if (rc)
		return as_runtime_missing(err);
	if (access(out->server, X_OK) < 0)
		return lm_err_set(err, LM_ERUNTIME, "runtime '%s' has no runnable llama-server",
				  out->name);
	return LM_OK;
}

int rt_previous(const char *runtime_dir, struct rt_info *out, struct lm_err *err)
{
	return info_of_link(runtime_dir, "previous", out, err);
}

int rt_server_path(const char *runtime_dir, char *buf, size_t size, struct lm_err *err)
{
	struct rt_info cur;
	char real[PATH_MAX];
	int rc;

	if ((rc = rt_current(runtime_dir, &cur, err)))
		return rc;
	/* resolve the directory but keep the llama-server name: a --from runtime
	 * is a symlink, and resolving it too would lose nothing but clarity */
	if (!realpath(cur.dir, real))
		return lm_err_set(err, LM_ERUNTIME, "cannot resolve '%s': %s", cur.dir,
				  strerror(errno));
	if (snprintf(buf, size, "%s/llama-server", real) >= (int)size)
		return lm_err_set(err, LM_EFAIL, "path too long: '%s'", real);
	return LM_OK;
}

int rt_restart_needed(const char *runtime_dir, const char *running)
{
	struct rt_info cur;
	char a[PATH_MAX], b[PATH_MAX];

	if (!running || !*running || rt_current(runtime_dir, &cur, NULL))
		return 0;
	if (!strchr(running, '/')) {
		if (rt_tag_build(running) >= 0)
			return strcmp(running, cur.tag) != 0;
		return strcmp(running, cur.name) != 0;
	}
	if (!realpath(cur.server, a))
		return 0;
	if (!realpath(running, b)) /* its build was removed: surely not current */
		return 1;
	return strcmp(a, b) != 0;
}

/* Make runtime/<link> point at name, atomically (symlink + rename). */
static int set_link(const char *runtime_dir, const char *link, const char *name,
		    struct lm_err *err)
{
	char tmp[PATH_MAX], dst[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s/.%s.%ld", runtime_dir, link, (long)getpid());
	if (paths_join(dst, sizeof(dst), runtime_dir, link) < 0)
		return lm_err_set(err, LM_EFAIL, "path too long: '%s'", runtime_dir);
	unlink(tmp);
	if (symlink(name, tmp) < 0 || rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return lm_err_set(err, LM_EFAIL, "cannot switch '%s' to '%s': %s", dst, name,
				  strerror(e));
	}
	return LM_OK;
}

int rt_switch(const char *runtime_dir, const char *name, struct lm_err *err)
{
	char old[PATH_MAX];
	int rc;

	if (read_link_name(runtime_dir, "current", old, sizeof(old)) == 0 && strcmp(old, name) &&
	    (rc = set_link(runtime_dir, "previous", old, err)))
		return rc;
	return set_link(runtime_dir, "current", name, err);
}

int rt_rollback(const char *runtime_dir, struct lm_err *err)
{
	struct rt_info prev;
	char cur[PATH_MAX];
	int rc;

	if ((rc = rt_previous(runtime_dir, &prev, err)))
		return as_runtime_missing(err);
	if (read_link_name(runtime_dir, "current", cur, sizeof(cur)) < 0)
		return set_link(runtime_dir, "current", prev.name, err);
	return rt_switch(runtime_dir, prev.name, err);
}

/* Work directories of an install that did not finish. */
static int leftover(const char *name)
{
	return lm_starts_with(name, ".new-") || lm_starts_with(name, ".staging-") ||
	       strstr(name, ".old.") != NULL;
}

int rt_prune(const char *runtime_dir, int *removed, struct lm_err *err)
{
	char cur[PATH_MAX] = "", prev[PATH_MAX] = "", path[PATH_MAX * 2];
	DIR *d = opendir(runtime_dir);
	struct dirent *de;
	int rc = LM_OK;

	if (removed)
		*removed = 0;
	if (!d)
		return errno == ENOENT ? LM_OK
				       : lm_err_set(err, LM_EFAIL, "cannot read '%s': %s", runtime_dir,
						    strerror(errno));
	read_link_name(runtime_dir, "current", cur, sizeof(cur));
	read_link_name(runtime_dir, "previous", prev, sizeof(prev));
	while ((de = readdir(d))) {
		struct stat st;
		if (leftover(de->d_name)) { /* an installer that died; we hold the lock */
			snprintf(path, sizeof(path), "%s/%s", runtime_dir, de->d_name);
			ar_remove_tree(path, NULL);
			continue;
		}
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "current") ||
		    !strcmp(de->d_name, "previous") || !strcmp(de->d_name, cur) ||
		    !strcmp(de->d_name, prev))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", runtime_dir, de->d_name, RT_INFO_FILE);
		if (lstat(path, &st) < 0)
			continue; /* not ours */
		snprintf(path, sizeof(path), "%s/%s", runtime_dir, de->d_name);
		if (ar_remove_tree(path, err) != LM_OK) {
			rc = err ? err->code : LM_EFAIL;
			break;
		}
		if (removed)
			(*removed)++;
	}
	closedir(d);
	return rc;
}

int rt_lock(const char *runtime_dir, int *fd, struct lm_err *err)
{
	char path[PATH_MAX];
	int rc;

	*fd = -1;
	if ((rc = paths_ensure_dir(runtime_dir, err)))
		return rc;
	if (paths_join(path, sizeof(path), runtime_dir, ".lock") < 0)
		return lm_err_set(err, LM_EFAIL, "path too long: '%s'", runtime_dir);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return lm_err_set(err, LM_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		close(*fd);
		*fd = -1;
		return lm_err_set(err, LM_ESTATE, "another install or update is running");
	}
	return LM_OK;
}

void rt_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ---- installing ----------------------------------------------------- */

/* Check a freshly placed runtime directory with --version and record it.
 * The release tag's build number wins over the one the binary reports, so
 * that update compares like with like. */
static int check_and_record(struct rt_info *info, struct lm_err *err)
{
	long reported = 0;
	int rc = rt_version(info->server, &reported, info->version, sizeof(info->version),
			    info->commit, sizeof(info->commit), err);
	if (rc)
		return err ? lm_err_prefix(err, "the new runtime does not run") : rc;
	info->build = rt_tag_build(info->tag) > 0 ? rt_tag_build(info->tag) : reported;
	lm_time_iso(lm_now(), info->installed_at, sizeof(info->installed_at));
	return write_info(info, err);
}

/* Move the checked directory tmp into runtime/<name>, swapping out an
 * older copy of the same build (--force) which is then removed. */
static int place(const char *tmp, const char *dst, struct lm_err *err)
{
	struct stat st;

	if (lstat(dst, &st) == 0) {
		char *old = lm_asprintf("%s.old.%ld", dst, (long)getpid());
		int rc = LM_OK;
		if (rename(dst, old) < 0 || rename(tmp, dst) < 0)
			rc = lm_err_set(err, LM_EFAIL, "cannot replace '%s': %s", dst, strerror(errno));
		if (rc && lstat(dst, &st) < 0)
			rename(old, dst);
		ar_remove_tree(old, NULL);
		free(old);
		return rc;
	}
	if (rename(tmp, dst) < 0)
		return lm_err_set(err, LM_EFAIL, "cannot rename '%s' to '%s': %s", tmp, dst,
				  strerror(errno));
	return LM_OK;
}

static int download(struct rt_client *c, struct rt_install *in, const char *partial,
		    struct lm_err *err)
{
	struct lm_download d = { 0 };
	char got[65];

	d.url = in->rel->url;
	d.partial = partial;
	d.size = in->rel->size;
	d.sha256 = in->rel->sha256[0] ? in->rel->sha256 : NULL;
	d.progress = in->progress;
	d.progress_ctx = in->progress_ctx;
	d.cancel = in->cancel;
	return http_download(c->dl, &d, got, err);
}

/* Switch to the runtime described by info and prune older builds. */
static int activate(const char *runtime_dir, const char *name, struct lm_err *err)
{
	int rc = rt_switch(runtime_dir, name, err);
	if (!rc)
		rc = rt_prune(runtime_dir, NULL, err);
	return rc;
}

int rt_install_release(struct rt_client *c, struct rt_install *in, struct rt_info *out,
		       struct lm_err *err)
{
	char name[128], dldir[PATH_MAX], *partial = NULL, *state = NULL, *tmp = NULL;
	int rc;

	in->already = 0;
	snprintf(name, sizeof(name), "%s-%s", in->rel->tag, in->backend);
	if (!in->force && read_info(in->runtime_dir, name, out, NULL) == LM_OK &&
	    out->source[0] && rt_version(out->server, NULL, NULL, 0, NULL, 0, NULL) == LM_OK) {
		in->already = 1;
		return activate(in->runtime_dir, name, err);
	}
	if (!in->rel->sha256[0] && !in->force)
		return lm_err_set(err, LM_EINTEGRITY,
				  "asset '%s' has no digest to check it against; --force installs "
				  "it unverified", in->rel->asset);
	if (paths_join(dldir, sizeof(dldir), in->runtime_dir, ".download") < 0)
		return lm_err_set(err, LM_EFAIL, "path too long: '%s'", in->runtime_dir);
	if ((rc = paths_ensure_dir(dldir, err)))
		return rc;
	partial = lm_asprintf("%s/%s.part", dldir, in->rel->asset);
	state = lm_asprintf("%s.state", partial);
	tmp = lm_asprintf("%s/.new-%s-%ld", in->runtime_dir, name, (long)getpid());
	ar_remove_tree(tmp, NULL);
	if ((rc = download(c, in, partial, err)))
		goto out;
	struct ar_opts ao = { .name = in->rel->asset };
	if ((rc = ar_extract_file(partial, tmp, &ao, err)))
		goto out;
	/* macOS refuses to run quarantined binaries and libraries */
	os_clear_quarantine(tmp);
	memset(out, 0, sizeof(*out));
	lm_strlcpy(out->name, name, sizeof(out->name));
	lm_strlcpy(out->dir, tmp, sizeof(out->dir));
	snprintf(out->server, sizeof(out->server), "%s/llama-server", tmp);
	lm_strlcpy(out->tag, in->rel->tag, sizeof(out->tag));
	lm_strlcpy(out->backend, in->backend, sizeof(out->backend));
	lm_strlcpy(out->source, "github", sizeof(out->source));
	lm_strlcpy(out->origin, in->rel->asset, sizeof(out->origin));
	lm_strlcpy(out->sha256, in->rel->sha256, sizeof(out->sha256));
	if ((rc = check_and_record(out, err)))
		goto out;
	if (paths_join(out->dir, sizeof(out->dir), in->runtime_dir, name) < 0 ||
	    paths_join(out->server, sizeof(out->server), out->dir, "llama-server") < 0) {
		rc = lm_err_set(err, LM_EFAIL, "path too long: '%s'", in->runtime_dir);
		goto out;
	}
	if ((rc = place(tmp, out->dir, err)))
		goto out;
	rc = activate(in->runtime_dir, name, err);
out:
	ar_remove_tree(tmp, NULL);
	if (rc != LM_ENET) { /* a network failure keeps the partial file to resume */
		unlink(partial);
		unlink(state);
	}
	free(partial);
	free(state);
	free(tmp);
	return rc;
}

int rt_register_path(const char *runtime_dir, const char *server, struct rt_info *out,
		     struct lm_err *err)
{
	char real[PATH_MAX], name[128], *tmp = NULL, link[PATH_MAX + 32];
	struct stat st;
	long build = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!realpath(server, real))
		return lm_err_set(err, errno == ENOENT ? LM_ENOTFOUND : LM_EFAIL,
				  "cannot use '%s': %s", server, strerror(errno));
	if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
		size_t len = strlen(real);
		if (len + 14 >= sizeof(real))
			return lm_err_set(err, LM_EFAIL, "path too long: '%s'", real);
		memcpy(real + len, "/llama-server", 14);
	}
	if ((rc = rt_version(real, &build, out->version, sizeof(out->version), out->commit,
			     sizeof(out->commit), err)))
		return rc;
	if ((rc = paths_ensure_dir(runtime_dir, err)))
		return rc;
	snprintf(name, sizeof(name), "b%ld-local", build);
	tmp = lm_asprintf("%s/.new-%s-%ld", runtime_dir, name, (long)getpid());
	ar_remove_tree(tmp, NULL);
	snprintf(link, sizeof(link), "%s/llama-server", tmp);
	if (mkdir(tmp, 0755) < 0 || symlink(real, link) < 0) {
		rc = lm_err_set(err, LM_EFAIL, "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	lm_strlcpy(out->name, name, sizeof(out->name));
	lm_strlcpy(out->dir, tmp, sizeof(out->dir));
	snprintf(out->tag, sizeof(out->tag), "b%ld", build);
	out->build = build;
	lm_strlcpy(out->backend, "local", sizeof(out->backend));
	lm_strlcpy(out->source, "path", sizeof(out->source));
	lm_strlcpy(out->origin, real, sizeof(out->origin));
	lm_time_iso(lm_now(), out->installed_at, sizeof(out->installed_at));
	if ((rc = write_info(out, err)))
		goto out;
	if (paths_join(out->dir, sizeof(out->dir), runtime_dir, name) < 0 ||
	    paths_join(out->server, sizeof(out->server), out->dir, "llama-server") < 0) {
		rc = lm_err_set(err, LM_EFAIL, "path too long: '%s'", runtime_dir);
		goto out;
	}
	if ((rc = place(tmp, out->dir, err)))
		goto out;
	rc = activate(runtime_dir, name, err);
out:
	ar_remove_tree(tmp, NULL);
	free(tmp);
	return rc;
}
