/*
 * dl: libcurl, libarchive and libcrypto loaded with dlopen on first use, so
 * that commands which never touch the network, archives or hashes
 * (--version, status, models, cleanup --nudge) start as fast as a plain C
 * program. Each *_load() is idempotent; after it succeeds, call through the
 * tables (lm_curl.easy_init(), lm_ar.read_new(), lm_crypto.sha256_*...).
 * The types come from the libraries' own headers.
 */
#ifndef LOCALMODEL_DL_H
#define LOCALMODEL_DL_H

#include <curl/curl.h>
#include <archive.h>
#include <archive_entry.h>
#include "base.h"

struct lm_curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	void (*easy_reset)(CURL *h);
	const char *(*easy_strerror)(CURLcode c);
	CURLcode (*easy_pause)(CURL *h, int bitmask);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd *fds, unsigned n, int timeout_ms,
				int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_cleanup)(CURLM *m);
	const char *(*multi_strerror)(CURLMcode c);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *u, CURLUPart what, const char *part, unsigned flags);
	CURLUcode (*url_get)(CURLU *u, CURLUPart what, char **part, unsigned flags);
	void (*url_cleanup)(CURLU *u);
	void (*free)(void *p);
	curl_version_info_data *(*version_info)(CURLversion v);
	CURLSH *(*share_init)(void);
	CURLSHcode (*share_setopt)(CURLSH *s, CURLSHoption opt, ...);
	CURLSHcode (*share_cleanup)(CURLSH *s);
};

struct lm_archive_api {
	struct archive *(*read_new)(void);
	int (*read_support_filter_all)(struct archive *a);
	int (*read_support_format_all)(struct archive *a);
	int (*read_open_filename)(struct archive *a, const char *name, size_t block);
	int (*read_open_memory)(struct archive *a, const void *buf, size_t size);
	int (*read_next_header)(struct archive *a, struct archive_entry **e);
	int (*read_data_block)(struct archive *a, const void **buf, size_t *size, la_int64_t *off);
	la_ssize_t (*read_data)(struct archive *a, void *buf, size_t size);
	int (*read_data_skip)(struct archive *a);
	int (*read_free)(struct archive *a);
	struct archive *(*write_disk_new)(void);
	int (*write_disk_set_options)(struct archive *a, int flags);
	int (*write_header)(struct archive *a, struct archive_entry *e);
	la_ssize_t (*write_data_block)(struct archive *a, const void *buf, size_t size, la_int64_t off);
	int (*write_finish_entry)(struct archive *a);
	int (*write_free)(struct archive *a);
	const char *(*error_string)(struct archive *a);
	const char *(*entry_pathname)(struct archive_entry *e);
	void (*entry_set_pathname)(struct archive_entry *e, const char *p);
	const char *(*entry_symlink)(struct archive_entry *e);
	const char *(*entry_hardlink)(struct archive_entry *e);
	void (*entry_set_hardlink)(struct archive_entry *e, const char *p);
	__LA_MODE_T (*entry_filetype)(struct archive_entry *e);
	__LA_MODE_T (*entry_mode)(struct archive_entry *e);
	void (*entry_set_perm)(struct archive_entry *e, __LA_MODE_T m);
	la_int64_t (*entry_size)(struct archive_entry *e);
};

/* SHA-256: libcrypto's EVP interface on Linux, Apple's digests on macOS. */
struct lm_sha256 {
	void *md_ctx; /* EVP_MD_CTX * or CC_SHA256_CTX * */
};

struct lm_crypto_api {
	void *(*md_ctx_new)(void);
	void (*md_ctx_free)(void *ctx);
	const void *(*sha256)(void);
	int (*digest_init_ex)(void *ctx, const void *type, void *engine);
	int (*digest_update)(void *ctx, const void *d, size_t cnt);
	int (*digest_final_ex)(void *ctx, unsigned char *md, unsigned int *s);
	int (*rand_bytes)(unsigned char *buf, int num);
	const void *(*sha1)(void);
};

/* SHA-1 through the same interface (for git blob ids, not for security). */
struct lm_sha1 {
	void *md_ctx; /* EVP_MD_CTX * or CC_SHA1_CTX * */
};

extern struct lm_curl_api lm_curl;
extern struct lm_archive_api lm_ar;
extern struct lm_crypto_api lm_crypto;

int dl_curl_load(struct lm_err *err);
int dl_archive_load(struct lm_err *err);
int dl_crypto_load(struct lm_err *err);
/* 1 when that library is already loaded (for tests of the start-up rule). */
int dl_curl_loaded(void);
int dl_archive_loaded(void);
int dl_crypto_loaded(void);

/* SHA-256 helpers (sha256_init loads libcrypto where it is used). */
int sha256_init(struct lm_sha256 *s, struct lm_err *err);
void sha256_update(struct lm_sha256 *s, const void *data, size_t len);
/* Writes 64 lowercase hex chars + NUL and releases s. */
void sha256_final_hex(struct lm_sha256 *s, char hex[65]);
void sha256_release(struct lm_sha256 *s);
/* Hash a whole file (loads libcrypto). */
int sha256_file(const char *path, char hex[65], struct lm_err *err);
/* SHA-1, in the same init/update/final shape (loads libcrypto on Linux). */
int sha1_init(struct lm_sha1 *s, struct lm_err *err);
void sha1_update(struct lm_sha1 *s, const void *data, size_t len);
/* Writes 40 lowercase hex chars + NUL and releases s. */
void sha1_final_hex(struct lm_sha1 *s, char hex[41]);
void sha1_release(struct lm_sha1 *s);

#endif
