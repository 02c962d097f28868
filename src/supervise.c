/* supervise: process identity, state files, locks and stopping a server. */
#include "localmodel/supervise.h"
#include "localmodel/os.h"
#include "localmodel/paths.h"
#include "localmodel/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- processes ---------------------------------------------------- */

int sup_proc_matches(pid_t pid, unsigned long long start, const char *exe)
{
	unsigned long long now_start;
	char now_exe[PATH_MAX];

	if (pid <= 1 || os_proc_start_time(pid, &now_start) < 0 || now_start != start)
		return 0;
	if (exe && *exe) {
		if (os_proc_exe(pid, now_exe, sizeof(now_exe)) < 0 || strcmp(now_exe, exe))
			return 0;
	}
	return 1;
}

int sup_proc_signal(pid_t pid, unsigned long long start, const char *exe, int sig)
{
	if (!sup_proc_matches(pid, start, exe))
		return -1;
	return kill(pid, sig) == 0 ? 0 : -1;
}

/* ---- state files ---------------------------------------------------- */

static const char *const phase_names[] = { "starting", "running", "restarting", "stopping" };

const char *sup_phase_name(enum sup_phase p)
{
	return (unsigned)p < 4 ? phase_names[p] : "starting";
}

int sup_file_path(char *buf, size_t size, const char *run_dir, int port, const char *ext)
{
	int n = snprintf(buf, size, "%s/server-%d.%s", run_dir, port, ext);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Write a small runtime file atomically (temp + rename), 0600, no fsync:
 * it describes live processes and is worthless after a reboot. */
static int write_quick(const char *path, const char *data, size_t len, struct lm_err *err)
{
	char tmp[PATH_MAX + 32];
	int fd, rc = LM_OK;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", path, strerror(errno));
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", path, strerror(errno));
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && rc == LM_OK)
		rc = lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", path, strerror(errno));
	if (rc == LM_OK && rename(tmp, path) < 0)
		rc = lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", path, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

int sup_state_write(const char *path, const struct sup_state *st, struct lm_err *err)
{
	char *s = lm_asprintf(
		"supervisor_pid=%d\nsupervisor_start=%llu\nsupervisor_exe=%s\n"
		"child_pid=%d\nchild_start=%llu\nhost=%s\nport=%d\nmodel=%s\nalias=%s\n"
		"session=%s\nlog=%s\nkey_file=%s\nruntime=%s\nstarted=%lld\nrestarts=%d\n"
		"last_restart=%s\nctx_slot=%ld\nslots=%d\nkv_unified=%d\nrouter=%d\nphase=%s\n"
		"expected=%llu\nkeep=%s\n"
		"rpc_worker=%d\nrpc_version=%s\ndevices=%s\n",
		(int)st->sup_pid, st->sup_start, st->sup_exe, (int)st->child_pid,
		st->child_start, st->host, st->port, st->model, st->alias, st->session,
		st->log_path, st->key_file, st->runtime, (long long)st->started, st->restarts,
		st->last_restart, st->ctx_slot, st->slots, st->kv_unified, st->router,
		sup_phase_name(st->phase), (unsigned long long)st->expected, st->keep,
		st->rpc_worker, st->rpc_version, st->devices);
	int rc = write_quick(path, s, strlen(s), err);
	free(s);
	return rc;
}

/* Set one field of st from a key=value line. */
static void state_set(struct sup_state *st, const char *k, const char *v)
{
	if (!strcmp(k, "supervisor_pid"))
		st->sup_pid = (pid_t)atoi(v);
	else if (!strcmp(k, "supervisor_start"))
		st->sup_start = strtoull(v, NULL, 10);
	else if (!strcmp(k, "supervisor_exe"))
		lm_strlcpy(st->sup_exe, v, sizeof(st->sup_exe));
	else if (!strcmp(k, "child_pid"))
		st->child_pid = (pid_t)atoi(v);
	else if (!strcmp(k, "child_start"))
		st->child_start = strtoull(v, NULL, 10);
	else if (!strcmp(k, "host"))
		lm_strlcpy(st->host, v, sizeof(st->host));
	else if (!strcmp(k, "port"))
		st->port = atoi(v);
	else if (!strcmp(k, "model"))
		lm_strlcpy(st->model, v, sizeof(st->model));
	else if (!strcmp(k, "alias"))
		lm_strlcpy(st->alias, v, sizeof(st->alias));
	else if (!strcmp(k, "session"))
		lm_strlcpy(st->session, v, sizeof(st->session));
	else if (!strcmp(k, "log"))
		lm_strlcpy(st->log_path, v, sizeof(st->log_path));
	else if (!strcmp(k, "key_file"))
		lm_strlcpy(st->key_file, v, sizeof(st->key_file));
	else if (!strcmp(k, "runtime"))
		lm_strlcpy(st->runtime, v, sizeof(st->runtime));
	else if (!strcmp(k, "started"))
		st->started = (time_t)strtoll(v, NULL, 10);
	else if (!strcmp(k, "restarts"))
		st->restarts = atoi(v);
	else if (!strcmp(k, "last_restart"))
		lm_strlcpy(st->last_restart, v, sizeof(st->last_restart));
	else if (!strcmp(k, "ctx_slot"))
		st->ctx_slot = atol(v);
	else if (!strcmp(k, "slots"))
		st->slots = atoi(v);
	else if (!strcmp(k, "kv_unified"))
		st->kv_unified = atoi(v);
	else if (!strcmp(k, "router"))
		st->router = atoi(v);
	else if (!strcmp(k, "expected"))
		st->expected = strtoull(v, NULL, 10);
	else if (!strcmp(k, "keep"))
		lm_strlcpy(st->keep, v, sizeof(st->keep));
	else if (!strcmp(k, "rpc_worker"))
		st->rpc_worker = atoi(v);
	else if (!strcmp(k, "rpc_version"))
		lm_strlcpy(st->rpc_version, v, sizeof(st->rpc_version));
	else if (!strcmp(k, "devices"))
		lm_strlcpy(st->devices, v, sizeof(st->devices));
	else if (!strcmp(k, "phase"))
		for (int i = 0; i < 4; i++)
			if (!strcmp(v, phase_names[i]))
				st->phase = (enum sup_phase)i;
}

int sup_state_read(const char *path, struct sup_state *st, struct lm_err *err)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = lm_read_file(path, 64 * 1024, &buf, &len, err)))
		return rc;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		state_set(st, line, eq + 1);
	}
	free(buf);
	if (st->sup_pid <= 0 || st->port <= 0)
		return lm_err_set(err, LM_EFAIL, "malformed state file '%s'", path);
	return LM_OK;
}

