/* Unit tests of the supervise layer: process identity, state files, logs,
 * the local HTTP client, the port check, keys, units and the loop's
 * failure paths. */
#include "t.h"
#include "localmodel/os.h"
#include "localmodel/supervise.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char dir[512];

static void test_proc(void)
{
	unsigned long long start = 0, other = 0;
	char exe[PATH_MAX];
	uint64_t rss = 0;
	pid_t child;

	CHECK(os_proc_start_time(getpid(), &start) == 0);
	CHECK(start > 0);
	CHECK(os_proc_exe(getpid(), exe, sizeof(exe)) == 0);
	CHECK(strstr(exe, "test_supervise") != NULL);
	CHECK(os_proc_rss(getpid(), &rss) == 0 && rss > 0);
	CHECK_INT(sup_proc_matches(getpid(), start, exe), 1);
	CHECK_INT(sup_proc_matches(getpid(), start, NULL), 1);
	CHECK_INT(sup_proc_matches(getpid(), start + 1, exe), 0);
	CHECK_INT(sup_proc_matches(getpid(), start, "/bin/true"), 0);
	CHECK_INT(sup_proc_matches(0, start, NULL), 0);
	CHECK_INT(sup_proc_matches(1, start, NULL), 0);
	/* a signal is refused when the start time does not match */
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	CHECK(os_proc_start_time(child, &other) == 0);
	CHECK_INT(sup_proc_signal(child, other + 5, NULL, SIGKILL), -1);
	CHECK_INT(kill(child, 0), 0);
	CHECK_INT(sup_proc_signal(child, other, NULL, SIGKILL), 0);
	waitpid(child, NULL, 0);
	CHECK_INT(sup_proc_matches(child, other, NULL), 0);
}

static void test_state(void)
{
	struct sup_state st, back, *list = NULL, *live = NULL, *stale = NULL;
	size_t n = 0, nlive = 0, nstale = 0;
	struct lm_err err = { 0 };
	char path[PATH_MAX], run[PATH_MAX];

	snprintf(run, sizeof(run), "%s/run", dir);
	mkdir(run, 0700);
	memset(&st, 0, sizeof(st));
	st.sup_pid = getpid();
	os_proc_start_time(getpid(), &st.sup_start);
	os_proc_exe(getpid(), st.sup_exe, sizeof(st.sup_exe));
	st.port = 8081;
	lm_strlcpy(st.host, "127.0.0.1", sizeof(st.host));
	lm_strlcpy(st.model, "org/repo:Q4_K_M", sizeof(st.model));
	lm_strlcpy(st.alias, "a=b", sizeof(st.alias));
	st.restarts = 3;
	st.phase = SUP_RESTARTING;
	CHECK(sup_file_path(path, sizeof(path), run, 8081, "state") == 0);
	CHECK(lm_ends_with(path, "/run/server-8081.state"));
	CHECK_INT(sup_state_write(path, &st, &err), LM_OK);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK_INT(sup_state_read(path, &back, &err), LM_OK);
	CHECK_INT(back.sup_pid, getpid());
	CHECK_INT(back.sup_start, st.sup_start);
	CHECK_STR(back.sup_exe, st.sup_exe);
	CHECK_STR(back.model, "org/repo:Q4_K_M");
	CHECK_STR(back.alias, "a=b");
	CHECK_INT(back.restarts, 3);
	CHECK_INT(back.phase, SUP_RESTARTING);
	CHECK_STR(sup_phase_name(back.phase), "restarting");
	CHECK_INT(sup_state_alive(&back), 1);

	/* a second, stale one (start time off by one) and a malformed one */
	st.port = 8080;
	st.sup_start += 1;
	sup_file_path(path, sizeof(path), run, 8080, "state");
	CHECK_INT(sup_state_write(path, &st, &err), LM_OK);
	sup_file_path(path, sizeof(path), run, 9999, "state");
	lm_write_file_atomic(path, "garbage\n", 8, 0600, &err);
	CHECK_INT(sup_state_read(path, &back, &err), LM_EFAIL);
	CHECK_INT(sup_state_list(run, &list, &n, &err), LM_OK);
	CHECK_INT(n, 2);
	CHECK_INT(list[0].port, 8080);
	CHECK_INT(list[1].port, 8081);
	free(list);
	CHECK_INT(sup_state_reap(run, NULL, &live, &nlive, &stale, &nstale, &err), LM_OK);
	CHECK_INT(nlive, 1);
	CHECK_INT(nstale, 1);
	CHECK_INT(live[0].port, 8081);
	CHECK_INT(stale[0].port, 8080);
	sup_file_path(path, sizeof(path), run, 8080, "state");
	CHECK(access(path, F_OK) < 0);
	free(live);
	free(stale);
	unlink(path);
	sup_file_path(path, sizeof(path), run, 9999, "state");
	unlink(path);
	CHECK_INT(sup_state_remove(run, 8081), 0);
	CHECK_INT(sup_state_list(run, &list, &n, &err), LM_OK);
	CHECK_INT(n, 0);
	/* gone already is no failure; a record that stays is */
	CHECK_INT(sup_state_remove(run, 8081), 0);
	CHECK_INT(sup_state_remove("/dev/null", 8081), ENOTDIR);
	free(list);
	/* a missing directory is an empty list */
	CHECK_INT(sup_state_list("/nonexistent/dir", &list, &n, &err), LM_OK);
	CHECK_INT(n, 0);
	free(list);
}

