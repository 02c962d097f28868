/* base: errors, allocation, strings, sizes and times shared by all layers. */
#include "localmodel/base.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lm_err_set(struct lm_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

int lm_err_prefix(struct lm_err *err, const char *fmt, ...)
{
	char pre[256], old[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", pre, old);
	return err->code;
}

void lm_err_clear(struct lm_err *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}

static void die_oom(void)
{
	static const char msg[] = "localmodel: out of memory\n";
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	abort();
}

void *lm_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

void *lm_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom();
	return p;
}

void *lm_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

char *lm_xstrdup(const char *s)
{
	return lm_xstrndup(s, strlen(s));
}

char *lm_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = lm_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int lm_bytes_append(char **buf, size_t *len, const char *p, size_t n, size_t max)
{
	if (*len + n > max)
		return -1;
	*buf = lm_xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

char *lm_asprintf(const char *fmt, ...)
{
	va_list ap, ap2;
	int n;
	char *p;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die_oom();
	p = lm_xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

size_t lm_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int lm_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int lm_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int lm_ends_with_ci(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

int lm_parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	double mult = 1;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mult = 1024.0; end++; break;
	case 'M': mult = 1024.0 * 1024; end++; break;
	case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	case 'B': break;
	default: return -1;
	}
	if (mult > 1) {
		/* accept K, KB, KiB (all binary: memory sizes are) */
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	} else if (*end == 'b' || *end == 'B') {
		end++;
	}
	if (*end)
		return -1;
	v *= mult;
	if (v > 1.8e19)
		return -1;
	*out = (uint64_t)(v + 0.5);
	return 0;
}

void lm_format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB", "PB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

int lm_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void lm_time_iso(time_t t, char *buf, size_t size)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int lm_time_parse(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;

	if (!s)
		return -1;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	s += n;
	if (*s == 'T' || *s == ' ') {
		if (sscanf(s + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3)
			return -1;
		s += 1 + n;
		if (*s == '.')
			for (s++; isdigit((unsigned char)*s); s++)
				;
		if (*s == 'Z' || *s == 'z')
			s++;
		else if (!strcmp(s, "+00:00"))
			s += 6;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	return 0;
}

int64_t lm_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

time_t lm_now(void)
{
	const char *e = getenv("LOCALMODEL_NOW");
	time_t t;
	long v;

	if (e && *e) {
		if (lm_parse_long(e, 0, 0x7fffffffL, &v) == 0)
			return (time_t)v;
		if (lm_time_parse(e, &t) == 0)
			return t;
	}
	return time(NULL);
}

void lm_format_ago(time_t t, time_t now, char *buf, size_t size)
{
	long d = (long)(now - t);

	if (t == 0)
		snprintf(buf, size, "never");
	else if (d < 60)
		snprintf(buf, size, "just now");
	else if (d < 3600)
		snprintf(buf, size, "%ld min ago", d / 60);
	else if (d < 86400)
		snprintf(buf, size, "%ld h ago", d / 3600);
	else if (d < 2 * 86400)
		snprintf(buf, size, "1 day ago");
	else
		snprintf(buf, size, "%ld days ago", d / 86400);
}

int lm_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[40][40];

	if (la > 38 || lb > 38)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

int lm_read_file(const char *path, size_t max, char **out, size_t *len, struct lm_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (fd < 0)
		return lm_err_set(err, errno == ENOENT ? LM_ENOTFOUND : LM_EFAIL,
				  "cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		ssize_t r;
		if (n + 4097 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = lm_xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			lm_err_set(err, LM_EFAIL, "cannot read '%s': %s", path, strerror(errno));
			free(buf);
			close(fd);
			return LM_EFAIL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(buf);
			close(fd);
			return lm_err_set(err, LM_EFAIL, "'%s' is larger than %zu bytes", path, max);
		}
	}
	close(fd);
	if (!buf)
		buf = lm_xmalloc(1);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return LM_OK;
}

int lm_write_file_atomic(const char *path, const void *data, size_t len, int mode,
			 struct lm_err *err)
{
	char *tmp = lm_asprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, rc = LM_OK;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = lm_err_set(err, errno == ENOSPC ? LM_ERESOURCE : LM_EFAIL,
					"cannot write '%s': %s", path, strerror(errno));
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (rc == LM_OK && fsync(fd) < 0)
		rc = lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", path, strerror(errno));
	if (close(fd) < 0 && rc == LM_OK)
		rc = lm_err_set(err, LM_EFAIL, "cannot write '%s': %s", path, strerror(errno));
	if (rc == LM_OK && rename(tmp, path) < 0)
		rc = lm_err_set(err, LM_EFAIL, "cannot rename to '%s': %s", path, strerror(errno));
	if (rc != LM_OK)
		unlink(tmp);
out:
	free(tmp);
	return rc;
}
