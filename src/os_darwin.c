/* os_darwin: the macOS side of the platform seam (see os.h). Written against
 * Apple's documented interfaces: libproc (proc_pidinfo, proc_pidfdinfo,
 * proc_pidpath, proc_listpids), kqueue(2) EVFILT_PROC, getentropy(2),
 * fcntl(2) F_PREALLOCATE, sysctlbyname(3), host_statistics64 and
 * removexattr(2). */
#include "localmodel/os.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libproc.h>
#include <mach/mach.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/event.h>
#include <sys/proc.h>
#include <sys/proc_info.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysctl.h>
#if __has_include(<sys/xattr.h>)
#include <sys/xattr.h>
#else
/* as removexattr(2) documents them (some SDK copies lack the header) */
int removexattr(const char *path, const char *name, int options);
#define XATTR_NOFOLLOW 0x0001
#endif
#include <unistd.h>

const char *os_name(void)
{
	return "darwin";
}

/* ---- processes ---------------------------------------------------- */

static int bsdinfo(pid_t pid, struct proc_bsdinfo *bi)
{
	int n = proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, bi, (int)sizeof(*bi));
	return n == (int)sizeof(*bi) ? 0 : -1;
}

int os_proc_start_time(pid_t pid, unsigned long long *out)
{
	struct proc_bsdinfo bi;

	if (pid <= 0 || bsdinfo(pid, &bi) < 0)
		return -1;
	*out = (unsigned long long)bi.pbi_start_tvsec * 1000000ull + bi.pbi_start_tvusec;
	return 0;
}

int os_proc_is_zombie(pid_t pid)
{
	struct proc_bsdinfo bi;

	return bsdinfo(pid, &bi) == 0 && bi.pbi_status == SZOMB;
}

int os_proc_exe(pid_t pid, char *buf, size_t size)
{
	char path[PROC_PIDPATHINFO_MAXSIZE];

	if (proc_pidpath(pid, path, sizeof(path)) <= 0)
		return -1;
	return lm_strlcpy(buf, path, size) < size ? 0 : -1;
}

int os_proc_name(pid_t pid, char *buf, size_t size)
{
	struct proc_bsdinfo bi;

	if (bsdinfo(pid, &bi) < 0)
		return -1;
	/* pbi_name is the longer name when set; pbi_comm is at most 16 bytes */
	lm_strlcpy(buf, bi.pbi_name[0] ? bi.pbi_name : bi.pbi_comm, size);
	return 0;
}

int os_proc_rss(pid_t pid, uint64_t *bytes)
{
	struct proc_taskinfo ti;

	if (proc_pidinfo(pid, PROC_PIDTASKINFO, 0, &ti, (int)sizeof(ti)) != (int)sizeof(ti))
		return -1;
	*bytes = ti.pti_resident_size;
	return 0;
}

/* 1 when pid has a TCP socket listening on port. */
static int pid_listens(pid_t pid, int port)
{
	int bytes = proc_pidinfo(pid, PROC_PIDLISTFDS, 0, NULL, 0);
	struct proc_fdinfo *fds;
	int found = 0;

	if (bytes <= 0)
		return 0;
	fds = lm_xcalloc(1, (size_t)bytes);
	bytes = proc_pidinfo(pid, PROC_PIDLISTFDS, 0, fds, bytes);
	for (int i = 0; bytes > 0 && i < bytes / (int)sizeof(*fds) && !found; i++) {
		struct socket_fdinfo si;
		if (fds[i].proc_fdtype != PROX_FDTYPE_SOCKET)
			continue;
		if (proc_pidfdinfo(pid, fds[i].proc_fd, PROC_PIDFDSOCKETINFO, &si,
				   (int)sizeof(si)) != (int)sizeof(si))
			continue;
		if (si.psi.soi_kind != SOCKINFO_TCP ||
		    si.psi.soi_proto.pri_tcp.tcpsi_state != TSI_S_LISTEN)
			continue;
		/* the port is kept in network byte order */
		found = ntohs((uint16_t)si.psi.soi_proto.pri_tcp.tcpsi_ini.insi_lport) == port;
	}
	free(fds);
	return found;
}

