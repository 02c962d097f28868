/* test_http: http_get and http_download against tests/fixtures/mockhub.py
 * (started here with posix_spawn): redirects, paging, retries, faults,
 * resume, cancel, integrity. Backoff is scaled down with
 * LOCALMODEL_HTTP_BACKOFF_MS so that it runs in seconds. */
#include "t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "localmodel/dl.h"
#include "localmodel/http.h"

extern char **environ;

#define TOKEN "hf_abcdefghijklmnopqrstuvwxyz0123456789"
#define BIG_SIZE (3u << 20)

static pid_t hub_pid;
static int hub_port, cdn_port;
static char dir[PATH_MAX], logpath[PATH_MAX + 16], big_sha[65];
static char *big_data;
static char *wide_data;
static char wide_sha[65];

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_file(const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX + 64], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (p = strchr(path + strlen(dir) + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(2);
	}
}

static int read_port(const char *path)
{
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");
		int port = 0;
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
			if (port > 0)
				return port;
		}
		usleep(25000);
	}
	return 0;
}

/* Start mockhub.py from the source tree (found from this program's path). */
static int start_hub(void)
{
	char exe[PATH_MAX], script[PATH_MAX + 64], repos[PATH_MAX + 16], pf[PATH_MAX + 16],
		cpf[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *src = getenv("LM_SRC_DIR");

	if (src) {
		snprintf(script, sizeof(script), "%s/tests/fixtures/mockhub.py", src);
	} else {
		if (n <= 0)
			return -1;
		exe[n] = '\0';
		for (int up = 0; up < 3; up++)
			*strrchr(exe, '/') = '\0'; /* <src>/<build>/tests/test_http */
		snprintf(script, sizeof(script), "%s/tests/fixtures/mockhub.py", exe);
		if (access(script, R_OK) != 0) /* a build tree elsewhere: try the cwd */
			snprintf(script, sizeof(script), "tests/fixtures/mockhub.py");
	}
	snprintf(repos, sizeof(repos), "%s/repos", dir);
	snprintf(pf, sizeof(pf), "%s/hub.port", dir);
	snprintf(cpf, sizeof(cpf), "%s/cdn.port", dir);
	snprintf(logpath, sizeof(logpath), "%s/req.jsonl", dir);
	char *argv[] = { "python3", script,	"--repos",	   repos,	  "--port-file",
			 pf,	    "--cdn-port-file", cpf,	   "--log",	  logpath,
			 "--token", TOKEN,	"--page-size", "2", "--lifetime", "150", NULL };
	if (posix_spawnp(&hub_pid, "python3", NULL, NULL, argv, environ) != 0)
		return -1;
	hub_port = read_port(pf);
	cdn_port = read_port(cpf);
	return hub_port && cdn_port ? 0 : -1;
}

static void stop_hub(void)
{
	if (hub_pid > 0) {
		kill(hub_pid, SIGTERM);
		waitpid(hub_pid, NULL, 0);
	}
}

/* POST or DELETE to the mock's control endpoint. */
static int control(const char *method, const char *path, const char *body)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)hub_port) };
	char req[2048], buf[512];
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;
	ssize_t r;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(req, sizeof(req),
		 "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 method, path, strlen(body), body);
	if (write(fd, req, strlen(req)) < 0)
		ok = -1;
	while ((r = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[r] = '\0';
		if (strstr(buf, " 200 "))
			ok = 1;
	}
	close(fd);
	return ok == 1 ? 0 : -1;
}

static void fault(const char *json)
{
	CHECK_INT(control("POST", "/_mock/fault", json), 0);
}

static void faults_clear(void)
{
	CHECK_INT(control("DELETE", "/_mock/fault", ""), 0);
}

/* The mock logs a request once its answer is out: give it a moment. */
static void log_settle(void)
{
	usleep(80000);
}

static long log_lines(void)
{
	FILE *f;
	log_settle();
	f = fopen(logpath, "r");
	long n = 0;
	int ch;
	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* Over the log lines after skip: how many match all of the needles, and
 * the sum of their "bytes". */
static long log_count(long skip, const char *n1, const char *n2, long long *bytes)
{
	FILE *f;
	char line[8192];
	long n = 0, i = 0;

	log_settle();
	f = fopen(logpath, "r");
	if (bytes)
		*bytes = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (i++ < skip)
			continue;
		if ((n1 && !strstr(line, n1)) || (n2 && !strstr(line, n2)))
			continue;
		n++;
		const char *b = strstr(line, "\"bytes\": ");
		if (bytes && b)
			*bytes += strtoll(b + 9, NULL, 10);
	}
	fclose(f);
	return n;
}

static struct lm_http *new_http(int with_token, long low_speed)
{
	char hp[64];
	struct lm_http *h = NULL;
	struct lm_http_opts o = { 0 };
	struct lm_err err = { 0 };

	snprintf(hp, sizeof(hp), "127.0.0.1:%d", hub_port);
	o.token = with_token ? TOKEN : NULL;
	o.token_host = hp;
	o.connect_timeout_s = 5;
	o.low_speed_time_s = low_speed;
	CHECK_INT(http_new(&h, &o, &err), LM_OK);
	return h;
}

static char *url_of(const char *path)
{
	return lm_asprintf("http://127.0.0.1:%d%s", hub_port, path);
}

static int file_equals(const char *path, const void *data, size_t len)
{
	char *got = NULL;
	size_t n = 0;
	int eq;
	if (lm_read_file(path, len + 16, &got, &n, NULL) != LM_OK)
		return 0;
	eq = n == len && !memcmp(got, data, len);
	free(got);
	return eq;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static void test_helpers(void)
{
	struct lm_http_response r = { 0 };
	struct lm_http_header hs[3] = {
		{ "Link", "<https://h.example/a?cursor=1>; rel=\"prev\", <https://h.example/a?cursor=2>; rel=\"next\"" },
		{ "retry-after", "7" },
		{ "RateLimit", "\"api\";r=0;t=42" },
	};
	char *s;

	r.headers = hs;
	r.nheaders = 3;
	s = http_link_next(&r);
	CHECK_STR(s, "https://h.example/a?cursor=2");
	free(s);
	CHECK_INT(http_retry_after(&r), 7);
	hs[1].name = "X-Other";
	CHECK_INT(http_retry_after(&r), 42);
	hs[2].value = "\"api\";r=5;t=42";
	CHECK_INT(http_retry_after(&r), -1);
	/* GitHub: X-RateLimit-Remaining: 0 and the reset time (epoch) */
	{
		char reset[32];
		struct lm_http_header gh[2] = { { "X-RateLimit-Remaining", "0" },
						{ "X-RateLimit-Reset", reset } };
		struct lm_http_response g = { .headers = gh, .nheaders = 2 };
		long w;
		snprintf(reset, sizeof(reset), "%lld", (long long)time(NULL) + 100);
		w = http_retry_after(&g);
		CHECK(w >= 98 && w <= 100);
		gh[0].value = "12";
		CHECK_INT(http_retry_after(&g), -1);
	}
	hs[0].value = "</api/x?c=3>; rel=\"last next\"";
	r.url = "http://127.0.0.1:5/api/models?q=1";
	s = http_link_next(&r);
	CHECK_STR(s, "http://127.0.0.1:5/api/x?c=3");
	free(s);
	hs[0].value = "<http://x/a>; rel=\"nextish\"";
	CHECK(http_link_next(&r) == NULL);
	r.url = NULL;

	s = http_resolve_url("http://127.0.0.1:5/org/r/resolve/main/a.md", "/api/resolve-cache/x?e=1");
	CHECK_STR(s, "http://127.0.0.1:5/api/resolve-cache/x?e=1");
	free(s);
	s = http_resolve_url("http://a/b/c", "https://cdn.example:8443/z");
	CHECK_STR(s, "https://cdn.example:8443/z");
	free(s);
	s = http_url_hostport("https://Huggingface.co/api");
	CHECK_STR(s, "huggingface.co:443");
	free(s);
	s = http_url_hostport("http://127.0.0.1:8080/x");
	CHECK_STR(s, "127.0.0.1:8080");
	free(s);
	CHECK(http_status_retryable(503) && http_status_retryable(429) && !http_status_retryable(404));
}

static void test_get(void)
{
	struct lm_http *h = new_http(1, 0);
	struct lm_http_response r;
	struct lm_err err = { 0 };
	char *u, *next;
	long mark;
	int pages = 0, entries = 0;

	/* tree paging: 2 entries per page, follow every Link rel="next" */
	u = url_of("/api/models/org/m-GGUF/tree/main?recursive=true");
	while (u && pages < 20) {
		CHECK_INT(http_get(h, u, 0, &r, &err), LM_OK);
		CHECK_INT(r.status, 200);
		for (const char *p = r.body; (p = strstr(p, "\"path\"")); p++)
			entries++;
		next = http_link_next(&r);
		http_response_release(&r);
		free(u);
		u = next;
		pages++;
	}
	free(u);
	CHECK_INT(entries, 6); /* README.md, big.gguf, sub, sub/small.gguf, tiny.gguf, wide.gguf */
	CHECK_INT(pages, 3);

	/* LFS resolve without following: the 302 and its headers */
	u = url_of("/org/m-GGUF/resolve/main/big.gguf");
	CHECK_INT(http_get(h, u, HTTP_HEAD | HTTP_NO_REDIRECT, &r, &err), LM_OK);
	CHECK_INT(r.status, 302);
	CHECK_INT(strtol(http_header(&r, "x-linked-size") ?: "0", NULL, 10), BIG_SIZE);
	CHECK(http_header(&r, "X-Linked-Etag") && strstr(http_header(&r, "X-Linked-Etag"), big_sha));
	CHECK(http_header(&r, "X-Repo-Commit") != NULL);
	http_response_release(&r);

	/* followed: the CDN on another port gets no Authorization */
	mark = log_lines();
	CHECK_INT(http_get(h, u, 0, &r, &err), LM_OK);
	CHECK_INT(r.status, 200);
	CHECK(r.body_len == BIG_SIZE && !memcmp(r.body, big_data, BIG_SIZE));
	CHECK(r.url && strstr(r.url, ":") && !strstr(r.url, "/resolve/"));
	http_response_release(&r);
	free(u);
	CHECK_INT(log_count(mark, "\"server\": \"hub\"", "\"auth_ok\": true", NULL), 1);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"status\": 200", NULL), 1);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"auth\": true", NULL), 0);
	CHECK_INT(log_count(mark, "localmodel/", NULL, NULL), 2);

	/* a small file: 307 relative, then 200 */
	u = url_of("/org/m-GGUF/resolve/main/README.md");
	CHECK_INT(http_get(h, u, 0, &r, &err), LM_OK);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "hello\n");
	CHECK(r.url && strstr(r.url, "/api/resolve-cache/models/org/m-GGUF/"));
	http_response_release(&r);

	/* 429 with Retry-After: 1 then success; waited (1+1) backoff units */
	fault("{\"action\":\"status\",\"status\":429,\"retry_after\":1,\"count\":1,\"match\":\"README\"}");
	long long t0 = now_ms();
	CHECK_INT(http_get(h, u, 0, &r, &err), LM_OK);
	CHECK_INT(r.status, 200);
	CHECK(now_ms() - t0 >= 40);
	http_response_release(&r);

	/* GitHub's rate limit: 403 with X-RateLimit-Remaining: 0, reset soon */
	{
		char f[256];
		snprintf(f, sizeof(f),
			 "{\"action\":\"status\",\"status\":403,\"count\":1,\"match\":\"README\","
			 "\"headers\":{\"X-RateLimit-Remaining\":\"0\",\"X-RateLimit-Reset\":\"%lld\"}}",
			 (long long)time(NULL) + 1);
		fault(f);
		CHECK_INT(http_get(h, u, 0, &r, &err), LM_OK);
		CHECK_INT(r.status, 200);
		http_response_release(&r);
	}

	/* 500 twice then success */
	fault("{\"action\":\"status\",\"status\":500,\"count\":2,\"match\":\"README\"}");
	CHECK_INT(http_get(h, u, 0, &r, &err), LM_OK);
	CHECK_INT(r.status, 200);
	http_response_release(&r);

	/* a 503 that persists comes back as it is after the retries */
	fault("{\"action\":\"status\",\"status\":503,\"count\":20,\"match\":\"README\"}");
	mark = log_lines();
	CHECK_INT(http_get(h, u, 0, &r, &err), LM_OK);
	CHECK_INT(r.status, 503);
	http_response_release(&r);
	CHECK_INT(log_count(mark, "README", NULL, NULL), 6);
	faults_clear();
	free(u);

	/* errors pass through with their X-Error-Code */
	u = url_of("/org/m-GGUF/resolve/main/none.gguf");
	CHECK_INT(http_get(h, u, HTTP_HEAD, &r, &err), LM_OK);
	CHECK_INT(r.status, 404);
	CHECK_STR(http_header(&r, "X-Error-Code"), "EntryNotFound");
	http_response_release(&r);
	free(u);
	http_free(h);

	/* a cancel flag already set: nothing is asked, LM_EFAIL */
	{
		volatile sig_atomic_t stop = 1;
		struct lm_http_opts co = { .cancel = &stop };
		struct lm_http *hc = NULL;
		CHECK_INT(http_new(&hc, &co, &err), LM_OK);
		u = url_of("/org/m-GGUF/resolve/main/README.md");
		CHECK_INT(http_get(hc, u, 0, &r, &err), LM_EFAIL);
		CHECK(strstr(err.msg, "interrupted") != NULL);
		free(u);
		http_free(hc);
	}

	/* no answer at all: LM_ENET, and no token in the message */
	struct lm_http_opts o = { .token = TOKEN, .token_host = "127.0.0.1:9", .max_retries = 1 };
	CHECK_INT(http_new(&h, &o, &err), LM_OK);
	CHECK_INT(http_get(h, "http://127.0.0.1:9/x?secret=1", 0, &r, &err), LM_ENET);
	CHECK(strstr(err.msg, "127.0.0.1:9/x") && !strstr(err.msg, TOKEN) &&
	      !strstr(err.msg, "secret"));
	http_free(h);
}

