/* dl/hash: whole-file hashing on top of the SHA-256 helpers of dl.h, the same
 * for every implementation of them. */
#include "dl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void dl_hex(const unsigned char *b, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 15];
	}
	hex[2 * n] = '\0';
}

int sha256_file(const char *path, char hex[65], struct lm_err *err)
{
	struct lm_sha256 s = { 0 };
	static char buf[1 << 16];
	int fd, rc;

	if ((rc = sha256_init(&s, err)))
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sha256_release(&s);
		return lm_err_set(err, errno == ENOENT ? LM_ENOTFOUND : LM_EFAIL,
				  "cannot open '%s': %s", path, strerror(errno));
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = lm_err_set(err, LM_EFAIL, "cannot read '%s': %s", path, strerror(errno));
			sha256_release(&s);
			close(fd);
			return rc;
		}
		if (r == 0)
			break;
		sha256_update(&s, buf, (size_t)r);
	}
	close(fd);
	sha256_final_hex(&s, hex);
	return LM_OK;
}
