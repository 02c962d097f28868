/* archive: safe extraction of release archives into a staging directory. */
#include "localmodel/archive.h"
#include "localmodel/dl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AR_DEFAULT_MAX_BYTES (16ULL << 30)
#define AR_DEFAULT_MAX_ENTRIES 200000
#define AR_MAX_HOPS 40

#define AR_FLAGS (ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
		  ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_TIME)

struct ar_job {
	struct archive *in;
	struct archive *out;
	const char *name;  /* archive name for messages */
	uint64_t bytes;
	uint64_t entries;
	struct ar_opts lim;
};

/* Append component c to the relative path in pos (size PATH_MAX). */
static int pos_push(char *pos, const char *c, size_t clen)
{
	size_t len = strlen(pos);

	if (len + clen + 2 >= PATH_MAX)
		return -1;
	if (len)
		pos[len++] = '/';
	memcpy(pos + len, c, clen);
	pos[len + clen] = '\0';
	return 0;
}

static void pos_pop(char *pos)
{
	char *s = strrchr(pos, '/');
	if (s)
		*s = '\0';
	else
		pos[0] = '\0';
}

/* A chroot-style resolution of target from the directory holding rel: every
 * symlink met on the way is followed on disk, and ".." may never climb above
 * root. Missing components are taken as they are (a dangling link is fine as
 * long as its text stays inside). */
int ar_link_inside(const char *root, const char *rel, const char *target)
{
	char pos[PATH_MAX] = "", full[PATH_MAX * 2], lbuf[PATH_MAX];
	char *rest = NULL, *cur;
	int hops = 0, ok = 0;

	if (!target || !*target || target[0] == '/' || strlen(rel) >= sizeof(pos))
		return 0;
	lm_strlcpy(pos, rel, sizeof(pos));
	pos_pop(pos);
	rest = lm_xstrdup(target);
	cur = rest;
	while (*cur) {
		size_t clen = strcspn(cur, "/");
		char *c = cur;
		cur += clen;
		cur += strspn(cur, "/");
		if (clen == 0 || (clen == 1 && c[0] == '.'))
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			if (!pos[0])
				goto out;
			pos_pop(pos);
			continue;
		}
		if (pos_push(pos, c, clen) < 0)
			goto out;
		snprintf(full, sizeof(full), "%s/%s", root, pos);
		struct stat st;
		if (lstat(full, &st) < 0 || !S_ISLNK(st.st_mode))
			continue;
		ssize_t n = readlink(full, lbuf, sizeof(lbuf) - 1);
		if (n <= 0 || ++hops > AR_MAX_HOPS)
			goto out;
		lbuf[n] = '\0';
		if (lbuf[0] == '/')
			goto out;
		pos_pop(pos);
		char *next = lm_asprintf("%s/%s", lbuf, cur);
		free(rest);
		rest = cur = next;
	}
	ok = 1;
out:
	free(rest);
	return ok;
}

/* Normalize an entry path: drop "./" and empty components; refuse absolute
 * paths and "..". 0 ok, 1 the root itself, -1 unsafe. */
static int norm_path(const char *in, char *out, size_t size)
{
	size_t len = 0;

	if (!in || in[0] == '/')
		return -1;
	out[0] = '\0';
	while (*in) {
		size_t clen = strcspn(in, "/");
		const char *c = in;
		in += clen;
		in += strspn(in, "/");
		if (clen == 0 || (clen == 1 && c[0] == '.'))
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.')
			return -1;
		if (len + clen + 2 >= size)
			return -1;
		if (len)
			out[len++] = '/';
		memcpy(out + len, c, clen);
		len += clen;
		out[len] = '\0';
	}
	return len ? 0 : 1;
}

/* 1 when any existing component of rel (relative to the working directory),
 * including rel itself, is a symlink: writing there would go through it. */
static int through_symlink(const char *rel)
{
	char buf[PATH_MAX];
	struct stat st;

	lm_strlcpy(buf, rel, sizeof(buf));
	for (char *s = buf;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (lstat(buf, &st) == 0 && S_ISLNK(st.st_mode))
				return 1;
			if (!c)
				return 0;
			*s = c;
		}
	}
}

