/*
 * cmd: the command descriptor (one per src/cmd/<name>.c), the declarative
 * option tables, and the context the dispatcher prepares before `run`.
 * Commands parse, call layers, print through ui, and return an exit code;
 * only main() exits.
 */
#ifndef LOCALMODEL_CMD_H
#define LOCALMODEL_CMD_H

#include <signal.h>
#include <sys/types.h>
#include "base.h"
#include "paths.h"
#include "config.h"
#include "fit.h"
#include "hw.h"

struct lm_store;

enum lm_opt_kind {
	LM_OPT_FLAG,  /* --name */
	LM_OPT_VALUE, /* --name VALUE, --name=VALUE */
	LM_OPT_LIST,  /* a value option that may be repeated: every value is kept, in
			 order (args_get_all); args_get gives the last */
};

struct lm_opt {
	const char *name;  /* long name without dashes; NULL ends a table */
	char short_name;   /* 0 for none */
	enum lm_opt_kind kind;
	const char *metavar;
	const char *help;
};

#define LM_MAX_OPTS 48
#define LM_OPT_END { NULL, 0, LM_OPT_FLAG, NULL, NULL }

/* What args_parse found. Values point into argv. */
struct lm_args {
	const struct lm_opt *opts;
	int nopts;
	int count[LM_MAX_OPTS];
	const char *value[LM_MAX_OPTS];
	const char **listval; /* every LM_OPT_LIST value, in order... */
	int *listopt;         /* ...and the slot of its option */
	int nlist;
	char **pos;     /* positional arguments */
	int npos;
	char **extra;   /* arguments after "--" */
	int nextra;
	int has_dashdash;
};

enum lm_need {
	NEED_STORE = 1 << 0,    /* open the database read-write (created) */
	NEED_STORE_RO = 1 << 1, /* open it if it exists (ctx->store may be NULL) */
	NEED_MACHINE = 1 << 2,  /* probe the hardware before run (ctx_machine) */
};

/* This machine as the fit sees it, probed once per command. */
struct lm_machine {
	int ok;                     /* the probe worked; else err says why */
	struct lm_err err;
	struct lm_hw hw;
	struct lm_fit_machine plan; /* for planning: total RAM (cgroup-capped), total VRAM */
	struct lm_fit_machine now;  /* what is free now (serve) */
	uint64_t reserve;           /* memory kept free: reserve_gb in bytes */
};

struct lm_cmd;

struct lm_ctx {
	const struct lm_cmd *cmd;
	int json;
	int quiet;
	int color;     /* stdout is a TTY and NO_COLOR unset */
	int stderr_tty;
	struct lm_paths paths;
	struct lm_config cfg;
	struct lm_store *store;
	struct lm_machine *machine; /* see ctx_machine */
};

/* The machine, probed on first use (with NEED_MACHINE, by the dispatcher
 * before run): hw_probe with the models folder for free disk, then the
 * fit's two views of it and the reserve. Never NULL; check ->ok. */
const struct lm_machine *ctx_machine(struct lm_ctx *ctx);

/* The speed figures for hw (this machine's, or the one --memory plans)
 * with mc's offload: predict_machine with the served history when history
 * and a database are there, and a first calibration when the `calibrate`
 * setting allows it and hw is this machine (no LOCALMODEL_SYSROOT). */
struct lm_speed_machine;
void ctx_speed(struct lm_ctx *ctx, const struct lm_hw *hw, const struct lm_fit_machine *mc,
	       struct lm_speed_machine *sm, int history);

/* SIGINT, SIGTERM (and SIGHUP when hup) set *flag instead of ending the
 * command, which then stops at a safe point (no SA_RESTART: a blocking call
 * returns with EINTR). One flag per process. */
void cmd_catch_signals(volatile sig_atomic_t *flag, int hup);

/* sup_wait_ready for a supervisor just started detached, with SIGINT and
 * SIGTERM ending the wait meanwhile (the supervisor is then stopped); the
 * handlers from before are put back. */
