/* http_download: one file over several parallel range requests (curl multi),
 * each range written at its offset, SHA-256 computed in file order by a
 * second thread reading back what is contiguous on disk (from the page
 * cache, so memory stays bounded and hashing overlaps the transfers), and a
 * small state file beside the partial file so that an interrupted download
 * resumes.
 *
 * Scheduling: the file is cut in chunks (the unit of resume). An idle
 * connection takes the next run of chunks not started (a span, one Range
 * request): a share of what is left (early spans long, late ones short, so
 * that the in-order hash never lags far behind), and never so short that
 * the request's round trip costs much at the connection's measured speed.
 * When nothing is left to start, an idle connection takes the second half
 * of the largest span still running (work stealing: the victim's writes
 * stop at the new end), so that all connections finish together. */
#include "http_internal.h"
#include "localmodel/os.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DL_MAX_CONNS 16
#define DL_CHUNK (8ull << 20)
#define DL_MIN_CHUNK (256ull << 10)
#define DL_MAX_CHUNKS 8192
#define DL_MAX_SPAN (64ull << 20) /* bytes one request may take */
#define DL_RTT_SPANS 8         /* a span lasts at least this many round trips */
#define DL_GUIDED 4            /* a span takes 1/(DL_GUIDED x connections) of what is left */
#define DL_MEASURE_BYTES (1ull << 20) /* requests shorter than this tell no speed */
#define DL_TRIAL_BYTES (1ull << 20) /* the first request, alone, measures the link */
#define DL_FAST_CONN 100e6     /* bytes/s: one such connection is enough */
#define DL_TRIAL_MS ((double)DL_TRIAL_BYTES * 1000.0 / DL_FAST_CONN) /* its length at that speed */
#define DL_WARM_MS 2           /* a trial still running after this warms the others */
#define DL_BYTES_PER_CONN (8ull << 20) /* automatic: one connection per 8 MiB */
#define DL_HASH_BUF (1u << 20)
#define DL_MAP_WINDOW (8u << 20) /* what the hash maps at a time (bounded RSS) */
#define DL_PUBLISH_EVERY (4u << 20)
#define DL_WBUF (256u << 10)   /* per connection: curl hands over 16 KiB at a time */
#define DL_STATE_EVERY_MS 2000
#define DL_PROGRESS_EVERY_MS 100
#define DL_MAX_HOPS 10
#define DL_UNKNOWN UINT64_MAX

enum { CH_TODO, CH_ACTIVE, CH_DONE };

struct chunk {
	uint64_t start, len; /* len DL_UNKNOWN when the size is unknown */
	uint64_t got;        /* bytes written from start */
	int state;
};

struct dl;

struct conn {
	struct dl *dl;
	CURL *easy;
	int busy;              /* in the multi handle */
	int chunk;             /* first chunk of its span, -1 = none or whole
				  file (single mode), -2 = single mode to
				  (re)start, -3 = single mode done */
	int chunk_end;         /* end (exclusive) of the span of chunks */
	char *url;             /* current URL (origin, redirect or CDN) */
	struct curl_slist *hdrs;
	struct lm_http_response r; /* status + headers of the current response */
	int hops;
	int tries;             /* failed tries without progress */
	int refreshes;         /* signed URLs asked for again */
	uint64_t pos;          /* where the next byte goes */
	uint64_t req_start;    /* first byte asked for */
	uint64_t req_got;      /* bytes written by this request */
	int checked;           /* status/Content-Range looked at */
	int writing;           /* body goes to the file */
	int want_single;       /* the server ignored Range: restart on one connection */
	int clipped;           /* its span was shortened by a steal and is complete */
	int warmed;            /* took its one request of the trial */
	uint64_t req_end;      /* end (exclusive) of the Range asked for */
	long long req_t0;      /* when the request started (ms) */
	long long first_byte;  /* when its first body byte came (ms), 0 = not yet */
	double rate;           /* measured bytes/s of its requests, 0 = unknown */
	long long not_before;  /* retry time (ms) */
	long long last_data;   /* when bytes last arrived (ms), for stalls */
	unsigned char *wbuf;   /* received bytes not yet written (DL_WBUF) */
	size_t wlen;
	uint64_t wpos;         /* file offset of wbuf[0] */
	char errbuf[CURL_ERROR_SIZE];
};

struct dl {
	struct lm_http *h;
	const struct lm_download *d;
	CURLM *multi;
	int fd;
	char *state_path;
	char *name;            /* URL without query, for messages */
	uint64_t size;         /* DL_UNKNOWN when unknown */
	uint64_t chunk_size;
	size_t nchunks;
	struct chunk *chunks;
	struct conn conns[DL_MAX_CONNS];
	int nconns;            /* connections that take new work */
	int nlive;             /* connections set up: their transfers run to the
				  end even once nconns has dropped to 1 */
	int ranges;            /* -1 unknown (probing), 1 honoured, 0 single mode */
	int trial;             /* connection 0 alone measures one connection's speed */
	int warm;              /* the trial looks slow: the others may warm up */
	char *cdn_url;         /* where ranges go once the probe has resolved it */
	struct lm_sha256 sha;
	int sha_ok;
	size_t hash_chunk;     /* first chunk not complete (frontier scan) */
	unsigned char *hbuf;
	int mappable;          /* the file has its full size: hashing may map it */
	unsigned char *map;    /* a window of the file mapped read-only, or NULL */
	uint64_t map_off;      /* file offset of map[0] */
	size_t map_len;
	/* the hashing thread; the fields below hmu are under it */
	pthread_t hash_tid;
	int hash_running;
	pthread_mutex_t hmu;
	pthread_cond_t hcv;
	uint64_t hashed;       /* bytes hashed so far */
	uint64_t published;    /* contiguous bytes on disk, told to the thread */
	int h_stop, h_finish, h_err;
	uint64_t unpublished;  /* bytes written since the last publish */
	int fatal;             /* an LM_E* code set by a callback */
	struct lm_err *err;
	long long last_state, last_progress, rate_t;
	uint64_t rate_done;
	double rate;
	double wait;           /* ms a request waits for its first byte on a
				  ready connection (moving average), 0 = unknown */
};

/* Chunk size for a file, a function of its size alone: about size/1024
 * between 256 KiB and 8 MiB (fine enough for stealing to balance the end
 * of a download), more for huge files (bounded state). A resume takes the
 * chunk size its state file records. */
static uint64_t chunk_size_for(uint64_t size)
{
	uint64_t c = (size / 1024) & ~(DL_MIN_CHUNK - 1);

	if (c < DL_MIN_CHUNK)
		c = DL_MIN_CHUNK;
	if (c > DL_CHUNK)
		c = DL_CHUNK;
	while (size / c >= DL_MAX_CHUNKS)
		c *= 2;
	return c;
}

