/* serve_unit: what `serve --print-service` and `serve --rpc-worker
 * --print-service` share: the start of the unit's command line, the
 * environment it keeps, and the unit printed with how to install it. */
#ifndef LOCALMODEL_SERVE_UNIT_H
#define LOCALMODEL_SERVE_UNIT_H

#include "localmodel/cmd.h"

/* Append s (taken over) to a NULL-terminated list of n entries. */
void unit_list_add(char ***list, int *n, char *s);

/* kind checked ("systemd" or "launchd"; otherwise the error is printed and
 * LM_EUSAGE returned), then argv started with this executable and "serve",
 * and env with LOCALMODEL_HOME (when the paths came from elsewhere) and
 * every variable of vars (NULL-terminated) that is set. */
int unit_begin(struct lm_ctx *ctx, const char *kind, const char *const *vars, char ***argv,
	       int *na, char ***env, int *ne);

/* Print the unit on stdout and how to install and remove it on stderr.
 * name: the systemd unit's ("localmodel-8080"); label: launchd's
 * ("org.localmodel.serve.8080"), whose own log goes to <logs>/<name>.log.
 * Frees argv and env. */
void unit_print(struct lm_ctx *ctx, const char *kind, const char *desc, const char *name,
		const char *label, char **argv, char **env);

#endif
