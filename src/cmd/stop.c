/* stop: stop a running server. */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "port", 'p', LM_OPT_VALUE, "N", "the server on this port" },
	{ "all", 0, LM_OPT_FLAG, NULL, "every server" },
	{ "timeout", 0, LM_OPT_VALUE, "SECONDS", "wait before SIGKILL (10)" },
	LM_OPT_END,
};

static int stop_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_stop = {
	.name = "stop",
	.alias = NULL,
	.summary = "stop a running server",
	.usage = "localmodel stop [MODEL | --port N | --all] [--timeout SECONDS]",
	.opts = opts,
	.needs = NEED_STORE,
	.run = stop_run,
};