/* Automatic connection count: one per 8 MiB, up to 16 (a small file
 * takes one connection: no range overhead). */
static int auto_conns(uint64_t size)
{
	uint64_t n = size / DL_BYTES_PER_CONN;
	return n < 1 ? 1 : n > DL_MAX_CONNS ? DL_MAX_CONNS : (int)n;
}

/* The chunk table for x->size, chunks of csize bytes (0 = automatic). */
static void chunks_setup(struct dl *x, uint64_t csize)
{
	free(x->chunks);
	if (x->size == DL_UNKNOWN) {
		x->chunk_size = DL_UNKNOWN;
		x->nchunks = 1;
		x->chunks = lm_xcalloc(1, sizeof(struct chunk));
		x->chunks[0].len = DL_UNKNOWN;
		return;
	}
	x->chunk_size = csize ? csize : x->d->chunk_size ? x->d->chunk_size
							  : chunk_size_for(x->size);
	while (x->size / x->chunk_size >= DL_MAX_CHUNKS)
		x->chunk_size *= 2;
	x->nchunks = x->size ? (size_t)((x->size + x->chunk_size - 1) / x->chunk_size) : 1;
	x->chunks = lm_xcalloc(x->nchunks, sizeof(struct chunk));
	for (size_t i = 0; i < x->nchunks; i++) {
		struct chunk *c = &x->chunks[i];
		c->start = i * x->chunk_size;
		c->len = x->size - c->start < x->chunk_size ? x->size - c->start : x->chunk_size;
		c->state = c->len == 0 ? CH_DONE : CH_TODO;
	}
}

/* Forget everything written and hashed: start over from byte 0. */
static void hasher_stop(struct dl *x);
static void hasher_start(struct dl *x);

static int restart_from_zero(struct dl *x)
{
	for (size_t i = 0; i < x->nchunks; i++) {
		x->chunks[i].got = 0;
		x->chunks[i].state = x->chunks[i].len ? CH_TODO : CH_DONE;
	}
	hasher_stop(x);
	if (x->sha_ok)
		sha256_release(&x->sha);
	x->sha_ok = 0;
	x->hashed = 0;
	x->published = 0;
	x->hash_chunk = 0;
	unlink(x->state_path);
	if (sha256_init(&x->sha, x->err) != LM_OK)
		return x->err->code;
	x->sha_ok = 1;
	hasher_start(x);
	return LM_OK;
}

/* ---- state file ------------------------------------------------------ */

/* Write "<partial>.state" (itself fsync'd). The data it describes is not
 * synced first: after a kill the page cache still holds it, and after a
 * reboot that lost some of it the final hash fails and the download starts
 * over. Waiting for the disk here would stall the transfers. */
static int state_save(struct dl *x)
{
	size_t cap = 128 + x->nchunks * 32, n;
	char *buf;
	int rc;

	if (x->size == DL_UNKNOWN || x->ranges == 0)
		return LM_OK;
	buf = lm_xmalloc(cap);
	n = (size_t)snprintf(buf, cap, "localmodel-partial 1\nsize %" PRIu64 "\nchunk %" PRIu64
			     "\nsha256 %s\n", x->size, x->chunk_size,
			     x->d->sha256 ? x->d->sha256 : "-");
	for (size_t i = 0; i < x->nchunks; i++)
		if (x->chunks[i].got)
			n += (size_t)snprintf(buf + n, cap - n, "got %zu %" PRIu64 "\n", i,
					      x->chunks[i].got);
	rc = lm_write_file_atomic(x->state_path, buf, n, 0644, x->err);
	free(buf);
	return rc;
}

/* Take what an earlier run kept, if its state file describes this very
 * download and the partial file holds it. */
static void state_load(struct dl *x)
{
	char *buf = NULL, *line, *save = NULL, sha[80] = "";
	uint64_t size = 0, csize = 0, end = 0;
	size_t len;
	int ok = 1;
	struct stat st;

	if (lm_read_file(x->state_path, 4u << 20, &buf, &len, NULL) != LM_OK)
		return;
	if (strncmp(buf, "localmodel-partial 1\n", 21))
		ok = 0;
	/* an earlier run may have cut the file otherwise: take its layout */
	if (ok && sscanf(strstr(buf, "\nchunk ") ? strstr(buf, "\nchunk ") : "", "\nchunk %" SCNu64,
			 &csize) == 1 && csize != x->chunk_size && csize >= 4096 &&
	    x->size / csize < DL_MAX_CHUNKS)
		chunks_setup(x, csize);
	csize = 0;
	for (line = strtok_r(buf, "\n", &save); ok && line; line = strtok_r(NULL, "\n", &save)) {
		size_t i;
		uint64_t v;
		if (sscanf(line, "size %" SCNu64, &v) == 1)
			size = v;
		else if (sscanf(line, "chunk %" SCNu64, &v) == 1)
			csize = v;
		else if (sscanf(line, "sha256 %79s", sha) == 1)
			;
		else if (sscanf(line, "got %zu %" SCNu64, &i, &v) == 2) {
			if (size != x->size || csize != x->chunk_size || i >= x->nchunks ||
			    v > x->chunks[i].len) {
				ok = 0;
				break;
			}
			x->chunks[i].got = v;
			if (x->chunks[i].start + v > end)
				end = x->chunks[i].start + v;
		}
	}
	if (ok && (size != x->size || csize != x->chunk_size ||
		   strcmp(sha, x->d->sha256 ? x->d->sha256 : "-")))
		ok = 0;
	if (ok && (fstat(x->fd, &st) < 0 || (uint64_t)st.st_size < end))
		ok = 0;
	for (size_t i = 0; i < x->nchunks; i++) {
		struct chunk *c = &x->chunks[i];
		if (!ok)
			c->got = 0;
		c->state = c->got == c->len ? CH_DONE : CH_TODO;
	}
	free(buf);
}

/* ---- hashing --------------------------------------------------------- */

/* Bytes contiguous from 0 that are on disk. */
static uint64_t frontier(struct dl *x)
{
	while (x->hash_chunk < x->nchunks && x->chunks[x->hash_chunk].state == CH_DONE)
		x->hash_chunk++;
	if (x->hash_chunk >= x->nchunks)
		return x->size == DL_UNKNOWN ? x->chunks[0].got : x->size;
	return x->chunks[x->hash_chunk].start + x->chunks[x->hash_chunk].got;
}

/* Map the window of the file that holds [pos, pos + n): the hash reads
 * the page cache there without copying it out. A window at a time, so that
 * the pages touched do not pile up in the process's resident set. 0 ok, -1
 * when mapping fails (then pread from now on). */
