/* runtime_asset: which llama.cpp release asset fits this machine (see
 * runtime.h): the platform from the hardware probe, the backend, the asset
 * name pattern and the build number of a tag. */
#include "localmodel/runtime.h"
#include "localmodel/hw.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

/* ---- platform and assets -------------------------------------------- */

static void norm_arch(const char *in, char *out, size_t size)
{
	if (!strcmp(in, "x86_64") || !strcmp(in, "amd64") || !strcmp(in, "x64"))
		lm_strlcpy(out, "x64", size);
	else if (!strcmp(in, "aarch64") || !strcmp(in, "arm64"))
		lm_strlcpy(out, "arm64", size);
	else
		lm_strlcpy(out, in, size);
}

void rt_platform_from_hw(const struct lm_hw *hw, struct rt_platform *p)
{
	struct utsname u;

	memset(p, 0, sizeof(*p));
	if (uname(&u) == 0) {
		char os[sizeof(u.sysname)];
		size_t i;
		for (i = 0; u.sysname[i] && i + 1 < sizeof(os); i++)
			os[i] = (char)tolower((unsigned char)u.sysname[i]);
		os[i] = '\0';
		lm_strlcpy(p->os, os, sizeof(p->os));
		norm_arch(u.machine, p->arch, sizeof(p->arch));
	}
	if (!hw)
		return;
	if (hw->os[0])
		lm_strlcpy(p->os, hw->os, sizeof(p->os));
	if (hw->arch[0])
		norm_arch(hw->arch, p->arch, sizeof(p->arch));
	p->vulkan = hw->vulkan;
	p->nvidia = hw->cuda;
	p->amd = hw->rocm;
	for (int i = 0; i < hw->ngpus && i < LM_HW_MAX_GPUS; i++) {
		p->nvidia |= hw->gpus[i].vendor == LM_GPU_NVIDIA;
		p->amd |= hw->gpus[i].vendor == LM_GPU_AMD;
	}
}

static int is_windows(const struct rt_platform *p)
{
	return lm_starts_with(p->os, "windows") || lm_starts_with(p->os, "mingw") ||
	       lm_starts_with(p->os, "msys") || lm_starts_with(p->os, "cygwin");
}

int rt_choose_backend(const struct rt_platform *p, const char *requested, char backend[16],
		      char *note, size_t nsize, struct lm_err *err)
{
	int linux_ok = !strcmp(p->os, "linux") && (!strcmp(p->arch, "x64") || !strcmp(p->arch, "arm64"));
	int auto_ = !requested || !*requested || !strcmp(requested, "auto");

	if (note && nsize)
		note[0] = '\0';
	if (is_windows(p))
		return lm_err_set(err, LM_EFAIL,
				  "Windows is not supported: download llama.cpp from its releases "
				  "page and register it with 'install --from PATH'");
	if (!strcmp(p->os, "darwin")) {
		const char *b = !strcmp(p->arch, "arm64") ? "metal" : "cpu";
		if (!auto_ && strcmp(requested, b) && !(!strcmp(b, "metal") && !strcmp(requested, "cpu")))
			return lm_err_set(err, LM_EUSAGE,
					  "no '%s' build for macOS %s; use --backend %s", requested,
					  p->arch, b);
		lm_strlcpy(backend, b, 16);
		return LM_OK;
	}
	if (!linux_ok)
		return lm_err_set(err, LM_EFAIL, "no llama.cpp build is published for %s %s",
				  p->os, p->arch);
	if (!auto_) {
		if (strcmp(requested, "cpu") && strcmp(requested, "vulkan") && strcmp(requested, "rocm"))
			return lm_err_set(err, LM_EUSAGE,
					  "no '%s' build for Linux; use cpu, vulkan or rocm%s", requested,
					  !strcmp(requested, "cuda") ? " (no Linux CUDA build is published; "
								       "vulkan runs on NVIDIA GPUs)" : "");
		if (!strcmp(requested, "rocm") && strcmp(p->arch, "x64"))
			return lm_err_set(err, LM_EUSAGE, "the rocm build exists only for x64");
		lm_strlcpy(backend, requested, 16);
		return LM_OK;
	}
	if (p->nvidia || p->amd) {
		lm_strlcpy(backend, "vulkan", 16);
		if (note && p->nvidia)
			snprintf(note, nsize,
				 "NVIDIA GPU found: using the Vulkan build, since llama.cpp publishes "
				 "no CUDA build for Linux%s",
				 p->vulkan ? "" : " (install the Vulkan loader, e.g. libvulkan1)");
		else if (note)
			snprintf(note, nsize,
				 "AMD GPU found: using the Vulkan build (--backend rocm for ROCm)%s",
				 p->vulkan ? "" : " (install the Vulkan loader, e.g. libvulkan1)");
		return LM_OK;
	}
	lm_strlcpy(backend, p->vulkan ? "vulkan" : "cpu", 16);
	return LM_OK;
}

int rt_asset_pattern(const struct rt_platform *p, const char *backend, const char *tag,
		     char *buf, size_t size, struct lm_err *err)
{
	int n;

	if (!strcmp(p->os, "darwin"))
		n = snprintf(buf, size, "llama-%s-bin-macos-%s.tar.gz", tag, p->arch);
	else if (!strcmp(backend, "cpu"))
		n = snprintf(buf, size, "llama-%s-bin-ubuntu-%s.tar.gz", tag, p->arch);
	else if (!strcmp(backend, "vulkan"))
		n = snprintf(buf, size, "llama-%s-bin-ubuntu-vulkan-%s.tar.gz", tag, p->arch);
	else if (!strcmp(backend, "rocm"))
		n = snprintf(buf, size, "llama-%s-bin-ubuntu-rocm-*-%s.tar.gz", tag, p->arch);
	else
		return lm_err_set(err, LM_EUSAGE, "unknown backend '%s'", backend);
	if (n < 0 || (size_t)n >= size)
		return lm_err_set(err, LM_EUSAGE, "tag too long: '%s'", tag);
	return LM_OK;
}

long rt_tag_build(const char *tag)
{
	long v;
	if (!tag || tag[0] != 'b' || lm_parse_long(tag + 1, 0, 1000000000L, &v) < 0)
		return -1;
	return v;
}
