/* runtime_internal: what runtime.c and runtime_github.c share (private to
 * the runtime layer). */
#ifndef LOCALMODEL_RUNTIME_INTERNAL_H
#define LOCALMODEL_RUNTIME_INTERNAL_H

#include "localmodel/runtime.h"

struct cJSON;

/* The string member key of o, or NULL. */
const char *rt_jstr(const struct cJSON *o, const char *key);

/* Download a release asset with the client's download handle (no token,
 * no API headers). */
int rt_client_download(struct rt_client *c, struct lm_download *d, char sha256[65],
		       struct lm_err *err);

/* Run `server arg` (stdout and stderr captured together, 10 s at most);
 * LM_OK when it exited 0. *text (owned by the caller) is what it printed,
 * also on failure. */
int rt_run_capture(const char *server, const char *arg, char **text, struct lm_err *err);

#endif
