/* hw: the hardware probe (see hw.h). */
#include "localmodel/hw.h"
#include "localmodel/os.h"

#include <cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define SMI_TIMEOUT_MS 5000

/* ---- files under the sysroot ---------------------------------------------- */

struct probe {
	struct lm_hw *hw;
	const char *root; /* LOCALMODEL_SYSROOT or "" */
	unsigned flags;
};

static void sys_path(const struct probe *p, char *buf, size_t size, const char *path)
{
	snprintf(buf, size, "%s%s", p->root, path);
}

/* Read up to size-1 bytes of a file into buf (NUL-terminated); -1 when it
 * cannot be read. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < size - 1) {
		ssize_t k = read(fd, buf + got, size - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

static ssize_t read_sys(const struct probe *p, const char *path, char *buf, size_t size)
{
	char full[PATH_MAX];

	sys_path(p, full, sizeof(full), path);
	return read_small(full, buf, size);
}

static void trim(char *s)
{
	size_t n = strlen(s);
	char *b = s;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)*b))
		b++;
	if (b != s)
		memmove(s, b, strlen(b) + 1);
}

/* A number in a small file (decimal or 0x hex); 0 ok, -1 none. */
static int read_u64(const char *path, uint64_t *v)
{
	char buf[64], *end;

	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	trim(buf);
	errno = 0;
	*v = strtoull(buf, &end, 0);
	return errno || end == buf || *end ? -1 : 0;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* ---- CPU and memory on Linux ------------------------------------------------ */

static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *s = list; (s = strstr(s, word)); s += n)
		if ((s == list || isspace((unsigned char)s[-1])) &&
		    (s[n] == '\0' || isspace((unsigned char)s[n])))
			return 1;
	return 0;
}

/* The value after "key<spaces>:" on a line starting at line, or NULL. */
static const char *field(const char *line, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n))
		return NULL;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != ':')
		return NULL;
	line++;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static void copy_line(char *dst, size_t size, const char *src)
{
	size_t n = strcspn(src, "\n");

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	trim(dst);
}

#define MAX_CORES 1024

/* /proc/cpuinfo: model, logical and physical cores, feature flags. */
static void probe_cpuinfo(struct probe *p)
{
	size_t size = 1 << 20;
	char *buf = lm_xmalloc(size);
	uint32_t cores[MAX_CORES];
	struct lm_hw *hw = p->hw;
	int ncores = 0, phys = -1, flags_done = 0;
	const char *v;

	if (read_sys(p, "/proc/cpuinfo", buf, size) <= 0) {
		free(buf);
		return;
	}
	for (char *line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (field(line, "processor")) {
			hw->cores_logical++;
		} else if ((v = field(line, "model name")) || (v = field(line, "Hardware")) ||
			   (v = field(line, "cpu model"))) {
			if (!hw->cpu_model[0])
				copy_line(hw->cpu_model, sizeof(hw->cpu_model), v);
		} else if ((v = field(line, "physical id"))) {
			phys = atoi(v);
		} else if ((v = field(line, "core id")) && phys >= 0) {
			uint32_t id = (uint32_t)phys << 16 | ((uint32_t)atoi(v) & 0xffff);
			int seen = 0;
			for (int i = 0; i < ncores && !seen; i++)
				seen = cores[i] == id;
			if (!seen && ncores < MAX_CORES)
				cores[ncores++] = id;
		} else if (!flags_done && ((v = field(line, "flags")) || (v = field(line, "Features")))) {
			char fl[8192];
			copy_line(fl, sizeof(fl), v);
			if (has_word(fl, "avx")) hw->cpu_flags |= LM_CPU_AVX;
			if (has_word(fl, "avx2")) hw->cpu_flags |= LM_CPU_AVX2;
			if (has_word(fl, "avx512f")) hw->cpu_flags |= LM_CPU_AVX512F;
			if (has_word(fl, "fma")) hw->cpu_flags |= LM_CPU_FMA;
			if (has_word(fl, "f16c")) hw->cpu_flags |= LM_CPU_F16C;
			if (has_word(fl, "asimd") || has_word(fl, "neon")) hw->cpu_flags |= LM_CPU_NEON;
			if (has_word(fl, "asimddp")) hw->cpu_flags |= LM_CPU_DOTPROD;
			flags_done = 1;
		}
	}
	hw->cores_physical = ncores ? ncores : hw->cores_logical;
	free(buf);
}