struct prog {
	int calls;
	uint64_t last, total;
	int max_conns;
	uint64_t cancel_at;
	volatile sig_atomic_t *cancel;
};

static void on_progress(void *ctx, const struct lm_dl_progress *p)
{
	struct prog *g = ctx;
	g->calls++;
	g->last = p->done;
	g->total = p->total;
	if (p->connections > g->max_conns)
		g->max_conns = p->connections;
	if (g->cancel_at && p->done >= g->cancel_at)
		*g->cancel = 1;
}

/* One download of big.gguf into dir/name; returns the code. */
static int download(struct lm_http *h, const char *name, uint64_t size, int conns,
		    struct prog *g, volatile sig_atomic_t *cancel, char sha[65], struct lm_err *err)
{
	char part[PATH_MAX + 64];
	char *u = url_of("/org/m-GGUF/resolve/main/big.gguf");
	struct lm_download d = { 0 };
	int rc;

	snprintf(part, sizeof(part), "%s/%s", dir, name);
	d.url = u;
	d.partial = part;
	d.size = size;
	d.sha256 = big_sha;
	d.connections = conns;
	d.chunk_size = 256 << 10;
	d.progress = g ? on_progress : NULL;
	d.progress_ctx = g;
	d.cancel = cancel;
	rc = http_download(h, &d, sha, err);
	free(u);
	return rc;
}

