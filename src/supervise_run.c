/* supervise_run: the supervisor loop: spawn llama-server, capture its
 * output into the rotated log, probe /health, restart crashes with backoff,
 * give up, stop on SIGTERM. */
#include "localmodel/supervise.h"
#include "supervise_internal.h"
#include "localmodel/os.h"
#include "localmodel/store.h"
#include "localmodel/usage_capture.h"


#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define LINE_MAX_LEN 8192
#define MAX_CRASH_SLOTS 64

/* Set by the signal handlers, read by the loop. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stop_timeout_ms = -1;
static int self_pipe[2] = { -1, -1 };

struct run {
	struct sup_config *c;
	char state_path[PATH_MAX];
	int log_fd;
	uint64_t log_size;
	int out_fd;        /* the child's stdout+stderr, -1 when closed */
	char line[LINE_MAX_LEN];
	size_t line_len;
	int ready;         /* this child answered /health 200 */
	int ever_ready;
	int stopping;
	int64_t kill_at;   /* SIGKILL the child at this time when stopping */
	int killed;
	time_t crashes[MAX_CRASH_SLOTS];
	int ncrash;
	char reason[512];
	struct lm_usagelog *ul; /* usage rows from the timing lines, or NULL */
	char *key;              /* API key for /metrics, or NULL */
	char *last_metrics;     /* /metrics body scraped at the stop */
	int64_t next_tick;
	int64_t next_health;    /* the next /health probe of a ready child */
	int health_fails;       /* probes in a row that got no 200 */
	int hung;               /* killed for not answering /health */
	struct sup_guard *guard; /* the memory guard */
	char guard_why[400];    /* why the guard stops this server */
	int line_seen;          /* line_ready said the child is about to listen */
};

static long env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	long out;

	if (v && *v && lm_parse_long(v, min, max, &out) == 0)
		return out;
	return def;
}

void sup_config_init(struct sup_config *c)
{
	memset(c, 0, sizeof(*c));
	c->backoff_ms = (int)env_long("LOCALMODEL_RESTART_BACKOFF_MS", 1000, 1, 600000);
	c->max_crashes = 5;
	c->window_s = 600;
	c->log_max = (uint64_t)env_long("LOCALMODEL_LOG_MAX_BYTES", 10L * 1000 * 1000, 1024,
					 1L << 40);
	c->log_keep = 3;
	c->stop_timeout_ms = 10000;
	c->health_interval_ms = (int)env_long("LOCALMODEL_HEALTH_INTERVAL_MS", 5000, 50, 3600000);
	c->health_failures = (int)env_long("LOCALMODEL_HEALTH_FAILURES", 3, 1, 1000);
	c->lock_fd = -1;
}

/* ---- logs ----------------------------------------------------------- */

int sup_log_rotate(const char *path, int keep, struct lm_err *err)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];

	for (int i = keep - 1; i >= 1; i--) {
		snprintf(from, sizeof(from), "%s.%d", path, i);
		snprintf(to, sizeof(to), "%s.%d", path, i + 1);
		if (rename(from, to) < 0 && errno != ENOENT)
			return lm_err_set(err, LM_EFAIL, "cannot rename '%s': %s", from,
					  strerror(errno));
	}
	snprintf(to, sizeof(to), "%s.1", path);
	if (keep < 1)
		to[0] = '\0';
	if ((keep < 1 ? unlink(path) : rename(path, to)) < 0 && errno != ENOENT)
		return lm_err_set(err, LM_EFAIL, "cannot rotate '%s': %s", path, strerror(errno));
	return LM_OK;
}

char *sup_log_tail(const char *path, int n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	off_t size, start;
	ssize_t got;
	size_t len;

	if (fd < 0)
		return lm_xstrdup("");
	size = lseek(fd, 0, SEEK_END);
	start = size > 65536 ? size - 65536 : 0;
	buf = lm_xmalloc(65537);
	got = pread(fd, buf, 65536, start);
	close(fd);
	len = got > 0 ? (size_t)got : 0;
	buf[len] = '\0';
	/* walk back n newlines (ignoring a trailing one) */
	size_t i = len;
	if (i && buf[i - 1] == '\n')
		i--;
	int lines = 0;
	while (i > 0) {
		if (buf[i - 1] == '\n' && ++lines == n)
			break;
		i--;
	}
	memmove(buf, buf + i, len - i + 1);
	return buf;
}

