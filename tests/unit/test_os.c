/* test_os: the platform seam. The OS side this binary was built for is
 * exercised live; the Darwin parsers and the macOS file layout are pure and
 * tested here on any OS. */
#include "t.h"
#include "localmodel/os.h"
#include "localmodel/paths.h"
#include "../../src/dl/dl_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define MiB (1ull << 20)

static void test_swapusage(void)
{
	uint64_t total = 1, used = 1;

	CHECK_INT(os_swapusage_parse("total = 2048.00M  used = 1024.50M  free = 1023.50M  (encrypted)",
				     &total, &used), 0);
	CHECK_INT(total, 2048 * MiB);
	CHECK_INT(used, 1024 * MiB + 512 * 1024);
	CHECK_INT(os_swapusage_parse("total = 0.00M  used = 0.00M  free = 0.00M  (encrypted)",
				     &total, &used), 0);
	CHECK_INT(total, 0);
	CHECK_INT(used, 0);
	CHECK_INT(os_swapusage_parse("total = 1.50G  used = 512.00K  free = 1.49G", &total, &used), 0);
	CHECK_INT(total, 1536 * MiB);
	CHECK_INT(used, 512 * 1024);
	total = used = 7;
	CHECK_INT(os_swapusage_parse("", &total, &used), -1);
	CHECK_INT(os_swapusage_parse("total = junk  used = 1.00M", &total, &used), -1);
	CHECK_INT(os_swapusage_parse("total = -5M  used = 1.00M", &total, &used), -1);
	CHECK_INT(total, 7); /* untouched on failure */
}

static void test_vm_stat(void)
{
	struct os_vm v;

	CHECK_INT(os_vm_stat_parse("Mach Virtual Memory Statistics: (page size of 16384 bytes)\n"
				   "Pages free:                               40960.\n"
				   "Pages active:                            402432.\n"
				   "Pages inactive:                          262144.\n"
				   "Pages speculative:                         8192.\n"
				   "Pages purgeable:                          16384.\n",
				   &v), 0);
	CHECK_INT(v.page_size, 16384);
	CHECK_INT(v.free, 40960);
	CHECK_INT(v.inactive, 262144);
	CHECK_INT(v.speculative, 8192);
	CHECK_INT(v.purgeable, 16384);
	CHECK_INT(os_vm_available(&v), 5ull << 30);
	/* Intel Macs: 4 KiB pages; missing counters are 0 */
	CHECK_INT(os_vm_stat_parse("Mach Virtual Memory Statistics: (page size of 4096 bytes)\n"
				   "Pages free: 256.\n", &v), 0);
	CHECK_INT(os_vm_available(&v), 1 * MiB);
	CHECK_INT(os_vm_stat_parse("Pages free: 256.\n", &v), -1);         /* no page size */
	CHECK_INT(os_vm_stat_parse("(page size of 4096 bytes)\n", &v), -1); /* no free count */
	CHECK_INT(os_vm_stat_parse("(page size of 4096 bytes)\nPages free: x.\n", &v), -1);
}

static void test_macos_paths(void)
{
	struct lm_paths p;
	struct lm_err err = { 0 };

	setenv("HOME", "/Users/ada", 1);
	unsetenv("LOCALMODEL_HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_RUNTIME_DIR");
	CHECK_INT(paths_init_os(&p, NULL, "darwin", &err), 0);
	CHECK_STR(p.config_file, "/Users/ada/Library/Application Support/localmodel/config");
	CHECK_STR(p.models_dir, "/Users/ada/Library/Application Support/localmodel/models");
	CHECK_STR(p.db_path, "/Users/ada/Library/Application Support/localmodel/localmodel.db");
	CHECK_STR(p.run_dir, "/Users/ada/Library/Application Support/localmodel/run");
	CHECK_STR(p.log_dir, "/Users/ada/Library/Logs/localmodel");
	/* an XDG variable means the user wants the XDG layout, on macOS too */
	setenv("XDG_DATA_HOME", "/Users/ada/.data", 1);
	CHECK_INT(paths_init_os(&p, NULL, "darwin", &err), 0);
	CHECK_STR(p.models_dir, "/Users/ada/.data/localmodel/models");
	CHECK_STR(p.config_file, "/Users/ada/.config/localmodel/config");
	CHECK_STR(p.log_dir, "/Users/ada/.local/state/localmodel/logs");
	unsetenv("XDG_DATA_HOME");
	/* Linux: XDG, the same as before */
	CHECK_INT(paths_init_os(&p, NULL, "linux", &err), 0);
	CHECK_STR(p.models_dir, "/Users/ada/.local/share/localmodel/models");
	CHECK_STR(p.log_dir, "/Users/ada/.local/state/localmodel/logs");
	/* LOCALMODEL_HOME wins everywhere */
	CHECK_INT(paths_init_os(&p, "/srv/lm", "darwin", &err), 0);
	CHECK_STR(p.models_dir, "/srv/lm/models");
	CHECK_STR(p.log_dir, "/srv/lm/logs");
}

/* The live side of the seam, on the OS this runs on. */
static void test_processes(void)
{
	unsigned long long start = 0, again = 0;
	char exe[4096], name[64];
	uint64_t rss = 0;
	pid_t child;

	CHECK_INT(os_proc_start_time(getpid(), &start), 0);
	CHECK(start > 0);
	CHECK_INT(os_proc_start_time(getpid(), &again), 0);
	CHECK_INT(again, start);
	CHECK_INT(os_proc_exe(getpid(), exe, sizeof(exe)), 0);
	CHECK(strstr(exe, "test_os") != NULL);
	CHECK_INT(os_proc_name(getpid(), name, sizeof(name)), 0);
	/* under valgrind the name is the tool's, not ours */
	CHECK(strstr(name, "test_os") != NULL || (getenv("LOCALMODEL_VALGRIND") && name[0]));
	CHECK_INT(os_proc_rss(getpid(), &rss), 0);
	CHECK(rss > 100 * 1024);
	CHECK_INT(os_proc_is_zombie(getpid()), 0);
	/* a child that exited but is not reaped yet */
	child = fork();
	if (child == 0)
		_exit(0);
	for (int i = 0; i < 500 && !os_proc_is_zombie(child); i++)
		usleep(2000);
	CHECK_INT(os_proc_is_zombie(child), 1);
	waitpid(child, NULL, 0);
	CHECK_INT(os_proc_start_time(child, &again), -1);
}

