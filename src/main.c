/* main: global options, the command table, dispatch, and the only exit. */
#include "localmodel/cmd.h"
#include "localmodel/store.h"
#include "localmodel/ui.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct lm_cmd *const lm_commands[] = {
	&cmd_install, &cmd_update, &cmd_search, &cmd_pull, &cmd_models, &cmd_recommend,
	&cmd_serve, &cmd_stop, &cmd_status, &cmd_usage, &cmd_cleanup, NULL,
};

const struct lm_cmd *cmd_lookup(const char *name)
{
	for (int i = 0; lm_commands[i]; i++) {
		const struct lm_cmd *c = lm_commands[i];
		if (!strcmp(c->name, name) || (c->alias && !strcmp(c->alias, name)))
			return c;
	}
	return NULL;
}

const char *cmd_suggest(const char *name)
{
	const char *best = NULL;
	int bestd = 3;

	for (int i = 0; lm_commands[i]; i++) {
		const struct lm_cmd *c = lm_commands[i];
		int d = lm_edit_distance(name, c->name);
		if (d < bestd) {
			bestd = d;
			best = c->name;
		}
		if (c->alias && (d = lm_edit_distance(name, c->alias)) < bestd) {
			bestd = d;
			best = c->alias;
		}
	}
	if (!best && strlen(name) >= 2)
		for (int i = 0; lm_commands[i]; i++)
			if (lm_starts_with(lm_commands[i]->name, name))
				return lm_commands[i]->name;
	return best;
}

static void print_main_help(void)
{
	printf("usage: localmodel [--json] [--quiet] [--home DIR] <command> [options] [args]\n"
	       "       localmodel --version | --help | help <command>\n\n"
	       "Run local LLM models: install llama.cpp, pull GGUF models, serve them.\n\n"
	       "commands:\n");
	for (int i = 0; lm_commands[i]; i++) {
		const struct lm_cmd *c = lm_commands[i];
		char name[40];
		snprintf(name, sizeof(name), "%s%s%s%s", c->name, c->alias ? " (" : "",
			 c->alias ? c->alias : "", c->alias ? ")" : "");
		printf("  %-20s %s\n", name, c->summary);
	}
	printf("\nglobal options:\n"
	       "  --json          print one JSON document on stdout\n"
	       "  -q, --quiet     print nothing but errors\n"
	       "  --home DIR      keep all state under DIR (as LOCALMODEL_HOME)\n"
	       "  -V, --version   print the version\n"
	       "  -h, --help      show this help\n\n"
	       "Run 'localmodel help <command>' for a command's options; 'man localmodel' for\n"
	       "files, environment and exit codes.\n");
}

/* Hidden helper for shell completions: commands, or one command's options. */
static int complete(int argc, char **argv)
{
	if (argc < 1) {
		for (int i = 0; lm_commands[i]; i++)
			printf("%s\n", lm_commands[i]->name);
		return 0;
	}
	const struct lm_cmd *c = cmd_lookup(argv[0]);
	if (!c)
		return 0;
	for (const struct lm_subcmd *s = c->subs; s && s->name; s++)
		printf("%s\n", s->name);
	for (const struct lm_opt *o = c->opts; o && o->name; o++)
		printf("--%s\n", o->name);
	for (const struct lm_opt *o = lm_common_opts; o->name; o++)
		printf("--%s\n", o->name);
	return 0;
}

static int unknown_command(const char *name)
{
	const char *s = cmd_suggest(name);
	fprintf(stderr, "localmodel: '%s' is not a command; see 'localmodel --help'\n", name);
	if (s)
		fprintf(stderr, "\nThe most similar command is\n\t%s\n", s);
	return LM_EUSAGE;
}

static int setup_ctx(struct lm_ctx *ctx, const struct lm_cmd *c, const char *home,
		     struct lm_err *err)
{
	int rc;
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	ctx->cmd = c;
	ctx->color = isatty(1) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
	ctx->stderr_tty = isatty(2);
	if ((rc = paths_init(&ctx->paths, home, err)))
		return rc;
	config_defaults(&ctx->cfg);
	if ((rc = config_load(&ctx->cfg, ctx->paths.config_file, err)))
		return rc;
	for (int i = 0; i < ctx->cfg.nwarnings; i++)
		ui_warn(ctx, "%s", ctx->cfg.warnings[i]);
	if (c->needs & NEED_MACHINE)
		ctx_machine(ctx);
	if (c->needs & NEED_STORE)
		return store_open(&ctx->store, ctx->paths.db_path, STORE_RW, 5000, err);
	if ((c->needs & NEED_STORE_RO) && paths_exists(ctx->paths.db_path))
		return store_open(&ctx->store, ctx->paths.db_path, STORE_EXISTING, 5000, err);
	return LM_OK;
}