/* Open (append) the log and remember its size. */
static int log_open(struct run *r, struct lm_err *err)
{
	struct stat sb;

	r->log_fd = open(r->c->st.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (r->log_fd < 0)
		return lm_err_set(err, LM_EFAIL, "cannot open '%s': %s", r->c->st.log_path,
				  strerror(errno));
	r->log_size = fstat(r->log_fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	return LM_OK;
}

/* Rotate when over the limit; our own stdout/stderr follow when they
 * pointed at the log (the detached supervisor). */
static void log_maybe_rotate(struct run *r)
{
	struct stat a, b;
	struct lm_err err = { 0 };
	int follow;

	if (r->log_size < r->c->log_max)
		return;
	follow = fstat(2, &a) == 0 && fstat(r->log_fd, &b) == 0 && a.st_ino == b.st_ino &&
		 a.st_dev == b.st_dev;
	if (sup_log_rotate(r->c->st.log_path, r->c->log_keep, &err))
		return;
	close(r->log_fd);
	if (log_open(r, &err)) {
		r->log_fd = -1;
		return;
	}
	if (follow) {
		dup2(r->log_fd, 1);
		dup2(r->log_fd, 2);
	}
}

/* Append to the log, rotating first when it is full (so the newest lines
 * are always in the current file). */
static void log_write(struct run *r, const char *buf, size_t len)
{
	log_maybe_rotate(r);
	if (r->log_fd < 0)
		return;
	while (len) {
		ssize_t n = write(r->log_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf += n;
		len -= (size_t)n;
		r->log_size += (uint64_t)n;
	}
}

/* A line of the supervisor's own in the log: "<time> localmodel: msg". */
static void log_note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_note(struct run *r, const char *fmt, ...)
{
	char ts[32], msg[768], line[900];
	va_list ap;

	lm_time_iso(time(NULL), ts, sizeof(ts));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int n = snprintf(line, sizeof(line), "%s localmodel: %s\n", ts, msg);
	log_write(r, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : strlen(line));
}

static void guard_note(void *data, const char *msg)
{
	log_note(data, "%s", msg);
}

/* Router mode: "load: spawning server instance with name=NAME on port P"
 * says which model the lines relayed as "[P] ..." belong to. */
static void router_line(struct run *r, const char *line)
{
	static const char key[] = "spawning server instance with name=";
	const char *p = strstr(line, key), *end;
	char name[512];
	int port;

	if (!p || !r->ul)
		return;
	p += sizeof(key) - 1;
	if (!(end = strstr(p, " on port ")) || (size_t)(end - p) >= sizeof(name))
		return;
	memcpy(name, p, (size_t)(end - p));
	name[end - p] = '\0';
	port = atoi(end + 9);
	if (port > 0 && port < 65536)
		usagelog_set_port_model(r->ul, port, sup_inventory_name(r->c, name));
}

const char *sup_inventory_name(const struct sup_config *c, const char *router_name)
{
	for (size_t i = 0; i + 1 < c->nname_map; i += 2)
		if (!strcmp(c->name_map[i], router_name))
			return c->name_map[i + 1];
	return router_name;
}

/* Feed the child's bytes to the log and the line callback. */
static void take_output(struct run *r, const char *buf, size_t len)
{
	log_write(r, buf, len);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n' || r->line_len == sizeof(r->line) - 1) {
			r->line[r->line_len] = '\0';
			if (r->line_len && r->line[r->line_len - 1] == '\r')
				r->line[--r->line_len] = '\0';
			if (r->ul && r->c->st.router)
				router_line(r, r->line);
			if (r->ul)
				usagelog_feed_line(r->ul, r->line);
			if (r->guard)
				sup_guard_line(r->guard, r->line);
			if (r->c->on_line)
				r->c->on_line(r->c->data, r->line, r->line_len);
			if (r->c->line_ready && r->c->line_ready(&r->c->st, r->line))
				r->line_seen = 1;
			r->line_len = 0;
			if (buf[i] == '\n')
				continue;
		}
		r->line[r->line_len++] = buf[i];
	}
}

/* Read what the child's pipe holds now; closes it at EOF. */
static void drain_output(struct run *r)
{
	char buf[16384];

	while (r->out_fd >= 0) {
		ssize_t n = read(r->out_fd, buf, sizeof(buf));
		if (n > 0) {
			take_output(r, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == EIO)) { /* EIO: a pty's end */
			close(r->out_fd);
			r->out_fd = -1;
		}
		break;
	}
}

/* ---- signals -------------------------------------------------------- */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	char b = (char)sig;

	(void)uc;
	if (sig != SIGCHLD) {
		stop_requested = 1;
		int ms = os_signal_value_of(si);
		if (ms >= 0)
			stop_timeout_ms = ms;
	}
	if (self_pipe[1] >= 0 && write(self_pipe[1], &b, 1) < 0) {
		/* the pipe is full: the loop wakes anyway */
	}
	errno = saved;
}

