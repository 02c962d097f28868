/* dl/crypto_cc: SHA-256 and SHA-1 through Apple's CommonCrypto (part of libSystem, so
 * nothing to load). macOS ships an unversioned libcrypto.dylib that aborts
 * any process loading it; it is never used. */
#include "dl_internal.h"

#include <CommonCrypto/CommonDigest.h>
#include <stdlib.h>

struct lm_crypto_api lm_crypto;

int dl_crypto_load(struct lm_err *err)
{
	(void)err;
	return LM_OK;
}

int dl_crypto_loaded(void)
{
	return 1;
}

int sha256_init(struct lm_sha256 *s, struct lm_err *err)
{
	CC_SHA256_CTX *c = malloc(sizeof(*c));

	if (!c || CC_SHA256_Init(c) != 1) {
		free(c);
		s->md_ctx = NULL;
		return lm_err_set(err, LM_EFAIL, "sha256: cannot initialise");
	}
	s->md_ctx = c;
	return LM_OK;
}

void sha256_update(struct lm_sha256 *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	/* CC_LONG is 32 bits */
	while (len > 0) {
		CC_LONG n = len > 0x40000000u ? 0x40000000u : (CC_LONG)len;
		CC_SHA256_Update(s->md_ctx, p, n);
		p += n;
		len -= n;
	}
}

void sha256_final_hex(struct lm_sha256 *s, char hex[65])
{
	unsigned char md[CC_SHA256_DIGEST_LENGTH];

	CC_SHA256_Final(md, s->md_ctx);
	dl_hex(md, sizeof(md), hex);
	sha256_release(s);
}

void sha256_release(struct lm_sha256 *s)
{
	free(s->md_ctx);
	s->md_ctx = NULL;
}

int sha1_init(struct lm_sha1 *s, struct lm_err *err)
{
	CC_SHA1_CTX *c = malloc(sizeof(*c));

	if (!c || CC_SHA1_Init(c) != 1) {
		free(c);
		s->md_ctx = NULL;
		return lm_err_set(err, LM_EFAIL, "sha1: cannot initialise");
	}
	s->md_ctx = c;
	return LM_OK;
}

void sha1_update(struct lm_sha1 *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		CC_LONG n = len > 0x40000000u ? 0x40000000u : (CC_LONG)len;
		CC_SHA1_Update(s->md_ctx, p, n);
		p += n;
		len -= n;
	}
}

void sha1_final_hex(struct lm_sha1 *s, char hex[41])
{
	unsigned char md[CC_SHA1_DIGEST_LENGTH];

	CC_SHA1_Final(md, s->md_ctx);
	dl_hex(md, sizeof(md), hex);
	sha1_release(s);
}

void sha1_release(struct lm_sha1 *s)
{
	free(s->md_ctx);
	s->md_ctx = NULL;
}
