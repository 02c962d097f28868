/* test_hw: the hardware probe against described machines
 * (tests/fixtures/sysroot), with a fake nvidia-smi on PATH. */
#include "localmodel/hw.h"
#include "t.h"

#include <cJSON.h>
#include <sys/stat.h>
#include <time.h>

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static char root[1024];

static int probe(const char *machine, struct lm_hw *hw, unsigned flags)
{
	char path[1200];
	struct lm_err err = { 0 };
	int rc;

	snprintf(path, sizeof(path), "%s/tests/fixtures/sysroot/%s", root, machine);
	setenv("LOCALMODEL_SYSROOT", path, 1);
	rc = hw_probe(hw, t_tmpdir(), flags, &err);
	if (rc)
		fprintf(stderr, "%s: %s\n", machine, err.msg);
	return rc;
}

/* A fake nvidia-smi printing `out` in a fresh directory put first on PATH. */
static void fake_smi(const char *out, int exit_code)
{
	static char oldpath[4096];
	char dir[512], file[600], path[5000];
	FILE *f;

	if (!oldpath[0])
		lm_strlcpy(oldpath, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin", sizeof(oldpath));
	snprintf(dir, sizeof(dir), "%s/smi%d", t_tmpdir(), exit_code);
	mkdir(dir, 0700);
	snprintf(file, sizeof(file), "%s/nvidia-smi", dir);
	f = fopen(file, "w");
	fprintf(f, "#!/bin/sh\n"
		   "case \"$*\" in *--query-gpu=name,memory.total,memory.used,driver_version*) ;; "
		   "*) echo \"bad args: $*\" >&2; exit 9;; esac\n"
		   "printf '%s'\nexit %d\n", out, exit_code);
	fclose(f);
	chmod(file, 0755);
	snprintf(path, sizeof(path), "%s:%s", dir, oldpath);
	setenv("PATH", path, 1);
}

static void test_laptop(void)
{
	struct lm_hw hw;
	char line[512];

	CHECK_INT(probe("laptop-8g", &hw, 0), 0);
	CHECK_STR(hw.os, "linux");
	CHECK_STR(hw.arch, "x86_64");
	CHECK_STR(hw.cpu_model, "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz");
	CHECK_INT(hw.cores_logical, 8);
	CHECK_INT(hw.cores_physical, 4);
	CHECK(hw.cpu_flags & LM_CPU_AVX2);
	CHECK(hw.cpu_flags & LM_CPU_FMA);
	CHECK(hw.cpu_flags & LM_CPU_F16C);
	CHECK(!(hw.cpu_flags & LM_CPU_AVX512F));
	CHECK_INT(hw.ram_total, 7989232ull * 1024);
	CHECK_INT(hw.ram_available, 5123456ull * 1024);
	CHECK_INT(hw.swap_total, 2097148ull * 1024);
	CHECK_INT(hw.swap_used, 97148ull * 1024);
	CHECK_INT(hw.cgroup_limit, 0);
	CHECK_INT(hw_usable_ram(&hw), 5123456ull * 1024);
	CHECK_INT(hw_planning_ram(&hw), 7989232ull * 1024);
	CHECK_INT(hw.ngpus, 1); /* the Intel iGPU, not its connector */
	CHECK_INT(hw.gpus[0].vendor, LM_GPU_INTEL);
	CHECK_INT(hw.cuda + hw.rocm + hw.metal + hw.vulkan + hw.unified_memory, 0);
	CHECK(hw.disk_free > 0);
	hw_summary(&hw, line, sizeof(line));
	CHECK_STR(line, "x86_64, 8 cores, 7.6 GB RAM (4.9 GB free), Intel GPU (card0)");
}

static void test_containers(void)
{
	struct lm_hw hw;
	char line[512];

	CHECK_INT(probe("container-8g", &hw, 0), 0);
	CHECK_INT(hw.ram_total, 65842052ull * 1024);
	CHECK_INT(hw.cgroup_limit, 8 * GiB);
	CHECK_INT(hw.cgroup_used, 1 * GiB);
	CHECK_INT(hw_planning_ram(&hw), 8 * GiB);
	CHECK_INT(hw_usable_ram(&hw), 7 * GiB);
	CHECK(hw.cpu_flags & LM_CPU_AVX512F);
	CHECK_INT(hw.ngpus, 0);
	hw_summary(&hw, line, sizeof(line));
	CHECK(strstr(line, "container limit 8.0 GB") != NULL);
	CHECK(strstr(line, "no GPU") != NULL);

	/* a cgroup path that is not absolute, and a limit above the RAM */
	{
		char dir[600], f[700];
		FILE *fp;
		struct lm_err err = { 0 };
		snprintf(dir, sizeof(dir), "%s/odd-cgroup", t_tmpdir());
		snprintf(f, sizeof(f), "mkdir -p %s/proc/self %s/sys/fs/cgroup", dir, dir);
		CHECK_INT(system(f), 0);
		snprintf(f, sizeof(f), "%s/proc/self/cgroup", dir);
		fp = fopen(f, "w");
		fputs("0::garbage\n1:memory\n::\n", fp);
		fclose(fp);
		snprintf(f, sizeof(f), "%s/sys/fs/cgroup/cgroup.controllers", dir);
		fp = fopen(f, "w");
		fputs("memory\n", fp);
		fclose(fp);
		snprintf(f, sizeof(f), "%s/proc/meminfo", dir);
		fp = fopen(f, "w");
		fputs("MemTotal: 1024 kB\nMemAvailable: 512 kB\n", fp);
		fclose(fp);
		setenv("LOCALMODEL_SYSROOT", dir, 1);
		CHECK_INT(hw_probe(&hw, NULL, 0, &err), 0);
		CHECK_INT(hw.cgroup_limit, 0);
		CHECK_INT(hw.ram_total, 1024 * 1024);
	}

	CHECK_INT(probe("container-v1-4g", &hw, 0), 0);
	CHECK_INT(hw.cgroup_limit, 4 * GiB);
	CHECK_INT(hw.cgroup_used, 100 * MiB);
	CHECK_INT(hw_usable_ram(&hw), 4 * GiB - 100 * MiB);
}

static void test_nvidia(void)
{
	struct lm_hw hw;
	struct timespec t0, t1;
	char line[512];

	/* the tool answers */
	fake_smi("NVIDIA GeForce RTX 4090, 24564, 1234, 550.54.14\n", 0);
	CHECK_INT(probe("nvidia-24g", &hw, 0), 0);
	CHECK_INT(hw.ngpus, 1);
	CHECK_INT(hw.gpus[0].vendor, LM_GPU_NVIDIA);
	CHECK_STR(hw.gpus[0].name, "NVIDIA GeForce RTX 4090");
	CHECK_INT(hw.gpus[0].vram_total, 24564 * MiB);
	CHECK_INT(hw.gpus[0].vram_used, 1234 * MiB);
	CHECK_STR(hw.gpus[0].driver, "550.54.14");
	CHECK_INT(hw.cuda, 1);
	CHECK_INT(hw.vulkan, 1);
	CHECK_INT(hw_gpu_memory(&hw, 0), 24564 * MiB);
	CHECK_INT(hw_gpu_memory(&hw, 1), (24564 - 1234) * MiB);
	CHECK_STR(hw.note, "");
	hw_summary(&hw, line, sizeof(line));
	CHECK(strstr(line, "NVIDIA GeForce RTX 4090 24.0 GB") != NULL);

	/* two GPUs */
	fake_smi("NVIDIA RTX A5000, 24564, 0, 550.1\nNVIDIA RTX A5000, 24564, 100, 550.1\n", 0);
	CHECK_INT(probe("nvidia-24g", &hw, 0), 0);
	CHECK_INT(hw.ngpus, 2);
	CHECK_INT(hw_gpu_memory(&hw, 0), 2 * 24564 * MiB);

	/* the tool fails: the device is still listed, with a note */
	fake_smi("garbage", 3);
	CHECK_INT(probe("nvidia-24g", &hw, 0), 0);
	CHECK_INT(hw.ngpus, 1);
	CHECK_STR(hw.gpus[0].name, "NVIDIA GeForce RTX 4090");
	CHECK_INT(hw.gpus[0].vram_total, 0);
	CHECK(strstr(hw.note, "nvidia-smi") != NULL);

	/* no tools: not even spawned, and fast */
	fake_smi("NVIDIA GeForce RTX 4090, 24564, 1234, 550.54.14\n", 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(probe("nvidia-24g", &hw, HW_NO_TOOLS), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_INT(hw.gpus[0].vram_total, 0);
	CHECK_STR(hw.note, "");
	fprintf(stderr, "probe without tools: %.2f ms\n",
		(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);

	/* no NVIDIA device: the tool on PATH is never run */
	fake_smi("NVIDIA GeForce RTX 4090, 24564, 1234, 550.54.14\n", 0);
	CHECK_INT(probe("laptop-8g", &hw, 0), 0);
	CHECK_INT(hw.cuda, 0);
	CHECK_INT(hw.gpus[0].vendor, LM_GPU_INTEL);
}

static void test_amd(void)
{
	struct lm_hw hw;

	CHECK_INT(probe("amd-16g", &hw, 0), 0);
	CHECK_INT(hw.ngpus, 1);
	CHECK_INT(hw.gpus[0].vendor, LM_GPU_AMD);
	CHECK_STR(hw.gpus[0].name, "AMD Radeon (card1)");
	CHECK_INT(hw.gpus[0].vram_total, 17163091968ull);
	CHECK_INT(hw.gpus[0].vram_used, 512 * MiB);
	CHECK_INT(hw.rocm, 1);
	CHECK_INT(hw.vulkan, 1);
	CHECK_INT(hw.cuda, 0);
}

static void test_mac(void)
{
	struct lm_hw hw;
	char line[512];

	CHECK_INT(probe("mac-16g", &hw, 0), 0);
	CHECK_STR(hw.os, "darwin");
	CHECK_STR(hw.arch, "arm64");
	CHECK_STR(hw.cpu_model, "Apple M2");
	CHECK_INT(hw.cores_logical, 8);
	CHECK_INT(hw.ram_total, 16 * GiB);
	CHECK_INT(hw.ram_available, 9 * GiB);
	CHECK_INT(hw.unified_memory, 1);
	CHECK_INT(hw.metal, 1);
	CHECK(hw.cpu_flags & LM_CPU_NEON);
	CHECK(hw.cpu_flags & LM_CPU_DOTPROD);
	CHECK_INT(hw.ngpus, 1);
	CHECK_INT(hw.gpus[0].vendor, LM_GPU_APPLE);
	CHECK_INT(hw.gpus[0].vram_total, 16 * GiB / 3 * 2); /* the default 2/3 share */
	hw_summary(&hw, line, sizeof(line));
	CHECK(strstr(line, "unified memory (GPU up to 10.7 GB)") != NULL);

	CHECK_INT(probe("mac-64g", &hw, 0), 0);
	CHECK_INT(hw.gpus[0].vram_total, 57344 * MiB); /* iogpu.wired_limit_mb */
	CHECK_INT(hw.ram_available, 64 * GiB);        /* unknown: all of it */
}

/* Macs described the way sysctl(8) and vm_stat(1) print them. */
static void test_macs(void)
{
	struct lm_hw hw;

	/* the always-on hub: 16 GB M1, 5 GiB available, 1 GB of swap used */
	CHECK_INT(probe("mac-m1-16g", &hw, 0), 0);
	CHECK_STR(hw.os, "darwin");
	CHECK_STR(hw.cpu_model, "Apple M1");
	CHECK_INT(hw.ram_total, 16 * GiB);
	CHECK_INT(hw.ram_available, 5 * GiB); /* free + inactive + speculative + purgeable */
	CHECK_INT(hw.swap_total, 2048 * MiB);
	CHECK_INT(hw.swap_used, 1024 * MiB + 512 * 1024);
	CHECK_INT(hw.metal, 1);
	CHECK_INT(hw.gpus[0].vram_total, 16 * GiB / 3 * 2);
	CHECK_INT(hw_usable_ram(&hw), 5 * GiB);

	/* the big one: 512 GB M3 Ultra, the default 3/4 GPU share */
	CHECK_INT(probe("mac-m3ultra-512g", &hw, 0), 0);
	CHECK_STR(hw.cpu_model, "Apple M3 Ultra");
	CHECK_INT(hw.cores_logical, 32);
	CHECK_INT(hw.ram_total, 512 * GiB);
	CHECK_INT(hw.ram_available, 448 * GiB);
	CHECK_INT(hw.swap_total, 0);
	CHECK_INT(hw.gpus[0].vram_total, 384 * GiB);

	/* an Intel Mac: x86_64, no unified memory, no Metal offload planned */
	CHECK_INT(probe("mac-intel-32g", &hw, 0), 0);
	CHECK_STR(hw.os, "darwin");
	CHECK_STR(hw.arch, "x86_64");
	CHECK_INT(hw.cores_physical, 8);
	CHECK_INT(hw.cores_logical, 16);
	CHECK_INT(hw.ram_available, 12 * GiB); /* 4 KiB pages */
	CHECK_INT(hw.swap_used, 3072 * MiB + 256 * 1024);
	CHECK_INT(hw.unified_memory, 0);
	CHECK_INT(hw.metal, 0);
	CHECK_INT(hw.ngpus, 0);
	unsetenv("LOCALMODEL_SYSROOT");
}

static void test_json_and_errors(void)
{
	struct lm_hw hw;
	struct lm_err err = { 0 };
	cJSON *j, *mem, *gpus;

	fake_smi("NVIDIA GeForce RTX 4090, 24564, 1234, 550.54.14\n", 0);
	CHECK_INT(probe("nvidia-24g", &hw, 0), 0);
	j = hw_json(&hw);
	CHECK_STR(cJSON_GetObjectItem(j, "os")->valuestring, "linux");
	mem = cJSON_GetObjectItem(j, "memory");
	CHECK(cJSON_GetObjectItem(mem, "total_bytes")->valuedouble == 65536000.0 * 1024);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(mem, "cgroup_limit_bytes")));
	gpus = cJSON_GetObjectItem(j, "gpus");
	CHECK_INT(cJSON_GetArraySize(gpus), 1);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(gpus, 0), "vendor")->valuestring, "nvidia");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "backends"), "cuda")));
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "cpu"), "features")), 5);
	cJSON_Delete(j);

	setenv("LOCALMODEL_SYSROOT", "/nonexistent/sysroot", 1);
	CHECK_INT(hw_probe(&hw, NULL, 0, &err), LM_EFAIL);
	CHECK(strstr(err.msg, "LOCALMODEL_SYSROOT") != NULL);

	/* an empty sysroot: everything unknown, nothing fails */
	setenv("LOCALMODEL_SYSROOT", t_tmpdir(), 1);
	CHECK_INT(hw_probe(&hw, "/nonexistent/dir/models", 0, &err), 0);
	CHECK_INT(hw.ram_total, 0);
	CHECK_INT(hw.ngpus, 0);
	CHECK(hw.disk_free > 0); /* measured at the nearest existing parent */
	unsetenv("LOCALMODEL_SYSROOT");
}

int main(void)
{
	const char *src = getenv("SRC_DIR");

	lm_strlcpy(root, src ? src : ".", sizeof(root));
	test_laptop();
	test_containers();
	test_nvidia();
	test_amd();
	test_mac();
	test_macs();
	test_json_and_errors();
	return T_DONE();
}
