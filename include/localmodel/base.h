/*
 * base: exit codes, the error struct every layer fills, and small helpers
 * (sizes, times, strings) shared by all layers. Nothing here prints or exits.
 * Strings returned as `char *` are owned by the caller (free()).
 */
#ifndef LOCALMODEL_BASE_H
#define LOCALMODEL_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifndef LM_VERSION
#define LM_VERSION "0.0.0"
#endif

/* Exit codes: the contract with scripts (see man/localmodel.1). */
enum lm_exit {
	LM_OK = 0,
	LM_EFAIL = 1,      /* failure */
	LM_EUSAGE = 2,     /* usage */
	LM_ENOTFOUND = 3,  /* model, repo, file not found */
	LM_ESTATE = 4,     /* server state: running, not running, port taken, in use */
	LM_ENET = 5,       /* network or remote refused (gated, rate limited) */
	LM_EINTEGRITY = 6, /* checksum or size mismatch, unsafe archive */
	LM_ERESOURCE = 7,  /* disk or memory */
	LM_ERUNTIME = 8,   /* runtime missing (no llama-server installed) */
};

/* An error: an exit code and a one-line message, no trailing newline. */
struct lm_err {
	int code;
	char msg[512];
};

/* Set err (when not NULL) and return code. */
int lm_err_set(struct lm_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix the message already in err with "fmt: ". Returns err->code. */
int lm_err_prefix(struct lm_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lm_err_clear(struct lm_err *err);

/* Allocation that never returns NULL (aborts on OOM, like git's xmalloc). */
void *lm_xmalloc(size_t n);
void *lm_xcalloc(size_t n, size_t size);
void *lm_xrealloc(void *p, size_t n);
char *lm_xstrdup(const char *s);
char *lm_xstrndup(const char *s, size_t n);
char *lm_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Append n bytes of p to the heap buffer *buf of *len bytes, keeping it
 * NUL-terminated; -1 (nothing appended) when it would pass max bytes. */
int lm_bytes_append(char **buf, size_t *len, const char *p, size_t n, size_t max);

/* Bounded copy; returns strlen(src). */
size_t lm_strlcpy(char *dst, const char *src, size_t size);
int lm_starts_with(const char *s, const char *prefix);
int lm_ends_with(const char *s, const char *suffix);
/* Case-insensitive. */
int lm_ends_with_ci(const char *s, const char *suffix);

/* Parse "8G", "16GiB", "512M", "1.5T", "1024" (bytes) into bytes. 0 ok, -1 bad. */
int lm_parse_size(const char *s, uint64_t *out);
/* "12.4 GB" style (powers of 1024, one decimal, unit GB/MB/KB/B). */
void lm_format_size(uint64_t bytes, char *buf, size_t size);
/* Parse a base-10 integer in [min,max]; 0 ok, -1 bad. */
int lm_parse_long(const char *s, long min, long max, long *out);

/* Time: ISO-8601 UTC "2026-01-02T03:04:05Z". */
void lm_time_iso(time_t t, char *buf, size_t size);
/* Parse ISO-8601 UTC (also accepts "YYYY-MM-DD" and a space for 'T'); -1 bad. */
int lm_time_parse(const char *s, time_t *out);
/* Current time; LOCALMODEL_NOW (epoch seconds or ISO) overrides, for tests. */
time_t lm_now(void);
/* Milliseconds on the monotonic clock (for time-outs and intervals). */
int64_t lm_mono_ms(void);
/* "3 days ago", "just now", "never" for t == 0. */
void lm_format_ago(time_t t, time_t now, char *buf, size_t size);

/* Damerau-Levenshtein distance, for "did you mean". */
int lm_edit_distance(const char *a, const char *b);

/* Read a whole small file (<= max bytes) into a NUL-terminated buffer. */
int lm_read_file(const char *path, size_t max, char **out, size_t *len, struct lm_err *err);
/* Write data to path atomically (temp file, fsync, rename) with mode. */
int lm_write_file_atomic(const char *path, const void *data, size_t len, int mode,
			 struct lm_err *err);

#endif
