/* runtime: the runtime/ layout on disk, the llama-server --version check
 * and installation (releases: runtime_github.c; asset choice:
 * runtime_asset.c). */
#include "localmodel/runtime.h"
#include "localmodel/os.h"
#include "runtime_internal.h"
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

#define RT_INFO_FILE ".localmodel.json"
#define RT_VERSION_TIMEOUT_MS 10000

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
		if (len + 1 >= cap)
			break; /* 1 MB is more than any --help */
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
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

int rt_run_capture(const char *server, const char *arg, char **text, struct lm_err *err)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)server, (char *)arg, NULL };
	int pipefd[2], status = 0, timed_out = 0, rc = LM_OK;
	char line[200];
	pid_t pid;

	*text = NULL;
	if (access(server, X_OK) < 0)
		return lm_err_set(err, errno == ENOENT ? LM_ENOTFOUND : LM_EFAIL,
				  "cannot run '%s': %s", server, strerror(errno));
	if (os_pipe(pipefd, 0) < 0)
		return lm_err_set(err, LM_EFAIL, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	int sr = posix_spawn(&pid, server, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (sr != 0) {
		close(pipefd[0]);
		return lm_err_set(err, LM_EFAIL, "cannot run '%s': %s", server, strerror(sr));
	}
	*text = read_all(pipefd[0], RT_VERSION_TIMEOUT_MS, &timed_out);
	close(pipefd[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	first_line(*text, line, sizeof(line));
	if (timed_out)
		rc = lm_err_set(err, LM_EFAIL, "'%s %s' did not finish in %d s", server, arg,
				RT_VERSION_TIMEOUT_MS / 1000);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = lm_err_set(err, LM_EFAIL, "'%s %s' failed (%s %d)%s%s", server, arg,
				WIFEXITED(status) ? "exit" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				line[0] ? ": " : "", line);
	return rc;
}

int rt_version(const char *server, long *build, char *version, size_t vsize, char *commit,
	       size_t csize, struct lm_err *err)
{
	char line[200], *text;
	int rc = rt_run_capture(server, "--version", &text, err);

	if (rc) {
		free(text);
		return rc;
	}
	first_line(text, line, sizeof(line));
	if (parse_version(text, build, version, vsize, commit, csize) < 0)
		rc = lm_err_set(err, LM_EFAIL, "'%s --version' printed no build number%s%s", server,
				line[0] ? ": " : "", line);
	free(text);
	return rc;
}

/* ---- records and layout --------------------------------------------- */

cJSON *rt_info_json(const struct rt_info *in, int where)
{
	cJSON *o = cJSON_CreateObject();

	if (where) {
		cJSON_AddStringToObject(o, "name", in->name);
		cJSON_AddStringToObject(o, "path", in->dir);
		cJSON_AddStringToObject(o, "server", in->server);
	}
	cJSON_AddStringToObject(o, "tag", in->tag);
	cJSON_AddNumberToObject(o, "build", (double)in->build);
	cJSON_AddStringToObject(o, "backend", in->backend);
	cJSON_AddStringToObject(o, "source", in->source);
	cJSON_AddStringToObject(o, "origin", in->origin);
	if (in->sha256[0])
		cJSON_AddStringToObject(o, "sha256", in->sha256);
	else
		cJSON_AddNullToObject(o, "sha256");
	cJSON_AddStringToObject(o, "installed_at", in->installed_at);
	cJSON_AddStringToObject(o, "version", in->version);
	cJSON_AddStringToObject(o, "commit", in->commit);
	return o;
}

static int write_info(const struct rt_info *in, struct lm_err *err)
{
	cJSON *o = rt_info_json(in, 0);
	char path[PATH_MAX + 32];
	int rc;

	char *text = cJSON_Print(o);
	snprintf(path, sizeof(path), "%s/%s", in->dir, RT_INFO_FILE);
	rc = lm_write_file_atomic(path, text, strlen(text), 0644, err);
	free(text);
	cJSON_Delete(o);
	return rc;
}

static void jcopy(const cJSON *o, const char *key, char *out, size_t size)
{
	const char *s = rt_jstr(o, key);
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
	return rt_client_download(c, &d, got, err);
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
