/* install: install or switch the llama.cpp runtime (llama-server). */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "backend", 0, LM_OPT_VALUE, "NAME", "auto, cpu, vulkan, rocm or metal" },
	{ "tag", 0, LM_OPT_VALUE, "bNNNN", "install this build instead of the newest" },
	{ "from", 0, LM_OPT_VALUE, "PATH", "register an existing llama-server, no download" },
	{ "force", 0, LM_OPT_FLAG, NULL, "accept an asset without a digest; reinstall" },
	LM_OPT_END,
};

static int install_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_install = {
	.name = "install",
	.alias = "setup",
	.summary = "install or switch the llama.cpp runtime (llama-server)",
	.usage = "localmodel install [--backend auto|cpu|vulkan|rocm|metal] [--tag bNNNN] [--from PATH] [--force]",
	.opts = opts,
	.needs = NEED_STORE,
	.run = install_run,
};