static int map_window(struct dl *x, uint64_t pos, size_t n)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), off, len;
	void *m;

	if (x->map && pos >= x->map_off && pos + n <= x->map_off + x->map_len)
		return 0;
	if (x->map)
		munmap(x->map, x->map_len);
	x->map = NULL;
	off = pos - pos % (page ? page : 4096);
	len = x->size - off < DL_MAP_WINDOW ? x->size - off : DL_MAP_WINDOW;
	if (len < pos + n - off)
		len = pos + n - off;
	m = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, x->fd, (off_t)off);
	if (m == MAP_FAILED) {
		x->mappable = 0;
		return -1;
	}
	x->map = m;
	x->map_off = off;
	x->map_len = (size_t)len;
	return 0;
}

/* Up to n bytes of the file at pos, read back for hashing: from a mapping
 * when the file allows one, else copied into hbuf. Like pread. */
static ssize_t read_back(struct dl *x, uint64_t pos, size_t n, const unsigned char **p)
{
	if (x->mappable && map_window(x, pos, n) == 0) {
		*p = x->map + (pos - x->map_off);
		return (ssize_t)n;
	}
	*p = x->hbuf;
	return pread(x->fd, x->hbuf, n, (off_t)pos);
}

/* Hash what lies between x->hashed and the frontier, read back from the
 * file (the page cache). Only with no hashing thread running. */
static int hash_rest(struct dl *x)
{
	uint64_t f = frontier(x);

	while (x->hashed < f) {
		uint64_t want = f - x->hashed;
		size_t n = want > DL_HASH_BUF ? DL_HASH_BUF : (size_t)want;
		const unsigned char *b;
		ssize_t r = read_back(x, x->hashed, n, &b);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return lm_err_set(x->err, LM_EFAIL, "cannot read '%s': %s", x->d->partial,
					  r < 0 ? strerror(errno) : "file shrank");
		sha256_update(&x->sha, b, (size_t)r);
		x->hashed += (uint64_t)r;
	}
	return LM_OK;
}

/* The hashing thread: follows the published frontier. */
static void *hasher_main(void *arg)
{
	struct dl *x = arg;

	pthread_mutex_lock(&x->hmu);
	for (;;) {
		while (x->hashed == x->published && !x->h_stop && !x->h_finish)
			pthread_cond_wait(&x->hcv, &x->hmu);
		if (x->h_stop || x->hashed == x->published)
			break;
		uint64_t pos = x->hashed, want = x->published - pos;
		size_t n = want > DL_HASH_BUF ? DL_HASH_BUF : (size_t)want;
		pthread_mutex_unlock(&x->hmu);
		const unsigned char *b;
		ssize_t r = read_back(x, pos, n, &b);
		if (r > 0)
			sha256_update(&x->sha, b, (size_t)r);
		pthread_mutex_lock(&x->hmu);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			x->h_err = r < 0 ? errno : EIO;
			break;
		}
		x->hashed += (uint64_t)r;
	}
	pthread_mutex_unlock(&x->hmu);
	return NULL;
}

/* Start the hashing thread; without one, finish() hashes everything. */
static void hasher_start(struct dl *x)
{
	x->h_stop = x->h_finish = 0;
	x->hash_running = pthread_create(&x->hash_tid, NULL, hasher_main, x) == 0;
}

/* Tell the thread how far the contiguous data goes. */
static void hasher_publish(struct dl *x)
{
	uint64_t f = frontier(x);

	if (!x->hash_running)
		return;
	pthread_mutex_lock(&x->hmu);
	if (f != x->published) {
		x->published = f;
		pthread_cond_signal(&x->hcv);
	}
	pthread_mutex_unlock(&x->hmu);
}

/* Stop the thread now (finish = 0) or once it has caught up (finish = 1). */
static void hasher_join(struct dl *x, int finish)
{
	if (!x->hash_running)
		return;
	pthread_mutex_lock(&x->hmu);
	if (finish)
		x->h_finish = 1;
	else
		x->h_stop = 1;
	pthread_cond_signal(&x->hcv);
	pthread_mutex_unlock(&x->hmu);
	pthread_join(x->hash_tid, NULL);
	x->hash_running = 0;
}

static void hasher_stop(struct dl *x)
{
	hasher_join(x, 0);
}

/* ---- transfers ------------------------------------------------------- */

static int fail(struct dl *x, int code, const char *fmt, const char *a, const char *b)
{
	if (!x->fatal) {
		x->fatal = code;
		lm_err_set(x->err, code, fmt, a, b);
	}
	return code;
}

/* First bytes of a response: decide whether they go to the file. */
static int body_check(struct conn *c)
{
	struct dl *x = c->dl;
	long st = c->r.status;
	const char *cr;
	uint64_t a, b, total;
	char tot[32];

	c->checked = 1;
	if (st != 200 && st != 206)
		return 1; /* error or redirect body: discarded */
	if (c->chunk >= 0 && st == 200) {
		c->want_single = 1;
		return 0;
	}
	cr = http_header(&c->r, "Content-Range");
	if (st == 206 && cr) {
		if (sscanf(cr, "bytes %" SCNu64 "-%" SCNu64 "/%31s", &a, &b, tot) != 3 ||
		    a != c->req_start) {
			fail(x, LM_ENET, "bad Content-Range from '%s': %s", x->name, cr);
			return 0;
		}
		if (strcmp(tot, "*") && x->size != DL_UNKNOWN &&
		    (sscanf(tot, "%" SCNu64, &total) != 1 || total != x->size)) {
			char want[32];
			snprintf(want, sizeof(want), "%" PRIu64, x->size);
			lm_err_set(x->err, LM_EINTEGRITY,
				   "size mismatch for '%s': the server has %s bytes, expected %s",
				   x->name, tot, want);
			x->fatal = LM_EINTEGRITY;
			return 0;
		}
	}
	if (st == 206 && (x->ranges < 0 || !x->cdn_url)) {
		/* ranges work: the other connections may start on this URL now */
		x->ranges = 1;
		free(x->cdn_url);
		x->cdn_url = lm_xstrdup(c->url);
	}
	c->writing = 1;
	return 1;
}

/* Count n bytes written at pos into the chunks they belong to. */
static void account(struct dl *x, uint64_t pos, uint64_t n)
{
	while (n > 0) {
		size_t i = x->size == DL_UNKNOWN ? 0 : (size_t)(pos / x->chunk_size);
		struct chunk *c = &x->chunks[i];
		uint64_t room = c->len == DL_UNKNOWN ? n : c->start + c->len - pos;
		uint64_t k = n < room ? n : room;
		c->got = pos + k - c->start;
		if (c->got == c->len)
			c->state = CH_DONE;
		pos += k;
		n -= k;
	}
}