static void test_lock(void)
{
	int a = -1, b = -1;
	struct lm_err err = { 0 };

	CHECK_INT(sup_lock_port(dir, 7000, &a, &err), LM_OK);
	CHECK(a >= 0);
	/* flock is per open file: a second open conflicts even in one process */
	CHECK_INT(sup_lock_port(dir, 7000, &b, &err), LM_ESTATE);
	CHECK(strstr(err.msg, "port 7000") != NULL);
	close(a);
	CHECK_INT(sup_lock_port(dir, 7000, &b, &err), LM_OK);
	close(b);
}

static void test_logs(void)
{
	char path[PATH_MAX], p1[PATH_MAX + 8], p3[PATH_MAX + 8], p4[PATH_MAX + 8];
	struct lm_err err = { 0 };
	char *tail;

	snprintf(path, sizeof(path), "%s/x.log", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p3, sizeof(p3), "%s.3", path);
	snprintf(p4, sizeof(p4), "%s.4", path);
	for (int i = 0; i < 5; i++) {
		char body[32];
		int n = snprintf(body, sizeof(body), "gen %d\n", i);
		lm_write_file_atomic(path, body, (size_t)n, 0600, &err);
		CHECK_INT(sup_log_rotate(path, 3, &err), LM_OK);
	}
	CHECK(access(path, F_OK) < 0);
	CHECK(access(p3, F_OK) == 0);
	CHECK(access(p4, F_OK) < 0);
	tail = sup_log_tail(p1, 5);
	CHECK_STR(tail, "gen 4\n");
	free(tail);
	tail = sup_log_tail(p3, 5);
	CHECK_STR(tail, "gen 2\n");
	free(tail);
	lm_write_file_atomic(path, "a\nb\nc\nd\n", 8, 0600, &err);
	tail = sup_log_tail(path, 2);
	CHECK_STR(tail, "c\nd\n");
	free(tail);
	tail = sup_log_tail(path, 20);
	CHECK_STR(tail, "a\nb\nc\nd\n");
	free(tail);
	tail = sup_log_tail("/nonexistent", 20);
	CHECK_STR(tail, "");
	free(tail);
}

static void test_loopback(void)
{
	CHECK(sup_host_is_loopback("127.0.0.1"));
	CHECK(sup_host_is_loopback("127.1.2.3"));
	CHECK(sup_host_is_loopback("::1"));
	CHECK(sup_host_is_loopback("localhost"));
	CHECK(!sup_host_is_loopback("0.0.0.0"));
	CHECK(!sup_host_is_loopback("::"));
	CHECK(!sup_host_is_loopback("192.168.1.10"));
	CHECK(!sup_host_is_loopback("128.0.0.1"));
}

