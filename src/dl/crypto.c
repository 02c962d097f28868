/* dl/crypto: libcrypto (SHA-256, SHA-1) loaded on first use; OS randomness. */
#include "dl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct lm_crypto_api lm_crypto;
static void *crypto_handle;

static const char *const sonames[] = { "libcrypto.so.3", "libcrypto.so", "libcrypto.3.dylib",
				       "libcrypto.dylib", NULL };
static const char *const symbols[] = {
	"EVP_MD_CTX_new", "EVP_MD_CTX_free", "EVP_sha256", "EVP_DigestInit_ex",
	"EVP_DigestUpdate", "EVP_DigestFinal_ex", "RAND_bytes", "EVP_sha1",
};
_Static_assert(sizeof(symbols) / sizeof(symbols[0]) == DL_NSYMS(struct lm_crypto_api),
	       "crypto symbol table out of step with struct lm_crypto_api");

int dl_crypto_load(struct lm_err *err)
{
	return dl_load_table(sonames, symbols, (void **)&lm_crypto, DL_NSYMS(lm_crypto),
			     &crypto_handle, err);
}

int dl_crypto_loaded(void)
{
	return crypto_handle != NULL;
}

int sha256_init(struct lm_sha256 *s, struct lm_err *err)
{
	int rc = dl_crypto_load(err);
	if (rc)
		return rc;
	s->md_ctx = lm_crypto.md_ctx_new();
	if (!s->md_ctx || lm_crypto.digest_init_ex(s->md_ctx, lm_crypto.sha256(), NULL) != 1) {
		sha256_release(s);
		return lm_err_set(err, LM_EFAIL, "sha256: cannot initialise");
	}
	return LM_OK;
}

void sha256_update(struct lm_sha256 *s, const void *data, size_t len)
{
	lm_crypto.digest_update(s->md_ctx, data, len);
}

void sha256_final_hex(struct lm_sha256 *s, char hex[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	lm_crypto.digest_final_ex(s->md_ctx, md, &n);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	sha256_release(s);
}

void sha256_release(struct lm_sha256 *s)
{
	if (s->md_ctx)
		lm_crypto.md_ctx_free(s->md_ctx);
	s->md_ctx = NULL;
}

int sha1_init(struct lm_sha1 *s, struct lm_err *err)
{
	int rc = dl_crypto_load(err);
	if (rc)
		return rc;
	s->md_ctx = lm_crypto.md_ctx_new();
	if (!s->md_ctx || lm_crypto.digest_init_ex(s->md_ctx, lm_crypto.sha1(), NULL) != 1) {
		sha1_release(s);
		return lm_err_set(err, LM_EFAIL, "sha1: cannot initialise");
	}
	return LM_OK;
}

void sha1_update(struct lm_sha1 *s, const void *data, size_t len)
{
	lm_crypto.digest_update(s->md_ctx, data, len);
}

void sha1_final_hex(struct lm_sha1 *s, char hex[41])
{
	unsigned char md[20];
	unsigned int n = 0;

	lm_crypto.digest_final_ex(s->md_ctx, md, &n);
	for (unsigned i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[40] = '\0';
	sha1_release(s);
}

void sha1_release(struct lm_sha1 *s)
{
	if (s->md_ctx)
		lm_crypto.md_ctx_free(s->md_ctx);
	s->md_ctx = NULL;
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

int lm_random_bytes(void *buf, size_t n, struct lm_err *err)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return lm_err_set(err, LM_EFAIL, "getrandom: %s", strerror(errno));
		p += r;
		n -= (size_t)r;
	}
	return LM_OK;
}