static int run_command(const struct lm_cmd *c, int argc, char **argv, int json, int quiet,
		       const char *home)
{
	struct lm_ctx ctx;
	struct lm_args args;
	struct lm_err err = { 0 };
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cmd = c;
	rc = args_parse(&args, c->opts, argc, argv, &err);
	if (rc) {
		ui_fail(&ctx, &err);
		fprintf(stderr, "usage: %s\n", c->usage);
		args_release(&args);
		return rc;
	}
	if (args_has(&args, "help")) {
		cmd_print_help(c);
		args_release(&args);
		return LM_OK;
	}
	const struct lm_subcmd *sub;
	if ((rc = args_subcommand(&args, c->subs, &sub, &err))) {
		ui_fail(&ctx, &err);
		fprintf(stderr, "usage: %s\n", c->usage);
		args_release(&args);
		return rc;
	}
	ctx.json = json || args_has(&args, "json");
	ctx.quiet = quiet || args_has(&args, "quiet");
	/* shell start-up: the nudge says nothing and exits 0 whatever happens,
	 * a broken config file included */
	int nudge = c == &cmd_cleanup && args_has(&args, "nudge");
	if (nudge)
		ctx.quiet = 1;
	rc = setup_ctx(&ctx, c, home, &err);
	if (rc)
		rc = nudge ? LM_OK : ui_fail(&ctx, &err);
	else
		rc = c->run(&ctx, &args);
	store_close(ctx.store);
	free(ctx.machine);
	args_release(&args);
	return rc;
}

/* 1 when stdout is a pipe or a socket (or closed): its reader may go away
 * before we are done (`localmodel --help | head -1`), which is no error of
 * ours; git ignores those write errors too. */
static int stdout_is_pipe(void)
{
	struct stat st;

	if (fstat(fileno(stdout), &st) != 0)
		return 1;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

/* stdout is checked at exit: a full disk or any other failed write to a file
 * or a terminal is an error; a reader that left a pipe early is not. */
static int finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno ? errno : EIO;
		if (stdout_is_pipe())
			return rc;
		fprintf(stderr, "localmodel: write error: %s\n", strerror(e));
		return rc ? rc : LM_EFAIL;
	}
	return rc;
}

int main(int argc, char **argv)
{
	int json = 0, quiet = 0, i;
	const char *home = NULL;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
		} else if (!strcmp(a, "--home") && i + 1 < argc) {
			home = argv[++i];
		} else if (lm_starts_with(a, "--home=")) {
			home = a + 7;
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("localmodel %s\n", LM_VERSION);
			return finish(LM_OK);
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			print_main_help();
			return finish(LM_OK);
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "localmodel: unknown option '%s'%s\n", a,
				!strcmp(a, "--home") ? " (needs a directory)" : "");
			fprintf(stderr, "usage: localmodel [--json] [--quiet] [--home DIR] <command> [args]\n");
			return LM_EUSAGE;
		}
	}
	if (i >= argc) {
		print_main_help();
		finish(LM_OK);
		return LM_EUSAGE;
	}
	const char *name = argv[i];
	if (!strcmp(name, "__complete"))
		return finish(complete(argc - i - 1, argv + i + 1));
	if (!strcmp(name, "help")) {
		if (i + 1 >= argc) {
			print_main_help();
			return finish(LM_OK);
		}
		const struct lm_cmd *c = cmd_lookup(argv[i + 1]);
		if (!c)
			return unknown_command(argv[i + 1]);
		cmd_print_help(c);
		return finish(LM_OK);
	}
	const struct lm_cmd *c = cmd_lookup(name);
	if (!c)
		return unknown_command(name);
	return finish(run_command(c, argc - i, argv + i, json, quiet, home));
}