static void probe_meminfo(struct probe *p)
{
	char buf[8192];
	struct lm_hw *hw = p->hw;
	uint64_t swap_free = 0;
	const char *v;

	if (read_sys(p, "/proc/meminfo", buf, sizeof(buf)) <= 0)
		return;
	for (char *line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		uint64_t kb;
		if (!(v = strchr(line, ':')))
			continue;
		kb = strtoull(v + 1, NULL, 10) * 1024;
		if ((v = field(line, "MemTotal")))
			hw->ram_total = kb;
		else if ((v = field(line, "MemAvailable")))
			hw->ram_available = kb;
		else if ((v = field(line, "SwapTotal")))
			hw->swap_total = kb;
		else if ((v = field(line, "SwapFree")))
			swap_free = kb;
	}
	hw->swap_used = hw->swap_total > swap_free ? hw->swap_total - swap_free : 0;
	if (!hw->ram_available)
		hw->ram_available = hw->ram_total;
}

/* The cgroup of this process for controller `want` ("" = v2), from
 * /proc/self/cgroup; "/" when unknown. */
static void cgroup_path(struct probe *p, const char *want, char *out, size_t size)
{
	char buf[4096];

	lm_strlcpy(out, "/", size);
	if (read_sys(p, "/proc/self/cgroup", buf, sizeof(buf)) <= 0)
		return;
	for (char *sv = NULL, *line = strtok_r(buf, "\n", &sv); line; line = strtok_r(NULL, "\n", &sv)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		if ((!*want && !strcmp(c1 + 1, "") && !strncmp(line, "0", 1)) ||
		    (*want && (!strcmp(c1 + 1, want) || strstr(c1 + 1, want)))) {
			lm_strlcpy(out, c2 + 1, size);
			return;
		}
	}
}

/* The tightest limit from dir up to the cgroup root: v2 memory.max
 * ("max" = none) or v1 memory.limit_in_bytes (huge = none). */
static void probe_cgroup(struct probe *p)
{
	struct lm_hw *hw = p->hw;
	char cg[1024], dir[PATH_MAX], file[PATH_MAX + 32];
	int v2;

	sys_path(p, dir, sizeof(dir), "/sys/fs/cgroup/cgroup.controllers");
	v2 = exists(dir);
	cgroup_path(p, v2 ? "" : "memory", cg, sizeof(cg));
	for (;;) {
		uint64_t lim, used;
		snprintf(dir, sizeof(dir), "%s/sys/fs/cgroup%s%s", p->root, v2 ? "" : "/memory",
			 strcmp(cg, "/") ? cg : "");
		snprintf(file, sizeof(file), "%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes");
		if (!read_u64(file, &lim) && lim < (1ull << 60) &&
		    (!hw->cgroup_limit || lim < hw->cgroup_limit)) {
			hw->cgroup_limit = lim;
			snprintf(file, sizeof(file), "%s/%s", dir,
				 v2 ? "memory.current" : "memory.usage_in_bytes");
			hw->cgroup_used = read_u64(file, &used) ? 0 : used;
		}
		if (!strcmp(cg, "/") || !strrchr(cg, '/'))
			break;
		*strrchr(cg, '/') = '\0';
		if (!cg[0])
			lm_strlcpy(cg, "/", sizeof(cg));
	}
	if (hw->cgroup_limit && hw->ram_total && hw->cgroup_limit >= hw->ram_total) {
		hw->cgroup_limit = 0; /* no tighter than the machine: not a limit */
		hw->cgroup_used = 0;
	}
}

/* ---- GPUs on Linux ------------------------------------------------------------ */

