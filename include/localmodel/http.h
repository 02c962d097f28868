/*
 * http: HTTP on libcurl (loaded with dlopen on first use): timeouts, retries
 * with backoff on network errors, 408, 429 and 5xx (honouring Retry-After and
 * the RateLimit header), proxies from the environment, TLS always verified,
 * User-Agent localmodel/<version>. The Authorization header goes only to the
 * host it was given for, never to a redirect target on another host.
 *
 * Downloads: several parallel range requests per file, SHA-256 computed as
 * the bytes land, resumable across runs through a small state file beside
 * the partial file. Nothing here prints; progress goes to a callback.
 * Responses are owned by the caller: http_response_release().
 */
#ifndef LOCALMODEL_HTTP_H
#define LOCALMODEL_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "base.h"

struct lm_http;

struct lm_http_opts {
	const char *token;      /* bearer token, or NULL */
	const char *token_host; /* "host[:port]" that may receive it (the API host) */
	long connect_timeout_s; /* 0 = 15 */
	long low_speed_time_s;  /* abort a transfer under 1 KB/s for this long; 0 = 30
	                           (or LOCALMODEL_HTTP_STALL_S, a test knob) */
	int max_retries;        /* 0 = 5; -1 = none */
	const char *const *extra_headers; /* NULL-terminated "Name: value", or NULL */
	volatile sig_atomic_t *cancel; /* non-zero stops http_get (and its retry
					  waits) with LM_EFAIL "... interrupted"; or NULL */
};

int http_new(struct lm_http **out, const struct lm_http_opts *o, struct lm_err *err);
void http_free(struct lm_http *h);

struct lm_http_header {
	char *name;
	char *value;
};

struct lm_http_response {
	long status;
	char *body;           /* NUL-terminated, may hold NULs */
	size_t body_len;
	struct lm_http_header *headers; /* of the last response (after redirects) */
	size_t nheaders;
	char *url;            /* effective URL */
};

enum {
	HTTP_HEAD = 1 << 0,        /* HEAD instead of GET */
	HTTP_NO_REDIRECT = 1 << 1, /* return 3xx responses as they are */
	HTTP_NO_RETRY = 1 << 2,    /* one attempt only */
};

/* GET (or HEAD) url, following redirects (Authorization only while on
 * token_host). LM_OK when any HTTP response arrived (check resp->status);
 * LM_ENET when none did after the retries; LM_EFAIL when cancelled.
 * Retryable answers (see http_response_retryable) are retried and, if they
 * persist or ask for more than 60 s, returned as they are (status set). */
int http_get(struct lm_http *h, const char *url, unsigned flags, struct lm_http_response *resp,
	     struct lm_err *err);
/* First header with that name (case-insensitive), or NULL. */
const char *http_header(const struct lm_http_response *r, const char *name);
void http_response_release(struct lm_http_response *r);
/* The URL of the Link header's rel="next", or NULL (caller frees). */
char *http_link_next(const struct lm_http_response *r);
/* Resolve a possibly relative reference against base (caller frees). */
char *http_resolve_url(const char *base, const char *ref);
/* "host:port" of an absolute URL, port explicit (caller frees), or NULL;
 * what token_host expects. A token_host without a port means port 443. */
char *http_url_hostport(const char *url);
/* Seconds the server asks to wait before the next try: Retry-After (delay
 * seconds), RateLimit "...;r=0;t=N", or X-RateLimit-Remaining: 0 with
 * X-RateLimit-Reset (epoch seconds, GitHub). -1 when it asks nothing. */
long http_retry_after(const struct lm_http_response *r);
/* 1 for the statuses worth retrying: 408, 429, 500, 502, 503, 504. */
int http_status_retryable(long status);
/* 1 when r is worth retrying: a status above, or GitHub's rate limit
 * (403 with X-RateLimit-Remaining: 0). */
int http_response_retryable(const struct lm_http_response *r);

/* Retries sleep 1, 2, 4, 8, 8 s (or what the server asks, plus 1 s, when it
 * asks at most 60 s). The environment variable LOCALMODEL_HTTP_BACKOFF_MS
 * sets how many milliseconds one of those seconds lasts (default 1000), so
 * that tests run fast. */

struct lm_dl_progress {
	uint64_t done;  /* bytes on disk, verified or not */
	uint64_t total;
	double rate;    /* bytes/s over the last seconds */
	int connections;
};
typedef void (*lm_dl_progress_fn)(void *ctx, const struct lm_dl_progress *p);

struct lm_download {
	const char *url;        /* followed through redirects; token only to token_host */
	const char *start_url;  /* where url redirects to, when known (the CDN), or
				   NULL: every connection starts there at once, and
				   goes back to url when it is refused (expired) */
	const char *partial;    /* where bytes go, e.g. "<final>.part"; a state file
				   "<partial>.state" sits beside it */
	uint64_t size;          /* expected size, 0 = unknown (then one connection) */
	const char *sha256;     /* expected lowercase hex, or NULL */
	int connections;        /* 0 = automatic */
	lm_dl_progress_fn progress;
	void *progress_ctx;
	volatile sig_atomic_t *cancel; /* set to non-zero to stop (state kept) */
	uint64_t chunk_size;    /* unit of resume and of range requests (a request
				   takes one or more); 0 = automatic: size/1024
				   within 256 KiB-8 MiB, more for huge files. A
				   resume keeps the value its state file records */
};

/* Download into d->partial, resuming what an earlier run kept (re-verifying
 * it), and verify size and sha256. On success the partial file is complete
 * and verified (the caller renames it into place; the data is not fsync'd
 * here) and sha256_out holds the hash. A mismatch deletes the partial data
 * and its state and returns LM_EINTEGRITY. The hash runs on a second thread
 * that reads the file back (an 8 MiB mapped window of the page cache, else
 * pread) behind the contiguous bytes written (memory stays bounded: about
 * 30 MB for 16 connections).
 * Other failures keep the partial file and its state for the next run:
 * LM_ENET (network, refused, retries exhausted), LM_ENOTFOUND (404),
 * LM_ERESOURCE (disk full), LM_EFAIL (cancelled: "... interrupted", or
 * local I/O). Connections: automatic is one per 8 MiB, at most 16, after a
 * first 1 MiB range measures one connection: at 100 MB/s or more, one
 * connection does the rest. Should that range still run 2 ms after its
 * first byte, the others start a range as long meanwhile (kept either way).
 * The handle keeps the last trial's verdict: a later download whose ranges
 * go to the same host (d->start_url) where one connection was slow starts
 * all of them at once. A server that answers a range request with 200 gets
 * one connection.
 * Range sizes follow each connection's measured speed and what is left;
 * at the end idle connections take over half of the longest remaining
 * range (work stealing). */
int http_download(struct lm_http *h, const struct lm_download *d, char sha256_out[65],
		  struct lm_err *err);

#endif