/* Write n bytes at pos and count them. 0 ok, -1 on error (set). */
static int put(struct dl *x, const unsigned char *p, size_t n, uint64_t pos)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = pwrite(x->fd, p + off, n - off, (off_t)(pos + off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			fail(x, e == ENOSPC || e == EDQUOT ? LM_ERESOURCE : LM_EFAIL,
			     "cannot write '%s': %s", x->d->partial, strerror(e));
			return -1;
		}
		off += (size_t)w;
	}
	account(x, pos, n);
	/* one multi_perform may read many MiB: keep the hasher fed meanwhile */
	x->unpublished += n;
	if (x->unpublished >= DL_PUBLISH_EVERY) {
		x->unpublished = 0;
		hasher_publish(x);
	}
	return 0;
}

/* Write what c holds at its offset and count it. 0 ok, -1 on error (set). */
static int conn_flush(struct dl *x, struct conn *c)
{
	int rc = put(x, c->wbuf, c->wlen, c->wpos);

	c->wpos += c->wlen;
	c->wlen = 0;
	return rc;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct conn *c = arg;
	struct dl *x = c->dl;
	size_t len = size * n, off = 0;
	uint64_t limit;

	if (!c->checked && !body_check(c))
		return 0;
	if (!c->writing)
		return len;
	if (x->fatal)
		return 0;
	limit = c->chunk >= 0 ? x->chunks[c->chunk_end - 1].start + x->chunks[c->chunk_end - 1].len
			      : x->size;
	if (!c->first_byte)
		c->first_byte = lm_mono_ms();
	if (limit != DL_UNKNOWN && c->pos + len > limit) {
		if (c->chunk < 0 || c->req_end <= limit) {
			fail(x, LM_EINTEGRITY, "size mismatch for '%s': the server sent more than %s",
			     x->name, "expected");
			return 0;
		}
		/* its span was shortened by a steal: keep what is ours, then stop */
		c->clipped = 1;
		len = (size_t)(limit - c->pos);
		if (len == 0)
			return 0;
	}
	if (c->wlen == 0 && len >= DL_WBUF / 2) {
		/* a large read (loopback, fast links): written as it is */
		if (put(x, (const unsigned char *)buf, len, c->pos) < 0)
			return 0;
		off = len;
	}
	if (!c->wbuf && off < len)
		c->wbuf = lm_xmalloc(DL_WBUF);
	while (off < len) {
		size_t k = len - off < DL_WBUF - c->wlen ? len - off : DL_WBUF - c->wlen;
		if (c->wlen == 0)
			c->wpos = c->pos + off;
		memcpy(c->wbuf + c->wlen, buf + off, k);
		c->wlen += k;
		off += k;
		if (c->wlen == DL_WBUF && conn_flush(x, c) < 0)
			return 0;
	}
	c->last_data = lm_mono_ms();
	c->pos += len;
	c->req_got += len;
	return len; /* when clipped, less than curl gave: the transfer stops */
}

static size_t header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct conn *c = arg;
	c->last_data = lm_mono_ms();
	return http_header_cb(buf, size, n, &c->r);
}

/* (Re)start connection c on its chunk at its current URL. */
static int conn_start(struct dl *x, struct conn *c)
{
	CURL *e = c->easy;
	char range[64];

	if (c->busy) {
		lm_curl.multi_remove_handle(x->multi, e);
		c->busy = 0;
	}
	if (c->wlen && conn_flush(x, c) < 0)
		return x->fatal;
	http_response_reset(&c->r);
	lm_curl.slist_free_all(c->hdrs);
	c->hdrs = http_headers_for(x->h, c->url);
	c->checked = c->writing = c->want_single = c->clipped = 0;
	c->req_got = 0;
	c->last_data = c->req_t0 = lm_mono_ms();
	c->first_byte = 0;
	c->errbuf[0] = '\0';
	lm_curl.easy_reset(e);
	http_easy_common(x->h, e);
	lm_curl.easy_setopt(e, CURLOPT_URL, c->url);
	lm_curl.easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
	lm_curl.easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	lm_curl.easy_setopt(e, CURLOPT_HEADERDATA, c);
	lm_curl.easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	lm_curl.easy_setopt(e, CURLOPT_WRITEDATA, c);
	lm_curl.easy_setopt(e, CURLOPT_PRIVATE, c);
	lm_curl.easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	lm_curl.easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
	/* one TCP connection per transfer: HTTP/2 would multiplex them all
	 * onto one, and per-connection limits are what parallelism beats */
	lm_curl.easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	if (c->chunk >= 0) {
		struct chunk *last = &x->chunks[c->chunk_end - 1], *ch;
		while (x->chunks[c->chunk].state == CH_DONE)
			c->chunk++; /* callers make sure one is left */
		ch = &x->chunks[c->chunk];
		c->pos = c->req_start = ch->start + ch->got;
		c->req_end = last->start + last->len;
		snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, c->pos, c->req_end - 1);
		lm_curl.easy_setopt(e, CURLOPT_RANGE, range);
		for (int i = c->chunk; i < c->chunk_end; i++)
			if (x->chunks[i].state != CH_DONE)
				x->chunks[i].state = CH_ACTIVE;
	} else {
		c->pos = c->req_start = 0;
		c->req_end = x->size;
	}
	if (lm_curl.multi_add_handle(x->multi, e) != CURLM_OK)
		return fail(x, LM_EFAIL, "cannot start a transfer for '%s'%s", x->name, "");
	c->busy = 1;
	return LM_OK;
}

static void conn_set_url(struct conn *c, const char *url)
{
	char *u = lm_xstrdup(url); /* url may be c->url itself */
	free(c->url);
	c->url = u;
}

/* 1 when c's span of chunks still has bytes to fetch. */
static int span_left(const struct dl *x, const struct conn *c)
{
	for (int i = c->chunk; i >= 0 && i < c->chunk_end; i++)
		if (x->chunks[i].state != CH_DONE)
			return 1;
	return 0;
}

/* How many chunks the next request of c takes: a share of what is left to
 * start (guided scheduling: early requests long, the last ones short, so
 * that connections finish together and the in-order hash does not lag), at
 * least DL_RTT_SPANS round trips' worth at c's measured speed (few, long
 * requests on fast links), at most DL_MAX_SPAN bytes. */