/* A one-shot server: answers one connection with resp, then exits. */
static pid_t serve_once(int *port, const char *resp)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(ls, (struct sockaddr *)&a, sizeof(a));
	listen(ls, 4);
	getsockname(ls, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	pid = fork();
	if (pid == 0) {
		char buf[4096];
		int c = accept(ls, NULL, NULL);
		ssize_t n = read(c, buf, sizeof(buf) - 1);
		if (n > 0 && write(c, resp, strlen(resp)) < 0)
			_exit(1);
		close(c);
		_exit(0);
	}
	close(ls);
	return pid;
}

static void test_http(void)
{
	int port = 0, status = 0;
	char *body = NULL;
	struct lm_err err = { 0 };
	pid_t pid;

	pid = serve_once(&port, "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}");
	CHECK_INT(sup_http_get("127.0.0.1", port, "/health", NULL, 2000, &status, &body, &err), LM_OK);
	CHECK_INT(status, 200);
	CHECK_STR(body, "{\"status\":\"ok\"}");
	free(body);
	waitpid(pid, NULL, 0);

	pid = serve_once(&port, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				"5\r\nab\ncd\r\n3\r\nefg\r\n0\r\n\r\n");
	CHECK_INT(sup_http_get("0.0.0.0", port, "/metrics", "k", 2000, &status, &body, &err), LM_OK);
	CHECK_INT(status, 200);
	CHECK_STR(body, "ab\ncdefg");
	free(body);
	waitpid(pid, NULL, 0);

	pid = serve_once(&port, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}");
	CHECK_INT(sup_http_get("127.0.0.1", port, "/health", NULL, 2000, &status, NULL, &err), LM_OK);
	CHECK_INT(status, 503);
	waitpid(pid, NULL, 0);

	pid = serve_once(&port, "garbage");
	CHECK_INT(sup_http_get("127.0.0.1", port, "/health", NULL, 2000, &status, &body, &err), LM_ENET);
	CHECK(body == NULL);
	waitpid(pid, NULL, 0);

	/* nothing listening any more */
	CHECK_INT(sup_http_get("127.0.0.1", port, "/health", NULL, 500, &status, &body, &err), LM_ENET);
	CHECK_INT(status, 0);
}