static struct lm_gpu *add_gpu(struct lm_hw *hw, enum lm_gpu_vendor v)
{
	struct lm_gpu *g;

	if (hw->ngpus >= LM_HW_MAX_GPUS)
		return NULL;
	g = &hw->gpus[hw->ngpus++];
	memset(g, 0, sizeof(*g));
	g->vendor = v;
	return g;
}

/* Is an NVIDIA device present: the driver's proc directory, or a PCI
 * display device of vendor 0x10de? */
static int nvidia_present(struct probe *p)
{
	char path[PATH_MAX + 300];
	DIR *d;
	struct dirent *e;
	int found = 0;

	sys_path(p, path, sizeof(path), "/proc/driver/nvidia/gpus");
	if (exists(path))
		return 1;
	sys_path(p, path, sizeof(path), "/sys/bus/pci/devices");
	if (!(d = opendir(path)))
		return 0;
	while (!found && (e = readdir(d))) {
		uint64_t vendor, cls;
		char f[PATH_MAX + 300];
		if (e->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "%s/%s/vendor", path, e->d_name);
		if (read_u64(f, &vendor) || vendor != 0x10de)
			continue;
		snprintf(f, sizeof(f), "%s/%s/class", path, e->d_name);
		found = read_u64(f, &cls) || (cls >> 16) == 0x03;
	}
	closedir(d);
	return found;
}