int os_port_holder(int port, char *out, size_t size)
{
	int bytes = proc_listpids(PROC_ALL_PIDS, 0, NULL, 0);
	pid_t *pids;
	int n, found = -1;

	if (bytes <= 0)
		return -1;
	/* room for processes started since the count */
	bytes += 64 * (int)sizeof(pid_t);
	pids = lm_xcalloc(1, (size_t)bytes);
	n = proc_listpids(PROC_ALL_PIDS, 0, pids, bytes) / (int)sizeof(pid_t);
	for (int i = 0; i < n && found < 0; i++) {
		char name[2 * MAXCOMLEN + 1] = "?";
		if (pids[i] <= 0 || !pid_listens(pids[i], port))
			continue;
		os_proc_name(pids[i], name, sizeof(name));
		snprintf(out, size, "%s (pid %d)", name, (int)pids[i]);
		found = 0;
	}
	free(pids);
	return found;
}

/* The watcher: wait for the supervisor or the child to exit; when the
 * supervisor goes first, kill the child. Never returns. */
static void watch(pid_t parent, pid_t child)
{
	struct kevent ev, got;
	int kq = kqueue();

	if (kq < 0)
		_exit(0);
	os_close_from(0, &kq, 1);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	EV_SET(&ev, (uintptr_t)child, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0, NULL);
	if (kevent(kq, &ev, 1, NULL, 0, NULL) < 0)
		_exit(0); /* the child is gone already */
	EV_SET(&ev, (uintptr_t)parent, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0, NULL);
	if (kevent(kq, &ev, 1, NULL, 0, NULL) < 0) {
		/* ESRCH: the supervisor died before we could watch it */
		kill(child, SIGKILL);
		_exit(0);
	}
	for (;;) {
		int n = kevent(kq, NULL, 0, &got, 1, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 1 && (pid_t)got.ident == parent)
			kill(child, SIGKILL);
		_exit(0);
	}
}

int os_child_die_with_parent(pid_t parent)
{
	pid_t child = getpid(), w;

	if (getppid() != parent)
		return -1;
	w = fork();
	if (w == 0)
		watch(parent, child);
	/* no watcher (fork failed): a stale record is still reaped later */
	return 0;
}

void os_close_from(int lo, const int *keep, int nkeep)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = lo < 0 ? 0 : lo; fd < max; fd++) {
		int kept = 0;
		for (int i = 0; i < nkeep && !kept; i++)
			kept = keep[i] == fd;
		if (!kept)
			close(fd);
	}
}