static int signals_setup(struct lm_err *err)
{
	struct sigaction sa;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

	if (self_pipe[0] < 0 && os_pipe(self_pipe, 1) < 0)
		return lm_err_set(err, LM_EFAIL, "cannot create a pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	return LM_OK;
}

static void signals_restore(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	close(self_pipe[0]);
	close(self_pipe[1]);
	self_pipe[0] = self_pipe[1] = -1;
}

static void drain_self_pipe(void)
{
	char buf[64];
	while (read(self_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/* ---- records -------------------------------------------------------- */

static void state_save(struct run *r)
{
	struct lm_err err = { 0 };
	if (sup_state_write(r->state_path, &r->c->st, &err))
		log_note(r, "%s", err.msg);
}

/* Update the session row; ended != 0 closes it with r->reason. */
static void session_save(struct run *r, int ended)
{
	struct lm_store *s = NULL;
	struct lm_session x;
	struct lm_err err = { 0 };
	char now[32];

	if (!r->c->db_path || !r->c->st.session[0])
		return;
	if (store_open(&s, r->c->db_path, STORE_EXISTING, 5000, &err))
		goto out;
	if (store_session_get(s, r->c->st.session, &x, &err))
		goto out;
	x.supervisor_pid = (int)r->c->st.sup_pid;
	x.child_pid = (int)r->c->st.child_pid;
	x.restarts = r->c->st.restarts;
	if (ended) {
		lm_time_iso(lm_now(), now, sizeof(now));
		free(x.ended_at);
		free(x.end_reason);
		x.ended_at = lm_xstrdup(now);
		x.end_reason = lm_xstrdup(r->reason);
	}
	store_session_update(s, &x, &err);
	store_session_release(&x);
out:
	if (err.msg[0])
		log_note(r, "cannot record the session: %s", err.msg);
	/* leave the WAL checkpoint (and its fsync) to a later connection */
	store_close_lazy(s);
}

static void event(struct run *r, enum sup_event ev, const char *msg)
{
	if (r->c->on_event)
		r->c->on_event(r->c->data, ev, msg);
}

/* ---- the child ------------------------------------------------------ */

/* Tokens that llama-server must never see: with them, a router could
 * download with the user's Hugging Face account on any request. */
static const char *const secret_env[] = {
	"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_API_TOKEN", "GITHUB_TOKEN", "GH_TOKEN",
	"GITHUB_API_TOKEN", NULL,
};

static int is_secret(const char *kv)
{
	for (int i = 0; secret_env[i]; i++) {
		size_t n = strlen(secret_env[i]);
		if (!strncmp(kv, secret_env[i], n) && kv[n] == '=')
			return 1;
	}
	return 0;
}

/* 1 when kv ("NAME=value") sets a variable that one of extra sets. */
static int overridden(const char *kv, char *const *extra)
{
	size_t n = strcspn(kv, "=");

	for (int i = 0; extra && extra[i]; i++)
		if (!strncmp(kv, extra[i], n) && extra[i][n] == '=')
			return 1;
	return 0;
}

/* The child's environment: ours without the tokens, with the config's
 * extra variables over it (the strings are shared with environ and the
 * config; free only the array). */
static char **child_env(const struct sup_config *c)
{
	size_t n = 0, k = 0, nx = 0;
	char **env;

	while (environ[n])
		n++;
	while (c->extra_env && c->extra_env[nx])
		nx++;
	env = lm_xcalloc(n + nx + 1, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (!is_secret(environ[i]) && !overridden(environ[i], c->extra_env))
			env[k++] = environ[i];
	for (size_t i = 0; i < nx; i++)
		env[k++] = c->extra_env[i];
	return env;
}

/* In the forked child: die with the supervisor, take the pipe as stdout and
 * stderr, reset signals, exec. Reports an exec failure through errfd. */
static void child_exec(struct run *r, pid_t parent, int outfd, int errfd, char **env)
{
	sigset_t none;
	int e, nul;

	if (os_child_die_with_parent(parent) < 0)
		_exit(127);
	nul = open("/dev/null", O_RDONLY);
	if (nul >= 0 && nul != 0) {
		dup2(nul, 0);
		close(nul);
	}
	dup2(outfd, 1);
	dup2(outfd, 2);
	os_close_from(3, &errfd, 1);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(r->c->argv[0], r->c->argv, env);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		e = 0;
	_exit(127);
}

static int spawn_child(struct run *r, struct lm_err *err)
{
	int out[2], ep[2], e = 0;
	pid_t parent = getpid(), pid;
	ssize_t n;

	if (r->c->pty ? sup_pty_open(&out[0], &out[1]) < 0 : os_pipe(out, 0) < 0)
		return lm_err_set(err, LM_EFAIL, "cannot create a %s: %s", r->c->pty ? "pty" : "pipe",
				  strerror(errno));
	if (os_pipe(ep, 0) < 0) {
		close(out[0]);
		close(out[1]);
		return lm_err_set(err, LM_EFAIL, "cannot create a pipe: %s", strerror(errno));
	}
	char **env = child_env(r->c); /* built before fork: the child may only exec */
	pid = fork();
	if (pid == 0)
		child_exec(r, parent, out[1], ep[1], env);
	free(env);
	close(out[1]);
	close(ep[1]);
	if (pid < 0) {
		close(out[0]);
		close(ep[0]);
		return lm_err_set(err, LM_EFAIL, "cannot fork: %s", strerror(errno));
	}
	do
		n = read(ep[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		close(out[0]);
		waitpid(pid, NULL, 0);
		return lm_err_set(err, LM_ERUNTIME, "cannot run '%s': %s", r->c->argv[0],
				  strerror(e));
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	r->out_fd = out[0];
	r->line_len = 0;
	r->ready = 0;
	r->line_seen = 0;
	r->killed = 0;
	r->hung = 0;
	r->health_fails = 0;
	r->c->st.child_pid = pid;
	r->c->st.child_start = 0;
	os_proc_start_time(pid, &r->c->st.child_start);
	return LM_OK;
}

/* One /health probe; marks the child ready on 200. */
static void probe(struct run *r)
{
	int status = 0;
	struct lm_err err = { 0 };

	if (r->c->line_ready) {
		/* an RPC worker: its last start-up line, then its port bound */
		if (!r->line_seen || sup_port_check(r->c->st.host, r->c->st.port, &err) != LM_ESTATE)
			return;
	} else if (sup_http_get(r->c->st.host, r->c->st.port, "/health", NULL, 1000, &status,
				NULL, &err) || status != 200) {
		return;
	}
	r->ready = 1;
	r->next_health = lm_mono_ms() + r->c->health_interval_ms;
	r->c->st.phase = SUP_RUNNING;
	state_save(r);
	if (!r->ever_ready) {
		r->ever_ready = 1;
		log_note(r, "ready on http://%s:%d", r->c->st.host, r->c->st.port);
		event(r, SUP_EV_READY, NULL);
		session_save(r, 0); /* after the word to serve: off its path */
	} else {
		log_note(r, "ready again after restart %d", r->c->st.restarts);
	}
}

static char *scrape_metrics(struct run *r, const char *router_name);
static void scrape_all(struct run *r, int final);

/* A ready child is probed every health_interval_ms; health_failures
 * probes in a row without a 200 (a hang, a deadlock, SIGSTOP) kill it, and
 * the usual restart with backoff follows. */
static void watch_health(struct run *r)
{
	int status = 0;
	struct lm_err err = { 0 };
	int64_t now = lm_mono_ms();

	if (!r->ready || r->stopping || r->hung || now < r->next_health || r->c->line_ready)
		return;
	int timeout = r->c->health_interval_ms < 2000 ? r->c->health_interval_ms : 2000;
	if (sup_http_get(r->c->st.host, r->c->st.port, "/health", NULL, timeout, &status, NULL,
			 &err) == LM_OK && status == 200) {
		r->health_fails = 0;
		scrape_all(r, 0);
	} else if (++r->health_fails >= r->c->health_failures) {
		log_note(r, "llama-server (pid %d) did not answer /health %d times in a row: killing it",
			 (int)r->c->st.child_pid, r->health_fails);
		r->hung = 1;
		kill(r->c->st.child_pid, SIGKILL);
		/* a stopped process dies of SIGKILL too: no SIGCONT needed */
	}
	r->next_health = lm_mono_ms() + r->c->health_interval_ms;
}

/* The child's /metrics body (a router's: of its model router_name, never
 * loading it for that), or NULL. */
static char *scrape_metrics(struct run *r, const char *router_name)
{
	int status = 0;
	char *body = NULL, *path;
	struct lm_err err = { 0 };

	if (router_name) {
		char q[1024];
		size_t k = 0;
		for (const unsigned char *p = (const unsigned char *)router_name; *p && k + 4 < sizeof(q); p++) {
			if (isalnum(*p) || strchr("-._~", *p))
				q[k++] = (char)*p;
			else
				k += (size_t)snprintf(q + k, sizeof(q) - k, "%%%02X", *p);
		}
		q[k] = '\0';
		path = lm_asprintf("/metrics?model=%s&autoload=false", q);
	} else {
		path = lm_xstrdup("/metrics");
	}
	if (sup_http_get(r->c->st.host, r->c->st.port, path, r->key, 1000, &status, &body,
			 &err) || status != 200) {
		free(body);
		body = NULL;
	}
	free(path);
	return body;
}

/* Every model's counters, then what they show beyond the requests' timing
 * lines is recorded as reconciled usage (cut-off streams, embeddings). */
static void scrape_all(struct run *r, int final)
{
	if (!r->ul)
		return;
	if (!r->c->st.router) {
		char *m = scrape_metrics(r, NULL);
		if (m)
			usagelog_metrics(r->ul, NULL, m);
		free(m);
	} else {
		for (size_t i = 0; i + 1 < r->c->nname_map; i += 2) {
			char *m = scrape_metrics(r, r->c->name_map[i]);
			if (m)
				usagelog_metrics(r->ul, r->c->name_map[i + 1], m);
			free(m);
		}
	}
	usagelog_reconcile(r->ul, final);
}

/* About once a second: flush waiting usage rows, scraping /metrics first. */
static void usage_tick(struct run *r)
{
	struct usagelog_stats us;
	struct lm_err err = { 0 };
	int64_t now = lm_mono_ms();

	if (!r->ul || now < r->next_tick)
		return;
	r->next_tick = now + USAGELOG_BATCH_MS;
	usagelog_stats(r->ul, &us);
	if (!us.pending)
		return;
	if (r->ready && !r->c->st.router) {
		char *m = scrape_metrics(r, NULL);
		if (m)
			usagelog_metrics(r->ul, NULL, m);
		free(m);
	}
	if (usagelog_tick(r->ul, &err))
		log_note(r, "cannot record usage: %s", err.msg);
}

/* Ask the child to stop (once), with the timeout a stop may carry. */
static void begin_stop(struct run *r)
{
	int t = stop_timeout_ms >= 0 ? (int)stop_timeout_ms : r->c->stop_timeout_ms;

	r->stopping = 1;
	if (r->ul && r->ready && !r->c->st.router && !r->last_metrics)
		r->last_metrics = scrape_metrics(r, NULL);
	if (r->ul && r->ready && r->c->st.router)
		scrape_all(r, 1);
	r->c->st.phase = SUP_STOPPING;
	state_save(r);
	log_note(r, "stopping (SIGTERM to pid %d, SIGKILL after %d ms)", (int)r->c->st.child_pid, t);
	kill(r->c->st.child_pid, SIGTERM);
	r->kill_at = lm_mono_ms() + t;
}

/* Run until the child exits; returns its wait status. */
static int child_wait(struct run *r)
{
	int64_t started = lm_mono_ms();
	int64_t next_probe = started;
	int status = 0;

	for (;;) {
		struct pollfd p[2] = { { .fd = self_pipe[0], .events = POLLIN },
				       { .fd = r->out_fd, .events = POLLIN } };
		int64_t now = lm_mono_ms();
		int timeout = -1;
		pid_t w;

		if (stop_requested && !r->stopping)
			begin_stop(r);
		if (!r->ready && !r->stopping)
			timeout = (int)(next_probe > now ? next_probe - now : 0);
		if (r->stopping && !r->killed)
			timeout = (int)(r->kill_at > now ? r->kill_at - now : 0);
		if (r->ul && (timeout < 0 || timeout > USAGELOG_BATCH_MS))
			timeout = USAGELOG_BATCH_MS;
		if (r->ready && !r->stopping && !r->hung) {
			int h = (int)(r->next_health > now ? r->next_health - now : 0);
			int64_t gn = sup_guard_next(r->guard);
			int gd = (int)(gn > now ? gn - now : 0);
			timeout = timeout < 0 || timeout > h ? h : timeout;
			timeout = timeout > gd ? gd : timeout;
		}
		w = waitpid(r->c->st.child_pid, &status, WNOHANG);
		if (w == r->c->st.child_pid) {
			drain_output(r);
			if (r->out_fd >= 0)
				close(r->out_fd);
			r->out_fd = -1;
			if (r->line_len)
				take_output(r, "\n", 1);
			return status;
		}
		if (poll(p, r->out_fd >= 0 ? 2 : 1, timeout) > 0) {
			if (p[0].revents)
				drain_self_pipe();
			if (r->out_fd >= 0 && p[1].revents)
				drain_output(r);
		}
		now = lm_mono_ms();
		if (r->stopping && !r->killed && now >= r->kill_at) {
			log_note(r, "pid %d ignored SIGTERM: SIGKILL", (int)r->c->st.child_pid);
			kill(r->c->st.child_pid, SIGKILL);
			r->killed = 1;
		}
		usage_tick(r);
		watch_health(r);
		if (sup_guard_tick(r->guard, r->ready && !r->stopping && !r->hung, r->guard_why,
				   sizeof(r->guard_why)) && !r->stopping) {
			log_note(r, "memory guard: stopping this server: %s", r->guard_why);
			begin_stop(r);
		}
		if (!r->ready && !r->stopping && now >= next_probe) {
			probe(r);
			/* every 5 ms for 2 s, then every 100 ms */
			next_probe = lm_mono_ms() + (lm_mono_ms() - started < 2000 ? 5 : 100);
		}
	}
}

static void describe_exit(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "ended with wait status %d", status);
}

/* Count a crash; 1 when the supervisor should give up. */
static int count_crash(struct run *r)
{
	time_t now = time(NULL);
	int keep = 0;

	for (int i = 0; i < r->ncrash; i++)
		if (now - r->crashes[i] < r->c->window_s)
			r->crashes[keep++] = r->crashes[i];
	r->ncrash = keep;
	if (r->ncrash < MAX_CRASH_SLOTS)
		r->crashes[r->ncrash++] = now;
	return r->ncrash >= r->c->max_crashes;
}

/* Sleep the backoff unless a stop comes; 1 when stopped. */
static int backoff_wait(struct run *r, int ms)
{
	int64_t end = lm_mono_ms() + ms;

	while (!stop_requested) {
		int64_t now = lm_mono_ms();
		struct pollfd p = { .fd = self_pipe[0], .events = POLLIN };
		if (now >= end)
			return 0;
		if (poll(&p, 1, (int)(end - now)) > 0)
			drain_self_pipe();
	}
	return 1;
}

/* Fill in who we are before the first state file. */
static void identify(struct run *r)
{
	struct sup_state *st = &r->c->st;

	st->sup_pid = getpid();
	os_proc_start_time(st->sup_pid, &st->sup_start);
	os_proc_exe(st->sup_pid, st->sup_exe, sizeof(st->sup_exe));
	st->started = time(NULL);
	st->phase = SUP_STARTING;
	sup_file_path(r->state_path, sizeof(r->state_path), r->c->run_dir, st->port, "state");
}

/* What the child is, for the log and the restart notes. */
static const char *child_name(const struct run *r)
{
	return r->c->st.rpc_worker ? "ggml-rpc-server" : "llama-server";
}

/* The loop over child lives; sets r->reason. */
static int supervise(struct run *r, struct lm_err *err)
{
	struct sup_state *st = &r->c->st;
	char why[160];
	int rc;

	for (;;) {
		if ((rc = spawn_child(r, err))) {
			lm_strlcpy(r->reason, err->msg, sizeof(r->reason));
			event(r, SUP_EV_FAILED, r->reason);
			return rc;
		}
		st->phase = SUP_STARTING;
		log_note(r, "started %s (pid %d)", r->c->argv[0], (int)st->child_pid);
		state_save(r);
		if (r->ever_ready)
			session_save(r, 0);
		int status = child_wait(r);
		describe_exit(status, why, sizeof(why));
		if (r->hung)
			snprintf(why, sizeof(why), "hung (no answer to /health %d times in a row) and was killed",
				 r->health_fails);
		if (r->stopping) {
			log_note(r, "%s %s", child_name(r), why);
			snprintf(r->reason, sizeof(r->reason), "stopped");
			return LM_OK;
		}
		if (!r->ever_ready) {
			snprintf(r->reason, sizeof(r->reason),
				 "%s %s before it was ready", child_name(r), why);
			log_note(r, "%s", r->reason);
			event(r, SUP_EV_FAILED, r->reason);
			return lm_err_set(err, LM_EFAIL, "%s", r->reason);
		}
		if (count_crash(r)) {
			snprintf(r->reason, sizeof(r->reason),
				 "gave up after %d crashes in %d min: %s %s", r->ncrash,
				 r->c->window_s / 60, child_name(r), why);
			log_note(r, "%s", r->reason);
			event(r, SUP_EV_FAILED, r->reason);
			return lm_err_set(err, LM_EFAIL, "%s", r->reason);
		}
		int delay = r->c->backoff_ms;
		for (int i = 1; i < r->ncrash && delay < 60000; i++)
			delay *= 2;
		if (delay > 60000)
			delay = 60000;
		st->restarts++;
		snprintf(st->last_restart, sizeof(st->last_restart), "%s %s", child_name(r), why);
		if (r->ul)
			usagelog_child_restarted(r->ul);
		st->child_pid = 0;
		st->child_start = 0;
		st->phase = SUP_RESTARTING;
		state_save(r);
		session_save(r, 0);
		log_note(r, "%s %s; restarting in %d ms", child_name(r), why, delay);
		event(r, SUP_EV_RESTART, why);
		if (backoff_wait(r, delay)) {
			snprintf(r->reason, sizeof(r->reason), "stopped");
			return LM_OK;
		}
	}
}

/* Usage rows for this session, when there is a database to write. */
static void usage_open(struct run *r)
{
	struct lm_err err = { 0 };

	if (r->c->st.key_file[0])
		r->key = sup_key_read(r->c->st.key_file);
	if (!r->c->db_path || !r->c->st.session[0])
		return;
	if (usagelog_new(&r->ul, r->c->db_path, r->c->st.model, r->c->st.session, &err)) {
		log_note(r, "usage will not be recorded: %s", err.msg);
		r->ul = NULL;
	}
}

static void usage_close(struct run *r)
{
	struct lm_err err = { 0 };

	if (r->ul && usagelog_finish(r->ul, r->last_metrics, &err))
		log_note(r, "cannot record usage: %s", err.msg);
	usagelog_free(r->ul);
	r->ul = NULL;
	free(r->last_metrics);
	r->last_metrics = NULL;
	if (r->key) {
		memset(r->key, 0, strlen(r->key));
		free(r->key);
		r->key = NULL;
	}
}

int sup_run_foreground(struct sup_config *c, struct lm_err *err)
{
	struct run *r = lm_xcalloc(1, sizeof(*r));
	int rc;

	r->c = c;
	r->out_fd = -1;
	stop_requested = 0;
	stop_timeout_ms = -1;
	/* these would turn llama-server into a router's child */
	unsetenv("LLAMA_SERVER_ROUTER_PORT");
	unsetenv("LLAMA_SERVER_CHILD_MODE");
	if ((rc = signals_setup(err)))
		goto out_free;
	if ((rc = log_open(r, err)))
		goto out_signals;
	identify(r);
	usage_open(r);
	r->guard = sup_guard_new(c, r->key, guard_note, r);
	log_note(r, "supervisor pid %d serving '%s' on %s:%d", (int)c->st.sup_pid, c->st.model,
		 c->st.host, c->st.port);
	rc = supervise(r, err);
	c->st.child_pid = 0;
	if (rc == LM_OK)
		sup_guard_end_reason(r->guard, r->reason, sizeof(r->reason));
	sup_guard_free(r->guard);
	r->guard = NULL;
	usage_close(r);
	session_save(r, 1);
	log_note(r, "supervisor exits: %s", r->reason);
	sup_state_remove(c->run_dir, c->st.port);
	close(r->log_fd);
out_signals:
	signals_restore();
out_free:
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	c->lock_fd = -1;
	free(r);
	return rc;
}
