/* pull: free-space check, per-file lock, reuse of identical files, and the
 * verified download + atomic rename of one file. */
#include "localmodel/pull.h"
#include "localmodel/catalog.h"
#include "localmodel/dl.h"
#include "localmodel/fit.h"
#include "localmodel/paths.h"
#include "localmodel/otherstores.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define GIB (1024ull * 1024 * 1024)

const char *pull_how_name(enum pull_how h)
{
	static const char *const names[] = { "present", "downloaded", "linked", "copied" };
	return (unsigned)h < 4 ? names[h] : "?";
}

int pull_free_space(const char *dir, uint64_t *out, struct lm_err *err)
{
	const char *t = getenv("LOCALMODEL_TEST_FREE_BYTES");
	char p[PATH_MAX];
	struct statvfs sv;

	if (t && *t) {
		if (lm_parse_size(t, out) == 0)
			return LM_OK;
		return lm_err_set(err, LM_EUSAGE, "bad LOCALMODEL_TEST_FREE_BYTES '%s'", t);
	}
	lm_strlcpy(p, dir, sizeof(p));
	while (statvfs(p, &sv) != 0) {
		if (errno != ENOENT || !strcmp(p, "/") || !strcmp(p, "."))
			return lm_err_set(err, LM_EFAIL, "cannot measure free space at '%s': %s", dir,
					  strerror(errno));
		char *d = dirname(p);
		memmove(p, d, strlen(d) + 1);
	}
	*out = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return LM_OK;
}

int pull_check_space(const char *dir, uint64_t need, struct lm_err *err)
{
	uint64_t avail;
	char n[32], a[32];
	int rc;

	if ((rc = pull_free_space(dir, &avail, err)))
		return rc;
	if (avail >= need + GIB)
		return LM_OK;
	lm_format_size(need + GIB, n, sizeof(n));
	lm_format_size(avail, a, sizeof(a));
	return lm_err_set(err, LM_ERESOURCE,
			  "not enough free space at '%s': %s needed (with a 1 GB margin), %s free",
			  dir, n, a);
}

int pull_fits_size(const struct lm_fit_machine *mc, uint64_t reserve, const char *repo,
		   uint64_t bytes)
{
	const struct lm_catalog_model *cat = catalog_find(repo);
	struct lm_fit_model *m;
	struct lm_fit_opts o;
	struct lm_fit_result r;
	struct lm_err err;
	int rc;

	if (!mc || !mc->ram_bytes)
		return -1;
	m = lm_xcalloc(1, sizeof(*m));
	if (cat && cat->n_layers) {
		struct lm_catalog_file cf = { NULL, NULL, bytes, 1 };
		fit_model_from_catalog(m, cat, &cf);
		goto estimate;
	}
	fit_model_generic(m, bytes);
estimate:
	fit_opts_default(&o);
	o.ctx = LM_FIT_MIN_CTX;
	o.reserve_bytes = reserve;
	rc = fit_estimate(m, mc, &o, &r, &err) != LM_OK ? -1 : r.verdict != LM_FIT_NO_FIT;
	free(m);
	return rc;
}

/* mkdir -p of the directory holding path. */
static int ensure_parent(const char *path, struct lm_err *err)
{
	char d[PATH_MAX];
	lm_strlcpy(d, path, sizeof(d));
	return paths_ensure_dir(dirname(d), err);
}

static char *suffixed(const char *path, const char *suffix)
{
	return lm_asprintf("%s%s", path, suffix);
}

/* Take the lock beside dest, waiting for another process if needed. The lock
 * file may be replaced while we wait: retry until we hold the current one. */
static int lock_take(const struct pull_file *f, const struct pull_opts *o, int *fdp,
		     struct lm_err *err)
{
	char *lp = suffixed(f->dest, ".lock");
	int rc = LM_OK, told = 0;

	for (;;) {
		struct stat a, b;
		int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			rc = lm_err_set(err, LM_EFAIL, "cannot open '%s': %s", lp, strerror(errno));
			break;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			char buf[32] = "";
			ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			if (!told++ && o->wait)
				o->wait(o->wait_ctx, f->dest, strtol(buf, NULL, 10));
			while (flock(fd, LOCK_EX) != 0) {
				if (errno != EINTR || (o->cancel && *o->cancel)) {
					close(fd);
					rc = lm_err_set(err, LM_EFAIL, "interrupted while waiting for '%s'",
							lp);
					goto out;
				}
			}
		}
		if (fstat(fd, &a) == 0 && stat(lp, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			char pid[32];
			int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
			if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0)
				(void)0;
			*fdp = fd;
			break;
		}
		close(fd); /* the file we locked was removed meanwhile */
	}
out:
	free(lp);
	return rc;
}

/* Release the lock; remove the lock file when nothing is left to resume. */
static void lock_drop(const struct pull_file *f, int fd, int remove)
{
	if (fd < 0)
		return;
	if (remove) {
		char *lp = suffixed(f->dest, ".lock");
		unlink(lp);
		free(lp);
	}
	close(fd);
}

/* 1 when path is a regular file of the expected size (and hash). */
static int same_file(const char *path, uint64_t size, const char *sha, int hash, char got[65])
{
	struct stat st;
	struct lm_err e;

	got[0] = '\0';
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		return 0;
	if (!hash || !sha)
		return 1;
	if (sha256_file(path, got, &e) != 0)
		return 0;
	return !strcmp(got, sha);
}

