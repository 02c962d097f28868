/* cleanup: delete models unused for weeks. */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "days", 0, LM_OPT_VALUE, "N", "unused for N days (30)" },
	{ "dry-run", 'n', LM_OPT_FLAG, NULL, "only list what would be removed" },
	{ "yes", 'y', LM_OPT_FLAG, NULL, "delete without asking" },
	{ "include-external", 0, LM_OPT_FLAG, NULL, "also other tools' stores" },
	{ "nudge", 0, LM_OPT_FLAG, NULL, "one line for shell start-up, at most daily" },
	LM_OPT_END,
};

static int cleanup_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_cleanup = {
	.name = "cleanup",
	.alias = NULL,
	.summary = "delete models unused for weeks",
	.usage = "localmodel cleanup [--days N] [--dry-run] [--yes] [--include-external]\n       localmodel cleanup --nudge",
	.opts = opts,
	.needs = NEED_STORE_RO,
	.run = cleanup_run,
};
