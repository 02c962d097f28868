/* supervise_rpc: what the supervisor knows of llama.cpp's RPC server
 * (ggml-rpc-server): its start-up lines, the addresses it may bind, and the
 * pseudo-terminal its output goes through. */
#include "localmodel/supervise.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int sup_rpc_device(const char *line, char *name, size_t nsize, char *desc, size_t dsize,
		   uint64_t *total_mib, uint64_t *free_mib)
{
	const char *colon, *open, *p;
	unsigned long long t, f;
	size_t len = strlen(line);
	char tail[16];

	/* "  CPU: AMD EPYC 7B13 (15990 MiB, 15990 MiB free)" */
	if (!lm_starts_with(line, "  ") || line[2] == ' ' || !lm_ends_with(line, " MiB free)"))
		return -1;
	if (!(colon = strstr(line, ": ")) || !(open = strrchr(line, '(')) || open < colon)
		return -1;
	if (sscanf(open, "(%llu MiB, %llu MiB fre%1[e])", &t, &f, tail) != 3)
		return -1;
	p = line + 2;
	snprintf(name, nsize, "%.*s", (int)(colon - p), p);
	p = colon + 2;
	while (open > p && open[-1] == ' ')
		open--;
	snprintf(desc, dsize, "%.*s", (int)(open - p), p);
	*total_mib = t;
	*free_mib = f;
	(void)len;
	return 0;
}

int sup_rpc_line(struct sup_state *st, const char *line)
{
	static const char start[] = "Starting RPC server v";
	char name[64], desc[256];
	uint64_t t, f;
	const char *p = strstr(line, start);

	if (p) {
		p += sizeof(start) - 1;
		snprintf(st->rpc_version, sizeof(st->rpc_version), "%.*s",
			 (int)strspn(p, "0123456789."), p);
		st->devices[0] = '\0';
		return 0;
	}
	if (sup_rpc_device(line, name, sizeof(name), desc, sizeof(desc), &t, &f) == 0) {
		size_t n = strlen(st->devices);
		snprintf(st->devices + n, sizeof(st->devices) - n, "%s%s", n ? "; " : "", line + 2);
		return 0;
	}
	return lm_starts_with(line, "  transport") && strchr(line, ':') != NULL;
}

size_t sup_rpc_devices(const char *devices, struct sup_rpc_dev *out, size_t max)
{
	char *copy = lm_xstrdup(devices), *save = NULL, *tok;
	size_t n = 0;

	for (tok = strtok_r(copy, ";", &save); tok && n < max; tok = strtok_r(NULL, ";", &save)) {
		char line[1100];
		uint64_t t, f;
		while (*tok == ' ')
			tok++;
		snprintf(line, sizeof(line), "  %s", tok);
		if (sup_rpc_device(line, out[n].name, sizeof(out[n].name), out[n].desc,
				   sizeof(out[n].desc), &t, &f))
			continue;
		out[n].total_bytes = t * 1024 * 1024;
		out[n++].free_bytes = f * 1024 * 1024;
	}
	free(copy);
	return n;
}

uint64_t sup_rpc_free_bytes(const char *devices)
{
	struct sup_rpc_dev d[16];
	size_t n = sup_rpc_devices(devices, d, 16);
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += d[i].free_bytes;
	return sum;
}

/* 1 when a (network order) lies in net/bits. */
static int in4(uint32_t a, const char *net, int bits)
{
	struct in_addr n;
	uint32_t mask = bits ? 0xffffffffu << (32 - bits) : 0;

	inet_pton(AF_INET, net, &n);
	return (ntohl(a) & mask) == (ntohl(n.s_addr) & mask);
}

int sup_rpc_addr_check(const char *host, enum sup_rpc_addr *kind, struct lm_err *err)
{
	struct in_addr a4;
	struct in6_addr a6;
	static const char why[] = "the RPC server has no authentication and has had remote "
				  "code execution bugs";

	if (!strcmp(host, "localhost")) {
		*kind = SUP_RPC_LOOPBACK;
		return LM_OK;
	}
	if (inet_pton(AF_INET, host, &a4) == 1) {
		if (in4(a4.s_addr, "127.0.0.0", 8)) {
			*kind = SUP_RPC_LOOPBACK;
			return LM_OK;
		}
		if (in4(a4.s_addr, "0.0.0.0", 32))
			return lm_err_set(err, LM_EUSAGE, "refusing to bind an RPC worker to every "
					  "address ('%s'): %s; give a loopback or private address", host, why);
		if (in4(a4.s_addr, "10.0.0.0", 8) || in4(a4.s_addr, "172.16.0.0", 12) ||
		    in4(a4.s_addr, "192.168.0.0", 16) || in4(a4.s_addr, "100.64.0.0", 10)) {
			*kind = SUP_RPC_PRIVATE;
			return LM_OK;
		}
		return lm_err_set(err, LM_EUSAGE, "refusing to bind an RPC worker to '%s', not a "
				  "loopback or private address: %s", host, why);
	}
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		static const unsigned char lo[16] = { [15] = 1 }, any[16] = { 0 };
		if (!memcmp(a6.s6_addr, lo, 16)) {
			*kind = SUP_RPC_LOOPBACK;
			return LM_OK;
		}
		if (!memcmp(a6.s6_addr, any, 16))
			return lm_err_set(err, LM_EUSAGE, "refusing to bind an RPC worker to every "
					  "address ('%s'): %s; give a loopback or private address", host, why);
		if ((a6.s6_addr[0] & 0xfe) == 0xfc) {
			*kind = SUP_RPC_PRIVATE;
			return LM_OK;
		}
		return lm_err_set(err, LM_EUSAGE, "refusing to bind an RPC worker to '%s', not a "
				  "loopback or private (fc00::/7) address: %s", host, why);
	}
	return lm_err_set(err, LM_EUSAGE, "an RPC worker binds a numeric address, not '%s' "
			  "(a name could resolve to a public one): %s", host, why);
}

int sup_pty_open(int *master, int *slave)
{
	struct termios t;
	const char *name;
	int m = posix_openpt(O_RDWR | O_NOCTTY), s = -1, e;

	if (m < 0)
		return -1;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m)) ||
	    (s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		goto fail;
	if (fcntl(m, F_SETFD, FD_CLOEXEC) < 0 || tcgetattr(s, &t) < 0)
		goto fail;
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG);
	if (tcsetattr(s, TCSANOW, &t) < 0)
		goto fail;
	*master = m;
	*slave = s;
	return 0;
fail:
	e = errno;
	if (s >= 0)
		close(s);
	close(m);
	errno = e;
	return -1;
}