static int unsafe(struct ar_job *j, struct lm_err *err, const char *what, const char *path)
{
	return lm_err_set(err, LM_EINTEGRITY, "unsafe archive '%s': %s '%s'", j->name, what,
			  path ? path : "(unnamed)");
}

/* Check one entry against the rules and rewrite its paths normalized. */
static int check_entry(struct ar_job *j, struct archive_entry *e, struct lm_err *err)
{
	const char *raw = lm_ar.entry_pathname(e), *hl = lm_ar.entry_hardlink(e);
	char rel[PATH_MAX], target[PATH_MAX];
	mode_t ft = lm_ar.entry_filetype(e), mode = lm_ar.entry_mode(e);
	int n = norm_path(raw, rel, sizeof(rel));

	if (n < 0)
		return unsafe(j, err, "absolute or '..' path", raw);
	if (n > 0 && ft == AE_IFDIR && !hl)
		return 1; /* "./": the root itself, skipped */
	if (n > 0)
		return unsafe(j, err, "empty path", raw);
	if (through_symlink(rel))
		return unsafe(j, err, "entry written through a symlink", raw);
	lm_ar.entry_set_pathname(e, rel);
	if (hl) {
		struct stat st;
		if (norm_path(hl, target, sizeof(target)) != 0)
			return unsafe(j, err, "hardlink outside the folder", raw);
		if (through_symlink(target) || lstat(target, &st) < 0 || !S_ISREG(st.st_mode))
			return unsafe(j, err, "hardlink to something not a file in the folder", raw);
		lm_ar.entry_set_hardlink(e, target);
		return 0;
	}
	switch (ft) {
	case AE_IFREG:
		lm_ar.entry_set_perm(e, (mode & 0755) | 0600);
		return 0;
	case AE_IFDIR:
		lm_ar.entry_set_perm(e, (mode & 0755) | 0700);
		return 0;
	case AE_IFLNK:
		if (!ar_link_inside(".", rel, lm_ar.entry_symlink(e)))
			return unsafe(j, err, "symlink pointing outside the folder", raw);
		return 0;
	default:
		return unsafe(j, err, "device, fifo or socket entry", raw);
	}
}

static int write_failed(struct ar_job *j, struct lm_err *err, int code)
{
	int e = errno;
	if (e == ENOSPC || e == EDQUOT)
		code = LM_ERESOURCE;
	return lm_err_set(err, code, "cannot extract '%s': %s", j->name,
			  lm_ar.error_string(j->out) ? lm_ar.error_string(j->out) : strerror(e));
}

