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

/* The four functions of one digest (init, update, final_hex, release) on
 * CommonCrypto's CC_<ALG>_* calls; their contexts differ only in type. */
#define CC_DIGEST(name, CTX, Init, Update, Final, LEN)                            \
	int name##_init(struct lm_##name *s, struct lm_err *err)                   \
	{                                                                          \
		CTX *c = malloc(sizeof(*c));                                       \
		if (!c || Init(c) != 1) {                                          \
			free(c);                                                   \
			s->md_ctx = NULL;                                          \
			return lm_err_set(err, LM_EFAIL, #name ": cannot initialise"); \
		}                                                                  \
		s->md_ctx = c;                                                     \
		return LM_OK;                                                      \
	}                                                                          \
	void name##_update(struct lm_##name *s, const void *data, size_t len)      \
	{                                                                          \
		const unsigned char *p = data;                                     \
		while (len > 0) { /* CC_LONG is 32 bits */                         \
			CC_LONG n = len > 0x40000000u ? 0x40000000u : (CC_LONG)len; \
			Update(s->md_ctx, p, n);                                   \
			p += n;                                                    \
			len -= n;                                                  \
		}                                                                  \
	}                                                                          \
	void name##_final_hex(struct lm_##name *s, char *hex)                      \
	{                                                                          \
		unsigned char md[LEN];                                             \
		Final(md, s->md_ctx);                                              \
		dl_hex(md, sizeof(md), hex);                                       \
		name##_release(s);                                                 \
	}                                                                          \
	void name##_release(struct lm_##name *s)                                   \
	{                                                                          \
		free(s->md_ctx);                                                   \
		s->md_ctx = NULL;                                                  \
	}

CC_DIGEST(sha256, CC_SHA256_CTX, CC_SHA256_Init, CC_SHA256_Update, CC_SHA256_Final,
	  CC_SHA256_DIGEST_LENGTH)
CC_DIGEST(sha1, CC_SHA1_CTX, CC_SHA1_Init, CC_SHA1_Update, CC_SHA1_Final, CC_SHA1_DIGEST_LENGTH)
