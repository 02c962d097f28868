/* os_linux: the Linux side of the platform seam (see os.h). */
#include "localmodel/os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *os_name(void)
{
	return "linux";
}

/* ---- processes ---------------------------------------------------- */

/* /proc/<pid>/stat into buf; the text after the last ')' (comm may hold
 * spaces and parentheses), which starts at field 3, or NULL. */
static char *proc_stat(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p ? p + 1 : NULL;
}

int os_proc_start_time(pid_t pid, unsigned long long *out)
{
	char buf[1024];
	char *p = proc_stat(pid, buf, sizeof(buf));

	if (!p)
		return -1;
	/* p is at field 3 (state); the start time is field 22 */
	for (int field = 3; field < 22; field++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
		if (!*p)
			return -1;
	}
	*out = strtoull(p, NULL, 10);
	return 0;
}

int os_proc_is_zombie(pid_t pid)
{
	char buf[512];
	char *p = proc_stat(pid, buf, sizeof(buf));

	return p && p[0] == ' ' && p[1] == 'Z';
}

int os_proc_exe(pid_t pid, char *buf, size_t size)
{
	static const char deleted[] = " (deleted)";
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, size - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (lm_ends_with(buf, deleted))
		buf[n - (ssize_t)strlen(deleted)] = '\0';
	return 0;
}

int os_proc_name(pid_t pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	if (fgets(buf, (int)size, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		rc = 0;
	}
	fclose(f);
	return rc;
}

int os_proc_rss(pid_t pid, uint64_t *bytes)
{
	char path[64], line[256];
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb;
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1) {
			*bytes = kb * 1024;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* The socket inode listening on port, from /proc/net/tcp{,6}; 0 if none. */
static unsigned long listen_inode(int port)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];

	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char local[128];
			unsigned st;
			unsigned long inode;
			/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
			if (sscanf(line, " %*s %127s %*s %x %*s %*s %*s %*s %*s %lu", local, &st,
				   &inode) != 3)
				continue;
			char *colon = strrchr(local, ':');
			if (st == 0x0A && colon && (int)strtol(colon + 1, NULL, 16) == port) {
				fclose(f);
				return inode;
			}
		}
		fclose(f);
	}
	return 0;
}

/* 1 when one of pid's descriptors (named by its /proc fd directory) is the
 * socket `want` ("socket:[inode]"). */
static int holds_socket(const char *fddir, const char *want)
{
	DIR *fds = opendir(fddir);
	struct dirent *fe;
	int found = 0;

	if (!fds)
		return 0;
	while (!found && (fe = readdir(fds))) {
		char link[600], target[128];
		ssize_t n;
		snprintf(link, sizeof(link), "%s/%s", fddir, fe->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = !strcmp(target, want);
	}
	closedir(fds);
	return found;
}

int os_port_holder(int port, char *out, size_t size)
{
	unsigned long inode = listen_inode(port);
	char want[64];
	DIR *proc;
	struct dirent *e;
	int found = -1;

	if (!inode || !(proc = opendir("/proc")))
		return -1;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (found < 0 && (e = readdir(proc))) {
		char fddir[300], comm[64] = "?";
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(fddir, sizeof(fddir), "/proc/%s/fd", e->d_name);
		if (!holds_socket(fddir, want))
			continue;
		os_proc_name((pid_t)atoi(e->d_name), comm, sizeof(comm));
		snprintf(out, size, "%s (pid %s)", comm, e->d_name);
		found = 0;
	}
	closedir(proc);
	return found;
}

int os_child_die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* the parent may have died before the prctl */
	return getppid() == parent ? 0 : -1;
}

/* close_range(2) came with Linux 5.9; older kernels get the loop. */
static void close_span(unsigned lo, unsigned hi)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (unsigned fd = lo; fd <= hi && fd < (unsigned)max; fd++)
		close((int)fd);
}

void os_close_from(int lo, const int *keep, int nkeep)
{
	unsigned from = lo < 0 ? 0 : (unsigned)lo;

	for (int i = 0; i < nkeep; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from)
			close_span(from, (unsigned)keep[i] - 1);
		from = (unsigned)keep[i] + 1;
	}
	close_span(from, ~0U);
}

int os_pipe(int fds[2], int nonblock)
{
	return pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
}

int os_socket(int domain, int type, int nonblock)
{
	return socket(domain, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
}

int os_signal_value(pid_t pid, int sig, int value)
{
	union sigval v;

	v.sival_int = value;
	return sigqueue(pid, sig, v);
}

int os_signal_value_of(const siginfo_t *si)
{
	return si && si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
}

/* ---- files and randomness ------------------------------------------ */

int os_random_bytes(void *buf, size_t n, struct lm_err *err)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return lm_err_set(err, LM_EFAIL, "getrandom: %s", strerror(errno));
		p += r;
		n -= (size_t)r;
	}
	return LM_OK;
}

int os_preallocate(int fd, uint64_t size)
{
	if (fallocate(fd, 0, 0, (off_t)size) == 0)
		return 0;
	/* EOPNOTSUPP and the like: the filesystem cannot reserve; fine */
	return errno == ENOSPC || errno == EDQUOT ? -1 : 0;
}

void os_clear_quarantine(const char *dir)
{
	(void)dir;
}

/* ---- memory --------------------------------------------------------- */

int os_vm_stat(struct os_vm *v)
{
	memset(v, 0, sizeof(*v));
	return -1;
}

int os_sysctl(const char *key, char *out, size_t size)
{
	(void)key;
	(void)out;
	(void)size;
	return -1;
}

/* ---- load ------------------------------------------------------------ */

double os_load_1min(void)
{
	double l[1];

	return getloadavg(l, 1) == 1 ? l[0] : -1;
}
