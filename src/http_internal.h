/* http_internal: what http.c shares with http_download.c (private to the
 * http layer). */
#ifndef LOCALMODEL_HTTP_INTERNAL_H
#define LOCALMODEL_HTTP_INTERNAL_H

#include "localmodel/dl.h"
#include "localmodel/http.h"

struct lm_http {
	CURL *easy;           /* for http_get, reused so connections are kept */
	CURLSH *share;        /* connection, DNS and TLS session cache of every
				 transfer of this handle (API requests and
				 downloads), or NULL when libcurl cannot share */
	char *token;          /* owned copy, never printed */
	char *token_host;     /* lowercase host */
	long token_port;      /* port of token_host (443 when not given) */
	long connect_timeout_s;
	long low_speed_time_s;
	int max_retries;      /* -1 none */
	char **extra;         /* owned copies of the extra headers, NULL-terminated */
	volatile sig_atomic_t *cancel; /* borrowed, may be NULL */
	char user_agent[64];
	/* what the last trial of a download of this handle found: the host
	 * (host:port) its ranges went to, and the bytes/s one connection got
	 * there alone; the next file from that host starts all its connections
	 * at once when that was slow (the parts of a split model, a list) */
	char *link_host;
	double link_rate;
};

/* Options shared by every transfer (timeouts, UA, TLS checks, no follow,
 * the shared connection cache). */
void http_easy_common(struct lm_http *h, CURL *c);
/* Request headers for url: Authorization only when url's host:port is the
 * token host, the extra headers, and range ("a-b") as a Range header is
 * set with CURLOPT_RANGE by the caller. Caller frees (slist_free_all). */
struct curl_slist *http_headers_for(const struct lm_http *h, const char *url);
/* curl header callback filling a struct lm_http_response (headers of the
 * last response only: a new status line starts over). */
size_t http_header_cb(char *buf, size_t size, size_t n, void *resp);
/* Drop the headers and body of r, keep nothing. */
void http_response_reset(struct lm_http_response *r);
/* How long to wait before try number attempt+1 (0-based), in milliseconds,
 * given what the server asked (-1 = nothing). -1 when the server asks for
 * more than the longest wait we accept. */
long http_backoff_ms(int attempt, long server_wait_s);
/* The URL without its query string, for messages (caller frees). */
char *http_url_for_msg(const char *url);

#endif