/* Copy the data of the current entry. */
static int copy_data(struct ar_job *j, struct lm_err *err)
{
	const void *buf;
	size_t size;
	la_int64_t off;

	for (;;) {
		int r = lm_ar.read_data_block(j->in, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return LM_OK;
		if (r < ARCHIVE_WARN)
			return lm_err_set(err, LM_EINTEGRITY, "corrupt archive '%s': %s", j->name,
					  lm_ar.error_string(j->in));
		j->bytes += size;
		if (j->bytes > j->lim.max_bytes)
			return lm_err_set(err, LM_ERESOURCE,
					  "archive '%s' expands to more than %llu bytes", j->name,
					  (unsigned long long)j->lim.max_bytes);
		if (lm_ar.write_data_block(j->out, buf, size, off) < ARCHIVE_WARN)
			return write_failed(j, err, LM_EFAIL);
	}
}

/* Extract every entry into the working directory. */
static int extract_all(struct ar_job *j, struct lm_err *err)
{
	struct archive_entry *e;
	int rc;

	for (;;) {
		int r = lm_ar.read_next_header(j->in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return lm_err_set(err, LM_EINTEGRITY, "corrupt archive '%s': %s", j->name,
					  lm_ar.error_string(j->in));
		if (++j->entries > j->lim.max_entries)
			return lm_err_set(err, LM_ERESOURCE, "archive '%s' has more than %llu entries",
					  j->name, (unsigned long long)j->lim.max_entries);
		rc = check_entry(j, e, err);
		if (rc == 1)
			continue;
		if (rc)
			return rc;
		if (lm_ar.write_header(j->out, e) < ARCHIVE_WARN)
			return write_failed(j, err, LM_EINTEGRITY);
		if (lm_ar.entry_size(e) > 0 && (rc = copy_data(j, err)))
			return rc;
		if (lm_ar.write_finish_entry(j->out) < ARCHIVE_WARN)
			return write_failed(j, err, LM_EFAIL);
	}
	if (j->entries == 0)
		return lm_err_set(err, LM_EINTEGRITY, "archive '%s' is empty", j->name);
	return LM_OK;
}

/* Walk the finished tree: every symlink must stay inside root, and nothing
 * but files, directories and symlinks may be there. */
static int verify_tree(const char *root, const char *name, struct lm_err *err)
{
	char *paths[] = { (char *)root, NULL };
	FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	FTSENT *f;
	char target[PATH_MAX];
	size_t rlen = strlen(root);
	int rc = LM_OK;

	if (!fts)
		return lm_err_set(err, LM_EFAIL, "cannot read '%s': %s", root, strerror(errno));
	while (rc == LM_OK && (f = fts_read(fts))) {
		const char *rel = f->fts_path + (f->fts_pathlen > rlen ? rlen + 1 : rlen);
		if (f->fts_info == FTS_SL || f->fts_info == FTS_SLNONE) {
			ssize_t n = readlink(f->fts_path, target, sizeof(target) - 1);
			if (n <= 0 || (target[n] = '\0', !ar_link_inside(root, rel, target)))
				rc = lm_err_set(err, LM_EINTEGRITY,
						"unsafe archive '%s': symlink pointing outside the folder '%s'",
						name, rel);
		} else if (f->fts_info == FTS_DEFAULT) {
			rc = lm_err_set(err, LM_EINTEGRITY,
					"unsafe archive '%s': device, fifo or socket entry '%s'", name, rel);
		} else if (f->fts_info == FTS_DNR || f->fts_info == FTS_ERR || f->fts_info == FTS_NS) {
			rc = lm_err_set(err, LM_EFAIL, "cannot read '%s': %s", f->fts_path,
					strerror(f->fts_errno));
		}
	}
	fts_close(fts);
	return rc;
}

/* The directory that becomes dest: the single top-level directory when the
 * archive has one (llama-<tag>/), else the staging directory itself. */
static char *pick_root(const char *staging)
{
	DIR *d = opendir(staging);
	struct dirent *de;
	char *only = NULL;
	int count = 0;

	if (!d)
		return lm_xstrdup(staging);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++count == 1)
			only = lm_asprintf("%s/%s", staging, de->d_name);
	}
	closedir(d);
	struct stat st;
	if (count == 1 && lstat(only, &st) == 0 && S_ISDIR(st.st_mode))
		return only;
	free(only);
	return lm_xstrdup(staging);
}

static int open_cwd(void)
{
#ifdef O_PATH
	int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
#else
	int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
	return fd;
}

/* Run the extraction of an opened reader into a fresh staging directory,
 * then verify it and rename it to dest. */
static int extract_to(struct ar_job *j, const char *dest, struct lm_err *err)
{
	char *staging = NULL, *root = NULL, *slash;
	int rc = LM_OK, cwd = -1;
	struct stat st;

	if (lstat(dest, &st) == 0)
		return lm_err_set(err, LM_EFAIL, "cannot extract to '%s': it already exists", dest);
	slash = strrchr(dest, '/');
	staging = slash ? lm_asprintf("%.*s/.staging-%s-XXXXXX", (int)(slash - dest), dest, slash + 1)
			: lm_asprintf(".staging-%s-XXXXXX", dest);
	if (!mkdtemp(staging)) {
		rc = lm_err_set(err, errno == ENOSPC ? LM_ERESOURCE : LM_EFAIL,
				"cannot create '%s': %s", staging, strerror(errno));
		free(staging);
		return rc;
	}
	if ((cwd = open_cwd()) < 0 || chdir(staging) < 0) {
		rc = lm_err_set(err, LM_EFAIL, "cannot enter '%s': %s", staging, strerror(errno));
		goto out;
	}
	j->out = lm_ar.write_disk_new();
	lm_ar.write_disk_set_options(j->out, AR_FLAGS);
	rc = extract_all(j, err);
	/* write_free applies the deferred directory permissions */
	lm_ar.write_free(j->out);
	j->out = NULL;
	if (fchdir(cwd) < 0 && rc == LM_OK)
		rc = lm_err_set(err, LM_EFAIL, "cannot return to the working directory: %s",
				strerror(errno));
	if (rc)
		goto out;
	root = pick_root(staging);
	if ((rc = verify_tree(root, j->name, err)))
		goto out;
	if (!strcmp(root, staging))
		chmod(root, 0755);
	if (rename(root, dest) < 0)
		rc = lm_err_set(err, LM_EFAIL, "cannot rename '%s' to '%s': %s", root, dest,
				strerror(errno));
out:
	if (cwd >= 0)
		close(cwd);
	ar_remove_tree(staging, NULL);
	free(root);
	free(staging);
	return rc;
}

