/*
 * os: the platform seam. Everything that differs between Linux and macOS
 * lives behind these functions, one file per OS (src/os_linux.c,
 * src/os_darwin.c; the Makefile picks one from `uname -s`), in the manner
 * of tmux's osdep-*.c. No other file calls a Linux-only or Darwin-only
 * function or reads a per-process or network /proc path.
 *
 * Linux: /proc/<pid>/{stat,exe,status}, /proc/net/tcp{,6} and the fd links
 * under /proc/<pid>/fd; prctl(PR_SET_PDEATHSIG); pipe2, close_range,
 * sigqueue, getrandom, fallocate.
 * Darwin: proc_pidinfo (PROC_PIDTBSDINFO, PROC_PIDTASKINFO, PROC_PIDLISTFDS),
 * proc_pidfdinfo (PROC_PIDFDSOCKETINFO), proc_pidpath, proc_listpids;
 * a kqueue EVFILT_PROC watcher for the supervised child; getentropy;
 * fcntl(F_PREALLOCATE); host_statistics64 and sysctl (vm.swapusage, ...);
 * removexattr of com.apple.quarantine.
 *
 * Nothing here prints or exits. Functions return 0 (or LM_OK) on success
 * and -1 (or an LM_E* code with err set) otherwise; errno is kept where the
 * caller may want it.
 */
#ifndef LOCALMODEL_OS_H
#define LOCALMODEL_OS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base.h"

/* "linux" or "darwin": the OS this binary was built for. */
const char *os_name(void);

/* ---- processes ---------------------------------------------------- */

/* An opaque start time of pid that, with the pid, names one process for
 * its whole life (Linux: clock ticks since boot; Darwin: microseconds since
 * the epoch). Never 0 for a live process. */
int os_proc_start_time(pid_t pid, unsigned long long *out);
/* The executable of pid, absolute (a deleted binary's old path). */
int os_proc_exe(pid_t pid, char *buf, size_t size);
/* The short command name of pid ("llama-server", "python3"). */
int os_proc_name(pid_t pid, char *buf, size_t size);
/* Resident memory of pid in bytes. */
int os_proc_rss(pid_t pid, uint64_t *bytes);
/* 1 when pid has exited but is not reaped yet (a zombie), else 0. */
int os_proc_is_zombie(pid_t pid);

/* "comm (pid N)" of the process listening on TCP port, in out; 0 when one
 * was found, -1 when none is known (or the OS will not tell). */
int os_port_holder(int port, char *out, size_t size);

/* In a forked child, before exec: arrange for the child to be killed when
 * parent (the supervisor) dies, even by SIGKILL. Linux: PR_SET_PDEATHSIG.
 * Darwin: a small watcher process that waits on kqueue EVFILT_PROC for the
 * parent's exit and then kills the child. -1 when parent is already gone
 * (the caller should _exit). Async-signal-safe calls only. */
int os_child_die_with_parent(pid_t parent);

/* Close every descriptor >= lo except those in keep (ascending). For a
 * forked child before exec: async-signal-safe. */
void os_close_from(int lo, const int *keep, int nkeep);

/* pipe() with both ends close-on-exec, and non-blocking when nonblock. */
int os_pipe(int fds[2], int nonblock);
/* socket() close-on-exec, and non-blocking when nonblock. */
int os_socket(int domain, int type, int nonblock);

/* Send sig carrying an int to pid (Linux: sigqueue). Darwin cannot carry a
 * value: the signal goes alone. */
int os_signal_value(pid_t pid, int sig, int value);
/* The int a signal carried (see os_signal_value), or -1 when none. */
int os_signal_value_of(const siginfo_t *si);

/* ---- files and randomness ------------------------------------------ */

/* n bytes from the OS's random source. */
int os_random_bytes(void *buf, size_t n, struct lm_err *err);

/* Reserve size bytes of disk for fd so that a full disk shows now, not at
 * 90%. 0 when reserved or when the filesystem cannot reserve (nothing to
 * do then); -1 with errno ENOSPC or EDQUOT when there is not enough room. */
int os_preallocate(int fd, uint64_t size);

/* Remove macOS's quarantine attribute from every file under dir (symlinks
 * not followed). A no-op elsewhere. */
void os_clear_quarantine(const char *dir);

/* ---- memory --------------------------------------------------------- */

/* A snapshot of the VM counters the memory figures come from. On Darwin,
 * host_statistics64 (pages) and the page size; on Linux unused (the probe
 * reads /proc/meminfo under its sysroot). */
struct os_vm {
	uint64_t page_size;
	uint64_t free;        /* pages */
	uint64_t inactive;
	uint64_t purgeable;
	uint64_t speculative;
};

/* The live VM counters (Darwin); -1 elsewhere. */
int os_vm_stat(struct os_vm *v);
/* Parse `vm_stat` output ("Mach Virtual Memory Statistics: (page size of
 * 16384 bytes)", "Pages free: 123."); 0 when at least the free count and
 * the page size were found. Pure: tested on every OS. */
int os_vm_stat_parse(const char *text, struct os_vm *v);
/* Memory a new process can have without paging out: free + inactive +
 * purgeable + speculative pages (Activity Monitor's "available"). */
uint64_t os_vm_available(const struct os_vm *v);

/* One sysctl value as text ("17179869184", "Apple M2"); -1 when the OS has
 * no sysctl or no such key. Numbers of 4 or 8 bytes are printed in decimal;
 * vm.swapusage is printed as sysctl(8) does ("total = 2048.00M  used =
 * 1024.00M  free = 1024.00M  (encrypted)"). */
int os_sysctl(const char *key, char *out, size_t size);
/* Parse the vm.swapusage text above into bytes; 0 on success. Pure. */
int os_swapusage_parse(const char *text, uint64_t *total, uint64_t *used);

/* ---- load ------------------------------------------------------------ */

/* The system's load average over the last minute (runnable tasks, and on
 * Linux those in uninterruptible sleep), or -1 when unknown. getloadavg(3)
 * on both OSes. */
double os_load_1min(void);

#endif
