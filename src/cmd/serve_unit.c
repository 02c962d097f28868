/* serve_unit: service units for serve and serve --rpc-worker (see
 * serve_unit.h). */
#include "serve_unit.h"
#include "localmodel/os.h"
#include "localmodel/paths.h"
#include "localmodel/runtime.h"
#include "localmodel/supervise.h"
#include "localmodel/ui.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void unit_list_add(char ***list, int *n, char *s)
{
	*list = lm_xrealloc(*list, (size_t)(*n + 2) * sizeof(char *));
	(*list)[(*n)++] = s;
	(*list)[*n] = NULL;
}

int unit_begin(struct lm_ctx *ctx, const char *kind, const char *const *vars, char ***argv,
	       int *na, char ***env, int *ne)
{
	char exe[PATH_MAX];

	if (strcmp(kind, "systemd") && strcmp(kind, "launchd")) {
		ui_error(ctx, "bad value for '--print-service': '%s' (want systemd or launchd)", kind);
		return LM_EUSAGE;
	}
	if (os_proc_exe(getpid(), exe, sizeof(exe)) < 0)
		lm_strlcpy(exe, "localmodel", sizeof(exe));
	unit_list_add(argv, na, lm_xstrdup(exe));
	unit_list_add(argv, na, lm_xstrdup("serve"));
	if (ctx->paths.home[0] && !getenv("LOCALMODEL_HOME"))
		unit_list_add(env, ne, lm_asprintf("LOCALMODEL_HOME=%s", ctx->paths.home));
	for (int i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			unit_list_add(env, ne, lm_asprintf("%s=%s", vars[i], v));
	}
	return LM_OK;
}

/* How to install and remove the unit just printed (on stderr, so that
 * stdout stays the unit itself). */
static void hint(struct lm_ctx *ctx, const char *kind, const char *name, const char *label)
{
	if (!strcmp(kind, "systemd")) {
		ui_info(ctx, "# install: save it as ~/.config/systemd/user/%s.service, then\n"
			"#   systemctl --user daemon-reload && systemctl --user enable --now %s\n"
			"# remove:  systemctl --user disable --now %s",
			name, name, name);
		return;
	}
	ui_info(ctx, "# install: save it as ~/Library/LaunchAgents/%s.plist, then\n"
		"#   launchctl bootstrap gui/%ld ~/Library/LaunchAgents/%s.plist\n"
		"# remove:  launchctl bootout gui/%ld/%s",
		label, (long)getuid(), label, (long)getuid(), label);
}

void unit_print(struct lm_ctx *ctx, const char *kind, const char *desc, const char *name,
		const char *label, char **argv, char **env)
{
	char *out;

	if (!strcmp(kind, "systemd")) {
		out = sup_unit_systemd(desc, argv, env);
	} else {
		/* launchd's own capture of the supervisor's output, apart from the
		 * log the supervisor rotates; launchd does not create its folder */
		char *lpath = lm_asprintf("%s/launchd-%s.log", ctx->paths.log_dir,
					  name + (strncmp(name, "localmodel-", 11) ? 0 : 11));
		struct lm_err err = { 0 };
		if (paths_ensure_dir(ctx->paths.log_dir, &err))
			ui_warn(ctx, "%s", err.msg);
		out = sup_unit_launchd(label, argv, env, lpath);
		free(lpath);
	}
	fputs(out, stdout);
	free(out);
	hint(ctx, kind, name, label);
	rt_argv_free(argv);
	rt_argv_free(env);
}
