/* supervise_net: the local HTTP/1.1 client, the port check and API keys. */
#include "localmodel/supervise.h"
#include "localmodel/dl.h"
#include "localmodel/os.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int sup_host_is_loopback(const char *host)
{
	struct in_addr a4;

	if (!strcmp(host, "localhost") || !strcmp(host, "::1") || !strcmp(host, "[::1]"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return 0;
}

/* The address to reach a server bound to host: wildcards mean loopback. */
static const char *probe_host(const char *host)
{
	if (!*host || !strcmp(host, "0.0.0.0"))
		return "127.0.0.1";
	if (!strcmp(host, "::") || !strcmp(host, "[::]"))
		return "::1";
	return host;
}

/* Resolve host:port for a numeric address or a local name. */
static struct addrinfo *resolve(const char *host, int port, int passive)
{
	struct addrinfo hints, *res = NULL;
	char ps[16], h[256];

	lm_strlcpy(h, host, sizeof(h));
	if (h[0] == '[') {
		memmove(h, h + 1, strlen(h));
		char *e = strchr(h, ']');
		if (e)
			*e = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(h, ps, &hints, &res))
		return NULL;
	return res;
}

/* Connect with a timeout; the socket or -1. */
static int connect_to(const char *host, int port, int timeout_ms)
{
	struct addrinfo *res = resolve(probe_host(host), port, 0), *ai;
	int fd = -1;

	for (ai = res; ai; ai = ai->ai_next) {
		fd = os_socket(ai->ai_family, ai->ai_socktype, 1);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			if (poll(&p, 1, timeout_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	if (res)
		freeaddrinfo(res);
	return fd;
}

/* Send all of buf before the deadline. */
static int send_all(int fd, const char *buf, size_t len, int timeout_ms)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (n < 0 && errno == EAGAIN && poll(&p, 1, timeout_ms) == 1)
			continue;
		return -1;
	}
	return 0;
}

/* Decode a chunked body in place; returns the new length. */
static size_t dechunk(char *b, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		char *end;
		unsigned long sz = strtoul(b + in, &end, 16);
		char *nl = memchr(b + in, '\n', len - in);
		if (!nl || end == b + in)
			break;
		in = (size_t)(nl - b) + 1;
		if (sz == 0 || in + sz > len)
			break;
		memmove(b + out, b + in, sz);
		out += sz;
		in += sz;
		if (in < len && b[in] == '\r')
			in++;
		if (in < len && b[in] == '\n')
			in++;
	}
	b[out] = '\0';
	return out;
}

static int http_do(const char *host, int port, const char *path, const char *key,
		   const char *json, int timeout_ms, int *status, char **body, struct lm_err *err);

int sup_http_get(const char *host, int port, const char *path, const char *key,
		 int timeout_ms, int *status, char **body, struct lm_err *err)
{
	return http_do(host, port, path, key, NULL, timeout_ms, status, body, err);
}

int sup_http_post(const char *host, int port, const char *path, const char *key,
		  const char *json, int timeout_ms, int *status, char **body, struct lm_err *err)
{
	return http_do(host, port, path, key, json ? json : "", timeout_ms, status, body, err);
}

/* GET, or POST of json when it is not NULL. */
static int http_do(const char *host, int port, const char *path, const char *key,
		   const char *json, int timeout_ms, int *status, char **body, struct lm_err *err)
{
	char *req = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, rc = LM_OK;

	*status = 0;
	if (body)
		*body = NULL;
	if ((fd = connect_to(host, port, timeout_ms)) < 0)
		return lm_err_set(err, LM_ENET, "cannot connect to port %d: %s", port,
				  strerror(errno ? errno : ECONNREFUSED));
	if (json)
		req = lm_asprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%s"
				  "Content-Type: application/json\r\nContent-Length: %zu\r\n"
				  "Connection: close\r\nUser-Agent: localmodel/" LM_VERSION
				  "\r\n\r\n%s", path, port, key ? "Authorization: Bearer " : "",
				  key ? key : "", key ? "\r\n" : "", strlen(json), json);
	else
		req = lm_asprintf("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%s"
				  "Connection: close\r\nUser-Agent: localmodel/" LM_VERSION
				  "\r\n\r\n", path, port, key ? "Authorization: Bearer " : "",
				  key ? key : "", key ? "\r\n" : "");
	if (send_all(fd, req, strlen(req), timeout_ms) < 0) {
		rc = lm_err_set(err, LM_ENET, "cannot send to port %d: %s", port, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > (64u << 20)) {
				rc = lm_err_set(err, LM_ENET, "answer from port %d too large", port);
				goto out;
			}
			buf = lm_xrealloc(buf, cap);
		}
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && poll(&p, 1, timeout_ms) == 1)
			continue;
		if (errno == EAGAIN)
			errno = ETIMEDOUT;
		if (len == 0) {
			rc = lm_err_set(err, LM_ENET, "no answer from port %d: %s", port,
					strerror(errno));
			goto out;
		}
		break;
	}
	buf = lm_xrealloc(buf, len + 1);
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1) {
		rc = lm_err_set(err, LM_ENET, "bad HTTP answer from port %d", port);
		goto out;
	}
	if (body) {
		char *sep = strstr(buf, "\r\n\r\n");
		size_t off = sep ? (size_t)(sep - buf) + 4 : len;
		int chunked = 0;
		if (sep) {
			*sep = '\0';
			char *te = strcasestr(buf, "\r\ntransfer-encoding:");
			if (te) {
				char *eol = strstr(te + 2, "\r\n");
				if (eol)
					*eol = '\0';
				chunked = strcasestr(te, "chunked") != NULL;
			}
		}
		memmove(buf, buf + off, len - off + 1);
		if (chunked)
			dechunk(buf, len - off);
		*body = buf;
		buf = NULL;
	}