static void test_port_holder(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char holder[128] = "";
	int fd = os_socket(AF_INET, SOCK_STREAM, 0);

	CHECK(fd >= 0);
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(listen(fd, 1), 0);
	CHECK_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	CHECK_INT(os_port_holder(ntohs(a.sin_port), holder, sizeof(holder)), 0);
	char want[64];
	snprintf(want, sizeof(want), "(pid %d)", (int)getpid());
	CHECK(strstr(holder, want) != NULL);
	char name[64] = "";
	CHECK_INT(os_proc_name(getpid(), name, sizeof(name)), 0);
	CHECK(name[0] && strncmp(holder, name, strlen(name)) == 0); /* "name (pid N)" */
	close(fd);
	CHECK_INT(os_port_holder(ntohs(a.sin_port), holder, sizeof(holder)), -1);
}

static void test_descriptors(void)
{
	int p[2], q[2];

	CHECK_INT(os_pipe(p, 1), 0);
	CHECK((fcntl(p[0], F_GETFD) & FD_CLOEXEC) != 0);
	CHECK((fcntl(p[1], F_GETFD) & FD_CLOEXEC) != 0);
	CHECK((fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
	CHECK_INT(os_pipe(q, 0), 0);
	CHECK((fcntl(q[0], F_GETFL) & O_NONBLOCK) == 0);
	/* in a child: close everything from 3 up but q[1]; report what is open */
	pid_t c = fork();
	if (c == 0) {
		int keep = q[1];
		os_close_from(3, &keep, 1);
		int open_p = fcntl(p[0], F_GETFD) != -1 || fcntl(p[1], F_GETFD) != -1;
		int open_q0 = fcntl(q[0], F_GETFD) != -1;
		char r = (char)('0' + open_p * 2 + open_q0);
		_exit(write(keep, &r, 1) == 1 ? 0 : 1);
	}
	char got = 'x';
	close(q[1]);
	CHECK_INT(read(q[0], &got, 1), 1);
	CHECK_INT(got, '0'); /* p and q[0] closed, q[1] kept */
	waitpid(c, NULL, 0);
	close(p[0]);
	close(p[1]);
	close(q[0]);
}

static volatile sig_atomic_t got_value = -2;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got_value = os_signal_value_of(si);
}

static void test_signal_value(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	CHECK_INT(os_signal_value(getpid(), SIGUSR1, 4321), 0);
	for (int i = 0; i < 100 && got_value == -2; i++)
		usleep(1000);
	if (!strcmp(os_name(), "linux"))
		CHECK_INT(got_value, 4321);
	else
		CHECK_INT(got_value, -1); /* the value cannot ride along */
	signal(SIGUSR1, SIG_DFL);
}

static void test_files(void)
{
	unsigned char a[64] = { 0 }, b[64] = { 0 };
	struct lm_err err = { 0 };
	char path[512];
	struct stat st;
	int fd;

	CHECK_INT(os_random_bytes(a, sizeof(a), &err), 0);
	CHECK_INT(os_random_bytes(b, sizeof(b), &err), 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK_INT(os_random_bytes(a, 0, &err), 0);

	snprintf(path, sizeof(path), "%s/prealloc", t_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK_INT(os_preallocate(fd, 4 * MiB), 0);
	CHECK_INT(fstat(fd, &st), 0);
	/* reserved blocks (where the filesystem can reserve) and never a
	 * file that is longer than asked */
	CHECK((uint64_t)st.st_size <= 4 * MiB);
	/* far more than any disk: refused with ENOSPC or EFBIG, or not
	 * reservable on this filesystem (0) */
	errno = 0;
	int rc = os_preallocate(fd, 1ull << 62);
	CHECK(rc == 0 || errno == ENOSPC || errno == EFBIG || errno == EDQUOT);
	close(fd);
	os_clear_quarantine(t_tmpdir()); /* a no-op off macOS; must not fail */
}

/* A library that cannot be loaded names the package that brings it. */
static void test_missing_library(void)
{
	static const char *const sonames[] = { "libnothere.so.9",
					       "/opt/homebrew/opt/nothere/lib/libnothere.9.dylib", NULL };
	static const struct dl_lib lib = { "libnothere", sonames, "nothere", "libnothere9" };
	static const char *const symbols[] = { "nothing" };
	void *slots[1], *handle = NULL;
	struct lm_err err = { 0 };

	CHECK_INT(dl_load_table(&lib, symbols, slots, 1, &handle, &err), LM_EFAIL);
	if (!strcmp(os_name(), "darwin"))
		CHECK_STR(err.msg, "cannot load libnothere: run 'brew install nothere'");
	else
		CHECK_STR(err.msg, "cannot load libnothere (libnothere.so.9): install it, e.g. "
				   "'apt-get install libnothere9'");
	CHECK(handle == NULL);
}

int main(void)
{
	test_missing_library();
	test_swapusage();
	test_vm_stat();
	test_macos_paths();
	test_processes();
	test_port_holder();
	test_descriptors();
	test_signal_value();
	test_files();
	return T_DONE();
}