/* Copy src to tmp (created 0644). */
static int copy_file(const char *src, const char *tmp, volatile sig_atomic_t *cancel,
		     struct lm_err *err)
{
	char buf[1 << 16];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = LM_OK;
	ssize_t n;

	if (in < 0)
		return lm_err_set(err, LM_EFAIL, "cannot read '%s': %s", src, strerror(errno));
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (cancel && *cancel) {
			rc = lm_err_set(err, LM_EFAIL, "interrupted");
			goto out;
		}
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));
			if (k < 0) {
				rc = lm_err_set(err, errno == ENOSPC ? LM_ERESOURCE : LM_EFAIL,
						"cannot write '%s': %s", tmp, strerror(errno));
				goto out;
			}
			w += k;
		}
	}
	if (n < 0)
		rc = lm_err_set(err, LM_EFAIL, "cannot read '%s': %s", src, strerror(errno));
	else if (fsync(out) != 0)
		rc = lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", tmp, strerror(errno));
out:
	close(in);
	if (out >= 0)
		close(out);
	if (rc)
		unlink(tmp);
	return rc;
}

/* Put an identical file at dest: a hard link, else a copy; via a temporary
 * name and rename so dest is never half there. LOCALMODEL_TEST_NO_LINK=1
 * makes linking fail, for tests of the copy path. */
static int reuse(const struct pull_file *f, const struct pull_opts *o, const char *src,
		 struct pull_result *r, struct lm_err *err)
{
	const char *nolink = getenv("LOCALMODEL_TEST_NO_LINK");
	char *tmp = suffixed(f->dest, ".link");
	int rc = LM_OK;

	unlink(tmp);
	if (!(nolink && *nolink == '1') && link(src, tmp) == 0) {
		r->how = PULL_LINKED;
	} else {
		if ((rc = copy_file(src, tmp, o->cancel, err)))
			goto out;
		r->how = PULL_COPIED;
	}
	if (rename(tmp, f->dest) != 0) {
		rc = lm_err_set(err, LM_EFAIL, "cannot rename '%s': %s", tmp, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	return rc;
}

/* Look for an identical file: localmodel's other models, then the HF and
 * llama.cpp caches. */
static int find_identical(const struct pull_file *f, struct pull_result *r)
{
	char got[65], path[PATH_MAX];
	const char *src = NULL;

	if (!f->sha256)
		return 0;
	for (const char *const *c = f->candidates; c && *c; c++)
		if (strcmp(*c, f->dest) && same_file(*c, f->size, f->sha256, 1, got)) {
			lm_strlcpy(r->from, *c, sizeof(r->from));
			r->source = "localmodel";
			return 1;
		}
	if (stores_find_blob(f->repo, f->sha256, f->size, path, sizeof(path), &src) &&
	    same_file(path, f->size, f->sha256, 1, got)) {
		lm_strlcpy(r->from, path, sizeof(r->from));
		r->source = src;
		return 1;
	}
	return 0;
}

/* Download into "<dest>.part", verified by http.c, then rename into place. */
static int download(struct lm_http *h, const struct pull_file *f, const struct pull_opts *o,
		    struct pull_result *r, struct lm_err *err)
{
	char *part = suffixed(f->dest, ".part"), *state = suffixed(part, ".state");
	struct lm_download d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.url = f->url;
	d.start_url = f->start_url;
	d.partial = part;
	d.size = f->size;
	d.sha256 = f->sha256;
	d.connections = o->connections;
	d.progress = o->progress;
	d.progress_ctx = o->progress_ctx;
	d.cancel = o->cancel;
	rc = http_download(h, &d, r->sha256, err);
	if (!rc && o->cancel && *o->cancel)
		rc = lm_err_set(err, LM_EFAIL, "interrupted");
	if (!rc && !f->sha256 && f->git_sha1)
		rc = pull_verify_git_blob(part, f->git_sha1, r->sha256, err);
	if (rc)
		goto out;
	if (rename(part, f->dest) != 0) {
		rc = lm_err_set(err, LM_EFAIL, "cannot rename '%s': %s", part, strerror(errno));
		goto out;
	}
	unlink(state);
	r->how = PULL_DOWNLOADED;
out:
	if (rc == LM_EINTEGRITY) {
		unlink(part);
		unlink(state);
	}
	free(part);
	free(state);
	return rc;
}

int pull_fetch(struct lm_http *h, const struct pull_file *f, const struct pull_opts *o,
	       struct pull_result *r, struct lm_err *err)
{
	int fd = -1, rc, done = 0;
	char got[65];

	memset(r, 0, sizeof(*r));
	if ((rc = ensure_parent(f->dest, err)))
		return rc;
	if ((rc = lock_take(f, o, &fd, err)))
		return rc;
	if (same_file(f->dest, f->size, f->sha256, !f->trusted, got) &&
	    (f->sha256 || !f->git_sha1 || f->trusted ||
	     pull_verify_git_blob(f->dest, f->git_sha1, got, NULL) == LM_OK)) {
		r->how = PULL_PRESENT;
		lm_strlcpy(r->sha256, got[0] ? got : (f->sha256 ? f->sha256 : ""),
			   sizeof(r->sha256));
		done = 1;
		goto out;
	}
	if (find_identical(f, r)) {
		if ((rc = reuse(f, o, r->from, r, err)))
			goto out;
		lm_strlcpy(r->sha256, f->sha256, sizeof(r->sha256));
		done = 1;
		goto out;
	}
	rc = download(h, f, o, r, err);
	done = rc == LM_OK || rc == LM_EINTEGRITY; /* nothing left to resume */
out:
	lock_drop(f, fd, done);
	return rc;
}