/* Names from /proc/driver/nvidia/gpus/ * /information when no tool answers. */
static void nvidia_from_proc(struct probe *p)
{
	char path[PATH_MAX], f[PATH_MAX + 300], buf[4096];
	DIR *d;
	struct dirent *e;

	sys_path(p, path, sizeof(path), "/proc/driver/nvidia/gpus");
	if (!(d = opendir(path))) {
		struct lm_gpu *g = add_gpu(p->hw, LM_GPU_NVIDIA);
		if (g)
			lm_strlcpy(g->name, "NVIDIA GPU", sizeof(g->name));
		return;
	}
	while ((e = readdir(d))) {
		struct lm_gpu *g;
		const char *v;
		if (e->d_name[0] == '.' || !(g = add_gpu(p->hw, LM_GPU_NVIDIA)))
			continue;
		lm_strlcpy(g->name, "NVIDIA GPU", sizeof(g->name));
		snprintf(f, sizeof(f), "%s/%s/information", path, e->d_name);
		if (read_small(f, buf, sizeof(buf)) > 0)
			for (char *line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
				if ((v = field(line, "Model")))
					copy_line(g->name, sizeof(g->name), v);
	}
	closedir(d);
}

/* NVML through dlopen (only on the real machine, not a described one). */
struct nvml_mem {
	unsigned long long total, free, used;
};

static int nvidia_nvml(struct probe *p)
{
	typedef int (*fn_void)(void);
	typedef int (*fn_count)(unsigned *);
	typedef int (*fn_handle)(unsigned, void **);
	typedef int (*fn_name)(void *, char *, unsigned);
	typedef int (*fn_mem)(void *, struct nvml_mem *);
	typedef int (*fn_drv)(char *, unsigned);
	void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	fn_void init, shutdown;
	fn_count count;
	fn_handle handle;
	fn_name name;
	fn_mem mem;
	fn_drv drv;
	unsigned n = 0;
	char driver[64] = "";

	if (!h)
		return -1;
	*(void **)&init = dlsym(h, "nvmlInit_v2");
	*(void **)&shutdown = dlsym(h, "nvmlShutdown");
	*(void **)&count = dlsym(h, "nvmlDeviceGetCount_v2");
	*(void **)&handle = dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
	*(void **)&name = dlsym(h, "nvmlDeviceGetName");
	*(void **)&mem = dlsym(h, "nvmlDeviceGetMemoryInfo");
	*(void **)&drv = dlsym(h, "nvmlSystemGetDriverVersion");
	if (!init || !shutdown || !count || !handle || !name || !mem || init() != 0) {
		dlclose(h);
		return -1;
	}
	if (drv)
		drv(driver, sizeof(driver));
	if (count(&n) == 0) {
		for (unsigned i = 0; i < n; i++) {
			void *dev;
			struct nvml_mem m;
			struct lm_gpu *g;
			if (handle(i, &dev) != 0 || !(g = add_gpu(p->hw, LM_GPU_NVIDIA)))
				continue;
			if (name(dev, g->name, sizeof(g->name)) != 0)
				lm_strlcpy(g->name, "NVIDIA GPU", sizeof(g->name));
			if (mem(dev, &m) == 0) {
				g->vram_total = m.total;
				g->vram_used = m.used;
			}
			lm_strlcpy(g->driver, driver, sizeof(g->driver));
		}
	}
	shutdown();
	dlclose(h);
	return n ? 0 : -1;
}

/* Parse nvidia-smi's "name, total MiB, used MiB, driver" lines. */
static int parse_smi(struct lm_hw *hw, char *out)
{
	int n = 0;

	for (char *sv = NULL, *line = strtok_r(out, "\n", &sv); line; line = strtok_r(NULL, "\n", &sv)) {
		char *f[4];
		int k = 0;
		struct lm_gpu *g;
		for (char *s = line; k < 4; k++) {
			f[k] = s;
			if (!(s = strchr(s, ','))) {
				k++;
				break;
			}
			*s++ = '\0';
		}
		if (k < 3)
			continue;
		for (int i = 0; i < k; i++)
			trim(f[i]);
		if (!(g = add_gpu(hw, LM_GPU_NVIDIA)))
			break;
		lm_strlcpy(g->name, f[0], sizeof(g->name));
		g->vram_total = strtoull(f[1], NULL, 10) * MiB;
		g->vram_used = strtoull(f[2], NULL, 10) * MiB;
		if (k > 3)
			lm_strlcpy(g->driver, f[3], sizeof(g->driver));
		n++;
	}
	return n;
}

static long elapsed_ms(int64_t t0)
{
	return (long)(lm_mono_ms() - t0);
}

/* Spawn nvidia-smi (found on PATH) and read its CSV; -1 when it is missing
 * or fails. Bounded by SMI_TIMEOUT_MS. */
static int nvidia_smi(struct probe *p)
{
	char *argv[] = { "nvidia-smi", "--query-gpu=name,memory.total,memory.used,driver_version",
			 "--format=csv,noheader,nounits", NULL };
	char out[8192];
	size_t got = 0;
	int fds[2], status = 0, rc = -1;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int64_t t0;

	if (pipe(fds) < 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawnp(&pid, "nvidia-smi", &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	t0 = lm_mono_ms();
	for (;;) {
		struct pollfd pf = { fds[0], POLLIN, 0 };
		long left = SMI_TIMEOUT_MS - elapsed_ms(t0);
		ssize_t k;
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		k = read(fds[0], out + got, sizeof(out) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || (got += (size_t)k) >= sizeof(out) - 1)
			break;
	}
	close(fds[0]);
	out[got] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && parse_smi(p->hw, out) > 0)
		rc = 0;
	return rc;
}

static void probe_nvidia(struct probe *p)
{
	struct lm_hw *hw = p->hw;

	if (!nvidia_present(p))
		return;
	hw->cuda = 1;
	if (!(p->flags & HW_NO_TOOLS)) {
		if (!p->root[0] && nvidia_nvml(p) == 0)
			return;
		if (nvidia_smi(p) == 0)
			return;
		lm_strlcpy(hw->note, "nvidia gpu present but nvidia-smi not found or failed",
			   sizeof(hw->note));
	}
	nvidia_from_proc(p);
}

/* amdgpu (and Intel) devices from /sys/class/drm/cardN/device. */
static void probe_drm(struct probe *p)
{
	char path[PATH_MAX], f[PATH_MAX + 300], buf[256];
	DIR *d;
	struct dirent *e;

	sys_path(p, path, sizeof(path), "/sys/class/drm");
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		uint64_t vendor, v;
		struct lm_gpu *g;
		const char *n = e->d_name;
		if (strncmp(n, "card", 4) || !n[4] || strspn(n + 4, "0123456789") != strlen(n + 4))
			continue;
		snprintf(f, sizeof(f), "%s/%s/device/vendor", path, n);
		if (read_u64(f, &vendor) || (vendor != 0x1002 && vendor != 0x8086))
			continue;
		if (!(g = add_gpu(p->hw, vendor == 0x1002 ? LM_GPU_AMD : LM_GPU_INTEL)))
			break;
		snprintf(g->name, sizeof(g->name), "%s (%s)", vendor == 0x1002 ? "AMD Radeon" : "Intel GPU", n);
		snprintf(f, sizeof(f), "%s/%s/device/product_name", path, n);
		if (read_small(f, buf, sizeof(buf)) > 0 && (trim(buf), buf[0]))
			lm_strlcpy(g->name, buf, sizeof(g->name));
		snprintf(f, sizeof(f), "%s/%s/device/mem_info_vram_total", path, n);
		if (!read_u64(f, &v))
			g->vram_total = v;
		snprintf(f, sizeof(f), "%s/%s/device/mem_info_vram_used", path, n);
		if (!read_u64(f, &v))
			g->vram_used = v;
		if (vendor == 0x1002) {
			lm_strlcpy(g->driver, "amdgpu", sizeof(g->driver));
			p->hw->rocm = 1;
		}
	}
	closedir(d);
}

/* Vulkan: an ICD manifest in the usual places. */
static void probe_vulkan(struct probe *p)
{
	static const char *const dirs[] = { "/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d",
					    "/usr/local/share/vulkan/icd.d" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !p->hw->vulkan; i++) {
		DIR *d;
		struct dirent *e;
		sys_path(p, path, sizeof(path), dirs[i]);
		if (!(d = opendir(path)))
			continue;
		while ((e = readdir(d)))
			if (lm_ends_with(e->d_name, ".json"))
				p->hw->vulkan = 1;
		closedir(d);
	}
}

/* ---- Apple -------------------------------------------------------------------- */

/* Where the Apple facts come from: a described Mac (<sysroot>/sysctl.txt,
 * "key: value" lines as sysctl(8) prints them, and <sysroot>/vm_stat.txt,
 * vm_stat(1)'s output), or the live OS through os.h. */
struct sysctl_src {
	char *text;    /* <sysroot>/sysctl.txt, or NULL for the real sysctl */
	char *vm_stat; /* <sysroot>/vm_stat.txt, or NULL */
};

/* One sysctl value as text; 0 ok. */
static int sysctl_get(const struct sysctl_src *s, const char *key, char *out, size_t size)
{
	if (!s->text)
		return os_sysctl(key, out, size);
	size_t n = strlen(key);
	for (const char *line = s->text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (!strncmp(line, key, n) && (line[n] == ':' || line[n] == '=')) {
			const char *v = line + n + 1;
			copy_line(out, size, v + strspn(v, " "));
			return 0;
		}
	}
	return -1;
}

static uint64_t sysctl_u64(const struct sysctl_src *s, const char *key, uint64_t def)
{
	char buf[64];
	return sysctl_get(s, key, buf, sizeof(buf)) ? def : strtoull(buf, NULL, 10);
}

uint64_t hw_apple_gpu_share(uint64_t ram, uint64_t wired_mb)
{
	if (wired_mb)
		return wired_mb * MiB < ram ? wired_mb * MiB : ram;
	return ram <= 36 * GiB ? ram / 3 * 2 : ram / 4 * 3;
}

/* free + inactive + purgeable + speculative pages, as Activity Monitor
 * counts "available"; a described Mac without vm_stat.txt may give
 * vm.memory_available_bytes, else all of it. */
static uint64_t apple_available(const struct sysctl_src *s, uint64_t total)
{
	struct os_vm v;

	if (s->vm_stat ? os_vm_stat_parse(s->vm_stat, &v) == 0
		       : !s->text && os_vm_stat(&v) == 0)
		return os_vm_available(&v);
	return sysctl_u64(s, "vm.memory_available_bytes", total);
}

/* Swap total and used from vm.swapusage ("total = 2048.00M  used = ..."). */
static void apple_swap(const struct sysctl_src *s, struct lm_hw *hw)
{
	char buf[256];

	if (sysctl_get(s, "vm.swapusage", buf, sizeof(buf)) == 0)
		os_swapusage_parse(buf, &hw->swap_total, &hw->swap_used);
}

static void probe_apple(struct probe *p, struct sysctl_src *s)
{
	struct lm_hw *hw = p->hw;
	struct lm_gpu *g;
	char buf[128];

	lm_strlcpy(hw->os, "darwin", sizeof(hw->os));
	if (!sysctl_get(s, "hw.machine", buf, sizeof(buf)))
		lm_strlcpy(hw->arch, buf, sizeof(hw->arch));
	sysctl_get(s, "machdep.cpu.brand_string", hw->cpu_model, sizeof(hw->cpu_model));
	hw->cores_physical = (int)sysctl_u64(s, "hw.physicalcpu", 0);
	hw->cores_logical = (int)sysctl_u64(s, "hw.logicalcpu", (uint64_t)hw->cores_physical);
	hw->ram_total = sysctl_u64(s, "hw.memsize", 0);
	hw->ram_available = apple_available(s, hw->ram_total);
	apple_swap(s, hw);
	hw->mac_pressure_level = (long)sysctl_u64(s, "kern.memorystatus_vm_pressure_level", 0);
	if (sysctl_u64(s, "hw.optional.neon", 0) || sysctl_u64(s, "hw.optional.AdvSIMD", 0))
		hw->cpu_flags |= LM_CPU_NEON;
	if (sysctl_u64(s, "hw.optional.arm.FEAT_DotProd", 0))
		hw->cpu_flags |= LM_CPU_DOTPROD;
	if (!strcmp(hw->arch, "arm64") || !strncmp(hw->cpu_model, "Apple", 5)) {
		hw->unified_memory = 1;
		hw->metal = 1;
		if ((g = add_gpu(hw, LM_GPU_APPLE))) {
			snprintf(g->name, sizeof(g->name), "%s GPU",
				 hw->cpu_model[0] ? hw->cpu_model : "Apple");
			g->vram_total = hw_apple_gpu_share(hw->ram_total,
							sysctl_u64(s, "iogpu.wired_limit_mb", 0));
			lm_strlcpy(g->driver, "metal", sizeof(g->driver));
		}
	}
}

/* ---- the probe ------------------------------------------------------------------ */

static void probe_disk(struct lm_hw *hw, const char *dir)
{
	char path[PATH_MAX];
	struct statvfs sv;

	if (!dir || !*dir || lm_strlcpy(path, dir, sizeof(path)) >= sizeof(path))
		return;
	/* the nearest existing directory */
	while (statvfs(path, &sv) != 0) {
		char *slash = strrchr(path, '/');
		if (!slash)
			return;
		if (slash == path) {
			path[1] = '\0';
			if (statvfs(path, &sv) != 0)
				return;
			break;
		}
		*slash = '\0';
	}
	hw->disk_free = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
}

static void probe_uname(struct probe *p)
{
	struct utsname u;
	char buf[64];

	if (uname(&u) == 0) {
		lm_strlcpy(p->hw->os, u.sysname, sizeof(p->hw->os));
		lm_strlcpy(p->hw->arch, u.machine, sizeof(p->hw->arch));
	}
	if (read_sys(p, "/proc/sys/kernel/ostype", buf, sizeof(buf)) > 0 && (trim(buf), buf[0]))
		lm_strlcpy(p->hw->os, buf, sizeof(p->hw->os));
	if (read_sys(p, "/proc/sys/kernel/arch", buf, sizeof(buf)) > 0 && (trim(buf), buf[0]))
		lm_strlcpy(p->hw->arch, buf, sizeof(p->hw->arch));
	for (char *c = p->hw->os; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

int hw_probe(struct lm_hw *hw, const char *models_dir, unsigned flags, struct lm_err *err)
{
	struct probe p = { hw, getenv("LOCALMODEL_SYSROOT"), flags };
	struct sysctl_src s = { NULL, NULL };
	char path[PATH_MAX];
	size_t len;

	memset(hw, 0, sizeof(*hw));
	if (!p.root)
		p.root = "";
	if (p.root[0]) {
		struct stat st;
		if (stat(p.root, &st) != 0 || !S_ISDIR(st.st_mode))
			return lm_err_set(err, LM_EFAIL, "LOCALMODEL_SYSROOT '%s' is not a directory",
					  p.root);
		sys_path(&p, path, sizeof(path), "/sysctl.txt");
		if (lm_read_file(path, 1 << 20, &s.text, &len, NULL) != 0)
			s.text = NULL;
		sys_path(&p, path, sizeof(path), "/vm_stat.txt");
		if (lm_read_file(path, 1 << 20, &s.vm_stat, &len, NULL) != 0)
			s.vm_stat = NULL;
	}
	probe_uname(&p);
	if (s.text || !strcmp(os_name(), "darwin")) {
		probe_apple(&p, &s);
	} else {
		probe_cpuinfo(&p);
		probe_meminfo(&p);
		probe_cgroup(&p);
		probe_nvidia(&p);
		probe_drm(&p);
		probe_vulkan(&p);
	}
	free(s.text);
	free(s.vm_stat);
	probe_disk(hw, models_dir);
	return LM_OK;
}

/* ---- derived figures, summary, JSON ---------------------------------------------- */

uint64_t hw_usable_ram(const struct lm_hw *hw)
{
	uint64_t v = hw->ram_available;

	if (hw->cgroup_limit) {
		uint64_t left = hw->cgroup_limit > hw->cgroup_used ? hw->cgroup_limit - hw->cgroup_used : 0;
		if (left < v)
			v = left;
	}
	return v;
}

uint64_t hw_planning_ram(const struct lm_hw *hw)
{
	if (hw->cgroup_limit && hw->cgroup_limit < hw->ram_total)
		return hw->cgroup_limit;
	return hw->ram_total;
}

uint64_t hw_gpu_memory(const struct lm_hw *hw, int free_only)
{
	uint64_t sum = 0;

	for (int i = 0; i < hw->ngpus; i++) {
		const struct lm_gpu *g = &hw->gpus[i];
		sum += g->vram_total - (free_only && g->vram_used < g->vram_total ? g->vram_used : 0);
	}
	return sum;
}

const char *hw_vendor_name(enum lm_gpu_vendor v)
{
	switch (v) {
	case LM_GPU_NVIDIA: return "nvidia";
	case LM_GPU_AMD: return "amd";
	case LM_GPU_APPLE: return "apple";
	case LM_GPU_INTEL: return "intel";
	default: return "other";
	}
}

void hw_summary(const struct lm_hw *hw, char *buf, size_t size)
{
	char total[32], avail[32], s[32];
	size_t n;

	lm_format_size(hw->ram_total, total, sizeof(total));
	lm_format_size(hw_usable_ram(hw), avail, sizeof(avail));
	n = (size_t)snprintf(buf, size, "%s, %d cores, %s RAM (%s free)",
			     hw->arch[0] ? hw->arch : "unknown", hw->cores_logical, total, avail);
	if (hw->cgroup_limit && n < size) {
		lm_format_size(hw->cgroup_limit, s, sizeof(s));
		n += (size_t)snprintf(buf + n, size - n, ", container limit %s", s);
	}
	for (int i = 0; i < hw->ngpus && n < size; i++) {
		lm_format_size(hw->gpus[i].vram_total, s, sizeof(s));
		if (hw->gpus[i].vendor == LM_GPU_APPLE)
			n += (size_t)snprintf(buf + n, size - n, ", unified memory (GPU up to %s)", s);
		else if (hw->gpus[i].vram_total)
			n += (size_t)snprintf(buf + n, size - n, ", %s %s", hw->gpus[i].name, s);
		else
			n += (size_t)snprintf(buf + n, size - n, ", %s", hw->gpus[i].name);
	}
	if (!hw->ngpus && n < size)
		snprintf(buf + n, size - n, ", no GPU");
}

static void add_bytes_or_null(cJSON *o, const char *name, uint64_t v)
{
	if (v)
		cJSON_AddNumberToObject(o, name, (double)v);
	else
		cJSON_AddNullToObject(o, name);
}

struct cJSON *hw_json(const struct lm_hw *hw)
{
	static const struct { unsigned bit; const char *name; } feats[] = {
		{ LM_CPU_AVX, "avx" }, { LM_CPU_AVX2, "avx2" }, { LM_CPU_AVX512F, "avx512f" },
		{ LM_CPU_FMA, "fma" }, { LM_CPU_F16C, "f16c" }, { LM_CPU_NEON, "neon" },
		{ LM_CPU_DOTPROD, "dotprod" },
	};
	cJSON *o = cJSON_CreateObject();
	cJSON *cpu, *mem, *gpus, *be, *fa;

	cJSON_AddStringToObject(o, "os", hw->os);
	cJSON_AddStringToObject(o, "arch", hw->arch);
	cpu = cJSON_AddObjectToObject(o, "cpu");
	cJSON_AddStringToObject(cpu, "model", hw->cpu_model);
	cJSON_AddNumberToObject(cpu, "cores_physical", hw->cores_physical);
	cJSON_AddNumberToObject(cpu, "cores_logical", hw->cores_logical);
	fa = cJSON_AddArrayToObject(cpu, "features");
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++)
		if (hw->cpu_flags & feats[i].bit)
			cJSON_AddItemToArray(fa, cJSON_CreateString(feats[i].name));
	mem = cJSON_AddObjectToObject(o, "memory");
	cJSON_AddNumberToObject(mem, "total_bytes", (double)hw->ram_total);
	cJSON_AddNumberToObject(mem, "available_bytes", (double)hw->ram_available);
	cJSON_AddNumberToObject(mem, "usable_bytes", (double)hw_usable_ram(hw));
	cJSON_AddNumberToObject(mem, "swap_total_bytes", (double)hw->swap_total);
	cJSON_AddNumberToObject(mem, "swap_used_bytes", (double)hw->swap_used);
	add_bytes_or_null(mem, "cgroup_limit_bytes", hw->cgroup_limit);
	add_bytes_or_null(o, "disk_free_bytes", hw->disk_free);
	cJSON_AddBoolToObject(o, "unified_memory", hw->unified_memory);
	gpus = cJSON_AddArrayToObject(o, "gpus");
	for (int i = 0; i < hw->ngpus; i++) {
		cJSON *g = cJSON_CreateObject();
		cJSON_AddStringToObject(g, "vendor", hw_vendor_name(hw->gpus[i].vendor));
		cJSON_AddStringToObject(g, "name", hw->gpus[i].name);
		cJSON_AddNumberToObject(g, "vram_total_bytes", (double)hw->gpus[i].vram_total);
		cJSON_AddNumberToObject(g, "vram_used_bytes", (double)hw->gpus[i].vram_used);
		cJSON_AddStringToObject(g, "driver", hw->gpus[i].driver);
		cJSON_AddItemToArray(gpus, g);
	}
	be = cJSON_AddObjectToObject(o, "backends");
	cJSON_AddBoolToObject(be, "cuda", hw->cuda);
	cJSON_AddBoolToObject(be, "rocm", hw->rocm);
	cJSON_AddBoolToObject(be, "metal", hw->metal);
	cJSON_AddBoolToObject(be, "vulkan", hw->vulkan);
	if (hw->note[0])
		cJSON_AddStringToObject(o, "note", hw->note);
	return o;
}