static char *part_path(const char *name, const char *suffix)
{
	return lm_asprintf("%s/%s%s", dir, name, suffix);
}

static void test_download_basic(void)
{
	struct lm_http *h = new_http(1, 0);
	struct lm_err err = { 0 };
	struct prog g = { 0 };
	char sha[65];
	long mark = log_lines();
	char *p = part_path("a.part", ""), *st = part_path("a.part", ".state");

	/* slowed down so that progress reports see the parallel connections */
	fault("{\"action\":\"throttle\",\"rate\":2000000,\"server\":\"cdn\"}");
	CHECK_INT(download(h, "a.part", BIG_SIZE, 4, &g, NULL, sha, &err), LM_OK);
	faults_clear();
	CHECK_STR(sha, big_sha);
	CHECK(file_equals(p, big_data, BIG_SIZE));
	CHECK(!exists(st));
	CHECK(g.max_conns >= 2 && g.max_conns <= 4);
	CHECK(g.calls >= 2 && g.calls <= 20);
	CHECK_INT(g.last, BIG_SIZE);
	CHECK_INT(g.total, BIG_SIZE);
	/* one resolve on the hub (with the token), ranges on the CDN (without):
	 * at most one per chunk, more than one per connection */
	CHECK_INT(log_count(mark, "\"server\": \"hub\"", "\"auth_ok\": true", NULL), 1);
	CHECK(log_count(mark, "\"server\": \"cdn\"", "\"status\": 206", NULL) >= 5);
	CHECK(log_count(mark, "\"server\": \"cdn\"", "\"status\": 206", NULL) <= 12);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"auth\": true", NULL), 0);
	free(p);
	free(st);

	/* unknown size: one connection, no Range */
	p = part_path("b.part", "");
	mark = log_lines();
	CHECK_INT(download(h, "b.part", 0, 0, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	CHECK(file_equals(p, big_data, BIG_SIZE));
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": null", NULL), 1);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", NULL, NULL), 1);
	free(p);
	http_free(h);
}