static int state_cmp(const void *a, const void *b)
{
	return ((const struct sup_state *)a)->port - ((const struct sup_state *)b)->port;
}

int sup_state_list(const char *run_dir, struct sup_state **out, size_t *n, struct lm_err *err)
{
	DIR *d;
	struct dirent *e;
	struct sup_state *list = NULL;
	size_t cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	if (!(d = opendir(run_dir))) {
		if (errno == ENOENT || errno == ENOTDIR)
			return LM_OK;
		return lm_err_set(err, LM_EFAIL, "cannot read '%s': %s", run_dir, strerror(errno));
	}
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct lm_err ignored = { 0 };
		if (!lm_starts_with(e->d_name, "server-") || !lm_ends_with(e->d_name, ".state"))
			continue;
		if (paths_join(path, sizeof(path), run_dir, e->d_name) < 0)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 4;
			list = lm_xrealloc(list, cap * sizeof(*list));
		}
		if (sup_state_read(path, &list[cnt], &ignored) == LM_OK)
			cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(list, cnt, sizeof(*list), state_cmp);
	*out = list;
	*n = cnt;
	return LM_OK;
}

int sup_state_alive(const struct sup_state *st)
{
	return sup_proc_matches(st->sup_pid, st->sup_start, st->sup_exe);
}

/* Close the session of a stale record. */
static void close_stale_session(struct lm_store *store, const struct sup_state *st)
{
	struct lm_session x;
	struct lm_err err = { 0 };
	char now[32];

	if (!store || !st->session[0] || store_session_get(store, st->session, &x, &err))
		return;
	if (!x.ended_at) {
		lm_time_iso(lm_now(), now, sizeof(now));
		x.ended_at = lm_xstrdup(now);
		free(x.end_reason);
		x.end_reason = lm_asprintf("stale record cleaned: supervisor pid %d is gone",
					   (int)st->sup_pid);
		store_session_update(store, &x, &err);
	}
	store_session_release(&x);
}

