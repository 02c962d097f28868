/*
 * hw: the hardware probe. One call fills one plain struct (no pointers, so
 * nothing to free): OS, CPU, memory, container limit, free disk, GPUs and
 * the GPU back-ends available.
 *
 * Linux: every /proc and /sys read is prefixed by LOCALMODEL_SYSROOT when it
 * is set, so tests can describe any machine. NVIDIA GPUs are queried through
 * NVML (dlopen) or `nvidia-smi` found on PATH (spawned with an argv, never a
 * shell), and only when an NVIDIA device is present (/proc/driver/nvidia/gpus
 * or a PCI device of vendor 0x10de). AMD GPUs come from amdgpu sysfs
 * (/sys/class/drm/card* /device, vendor 0x1002). Apple: sysctl hw.memsize and
 * iogpu.wired_limit_mb; with LOCALMODEL_SYSROOT set, <sysroot>/sysctl.txt
 * ("key: value" lines) is read instead of sysctl when it exists, on any OS,
 * and describes a Mac. Without a tool to spawn the probe takes well under
 * 5 ms.
 */
#ifndef LOCALMODEL_HW_H
#define LOCALMODEL_HW_H

#include <stddef.h>
#include <stdint.h>
#include "base.h"

struct cJSON;

#define LM_HW_MAX_GPUS 16

enum lm_gpu_vendor {
	LM_GPU_OTHER = 0,
	LM_GPU_NVIDIA,
	LM_GPU_AMD,
	LM_GPU_APPLE,
	LM_GPU_INTEL,
};

struct lm_gpu {
	enum lm_gpu_vendor vendor;
	char name[128];      /* "NVIDIA GeForce RTX 4090", "AMD Radeon (card0)", "Apple M2 Pro" */
	uint64_t vram_total; /* bytes; for Apple: the GPU working-set limit */
	uint64_t vram_used;  /* bytes, 0 when unknown */
	char driver[64];     /* "550.54.14", "amdgpu", "" */
};

/* CPU feature bits (struct lm_hw.cpu_flags). */
enum {
	LM_CPU_AVX = 1 << 0,
	LM_CPU_AVX2 = 1 << 1,
	LM_CPU_AVX512F = 1 << 2,
	LM_CPU_FMA = 1 << 3,
	LM_CPU_F16C = 1 << 4,
	LM_CPU_NEON = 1 << 5,
	LM_CPU_DOTPROD = 1 << 6,
};

struct lm_hw {
	char os[32];            /* "linux", "darwin", ... */
	char arch[32];          /* "x86_64", "aarch64", "arm64" */
	char cpu_model[128];
	int cores_physical;     /* 0 when unknown */
	int cores_logical;
	unsigned cpu_flags;     /* LM_CPU_* */
	uint64_t ram_total;     /* bytes */
	uint64_t ram_available; /* bytes (MemAvailable) */
	uint64_t swap_total;
	uint64_t swap_used;
	long mac_pressure_level; /* Apple kern.memorystatus_vm_pressure_level
				    (1 normal, 2 warn, 4 critical), 0 unknown */
	uint64_t cgroup_limit;  /* container memory limit in bytes, 0 = none */
	uint64_t cgroup_used;   /* memory the cgroup already uses (0 when unknown) */
	uint64_t disk_free;     /* free bytes at the models directory (or its
				   nearest existing parent), 0 when unknown */
	int unified_memory;     /* Apple Silicon: GPU and CPU share RAM */
	int metal;              /* Metal available (Apple) */
	int vulkan;             /* a Vulkan loader or ICD file was found */
	int cuda;               /* an NVIDIA device with a driver */
	int rocm;               /* an AMD device driven by amdgpu */
	int ngpus;
	struct lm_gpu gpus[LM_HW_MAX_GPUS];
	char note[160];         /* a probe limitation worth telling, e.g.
				   "nvidia device present but nvidia-smi not found" */
};

/* hw_probe flags. */
enum {
	HW_NO_TOOLS = 1 << 0, /* never spawn nvidia-smi nor dlopen NVML (fast path) */
};

/* Probe the machine. models_dir (may be NULL) is where disk_free is
 * measured. Missing facts stay 0; only an unusable sysroot is an error. */
int hw_probe(struct lm_hw *hw, const char *models_dir, unsigned flags, struct lm_err *err);

/* Memory a new process can use now: MemAvailable, capped by what is left
 * under the cgroup limit. */
uint64_t hw_usable_ram(const struct lm_hw *hw);
/* RAM a model may plan on: total RAM, capped by the cgroup limit. */
uint64_t hw_planning_ram(const struct lm_hw *hw);
/* Apple's GPU working-set limit for ram bytes of unified memory:
 * iogpu.wired_limit_mb when set (non-zero), else the Metal default share,
 * about 2/3 of RAM up to 36 GB and 3/4 above. */
uint64_t hw_apple_gpu_share(uint64_t ram, uint64_t wired_limit_mb);
/* Sum of GPU memory (total, or free when `free_only`). */
uint64_t hw_gpu_memory(const struct lm_hw *hw, int free_only);

const char *hw_vendor_name(enum lm_gpu_vendor v); /* "nvidia", "amd", "apple", ... */

/* One line for `status`: "x86_64, 16 cores, 62.7 GB RAM (41.2 GB free),
 * NVIDIA GeForce RTX 4090 24.0 GB". */
void hw_summary(const struct lm_hw *hw, char *buf, size_t size);

/* The "hardware" JSON object (recommend --json, status --json); caller owns:
 * {"os","arch","cpu":{"model","cores_physical","cores_logical","features":[..]},
 *  "memory":{"total_bytes","available_bytes","usable_bytes","swap_total_bytes",
 *            "swap_used_bytes","cgroup_limit_bytes"(or null)},
 *  "disk_free_bytes"(or null),"unified_memory",
 *  "gpus":[{"vendor","name","vram_total_bytes","vram_used_bytes","driver"}],
 *  "backends":{"cuda","rocm","metal","vulkan"},"note"(only when set)} */
struct cJSON *hw_json(const struct lm_hw *hw);

#endif