static void test_download_faults(void)
{
	struct lm_http *h = new_http(1, 1);
	struct lm_err err = { 0 };
	char sha[65], *p, *st;
	long mark;
	long long t0;

	/* connections dropped mid-body: the ranges resume, the hash is right */
	fault("{\"action\":\"drop\",\"after\":100000,\"count\":3,\"server\":\"cdn\"}");
	CHECK_INT(download(h, "c.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	faults_clear();

	/* one connection takes several chunks per request; a drop in the
	 * middle of such a span resumes at the byte where it stopped */
	fault("[{\"action\":\"drop\",\"after\":300000,\"skip\":1,\"count\":2,\"server\":\"cdn\"},"
	      "{\"action\":\"throttle\",\"rate\":4000000,\"server\":\"cdn\"}]");
	mark = log_lines();
	/* (throttled: at loopback speed the next request would take all the
	 * rest, its round trip being so short) */
	CHECK_INT(download(h, "m.part", BIG_SIZE, 1, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	/* the probe takes one chunk, the next request (one connection: nothing
	 * to balance) all the rest */
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=0-262143\"", NULL), 1);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=262144-3145727\"", NULL), 1);
	/* (how many bytes made it before each reset varies) */
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "-3145727\"", NULL), 3);
	faults_clear();

	/* short bodies */
	fault("{\"action\":\"short\",\"after\":50000,\"count\":2,\"server\":\"cdn\"}");
	CHECK_INT(download(h, "d.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	faults_clear();

	/* 5xx and 429 on the CDN, then success */
	fault("[{\"action\":\"status\",\"status\":503,\"count\":2,\"server\":\"cdn\"},"
	      "{\"action\":\"status\",\"status\":429,\"retry_after\":1,\"count\":2,\"server\":\"cdn\"}]");
	CHECK_INT(download(h, "e.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	faults_clear();

	/* a server that ignores Range: one connection, still right */
	fault("{\"action\":\"ignore_range\",\"server\":\"cdn\"}");
	mark = log_lines();
	CHECK_INT(download(h, "f.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": null", NULL), 1);
	faults_clear();

	/* ... and one that always cuts the body short: restarting from 0 is no
	 * progress, so the retries run out */
	fault("[{\"action\":\"ignore_range\",\"server\":\"cdn\"},"
	      "{\"action\":\"drop\",\"after\":100000,\"server\":\"cdn\"}]");
	CHECK_INT(download(h, "f2.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_ENET);
	faults_clear();

	/* a stall: the low-speed limit (1 s here) aborts, the range is retried */
	fault("{\"action\":\"stall\",\"after\":10000,\"seconds\":4,\"count\":1,\"server\":\"cdn\"}");
	t0 = now_ms();
	CHECK_INT(download(h, "g.part", BIG_SIZE, 2, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	CHECK(now_ms() - t0 < 3800);
	faults_clear();

	/* wrong bytes: integrity error, nothing kept */
	fault("{\"action\":\"corrupt\",\"len\":10,\"count\":1,\"server\":\"cdn\"}");
	p = part_path("h.part", "");
	st = part_path("h.part", ".state");
	CHECK_INT(download(h, "h.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_EINTEGRITY);
	CHECK(strstr(err.msg, "checksum mismatch") != NULL);
	CHECK(!exists(p) && !exists(st));
	free(p);
	free(st);
	faults_clear();

	/* signed URLs that expire during the download: asked for again */
	CHECK_INT(control("POST", "/_mock/config", "{\"url_ttl\": 1}"), 0);
	fault("{\"action\":\"throttle\",\"rate\":800000,\"server\":\"cdn\"}");
	mark = log_lines();
	CHECK_INT(download(h, "n.part", BIG_SIZE, 2, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	CHECK(log_count(mark, "\"server\": \"cdn\"", "\"status\": 403", NULL) >= 1);
	CHECK(log_count(mark, "\"server\": \"hub\"", "\"status\": 302", NULL) >= 2);
	CHECK_INT(control("POST", "/_mock/config", "{\"url_ttl\": 3600}"), 0);
	faults_clear();

	/* a size that does not match what the server has */
	CHECK_INT(download(h, "i.part", BIG_SIZE + 1, 4, NULL, NULL, sha, &err), LM_EINTEGRITY);
	CHECK(strstr(err.msg, "size mismatch") != NULL);

	/* a missing file */
	{
		struct lm_download d = { 0 };
		char *u = url_of("/org/m-GGUF/resolve/main/none.gguf");
		char *pp = part_path("j.part", "");
		d.url = u;
		d.partial = pp;
		d.size = 10;
		CHECK_INT(http_download(h, &d, sha, &err), LM_ENOTFOUND);
		free(u);
		free(pp);
	}

	/* rate limited for longer than we wait: LM_ENET with when to retry */
	fault("{\"action\":\"status\",\"status\":429,\"reset\":3600,\"server\":\"cdn\"}");
	CHECK_INT(download(h, "l.part", BIG_SIZE, 2, NULL, NULL, sha, &err), LM_ENET);
	CHECK(strstr(err.msg, "HTTP 429, retry in 3600 s") != NULL);
	faults_clear();

	/* retries exhausted: LM_ENET, the partial kept for later */
	fault("{\"action\":\"status\",\"status\":500,\"server\":\"cdn\"}");
	CHECK_INT(download(h, "k.part", BIG_SIZE, 2, NULL, NULL, sha, &err), LM_ENET);
	CHECK(strstr(err.msg, "HTTP 500") != NULL && !strstr(err.msg, "Signature"));
	p = part_path("k.part", ".state");
	CHECK(exists(p));
	free(p);
	faults_clear();
	http_free(h);
}

static void test_download_resume(void)
{
	struct lm_http *h = new_http(1, 0);
	struct lm_err err = { 0 };
	volatile sig_atomic_t cancel = 0;
	struct prog g = { 0 };
	char sha[65], *p = part_path("r.part", ""), *st = part_path("r.part", ".state");
	long long bytes;
	long mark;

	/* slow it down, cancel after 1 MiB: the state file stays */
	fault("{\"action\":\"throttle\",\"rate\":2000000,\"server\":\"cdn\"}");
	g.cancel_at = 1u << 20;
	g.cancel = &cancel;
	CHECK_INT(download(h, "r.part", BIG_SIZE, 4, &g, &cancel, sha, &err), LM_EFAIL);
	CHECK(strstr(err.msg, "interrupted") != NULL);
	CHECK(exists(p) && exists(st));
	faults_clear();

	/* the next run fetches only what is missing and verifies the whole */
	mark = log_lines();
	CHECK_INT(download(h, "r.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	CHECK(file_equals(p, big_data, BIG_SIZE));
	CHECK(!exists(st));
	log_count(mark, "\"server\": \"cdn\"", NULL, &bytes);
	CHECK(bytes > 0 && bytes <= (long long)BIG_SIZE - (1 << 20));

	/* kill -9 in the middle: the state saved every 2 s lets the next run
	 * resume from there */
	{
		char *kp = part_path("kill.part", ""), *ks = part_path("kill.part", ".state");
		pid_t pid;
		fault("{\"action\":\"throttle\",\"rate\":250000,\"server\":\"cdn\"}");
		pid = fork();
		if (pid == 0) {
			struct lm_http *hk = new_http(1, 0);
			struct lm_err e2 = { 0 };
			char s2[65];
			download(hk, "kill.part", BIG_SIZE, 4, NULL, NULL, s2, &e2);
			_exit(0);
		}
		usleep(2600000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		faults_clear();
		CHECK(exists(ks));
		mark = log_lines();
		CHECK_INT(download(h, "kill.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_OK);
		CHECK_STR(sha, big_sha);
		log_count(mark, "\"server\": \"cdn\"", NULL, &bytes);
		CHECK(bytes > 0 && bytes <= (long long)BIG_SIZE - (512 << 10));
		free(kp);
		free(ks);
	}

	/* kept bytes that went bad on disk: caught by the final hash */
	fault("{\"action\":\"throttle\",\"rate\":2000000,\"server\":\"cdn\"}");
	cancel = 0;
	g.calls = 0;
	CHECK_INT(download(h, "s.part", BIG_SIZE, 4, &g, &cancel, sha, &err), LM_EFAIL);
	faults_clear();
	{
		char *sp = part_path("s.part", "");
		int fd = open(sp, O_WRONLY);
		CHECK(fd >= 0 && pwrite(fd, "XXXX", 4, 0) == 4);
		if (fd >= 0)
			close(fd);
		CHECK_INT(download(h, "s.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_EINTEGRITY);
		CHECK(!exists(sp));
		free(sp);
	}

	/* a state file for another download is ignored */
	write_file("t.part.state", "localmodel-partial 1\nsize 5\nchunk 262144\nsha256 -\ngot 0 5\n", 57);
	CHECK_INT(download(h, "t.part", BIG_SIZE, 4, NULL, NULL, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	free(p);
	free(st);
	http_free(h);
}

/* The CDN URL of a file of org/m-GGUF, as the Hub's resolve answer gives
 * it. */
static char *cdn_url_of(struct lm_http *h, const char *file)
{
	struct lm_http_response r;
	struct lm_err err = { 0 };
	char *path = lm_asprintf("/org/m-GGUF/resolve/main/%s", file);
	char *u = url_of(path), *loc = NULL;

	free(path);
	if (http_get(h, u, HTTP_HEAD | HTTP_NO_REDIRECT, &r, &err) == LM_OK &&
	    http_header(&r, "Location"))
		loc = lm_xstrdup(http_header(&r, "Location"));
	http_response_release(&r);
	free(u);
	return loc;
}

static void test_download_steal(void)
{
	struct lm_http *h = new_http(1, 0);
	struct lm_err err = { 0 };
	struct lm_download d = { 0 };
	char sha[65], *p = part_path("steal.part", ""), *st = part_path("steal.part", ".state");
	char *u = url_of("/org/m-GGUF/resolve/main/big.gguf"), *cdn = cdn_url_of(h, "big.gguf");
	long mark;
	long long t0, bytes;

	CHECK(cdn != NULL);
	/* one of the two first requests crawls (100 KB/s): its span is 6 chunks
	 * of 64 KiB (4 s alone); the fast connection takes the rest, then steals
	 * halves of the slow span until too little is left */
	fault("{\"action\":\"throttle\",\"rate\":100000,\"skip\":1,\"count\":1,\"server\":\"cdn\"}");
	mark = log_lines();
	d.url = u;
	d.start_url = cdn;
	d.partial = p;
	d.size = BIG_SIZE;
	d.sha256 = big_sha;
	d.connections = 2;
	d.chunk_size = 64 << 10;
	t0 = now_ms();
	CHECK_INT(http_download(h, &d, sha, &err), LM_OK);
	CHECK(now_ms() - t0 < 3000);
	CHECK_STR(sha, big_sha);
	CHECK(file_equals(p, big_data, BIG_SIZE));
	CHECK(!exists(st));
	/* the resolved URL was used: nothing asked of the Hub */
	CHECK_INT(log_count(mark, "\"server\": \"hub\"", NULL, NULL), 0);
	/* the crawling request was cut short of its range: less than asked */
	CHECK(log_count(mark, "\"server\": \"cdn\"", "\"fault\": \"throttle\"", &bytes) == 1 &&
	      bytes < 6 * 65536);
	faults_clear();
	free(p);
	free(st);

	/* a state file written with another chunk size: its layout is taken
	 * and the kept bytes are not fetched again */
	p = part_path("layout.part", "");
	write_file("layout.part", big_data, 1 << 20);
	{
		const char *state = "localmodel-partial 1\nsize 3145728\nchunk 1048576\nsha256 -\n"
				    "got 0 1048576\n";
		write_file("layout.part.state", state, strlen(state));
	}
	mark = log_lines();
	d.partial = p;
	d.sha256 = NULL;
	d.chunk_size = 0;
	CHECK_INT(http_download(h, &d, sha, &err), LM_OK);
	CHECK_STR(sha, big_sha);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=0-", NULL), 0);
	log_count(mark, "\"server\": \"cdn\"", NULL, &bytes);
	CHECK(bytes >= BIG_SIZE - (1 << 20) && bytes < BIG_SIZE);
	free(p);
	free(u);
	free(cdn);
	http_free(h);
}

/* A file big enough for automatic connections (two), so that the first
 * range runs alone as a trial of one connection's speed. */
#define WIDE_SIZE (16u << 20)

static int download_wide(struct lm_http *h, const char *name, const char *start_url, char sha[65],
			 struct lm_err *err)
{
	char *u = url_of("/org/m-GGUF/resolve/main/wide.gguf"), *p = part_path(name, "");
	struct lm_download d = { 0 };
	int rc;

	d.url = u;
	d.start_url = start_url;
	d.partial = p;
	d.size = WIDE_SIZE;
	d.sha256 = wide_sha;
	d.chunk_size = 256 << 10;
	rc = http_download(h, &d, sha, err);
	CHECK(file_equals(p, wide_data, WIDE_SIZE));
	free(u);
	free(p);
	return rc;
}

static void test_download_trial(void)
{
	struct lm_http *h = new_http(0, 0);
	struct lm_err err = { 0 };
	char sha[65], *cdn;
	long mark;

	/* the trial's range at 5 MB/s: it reads slow, and 2 ms into it the
	 * other connection warms up with a trial-sized range of its own (the
	 * mock sends 250 KB every 50 ms at this rate: the loop must wake for
	 * the trial's steps, not wait for the next burst) */
	fault("{\"action\":\"throttle\",\"rate\":5000000,\"count\":1,\"server\":\"cdn\"}");
	mark = log_lines();
	CHECK_INT(download_wide(h, "w1.part", NULL, sha, &err), LM_OK);
	CHECK_STR(sha, wide_sha);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=0-1048575\"", NULL), 1);
	if (!getenv("LOCALMODEL_VALGRIND")) /* (where one turn of the loop may outlast the trial) */
		CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=1048576-2097151\"",
				    NULL), 1);
	CHECK(log_count(mark, "\"server\": \"cdn\"", "\"status\": 206", NULL) >= 4);
	faults_clear();

	/* unthrottled loopback: the trial is fast, one connection takes all
	 * the rest in one range (a warm-up may have started before the trial
	 * ended: then the rest begins after it). Under valgrind the client
	 * itself is too slow for such a verdict. */
	mark = log_lines();
	CHECK_INT(download_wide(h, "w2.part", NULL, sha, &err), LM_OK);
	CHECK_STR(sha, wide_sha);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=0-1048575\"", NULL), 1);
	if (!getenv("LOCALMODEL_VALGRIND"))
		CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=1048576-16777215\"",
				    NULL) +
				  log_count(mark, "\"server\": \"cdn\"",
					    "\"range\": \"bytes=2097152-16777215\"", NULL),
			  1);

	/* the handle keeps the last trial's verdict for the next file from the
	 * same host (here the same file, resolved ahead): after a fast one the
	 * next still has a trial, after a slow one all connections start at
	 * once */
	cdn = cdn_url_of(h, "wide.gguf");
	CHECK(cdn != NULL);
	fault("{\"action\":\"throttle\",\"rate\":20000000,\"server\":\"cdn\"}");
	mark = log_lines();
	CHECK_INT(download_wide(h, "w3.part", cdn, sha, &err), LM_OK);
	CHECK_STR(sha, wide_sha);
	if (!getenv("LOCALMODEL_VALGRIND"))
		CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=0-1048575\"",
				    NULL), 1);
	mark = log_lines();
	CHECK_INT(download_wide(h, "w4.part", cdn, sha, &err), LM_OK);
	CHECK_STR(sha, wide_sha);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=0-1048575\"", NULL), 0);
	CHECK_INT(log_count(mark, "\"server\": \"cdn\"", "\"range\": \"bytes=1048576-2097151\"", NULL),
		  0);
	CHECK_INT(log_count(mark, "\"server\": \"hub\"", NULL, NULL), 0);
	faults_clear();
	free(cdn);
	http_free(h);
}

static void test_disk_full(void)
{
	struct lm_http *h;
	struct lm_err err = { 0 };
	char sha[65], *p = part_path("full.part", "");

	if (!exists("/dev/full") || symlink("/dev/full", p) < 0) {
		free(p);
		return;
	}
	h = new_http(0, 0);
	CHECK_INT(download(h, "full.part", BIG_SIZE, 2, NULL, NULL, sha, &err), LM_ERESOURCE);
	CHECK(strstr(err.msg, "No space left") != NULL);
	http_free(h);
	free(p);
}

int main(void)
{
	struct lm_err err = { 0 };
	struct lm_sha256 s;
	unsigned seed = 12345;

	alarm(120); /* a hang fails the test instead of the suite */
	setenv("LOCALMODEL_HTTP_BACKOFF_MS", "20", 1);
	setenv("no_proxy", "*", 1);
	lm_strlcpy(dir, t_tmpdir(), sizeof(dir));
	big_data = lm_xmalloc(BIG_SIZE);
	for (size_t i = 0; i < BIG_SIZE; i++) {
		seed = seed * 1103515245u + 12345u;
		big_data[i] = (char)(seed >> 16);
	}
	CHECK_INT(sha256_init(&s, &err), LM_OK);
	sha256_update(&s, big_data, BIG_SIZE);
	sha256_final_hex(&s, big_sha);
	write_file("repos/org/m-GGUF/big.gguf", big_data, BIG_SIZE);
	wide_data = lm_xmalloc(WIDE_SIZE);
	for (size_t i = 0; i < WIDE_SIZE; i++) {
		seed = seed * 1103515245u + 12345u;
		wide_data[i] = (char)(seed >> 16);
	}
	CHECK_INT(sha256_init(&s, &err), LM_OK);
	sha256_update(&s, wide_data, WIDE_SIZE);
	sha256_final_hex(&s, wide_sha);
	write_file("repos/org/m-GGUF/wide.gguf", wide_data, WIDE_SIZE);
	write_file("repos/org/m-GGUF/tiny.gguf", "GGUF", 4);
	write_file("repos/org/m-GGUF/sub/small.gguf", "GGUF2", 5);
	write_file("repos/org/m-GGUF/README.md", "hello\n", 6);
	if (start_hub() < 0) {
		fprintf(stderr, "cannot start mockhub.py\n");
		stop_hub();
		return 1;
	}
	test_helpers();
	test_get();
	test_download_basic();
	test_download_faults();
	test_download_resume();
	test_download_steal();
	test_download_trial();
	test_disk_full();
	stop_hub();
	free(big_data);
	free(wide_data);
	return T_DONE();
}