static int span_len(const struct dl *x, const struct conn *c, size_t next)
{
	uint64_t todo = 0, want, floor;
	size_t n, run = 0;

	if (x->trial) /* the first request and the warm-ups: short, so that the
		       * others start soon and the warm-ups last about as long */
		n = (size_t)((DL_TRIAL_BYTES + x->chunk_size - 1) / x->chunk_size);
	else if (x->ranges < 0)
		n = 1;
	else
		n = 0;
	if (n) {
		while (run < n && next + run < x->nchunks && x->chunks[next + run].state == CH_TODO)
			run++;
		return (int)(run ? run : 1);
	}
	for (size_t i = next; i < x->nchunks; i++)
		if (x->chunks[i].state == CH_TODO)
			todo += x->chunks[i].len;
	/* one connection: all of it at once (in order, nothing to balance) */
	want = x->nconns == 1 ? todo : todo / (DL_GUIDED * (uint64_t)x->nconns);
	floor = (uint64_t)(c->rate * x->wait / 1000.0 * DL_RTT_SPANS);
	if (floor > todo / (uint64_t)x->nconns)
		floor = todo / (uint64_t)x->nconns; /* never more than a fair share */
	if (want < floor)
		want = floor;
	if (want > DL_MAX_SPAN)
		want = DL_MAX_SPAN;
	n = (size_t)((want + x->chunk_size - 1) / x->chunk_size);
	if (n < 1)
		n = 1;
	while (run < n && next + run < x->nchunks && x->chunks[next + run].state == CH_TODO)
		run++;
	return (int)run;
}

/* Work stealing: give idle c the second half of the chunks that the
 * running request with the most of them left has not reached yet. The
 * victim's span ends where c's begins; its writes stop there (write_cb).
 * 0 when nothing is worth a request of its own. */
static int steal(struct dl *x, struct conn *c)
{
	struct conn *v = NULL;
	size_t best = 0, vcur = 0;

	for (int i = 0; i < x->nlive; i++) {
		struct conn *o = &x->conns[i];
		size_t cur, rem;
		if (o == c || !o->busy || o->chunk < 0)
			continue;
		cur = (size_t)(o->pos / x->chunk_size); /* the chunk it is writing */
		if (cur + 1 >= (size_t)o->chunk_end)
			continue;
		rem = (size_t)o->chunk_end - (cur + 1);
		if (rem >= 2 && rem > best) {
			best = rem;
			v = o;
			vcur = cur;
		}
	}
	if (!v)
		return 0;
	/* not worth it when the stolen bytes take less than two round trips */
	if (v->rate > 0 && x->wait > 0 &&
	    (double)(best - best / 2) * (double)x->chunk_size * 1000.0 / v->rate < 2.0 * x->wait)
		return 0;
	c->chunk = (int)(vcur + 1 + best / 2);
	c->chunk_end = v->chunk_end;
	v->chunk_end = c->chunk;
	return 1;
}

/* Keep the trial's verdict on the handle for the next file from the same
 * host. */
static void link_learn(struct dl *x, const struct conn *c, double rate)
{
	char *hp = http_url_hostport(c->url);

	if (!hp)
		return;
	free(x->h->link_host);
	x->h->link_host = hp;
	x->h->link_rate = rate;
}

/* 1 when an earlier trial of this handle found one connection slow on the
 * host this download's ranges go to first. */
static int link_known_slow(const struct dl *x)
{
	char *hp;
	int slow;

	if (!x->h->link_host || x->h->link_rate >= DL_FAST_CONN)
		return 0;
	hp = http_url_hostport(x->cdn_url ? x->cdn_url : x->d->url);
	slow = hp && !strcmp(hp, x->h->link_host);
	free(hp);
	return slow;
}

/* The trial can tell early that one connection is not enough: at
 * DL_FAST_CONN the whole trial would have arrived by now. Then the others
 * start at once instead of after the trial (on a 40 MB/s connection that
 * wait was 26 ms of 15 idle connections).
 * Before that, once the trial has run DL_WARM_MS (where a link that
 * serves one connection at 500 MB/s has delivered all of it), the others
 * warm up with a trial-sized range each: their connections (a TLS
 * handshake on the Hub's CDN) and their first request's wait are behind
 * them when the trial ends, and their data is kept whatever it decides.
 * Only the verdict "one connection is enough" costs much when wrong (16
 * times slower), and it still waits for the whole trial. */
static void trial_check(struct dl *x, long long now)
{
	const struct conn *c = &x->conns[0];
	long long t = now - c->first_byte;

	if (!x->trial || !c->busy || !c->first_byte)
		return;
	if ((double)t > DL_TRIAL_MS) {
		x->trial = 0;
		link_learn(x, c, (double)c->req_got * 1000.0 / (double)t);
	} else if (t >= DL_WARM_MS)
		x->warm = 1;
}

/* How long the loop may wait for the network: no longer than the trial's
 * next step (a slow link sends nothing for a while between its bursts, and
 * the trial must not wait for the next one to end). */
static int poll_ms(const struct dl *x, long long now)
{
	const struct conn *c = &x->conns[0];
	long long due;

	if (!x->trial || !c->busy || !c->first_byte)
		return 100;
	due = c->first_byte + (x->warm ? (long long)DL_TRIAL_MS + 1 : DL_WARM_MS);
	return due <= now ? 1 : due - now < 100 ? (int)(due - now) : 100;
}

/* 1 when c may start a request for new chunks now. */
static int may_start(const struct dl *x, const struct conn *c, int i)
{
	if (i >= x->nconns || x->ranges < 0)
		return i == 0;
	if (x->trial && i > 0)
		return x->warm && !c->warmed;
	return 1;
}

/* Give idle connections the next chunks to fetch. */
static int assign(struct dl *x, long long now)
{
	size_t next = 0;

	trial_check(x, now);
	for (int i = 0; i < x->nlive; i++) {
		struct conn *c = &x->conns[i];
		if (c->busy || c->not_before > now)
			continue;
		if (c->chunk >= 0 && span_left(x, c)) {
			/* a retry of the rest of its span */
			if (conn_start(x, c) != LM_OK)
				return x->fatal;
			continue;
		}
		if (x->ranges == 0) {
			/* single mode: connection 0 only, (re)started from byte 0 */
			if (i == 0 && c->chunk == -2) {
				c->chunk = -1;
				if (restart_from_zero(x) != LM_OK)
					return x->err->code;
				if (conn_start(x, c) != LM_OK)
					return x->fatal;
			}
			continue;
		}
		if (!may_start(x, c, i))
			continue; /* probing or measuring on connection 0 first */
		while (next < x->nchunks && x->chunks[next].state != CH_TODO)
			next++;
		if (next < x->nchunks) {
			c->chunk = (int)next;
			c->chunk_end = (int)next + span_len(x, c, next);
		} else if (x->ranges < 0 || !steal(x, c)) {
			c->chunk = -1;
			continue; /* nothing left to start; others may still retry */
		}
		c->warmed = x->trial;
		c->hops = 0;
		conn_set_url(c, x->ranges > 0 && x->cdn_url ? x->cdn_url : x->d->url);
		if (conn_start(x, c) != LM_OK)
			return x->fatal;
	}
	return LM_OK;
}