out:
	close(fd);
	free(req);
	free(buf);
	return rc;
}

char *sup_key_read(const char *path)
{
	char *buf = NULL, *line, *save = NULL, *key = NULL;
	size_t len;
	struct lm_err err = { 0 };

	if (lm_read_file(path, 64 * 1024, &buf, &len, &err))
		return NULL;
	for (line = strtok_r(buf, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		line += strspn(line, " \t");
		if (*line && *line != '#') {
			size_t l = strcspn(line, " \t");
			key = lm_xstrndup(line, l);
			break;
		}
	}
	free(buf);
	return key;
}

int sup_key_generate(const char *path, struct lm_err *err)
{
	unsigned char raw[24];
	char hex[64];
	int rc;

	if ((rc = os_random_bytes(raw, sizeof(raw), err)))
		return rc;
	memcpy(hex, "sk-lm-", 6);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 6 + 2 * i, 3, "%02x", raw[i]);
	hex[6 + 2 * sizeof(raw)] = '\n';
	rc = lm_write_file_atomic(path, hex, 7 + 2 * sizeof(raw), 0600, err);
	memset(hex, 0, sizeof(hex));
	memset(raw, 0, sizeof(raw));
	return rc;
}

int sup_port_check(const char *host, int port, struct lm_err *err)
{
	struct addrinfo *res = resolve(host, port, 1), *ai;
	int taken = 0, one = 1, tried = 0;
	char holder[128];

	if (!res)
		return lm_err_set(err, LM_EUSAGE, "cannot resolve host '%s'", host);
	for (ai = res; ai && !taken; ai = ai->ai_next) {
		int fd = os_socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0)
			continue;
		tried = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno == EADDRINUSE)
			taken = 1;
		close(fd);
	}
	freeaddrinfo(res);
	if (!tried)
		return lm_err_set(err, LM_EFAIL, "cannot create a socket: %s", strerror(errno));
	if (!taken)
		return LM_OK;
	if (os_port_holder(port, holder, sizeof(holder)) == 0)
		return lm_err_set(err, LM_ESTATE, "port %d is taken by %s", port, holder);
	return lm_err_set(err, LM_ESTATE, "port %d is taken", port);
}