/* FD_CLOEXEC and, when nonblock, O_NONBLOCK on fd; 0 ok. */
static int fd_flags(int fd, int nonblock)
{
	int fl;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	if (!nonblock)
		return 0;
	fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

int os_pipe(int fds[2], int nonblock)
{
	if (pipe(fds) < 0)
		return -1;
	if (fd_flags(fds[0], nonblock) < 0 || fd_flags(fds[1], nonblock) < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		errno = e;
		return -1;
	}
	return 0;
}

int os_socket(int domain, int type, int nonblock)
{
	int fd = socket(domain, type, 0);

	if (fd < 0)
		return -1;
	if (fd_flags(fd, nonblock) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int os_signal_value(pid_t pid, int sig, int value)
{
	(void)value; /* macOS cannot queue a value with a signal */
	return kill(pid, sig);
}

int os_signal_value_of(const siginfo_t *si)
{
	(void)si;
	return -1;
}

/* ---- files and randomness ------------------------------------------ */

int os_random_bytes(void *buf, size_t n, struct lm_err *err)
{
	unsigned char *p = buf;

	while (n > 0) {
		size_t k = n > 256 ? 256 : n; /* getentropy's limit */
		if (getentropy(p, k) < 0)
			return lm_err_set(err, LM_EFAIL, "getentropy: %s", strerror(errno));
		p += k;
		n -= k;
	}
	return LM_OK;
}

int os_preallocate(int fd, uint64_t size)
{
	struct stat st;
	fstore_t fs;

	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size >= size)
		return 0;
	memset(&fs, 0, sizeof(fs));
	fs.fst_flags = F_ALLOCATECONTIG | F_ALLOCATEALL;
	fs.fst_posmode = F_PEOFPOSMODE;
	fs.fst_offset = 0;
	fs.fst_length = (off_t)(size - (uint64_t)st.st_size);
	if (fcntl(fd, F_PREALLOCATE, &fs) == 0)
		return 0;
	/* not in one piece: any blocks will do */
	fs.fst_flags = F_ALLOCATEALL;
	if (fcntl(fd, F_PREALLOCATE, &fs) == 0)
		return 0;
	return errno == ENOSPC || errno == EDQUOT ? -1 : 0;
}

void os_clear_quarantine(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	removexattr(dir, "com.apple.quarantine", XATTR_NOFOLLOW);
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			os_clear_quarantine(path);
		else
			removexattr(path, "com.apple.quarantine", XATTR_NOFOLLOW);
	}
	closedir(d);
}

/* ---- memory --------------------------------------------------------- */

int os_vm_stat(struct os_vm *v)
{
	vm_statistics64_data_t vs;
	mach_msg_type_number_t n = HOST_VM_INFO64_COUNT;
	mach_port_t host = mach_host_self();
	vm_size_t page;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	if (host_page_size(host, &page) == KERN_SUCCESS &&
	    host_statistics64(host, HOST_VM_INFO64, (host_info64_t)&vs, &n) == KERN_SUCCESS) {
		v->page_size = page;
		/* as vm_stat(1) shows them: free_count includes the speculative pages */
		v->speculative = vs.speculative_count;
		v->free = vs.free_count > vs.speculative_count ? vs.free_count - vs.speculative_count : 0;
		v->inactive = vs.inactive_count;
		v->purgeable = vs.purgeable_count;
		rc = 0;
	}
	mach_port_deallocate(mach_task_self(), host);
	return rc;
}

/* Keys whose value is text even when it happens to be 4 or 8 bytes long. */
static int string_key(const char *key)
{
	static const char *const keys[] = { "machdep.cpu.brand_string", "hw.machine", "hw.model",
					    "kern.osproductversion", "kern.osrelease",
					    "kern.version", NULL };
	for (int i = 0; keys[i]; i++)
		if (!strcmp(key, keys[i]))
			return 1;
	return 0;
}

int os_sysctl(const char *key, char *out, size_t size)
{
	char buf[256];
	size_t len = sizeof(buf);

	if (!strcmp(key, "vm.swapusage")) {
		struct xsw_usage sw;
		len = sizeof(sw);
		if (sysctlbyname(key, &sw, &len, NULL, 0) != 0)
			return -1;
		snprintf(out, size, "total = %.2fM  used = %.2fM  free = %.2fM",
			 (double)sw.xsu_total / 1048576.0, (double)sw.xsu_used / 1048576.0,
			 (double)sw.xsu_avail / 1048576.0);
		return 0;
	}
	if (sysctlbyname(key, buf, &len, NULL, 0) != 0)
		return -1;
	if (len == 8 && !string_key(key)) {
		uint64_t v;
		memcpy(&v, buf, 8);
		snprintf(out, size, "%llu", (unsigned long long)v);
	} else if (len == 4 && !string_key(key)) {
		uint32_t v;
		memcpy(&v, buf, 4);
		snprintf(out, size, "%u", v);
	} else {
		buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
		lm_strlcpy(out, buf, size);
	}
	return 0;
}

/* ---- load ------------------------------------------------------------ */

double os_load_1min(void)
{
	double l[1];

	return getloadavg(l, 1) == 1 ? l[0] : -1;
}
