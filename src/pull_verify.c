/* pull_verify: the git blob id of a plain git (non-LFS) file. */
#include "localmodel/dl.h"
#include "localmodel/pull.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One pass over the file: SHA-1 of "blob <size>\0" + content (git's blob
 * id) and SHA-256 of the content, so that the SHA-256 kept is that of
 * the very bytes verified. */
static int hash_blob(int fd, uint64_t size, char sha1[41], char sha256[65], struct lm_err *err)
{
	static char buf[1 << 16];
	struct lm_sha1 a = { 0 };
	struct lm_sha256 b = { 0 };
	char head[32];
	int n = snprintf(head, sizeof(head), "blob %" PRIu64, size);
	int rc;

	if ((rc = sha1_init(&a, err)))
		return rc;
	if ((rc = sha256_init(&b, err))) {
		sha1_release(&a);
		return rc;
	}
	sha1_update(&a, head, (size_t)n + 1); /* the NUL is part of the header */
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sha1_release(&a);
			sha256_release(&b);
			return lm_err_set(err, LM_EFAIL, "cannot read: %s", strerror(errno));
		}
		if (r == 0)
			break;
		sha1_update(&a, buf, (size_t)r);
		sha256_update(&b, buf, (size_t)r);
	}
	sha1_final_hex(&a, sha1);
	sha256_final_hex(&b, sha256);
	return LM_OK;
}

int pull_verify_git_blob(const char *path, const char *git_sha1, char sha256_out[65],
			 struct lm_err *err)
{
	char got[41];
	struct stat st;
	int fd, rc;

	sha256_out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lm_err_set(err, LM_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = lm_err_set(err, LM_EFAIL, "cannot read '%s': %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	rc = hash_blob(fd, (uint64_t)st.st_size, got, sha256_out, err);
	close(fd);
	if (rc)
		return lm_err_prefix(err, "'%s'", path);
	if (strcasecmp(got, git_sha1)) {
		sha256_out[0] = '\0';
		return lm_err_set(err, LM_EINTEGRITY, "'%s': git blob id mismatch: got %s, want %s",
				  path, got, git_sha1);
	}
	return LM_OK;
}
