/* cmd_ctx: what the dispatcher prepares for a command beyond its options
 * (see cmd.h): the machine, probed once. */
#include "localmodel/cmd.h"
#include "localmodel/predict.h"
#include "localmodel/supervise.h"
#include "localmodel/ui.h"

#include <stdio.h>
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

static volatile sig_atomic_t wait_interrupted;

static void on_wait_signal(int sig)
{
	(void)sig;
	wait_interrupted = 1;
}

int cmd_wait_supervisor(pid_t pid, int fd, long timeout_s, char *why, size_t why_size)
{
	struct sigaction sa, old_int, old_term;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wait_signal; /* no SA_RESTART: poll returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = sup_wait_ready(pid, fd, timeout_s * 1000, &wait_interrupted, why, why_size);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}

void cmd_fail_with_log(struct lm_ctx *ctx, const char *why, const char *log_path, int lines)
{
	char *tail = sup_log_tail(log_path, lines);

	ui_error(ctx, "%s", why);
	if (*tail) {
		fprintf(stderr, "last lines of %s:\n", log_path);
		fputs(tail, stderr);
		if (tail[strlen(tail) - 1] != '\n')
			fputc('\n', stderr);
	}
	free(tail);
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