/* Schedule a retry of c after a failed try (network error or status). */
static void conn_retry(struct dl *x, struct conn *c, long server_wait, const char *why)
{
	long wait;
	int max = x->h->max_retries < 0 ? 0 : x->h->max_retries;

	x->trial = 0; /* no measure from a failed try: all connections go */
	if (c->req_got > 0 && c->chunk != -1)
		c->tries = 0; /* progress (kept, unlike single mode's): the budget starts over */
	c->tries++;
	wait = http_backoff_ms(c->tries - 1, server_wait);
	if (c->tries > max || wait < 0) {
		char more[300];
		if (server_wait >= 0)
			snprintf(more, sizeof(more), "%s, retry in %ld s", why, server_wait);
		else
			snprintf(more, sizeof(more), "%s", why);
		fail(x, LM_ENET, "cannot download '%s': %s", x->name, more);
		return;
	}
	/* the connection keeps its chunk (CH_ACTIVE) until it tries again */
	c->not_before = lm_mono_ms() + wait;
}

/* A redirect answer: follow it (the token goes only to its own host). */
static void conn_redirect(struct dl *x, struct conn *c)
{
	const char *loc = http_header(&c->r, "Location");
	const char *ls = http_header(&c->r, "X-Linked-Size");
	char *next;

	if (ls && x->size != DL_UNKNOWN && strtoull(ls, NULL, 10) != x->size) {
		char want[32];
		snprintf(want, sizeof(want), "%" PRIu64, x->size);
		lm_err_set(x->err, LM_EINTEGRITY,
			   "size mismatch for '%s': the server has %s bytes, expected %s", x->name,
			   ls, want);
		x->fatal = LM_EINTEGRITY;
		return;
	}
	if (++c->hops > DL_MAX_HOPS) {
		fail(x, LM_ENET, "too many redirects from '%s'%s", x->name, "");
		return;
	}
	next = http_resolve_url(c->url, loc);
	if (!next) {
		fail(x, LM_ENET, "bad redirect location from '%s': %s", x->name, loc);
		return;
	}
	free(c->url);
	c->url = next;
	if (x->ranges < 0) {
		/* the probe knows where the bytes are: the others start there now
		 * (a server there that ignores Range sends them to one) */
		x->ranges = 1;
		free(x->cdn_url);
		x->cdn_url = lm_xstrdup(next);
	}
	conn_start(x, c);
}

/* An error status that retrying will not fix. */
static void conn_refused(struct dl *x, struct conn *c)
{
	const char *msg = http_header(&c->r, "X-Error-Message");
	char why[300];
	long st = c->r.status;

	snprintf(why, sizeof(why), "HTTP %ld%s%s", st, msg ? ": " : "", msg ? msg : "");
	if (st == 416) {
		fail(x, LM_EINTEGRITY, "size mismatch for '%s': %s", x->name, why);
		return;
	}
	fail(x, st == 404 ? LM_ENOTFOUND : LM_ENET, "cannot download '%s': %s", x->name, why);
}

/* The server ignores Range: stop everything, one connection from byte 0. */
static void go_single(struct dl *x, struct conn *c)
{
	x->ranges = 0;
	for (int i = 0; i < x->nlive; i++) {
		x->conns[i].wlen = 0; /* starting over anyway */
		if (x->conns[i].busy) {
			lm_curl.multi_remove_handle(x->multi, x->conns[i].easy);
			x->conns[i].busy = 0;
		}
	}
	x->conns[0].chunk = -2; /* makes assign() restart it */
	conn_set_url(&x->conns[0], c->url);
	x->conns[0].not_before = 0;
}

/* How long c's request that just ended waited for its first byte once
 * its connection was ready, in ms. Connecting is left out (curl's
 * pre-transfer time): the next request on this connection skips it, and
 * 16 connections opened at once wait for each other, which once made the
 * first request look 30 ms long on loopback and every span 10 MB. */
static double request_wait(const struct conn *c)
{
	curl_off_t pre = 0, start = 0;

	if (lm_curl.easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &pre) == CURLE_OK &&
	    lm_curl.easy_getinfo(c->easy, CURLINFO_STARTTRANSFER_TIME_T, &start) == CURLE_OK &&
	    start >= pre && start > 0)
		return (double)(start - pre) / 1000.0;
	return (double)(c->first_byte - c->req_t0);
}

/* Fold the speed of c's request that just ended into its figure, and its
 * wait into the download's (a property of the server and the path more
 * than of one connection). Requests too short to tell are skipped. */
static void measure(struct dl *x, struct conn *c)
{
	long long now = lm_mono_ms(), t;
	double r, w;

	t = now - c->first_byte;
	if (!c->first_byte || c->req_got < DL_MEASURE_BYTES || t < 10)
		return; /* too short: a server's first burst is no speed */
	r = (double)c->req_got * 1000.0 / (double)(t > 0 ? t : 1);
	c->rate = c->rate > 0 ? 0.5 * c->rate + 0.5 * r : r;
	w = request_wait(c);
	x->wait = x->wait > 0 ? 0.8 * x->wait + 0.2 * w : w;
}

/* The first request has ended: one connection that fast is enough (no
 * range overhead, the hash follows in order); else all of them. */
static void trial_end(struct dl *x, struct conn *c)
{
	long long t = lm_mono_ms() - c->first_byte;
	double r;

	x->trial = 0;
	if (!c->first_byte || c->req_got < DL_TRIAL_BYTES / 2)
		return;
	r = (double)c->req_got * 1000.0 / (double)(t > 0 ? t : 1);
	link_learn(x, c, r);
	if (r >= DL_FAST_CONN)
		x->nconns = 1;
}

/* A 200/206 answer ended well: its span is done, or the rest is asked for;
 * in single mode the whole file has arrived. */
static void conn_success(struct dl *x, struct conn *c)
{
	char got[32], want[32];

	if (c->chunk >= 0) {
		measure(x, c);
		if (x->trial && c == &x->conns[0])
			trial_end(x, c);
		if (!span_left(x, c)) {
			c->chunk = -1;
			c->tries = 0;
			c->refreshes = 0;
		} else if (c->req_got == 0) {
			conn_retry(x, c, -1, "empty response");
		} /* else the server ended the range early: assign() asks for the rest */
		return;
	}
	c->chunk = -3; /* finished */
	if (x->size == DL_UNKNOWN) {
		x->size = c->pos;
		x->chunks[0].len = c->pos;
		x->chunks[0].state = CH_DONE;
		return;
	}
	if (c->pos == x->size)
		return;
	snprintf(got, sizeof(got), "%" PRIu64, c->pos);
	snprintf(want, sizeof(want), "%" PRIu64, x->size);
	lm_err_set(x->err, LM_EINTEGRITY, "size mismatch for '%s': received %s bytes, expected %s",
		   x->name, got, want);
	x->fatal = LM_EINTEGRITY;
}

