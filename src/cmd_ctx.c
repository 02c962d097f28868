/* cmd_ctx: what the dispatcher prepares for a command beyond its options
 * (see cmd.h): the machine, probed once. */
#include "localmodel/cmd.h"
#include "localmodel/predict.h"

#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t *caught;

static void on_signal(int sig)
{
	(void)sig;
	if (caught)
		*caught = 1;
}

void cmd_catch_signals(volatile sig_atomic_t *flag, int hup)
{
	struct sigaction sa;

	caught = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (hup)
		sigaction(SIGHUP, &sa, NULL);
}

const struct lm_machine *ctx_machine(struct lm_ctx *ctx)
{
	struct lm_machine *m = ctx->machine;

	if (m)
		return m;
	m = ctx->machine = lm_xcalloc(1, sizeof(*m));
	m->reserve = (uint64_t)(ctx->cfg.reserve_gb * 1073741824.0);
	m->ok = hw_probe(&m->hw, ctx->paths.models_dir, 0, &m->err) == LM_OK;
	if (m->ok) {
		fit_machine_from_hw(&m->plan, &m->hw, 0);
		fit_machine_from_hw(&m->now, &m->hw, 1);
	}
	return m;
}

void ctx_speed(struct lm_ctx *ctx, const struct lm_hw *hw, const struct lm_fit_machine *mc,
	       struct lm_speed_machine *sm, int history)
{
	const char *sysroot = getenv("LOCALMODEL_SYSROOT");
	int this_machine = !sysroot || !*sysroot;

	predict_machine(sm, hw, mc, ctx->paths.state_dir, history ? ctx->store : NULL,
			ctx->cfg.calibrate && this_machine);
}