int cmd_wait_supervisor(pid_t pid, int fd, long timeout_s, char *why, size_t why_size);
/* The error why on stderr, then the last lines of the log that tells more. */
void cmd_fail_with_log(struct lm_ctx *ctx, const char *why, const char *log_path, int lines);

/* A subcommand ("models rm NAME"): its name and how many arguments follow
 * it. The dispatcher refuses an unknown one or a wrong count, and
 * completion offers them. A table ends with a NULL name. */
struct lm_subcmd {
	const char *name;
	int min_args, max_args;
	const char *metavar;  /* "NAME", for the usage error */
};

struct lm_cmd {
	const char *name;
	const char *alias;    /* or NULL */
	const char *summary;  /* one line for --help */
	const char *usage;    /* "localmodel pull ORG/REPO[:QUANT] [options]" lines */
	const char *description; /* paragraph after usage, or NULL */
	const struct lm_opt *opts; /* command options, LM_OPT_END-terminated */
	const struct lm_subcmd *subs; /* NULL: none; else the first positional is one */
	unsigned needs;
	int (*run)(struct lm_ctx *ctx, struct lm_args *args);
};

/* Options every command accepts (--json, --quiet, --help). */
extern const struct lm_opt lm_common_opts[];

/* Parse argv (argv[0] is the command name) against cmd opts + common opts.
 * Unknown option: LM_EUSAGE with a "did you mean" hint. Caller frees with
 * args_release. */
int args_parse(struct lm_args *a, const struct lm_opt *opts, int argc, char **argv,
	       struct lm_err *err);
void args_release(struct lm_args *a);
int args_has(const struct lm_args *a, const char *name);
const char *args_get(const struct lm_args *a, const char *name);
/* Every value of an LM_OPT_LIST option, in the order given: a NULL-terminated
 * array the caller frees (never NULL; *n may be NULL). */
const char **args_get_all(const struct lm_args *a, const char *name, int *n);
/* Integer option in [min,max]; *out untouched when absent. Usage error names it. */
int args_get_long(const struct lm_args *a, const char *name, long min, long max, long *out,
		  struct lm_err *err);
/* Size option ("8G"); *out untouched when absent. */
int args_get_size(const struct lm_args *a, const char *name, uint64_t *out, struct lm_err *err);
/* Fail with a usage error unless npos is within [min,max]. */
int args_want_pos(const struct lm_args *a, int min, int max, struct lm_err *err);
/* The subcommand named by the first positional (NULL when none is given);
 * LM_EUSAGE for an unknown one or a wrong number of arguments after it. */
int args_subcommand(const struct lm_args *a, const struct lm_subcmd *subs,
		    const struct lm_subcmd **out, struct lm_err *err);

/* The command table (main.c). */
extern const struct lm_cmd *const lm_commands[];
const struct lm_cmd *cmd_lookup(const char *name);
/* Closest command name to a mistyped one, or NULL. */
const char *cmd_suggest(const char *name);

/* Print the help of one command to stdout. */
void cmd_print_help(const struct lm_cmd *c);

/* Helpers of status and serve kept in files of their own. */
struct sup_state;
struct cJSON;
int status_peers(struct lm_ctx *ctx, struct lm_args *args);     /* status_peers.c */
void status_worker_json(const struct sup_state *st, struct cJSON *o);
void status_worker_text(const struct sup_state *st);
int serve_rpc_worker(struct lm_ctx *ctx, struct lm_args *args); /* serve_rpc.c */
struct rt_caps;
int serve_rpc_fit(struct lm_ctx *ctx, struct lm_args *args, struct lm_err *err);
int serve_rpc_head(struct lm_ctx *ctx, struct lm_args *args, const struct rt_caps *caps,
		   const char *llama, char ***argv, struct lm_err *err);

extern const struct lm_cmd cmd_install, cmd_serve, cmd_stop, cmd_status, cmd_models,
	cmd_search, cmd_pull, cmd_recommend, cmd_usage, cmd_cleanup, cmd_update;

#endif