/* A transfer ended: decide what comes next for its connection. */
static void conn_done(struct dl *x, struct conn *c, CURLcode cc)
{
	long st = c->r.status;
	char why[CURL_ERROR_SIZE + 32];

	if (!c->busy)
		return; /* taken out meanwhile (go_single): its end is old news */
	lm_curl.multi_remove_handle(x->multi, c->easy);
	c->busy = 0;
	if (!x->fatal && c->wlen)
		conn_flush(x, c); /* what arrived before an error is good */
	if (x->fatal)
		return;
	if (c->want_single) {
		if (x->ranges != 0)
			go_single(x, c); /* once: several may have seen the 200 */
		return;
	}
	if (cc == CURLE_WRITE_ERROR && c->clipped)
		cc = CURLE_OK; /* stopped on purpose at the end of its shortened span */
	if (cc != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", c->errbuf[0] ? c->errbuf : lm_curl.easy_strerror(cc));
		conn_retry(x, c, -1, why);
		if (c->chunk == -1 && !x->fatal)
			c->chunk = -2; /* single mode cannot resume: start over */
		return;
	}
	if (st >= 300 && st <= 399 && st != 304 && http_header(&c->r, "Location")) {
		conn_redirect(x, c);
		return;
	}
	if (http_response_retryable(&c->r)) {
		snprintf(why, sizeof(why), "HTTP %ld", st);
		conn_retry(x, c, http_retry_after(&c->r), why);
		if (c->chunk == -1 && !x->fatal)
			c->chunk = -2;
		return;
	}
	if ((st == 403 || st == 410) && strcmp(c->url, x->d->url) && c->refreshes < 2) {
		/* an expired signed URL: ask the origin again */
		c->refreshes++;
		c->hops = 0;
		conn_set_url(c, x->d->url);
		free(x->cdn_url);
		x->cdn_url = NULL;
		conn_start(x, c);
		return;
	}
	if (st != 200 && st != 206)
		conn_refused(x, c);
	else
		conn_success(x, c);
}

/* Abort transfers that got nothing for low_speed_time_s: curl's own
 * low-speed check averages over seconds, so a stall after a fast start
 * would go unnoticed for long. */
static void check_stalls(struct dl *x, long long now)
{
	long long limit = (long long)x->h->low_speed_time_s * 1000;

	for (int i = 0; i < x->nlive && !x->fatal; i++) {
		struct conn *c = &x->conns[i];
		if (!c->busy || now - c->last_data < limit)
			continue;
		snprintf(c->errbuf, sizeof(c->errbuf), "no data for %ld s", x->h->low_speed_time_s);
		conn_done(x, c, CURLE_OPERATION_TIMEDOUT);
	}
}

static int all_done(struct dl *x)
{
	for (size_t i = 0; i < x->nchunks; i++)
		if (x->chunks[i].state != CH_DONE)
			return 0;
	return 1;
}

static int busy_count(struct dl *x)
{
	int n = 0;
	for (int i = 0; i < x->nlive; i++)
		n += x->conns[i].busy;
	return n;
}

/* Connections idle until a retry time. */
static int waiting_count(struct dl *x)
{
	int n = 0;
	for (int i = 0; i < x->nlive; i++)
		n += !x->conns[i].busy && x->conns[i].not_before > lm_mono_ms();
	return n;
}

static void progress(struct dl *x, long long now, int force)
{
	struct lm_dl_progress p;
	uint64_t done = 0;

	if (!x->d->progress || (!force && now - x->last_progress < DL_PROGRESS_EVERY_MS))
		return;
	for (size_t i = 0; i < x->nchunks; i++)
		done += x->chunks[i].got;
	if (now - x->rate_t >= 500) {
		double inst = (double)(done - x->rate_done) * 1000.0 / (double)(now - x->rate_t);
		x->rate = x->rate > 0 ? 0.5 * x->rate + 0.5 * inst : inst;
		x->rate_t = now;
		x->rate_done = done;
	}
	x->last_progress = now;
	p.done = done;
	p.total = x->size == DL_UNKNOWN ? 0 : x->size;
	p.rate = x->rate;
	p.connections = busy_count(x);
	x->d->progress(x->d->progress_ctx, &p);
}

/* The transfer loop: until every chunk is on disk, an error, or cancel. */
static int run(struct dl *x)
{
	int running;

	while (!all_done(x)) {
		long long now = lm_mono_ms();
		CURLMsg *m;
		int left;

		if ((x->d->cancel && *x->d->cancel) || (x->h->cancel && *x->h->cancel))
			return lm_err_set(x->err, LM_EFAIL, "download of '%s' interrupted", x->name);
		if (assign(x, now) != LM_OK || x->fatal)
			return x->fatal ? x->fatal : x->err->code;
		lm_curl.multi_perform(x->multi, &running);
		while ((m = lm_curl.multi_info_read(x->multi, &left))) {
			struct conn *c = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			lm_curl.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			conn_done(x, c, m->data.result);
			if (x->fatal)
				return x->fatal;
		}
		check_stalls(x, lm_mono_ms());
		if (x->fatal)
			return x->fatal;
		/* idle connections take their next chunk before we wait */
		if (assign(x, lm_mono_ms()) != LM_OK || x->fatal)
			return x->fatal ? x->fatal : x->err->code;
		if (!all_done(x) && !busy_count(x) && !waiting_count(x))
			return lm_err_set(x->err, LM_EFAIL, "download of '%s' stopped: no transfer left",
					  x->name);
		hasher_publish(x);
		if (now - x->last_state >= DL_STATE_EVERY_MS) {
			x->last_state = now;
			if (state_save(x) != LM_OK)
				return x->err->code;
		}
		progress(x, now, 0);
		if (!all_done(x))
			lm_curl.multi_poll(x->multi, NULL, 0, poll_ms(x, lm_mono_ms()), NULL);
	}
	return LM_OK;
}