int sup_state_reap(const char *run_dir, struct lm_store *store, struct sup_state **live,
		   size_t *nlive, struct sup_state **stale, size_t *nstale, struct lm_err *err)
{
	struct sup_state *all;
	size_t n;
	int rc;

	*live = *stale = NULL;
	*nlive = *nstale = 0;
	if ((rc = sup_state_list(run_dir, &all, &n, err)))
		return rc;
	*live = lm_xcalloc(n + 1, sizeof(**live));
	*stale = lm_xcalloc(n + 1, sizeof(**stale));
	for (size_t i = 0; i < n; i++) {
		if (sup_state_alive(&all[i])) {
			(*live)[(*nlive)++] = all[i];
			continue;
		}
		/* a child left behind by a dead supervisor: only if it is still it */
		if (all[i].child_pid > 0)
			sup_proc_signal(all[i].child_pid, all[i].child_start, NULL, SIGKILL);
		all[i].remove_errno = sup_state_remove(run_dir, all[i].port);
		close_stale_session(store, &all[i]);
		(*stale)[(*nstale)++] = all[i];
	}
	free(all);
	return LM_OK;
}

int sup_state_remove(const char *run_dir, int port)
{
	char path[PATH_MAX];
	int e = 0;

	if (sup_file_path(path, sizeof(path), run_dir, port, "state") == 0 && unlink(path) < 0 &&
	    errno != ENOENT)
		e = errno;
	if (sup_file_path(path, sizeof(path), run_dir, port, "ini") == 0)
		unlink(path);
	if (sup_file_path(path, sizeof(path), run_dir, port, "lock") == 0)
		unlink(path);
	/* a router's own (empty) model cache */
	if (snprintf(path, sizeof(path), "%s/router-cache-%d", run_dir, port) < (int)sizeof(path))
		rmdir(path);
	return e;
}

int sup_lock_port(const char *run_dir, int port, int *fd, struct lm_err *err)
{
	char path[PATH_MAX];

	*fd = -1;
	if (sup_file_path(path, sizeof(path), run_dir, port, "lock") < 0)
		return lm_err_set(err, LM_EFAIL, "run directory path too long");
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return lm_err_set(err, LM_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(*fd);
		*fd = -1;
		if (e == EWOULDBLOCK)
			return lm_err_set(err, LM_ESTATE, "a server is already starting on port %d",
					  port);
		return lm_err_set(err, LM_EFAIL, "cannot lock '%s': %s", path, strerror(e));
	}
	return LM_OK;
}

/* Wait up to ms for the process to be gone (or recycled); 1 when gone. */
static int wait_gone(pid_t pid, unsigned long long start, const char *exe, int ms)
{
	int64_t end = lm_mono_ms() + ms;

	for (;;) {
		if (!sup_proc_matches(pid, start, exe))
			return 1;
		/* a zombie keeps its process entry: it is gone all the same */
		if (os_proc_is_zombie(pid))
			return 1;
		if (lm_mono_ms() >= end)
			return 0;
		usleep(10000);
	}
}

int sup_stop(const struct sup_state *st, int timeout_ms, struct lm_err *err)
{
	int child_alive;

	if (!sup_state_alive(st))
		return lm_err_set(err, LM_ESTATE, "server on port %d is not running", st->port);
	/* the supervisor's own stop timeout rides along where the OS can carry
	 * it; either way the child is killed here after timeout_ms */
	if (os_signal_value(st->sup_pid, SIGTERM, timeout_ms) < 0)
		return lm_err_set(err, LM_EFAIL, "cannot signal pid %d: %s", (int)st->sup_pid,
				  strerror(errno));
	child_alive = st->child_pid > 0;
	if (child_alive && !wait_gone(st->child_pid, st->child_start, NULL, timeout_ms + 500)) {
		/* the supervisor should have killed it by now: do it ourselves */
		sup_proc_signal(st->child_pid, st->child_start, NULL, SIGKILL);
	}
	if (!wait_gone(st->sup_pid, st->sup_start, st->sup_exe, child_alive ? 3000 : timeout_ms + 3000)) {
		sup_proc_signal(st->sup_pid, st->sup_start, st->sup_exe, SIGKILL);
		wait_gone(st->sup_pid, st->sup_start, st->sup_exe, 2000);
	}
	return LM_OK;
}
