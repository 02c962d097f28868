/* hw: the hardware probe (see hw.h). */
#include "localmodel/hw.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

int hw_probe(struct lm_hw *hw, const char *models_dir, unsigned flags, struct lm_err *err)
{
	(void)models_dir;
	(void)flags;
	memset(hw, 0, sizeof(*hw));
	return lm_err_set(err, LM_EFAIL, "hardware probe not implemented yet");
}

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

	for (int i = 0; i < hw->ngpus; i++)
		sum += hw->gpus[i].vram_total - (free_only ? hw->gpus[i].vram_used : 0);
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
	snprintf(buf, size, "%s, %d cores", hw->arch, hw->cores_logical);
}

struct cJSON *hw_json(const struct lm_hw *hw)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "os", hw->os);
	cJSON_AddStringToObject(o, "arch", hw->arch);
	return o;
}