static void test_port_check(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	struct lm_err err = { 0 };
	int ls = socket(AF_INET, SOCK_STREAM, 0), port;
	char want[64];

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(ls, (struct sockaddr *)&a, sizeof(a));
	listen(ls, 1);
	getsockname(ls, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	CHECK_INT(sup_port_check("127.0.0.1", port, &err), LM_ESTATE);
	snprintf(want, sizeof(want), "(pid %d)", (int)getpid());
	CHECK(strstr(err.msg, want) != NULL);
	close(ls);
	CHECK_INT(sup_port_check("127.0.0.1", port, &err), LM_OK);
	CHECK_INT(sup_port_check("no.such.host.invalid", port, &err), LM_EUSAGE);
}

static void test_key(void)
{
	char path[PATH_MAX];
	struct lm_err err = { 0 };
	struct stat sb;
	char *k1, *k2;

	snprintf(path, sizeof(path), "%s/k.key", dir);
	CHECK_INT(sup_key_generate(path, &err), LM_OK);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	k1 = sup_key_read(path);
	CHECK(k1 && strlen(k1) == 6 + 48 && lm_starts_with(k1, "sk-lm-"));
	CHECK_INT(sup_key_generate(path, &err), LM_OK);
	k2 = sup_key_read(path);
	CHECK(k1 && k2 && strcmp(k1, k2) != 0);
	free(k1);
	free(k2);
	lm_write_file_atomic(path, "# comment\n\n  key-two  \nkey3\n", 28, 0600, &err);
	k1 = sup_key_read(path);
	CHECK_STR(k1, "key-two");
	free(k1);
	CHECK(sup_key_read("/nonexistent") == NULL);
}

static void test_units(void)
{
	char *argv[] = { "/usr/bin/localmodel", "serve", "--foreground", "/m/a b.gguf",
			 "--alias", "x%y$z\"q", NULL };
	char *env[] = { "LOCALMODEL_HOME=/h/with space", NULL };
	char *u = sup_unit_systemd("localmodel: test", argv, env);

	CHECK(strstr(u, "ExecStart=/usr/bin/localmodel serve --foreground \"/m/a b.gguf\" --alias "
			"\"x%%y$$z\\\"q\"\n") != NULL);
	CHECK(strstr(u, "Environment=\"LOCALMODEL_HOME=/h/with space\"\n") != NULL);
	CHECK(strstr(u, "Description=localmodel: test\n") != NULL);
	free(u);
	u = sup_unit_launchd("org.localmodel.serve.1", argv, env, "/l/<log>");
	CHECK(strstr(u, "<string>x%y$z&quot;q</string>") != NULL);
	CHECK(strstr(u, "<key>LOCALMODEL_HOME</key>") != NULL);
	CHECK(strstr(u, "<string>/l/&lt;log&gt;</string>") != NULL);
	free(u);
}

/* Events seen by the loop tests. */
static int ev_failed, ev_ready;
static char ev_msg[600];
static void on_event(void *data, enum sup_event ev, const char *msg)
{
	(void)data;
	if (ev == SUP_EV_FAILED)
		ev_failed++;
	if (ev == SUP_EV_READY)
		ev_ready++;
	if (msg)
		lm_strlcpy(ev_msg, msg, sizeof(ev_msg));
}

static int lines;
static void on_line(void *data, const char *line, size_t len)
{
	(void)data;
	(void)line;
	(void)len;
	lines++;
}

static void test_run_failures(void)
{
	struct sup_config c;
	struct lm_err err = { 0 };
	char *missing[] = { "/nonexistent/llama-server", NULL };
	char *noisy[] = { "/bin/sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done; exit 3",
			  NULL };
	char log[PATH_MAX], rotated[PATH_MAX + 8], *tail;

	snprintf(log, sizeof(log), "%s/sup.log", dir);
	sup_config_init(&c);
	CHECK_INT(c.backoff_ms, 1000);
	CHECK_INT(c.max_crashes, 5);
	CHECK_INT(c.window_s, 600);
	CHECK_INT(c.log_keep, 3);
	c.argv = missing;
	c.run_dir = dir;
	c.st.port = 1;
	lm_strlcpy(c.st.host, "127.0.0.1", sizeof(c.st.host));
	lm_strlcpy(c.st.log_path, log, sizeof(c.st.log_path));
	c.on_event = on_event;
	ev_failed = 0;
	CHECK_INT(sup_run_foreground(&c, &err), LM_ERUNTIME);
	CHECK(strstr(err.msg, "cannot run '/nonexistent/llama-server'") != NULL);
	CHECK_INT(ev_failed, 1);

	/* a child that prints a lot and exits before it is ready: log rotated */
	sup_config_init(&c);
	c.argv = noisy;
	c.run_dir = dir;
	c.st.port = 1;
	lm_strlcpy(c.st.host, "127.0.0.1", sizeof(c.st.host));
	lm_strlcpy(c.st.log_path, log, sizeof(c.st.log_path));
	c.log_max = 1024;
	c.on_event = on_event;
	c.on_line = on_line;
	ev_failed = ev_ready = lines = 0;
	CHECK_INT(sup_run_foreground(&c, &err), LM_EFAIL);
	CHECK(strstr(err.msg, "exited with status 3 before it was ready") != NULL);
	CHECK(strstr(ev_msg, "exited with status 3") != NULL);
	CHECK_INT(ev_failed, 1);
	CHECK_INT(ev_ready, 0);
	CHECK_INT(lines, 300);
	snprintf(rotated, sizeof(rotated), "%s.1", log);
	CHECK(access(rotated, F_OK) == 0);
	snprintf(rotated, sizeof(rotated), "%s.4", log);
	CHECK(access(rotated, F_OK) < 0);
	tail = sup_log_tail(log, 1);
	CHECK(strstr(tail, "supervisor exits") != NULL);
	free(tail);
	/* the state file is gone at the end */
	snprintf(rotated, sizeof(rotated), "%s/server-1.state", dir);
	CHECK(access(rotated, F_OK) < 0);
}

int main(void)
{
	lm_strlcpy(dir, t_tmpdir(), sizeof(dir));
	signal(SIGPIPE, SIG_IGN);
	test_proc();
	test_state();
	test_lock();
	test_logs();
	test_loopback();
	test_http();
	test_port_check();
	test_key();
	test_units();
	test_run_failures();
	return T_DONE();
}