static void job_init(struct ar_job *j, const char *name, const struct ar_opts *limits)
{
	memset(j, 0, sizeof(*j));
	j->name = name;
	j->lim.max_bytes = limits && limits->max_bytes ? limits->max_bytes : AR_DEFAULT_MAX_BYTES;
	j->lim.max_entries =
		limits && limits->max_entries ? limits->max_entries : AR_DEFAULT_MAX_ENTRIES;
}

static struct archive *reader_new(void)
{
	struct archive *a = lm_ar.read_new();
	if (a) {
		lm_ar.read_support_filter_all(a);
		lm_ar.read_support_format_all(a);
	}
	return a;
}

int ar_extract_file(const char *path, const char *dest, const struct ar_opts *limits,
		    struct lm_err *err)
{
	struct ar_job j;
	const char *base = strrchr(path, '/');
	int rc;

	if ((rc = dl_archive_load(err)))
		return rc;
	job_init(&j, limits && limits->name ? limits->name : base ? base + 1 : path, limits);
	if (access(path, R_OK) < 0)
		return lm_err_set(err, errno == ENOENT ? LM_ENOTFOUND : LM_EFAIL,
				  "cannot open '%s': %s", path, strerror(errno));
	if (!(j.in = reader_new()))
		return lm_err_set(err, LM_ERESOURCE, "out of memory");
	if (lm_ar.read_open_filename(j.in, path, 65536) != ARCHIVE_OK)
		rc = lm_err_set(err, LM_EINTEGRITY, "cannot read archive '%s': %s", j.name,
				lm_ar.error_string(j.in));
	else
		rc = extract_to(&j, dest, err);
	lm_ar.read_free(j.in);
	return rc;
}

int ar_extract_memory(const void *buf, size_t len, const char *dest,
		      const struct ar_opts *limits, struct lm_err *err)
{
	struct ar_job j;
	int rc;

	if ((rc = dl_archive_load(err)))
		return rc;
	job_init(&j, "(memory)", limits);
	if (!(j.in = reader_new()))
		return lm_err_set(err, LM_ERESOURCE, "out of memory");
	if (lm_ar.read_open_memory(j.in, buf, len) != ARCHIVE_OK)
		rc = lm_err_set(err, LM_EINTEGRITY, "cannot read archive '%s': %s", j.name,
				lm_ar.error_string(j.in));
	else
		rc = extract_to(&j, dest, err);
	lm_ar.read_free(j.in);
	return rc;
}

int ar_remove_tree(const char *path, struct lm_err *err)
{
	char *paths[] = { (char *)path, NULL };
	struct stat st;
	FTS *fts;
	FTSENT *f;
	int rc = LM_OK;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? LM_OK
				       : lm_err_set(err, LM_EFAIL, "cannot remove '%s': %s", path,
						    strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return lm_err_set(err, LM_EFAIL, "cannot remove '%s': %s", path,
					  strerror(errno));
		return LM_OK;
	}
	chmod(path, 0700);
	if (!(fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL)))
		return lm_err_set(err, LM_EFAIL, "cannot remove '%s': %s", path, strerror(errno));
	while ((f = fts_read(fts))) {
		int r = 0;
		switch (f->fts_info) {
		case FTS_D:
			chmod(f->fts_path, 0700);
			continue;
		case FTS_DP:
			r = rmdir(f->fts_path);
			break;
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			errno = f->fts_errno;
			r = -1;
			break;
		default:
			r = unlink(f->fts_path);
			break;
		}
		if (r < 0 && rc == LM_OK)
			rc = lm_err_set(err, LM_EFAIL, "cannot remove '%s': %s", f->fts_path,
					strerror(errno));
	}
	fts_close(fts);
	return rc;
}
