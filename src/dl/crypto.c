/* dl/crypto: SHA-256 and SHA-1 through OpenSSL's libcrypto, loaded on first use
 * (Linux; macOS has crypto_cc.c instead). */
#include "dl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct lm_crypto_api lm_crypto;
static void *crypto_handle;

static const char *const sonames[] = { "libcrypto.so.3", "libcrypto.so", NULL };
static const struct dl_lib lib = { "libcrypto", sonames, "openssl@3", "libssl3" };
static const char *const symbols[] = {
	"EVP_MD_CTX_new", "EVP_MD_CTX_free", "EVP_sha256", "EVP_DigestInit_ex",
	"EVP_DigestUpdate", "EVP_DigestFinal_ex", "RAND_bytes", "EVP_sha1",
};
_Static_assert(sizeof(symbols) / sizeof(symbols[0]) == DL_NSYMS(struct lm_crypto_api),
	       "crypto symbol table out of step with struct lm_crypto_api");

int dl_crypto_load(struct lm_err *err)
{
	return dl_load_table(&lib, symbols, (void **)&lm_crypto, DL_NSYMS(lm_crypto),
			     &crypto_handle, err);
}

int dl_crypto_loaded(void)
{
	return crypto_handle != NULL;
}

/* One EVP digest: a context for type, its hex value, its release. */
static int md_init(void **ctx, const void *type, const char *name, struct lm_err *err)
{
	int rc = dl_crypto_load(err);

	if (rc)
		return rc;
	*ctx = lm_crypto.md_ctx_new();
	if (!*ctx || lm_crypto.digest_init_ex(*ctx, type, NULL) != 1) {
		if (*ctx)
			lm_crypto.md_ctx_free(*ctx);
		*ctx = NULL;
		return lm_err_set(err, LM_EFAIL, "%s: cannot initialise", name);
	}
	return LM_OK;
}

static void md_release(void **ctx)
{
	if (*ctx)
		lm_crypto.md_ctx_free(*ctx);
	*ctx = NULL;
}

static void md_final_hex(void **ctx, size_t bytes, char *hex)
{
	unsigned char md[64];
	unsigned int n = 0;

	lm_crypto.digest_final_ex(*ctx, md, &n);
	dl_hex(md, bytes, hex);
	md_release(ctx);
}

int sha256_init(struct lm_sha256 *s, struct lm_err *err)
{
	int rc = dl_crypto_load(err);
	return rc ? rc : md_init(&s->md_ctx, lm_crypto.sha256(), "sha256", err);
}

void sha256_update(struct lm_sha256 *s, const void *data, size_t len)
{
	lm_crypto.digest_update(s->md_ctx, data, len);
}

void sha256_final_hex(struct lm_sha256 *s, char hex[65])
{
	md_final_hex(&s->md_ctx, 32, hex);
}

void sha256_release(struct lm_sha256 *s)
{
	md_release(&s->md_ctx);
}

int sha1_init(struct lm_sha1 *s, struct lm_err *err)
{
	int rc = dl_crypto_load(err);
	return rc ? rc : md_init(&s->md_ctx, lm_crypto.sha1(), "sha1", err);
}

void sha1_update(struct lm_sha1 *s, const void *data, size_t len)
{
	lm_crypto.digest_update(s->md_ctx, data, len);
}

void sha1_final_hex(struct lm_sha1 *s, char hex[41])
{
	md_final_hex(&s->md_ctx, 20, hex);
}

void sha1_release(struct lm_sha1 *s)
{
	md_release(&s->md_ctx);
}