/* Check size and hash once every byte is on disk. */
static int finish(struct dl *x, char sha256_out[65])
{
	char hex[65];
	struct stat st;

	hasher_publish(x);
	hasher_join(x, 1);
	if (x->h_err)
		return lm_err_set(x->err, LM_EFAIL, "cannot read '%s': %s", x->d->partial,
				  strerror(x->h_err));
	if (hash_rest(x) != LM_OK)
		return x->err->code;
	if (x->size == DL_UNKNOWN)
		x->size = x->hashed;
	if (ftruncate(x->fd, (off_t)x->size) < 0 || fstat(x->fd, &st) < 0)
		return lm_err_set(x->err, LM_EFAIL, "cannot write '%s': %s", x->d->partial,
				  strerror(errno));
	sha256_final_hex(&x->sha, hex);
	x->sha_ok = 0;
	if (x->hashed != x->size || (uint64_t)st.st_size != x->size)
		return lm_err_set(x->err, LM_EINTEGRITY, "size mismatch for '%s'", x->name);
	if (x->d->sha256 && strcasecmp(hex, x->d->sha256))
		return lm_err_set(x->err, LM_EINTEGRITY,
				  "checksum mismatch for '%s': expected sha256 %.64s, got %s",
				  x->name, x->d->sha256, hex);
	memcpy(sha256_out, hex, 65);
	unlink(x->state_path);
	return LM_OK;
}

/* Reserve the space up front: a full disk shows now, not at 90%. */
static int reserve(struct dl *x)
{
	if (x->size == DL_UNKNOWN || x->size == 0)
		return LM_OK;
	if (os_preallocate(x->fd, x->size) < 0)
		return lm_err_set(x->err, LM_ERESOURCE, "cannot write '%s': %s", x->d->partial,
				  strerror(errno));
	return LM_OK;
}

/* Whether the hash may map the partial file: only when it already has its
 * full size (a mapping read beyond the end faults). Without it, pread. */
static void map_file(struct dl *x)
{
	struct stat st;

	x->mappable = x->size != DL_UNKNOWN && x->size > 0 && fstat(x->fd, &st) == 0 &&
		      S_ISREG(st.st_mode) && (uint64_t)st.st_size >= x->size;
}

static int dl_setup(struct dl *x)
{
	const struct lm_download *d = x->d;
	int rc;

	x->fd = open(d->partial, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (x->fd < 0)
		return lm_err_set(x->err, errno == ENOSPC ? LM_ERESOURCE : LM_EFAIL,
				  "cannot open '%s': %s", d->partial, strerror(errno));
	x->size = d->size ? d->size : DL_UNKNOWN;
	chunks_setup(x, 0);
	if (x->size != DL_UNKNOWN)
		state_load(x);
	else if (ftruncate(x->fd, 0) < 0)
		return lm_err_set(x->err, LM_EFAIL, "cannot write '%s': %s", d->partial,
				  strerror(errno));
	if ((rc = reserve(x)) != LM_OK)
		return rc;
	map_file(x);
	if ((rc = sha256_init(&x->sha, x->err)) != LM_OK)
		return rc;
	x->sha_ok = 1;
	x->hbuf = lm_xmalloc(DL_HASH_BUF);
	hasher_start(x);
	x->nconns = d->connections > 0 ? d->connections : 0;
	if (x->size == DL_UNKNOWN) {
		x->nconns = 1;
		x->ranges = 0;
	} else {
		if (!x->nconns)
			x->nconns = auto_conns(x->size);
		x->ranges = -1;
		if (d->start_url) {
			/* resolved already: every connection starts there at once (a
			 * server that ignores Range still sends us to one) */
			x->ranges = 1;
			x->cdn_url = lm_xstrdup(d->start_url);
		}
	}
	if (x->nconns > DL_MAX_CONNS)
		x->nconns = DL_MAX_CONNS;
	x->nlive = x->nconns;
	/* measure one connection first, unless a count was asked for or this
	 * host's connections are known to be slow */
	x->trial = x->nconns > 1 && !d->connections && x->size >= 4 * DL_TRIAL_BYTES &&
		   !link_known_slow(x);
	x->multi = lm_curl.multi_init();
	if (!x->multi)
		return lm_err_set(x->err, LM_EFAIL, "libcurl: cannot create a multi handle");
	for (int i = 0; i < x->nlive; i++) {
		struct conn *c = &x->conns[i];
		c->dl = x;
		c->chunk = -1;
		c->easy = lm_curl.easy_init();
		if (!c->easy)
			return lm_err_set(x->err, LM_EFAIL, "libcurl: cannot create a handle");
	}
	if (x->ranges == 0) {
		x->conns[0].chunk = -2;
		conn_set_url(&x->conns[0], d->start_url ? d->start_url : d->url);
	}
	return LM_OK;
}

static void dl_release(struct dl *x)
{
	hasher_stop(x);
	for (int i = 0; i < DL_MAX_CONNS; i++) {
		struct conn *c = &x->conns[i];
		if (c->easy) {
			if (c->busy)
				lm_curl.multi_remove_handle(x->multi, c->easy);
			lm_curl.easy_cleanup(c->easy);
		}
		lm_curl.slist_free_all(c->hdrs);
		http_response_reset(&c->r);
		free(c->url);
		free(c->wbuf);
	}
	if (x->multi)
		lm_curl.multi_cleanup(x->multi);
	if (x->sha_ok)
		sha256_release(&x->sha);
	if (x->fd >= 0)
		close(x->fd);
	if (x->map)
		munmap(x->map, x->map_len);
	free(x->chunks);
	free(x->hbuf);
	free(x->cdn_url);
	free(x->state_path);
	free(x->name);
}

int http_download(struct lm_http *h, const struct lm_download *d, char sha256_out[65],
		  struct lm_err *err)
{
	struct dl x;
	struct lm_err tmp;
	int rc;

	memset(&x, 0, sizeof(x));
	x.fd = -1;
	x.h = h;
	x.d = d;
	x.err = err ? err : &tmp;
	x.state_path = lm_asprintf("%s.state", d->partial);
	x.name = http_url_for_msg(d->url);
	x.last_state = x.last_progress = x.rate_t = lm_mono_ms();
	pthread_mutex_init(&x.hmu, NULL);
	pthread_cond_init(&x.hcv, NULL);
	sha256_out[0] = '\0';
	rc = dl_setup(&x);
	if (rc == LM_OK)
		rc = run(&x);
	if (rc == LM_OK) {
		progress(&x, lm_mono_ms(), 1);
		rc = finish(&x, sha256_out);
	} else if (rc != LM_EINTEGRITY && x.fd >= 0 && x.chunks) {
		struct lm_err keep = *x.err;
		for (int i = 0; i < x.nlive; i++)
			if (x.conns[i].wlen)
				conn_flush(&x, &x.conns[i]);
		state_save(&x); /* keep what arrived for the next run */
		*x.err = keep;
	}
	if (rc == LM_EINTEGRITY) {
		unlink(d->partial);
		unlink(x.state_path);
	}
	dl_release(&x);
	pthread_mutex_destroy(&x.hmu);
	pthread_cond_destroy(&x.hcv);
	return rc;
}
