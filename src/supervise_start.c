/* supervise_start: the supervisor as a detached process of its own, and the
 * wait for its first word ("ready" or why not) in the process that started
 * it. */
#include "localmodel/supervise.h"
#include "localmodel/os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Events of the detached supervisor: one line to the waiting parent,
 * "ready" or "fail <why>", then the pipe is closed (restarts are not
 * told: by then nobody waits). */
struct detached {
	int fd;
};

static void detached_event(void *data, enum sup_event ev, const char *msg)
{
	struct detached *d = data;
	char line[600];
	int n;

	if (d->fd < 0 || ev == SUP_EV_RESTART)
		return;
	n = snprintf(line, sizeof(line), "%s %s\n", ev == SUP_EV_READY ? "ready" : "fail",
		     msg ? msg : "");
	if (write(d->fd, line, n > 0 && n < (int)sizeof(line) ? (size_t)n : strlen(line)) < 0) {
		/* the parent gave up waiting: nobody to tell */
	}
	close(d->fd);
	d->fd = -1;
}

/* In the forked child: a session of its own, /dev/null in, the log out,
 * every descriptor but keep (ascending) closed. */
static void detach_stdio(int logfd, int nul, const int *keep, int nkeep)
{
	setsid();
	dup2(nul, 0);
	dup2(logfd, 1);
	dup2(logfd, 2);
	close(nul);
	close(logfd);
	os_close_from(3, keep, nkeep);
}

/* The detached supervisor's life; never returns. */
static void run_detached(struct sup_config *c, int fd)
{
	struct detached d = { fd };
	struct lm_err err = { 0 };
	int rc;

	c->on_event = detached_event;
	c->data = &d;
	rc = sup_run_foreground(c, &err);
	if (d.fd >= 0) /* ended without a word: say why */
		detached_event(&d, SUP_EV_FAILED, err.msg[0] ? err.msg : "the supervisor ended");
	fflush(NULL);
	_exit(rc);
}

int sup_start_detached(struct sup_config *c, pid_t *pid, int *ready_fd, struct lm_err *err)
{
	int fds[2], logfd, nul;
	pid_t p;

	*pid = -1;
	*ready_fd = -1;
	if (os_pipe(fds, 0) < 0)
		return lm_err_set(err, LM_EFAIL, "cannot create a pipe: %s", strerror(errno));
	logfd = open(c->st.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nul < 0) {
		int e = errno;
		if (logfd >= 0)
			close(logfd);
		close(fds[0]);
		close(fds[1]);
		return lm_err_set(err, LM_EFAIL, "cannot open '%s': %s",
				  logfd < 0 ? c->st.log_path : "/dev/null", strerror(e));
	}
	int keep[2] = { fds[1], c->lock_fd };
	int nkeep = c->lock_fd >= 0 ? 2 : 1;
	if (nkeep == 2 && keep[1] < keep[0]) {
		keep[0] = c->lock_fd;
		keep[1] = fds[1];
	}
	fflush(stdout);
	fflush(stderr);
	p = fork();
	if (p == 0) {
		detach_stdio(logfd, nul, keep, nkeep);
		run_detached(c, fds[1]);
	}
	close(logfd);
	close(nul);
	close(fds[1]);
	if (p < 0) {
		close(fds[0]);
		return lm_err_set(err, LM_EFAIL, "cannot fork: %s", strerror(errno));
	}
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	c->lock_fd = -1;
	*pid = p;
	*ready_fd = fds[0];
	return LM_OK;
}

/* Stop a supervisor we started (our child: its pid cannot be recycled
 * before we reap it) and reap it. */
static void stop_started(pid_t pid)
{
	os_signal_value(pid, SIGTERM, 2000);
	for (int i = 0; i < 500 && waitpid(pid, NULL, WNOHANG) == 0; i++)
		usleep(10000);
}

/* Read the first line the supervisor writes (or up to its end); 1 when
 * complete, 0 to wait more, -1 on EOF with nothing. */
static int read_word(int fd, char *buf, size_t size, size_t *len)
{
	ssize_t n = read(fd, buf + *len, size - 1 - *len);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return *len ? 1 : -1;
	*len += (size_t)n;
	buf[*len] = '\0';
	return strchr(buf, '\n') || *len >= size - 1 ? 1 : 0;
}

int sup_wait_ready(pid_t pid, int fd, long timeout_ms, const volatile sig_atomic_t *interrupted,
		   char *why, size_t size)
{
	char buf[600];
	size_t len = 0;
	int64_t end = lm_mono_ms() + timeout_ms;
	int got = 0;

	buf[0] = '\0';
	while (!got) {
		long left = (long)(end - lm_mono_ms());
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || (interrupted && *interrupted)) {
			stop_started(pid);
			close(fd);
			if (interrupted && *interrupted)
				snprintf(why, size, "interrupted before llama-server was ready; stopped it");
			else
				snprintf(why, size, "llama-server was not healthy after %ld s (--timeout); stopped it",
					 timeout_ms / 1000);
			return LM_EFAIL;
		}
		int r = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (r > 0)
			got = read_word(fd, buf, sizeof(buf), &len);
	}
	close(fd);
	buf[strcspn(buf, "\n")] = '\0';
	if (got > 0 && lm_starts_with(buf, "ready"))
		return LM_OK;
	waitpid(pid, NULL, 0);
	snprintf(why, size, "%s", got > 0 && len > 5 ? buf + 5
				  : "the supervisor ended before llama-server was ready");
	return LM_EFAIL;
}
