/* serve_admit: serve's admission by the memory available now (serve.c's
 * helper): what the other servers localmodel runs hold and will still grow
 * to, and the refusal that names them. */
#ifndef LOCALMODEL_SERVE_ADMIT_H
#define LOCALMODEL_SERVE_ADMIT_H

#include "localmodel/cmd.h"
#include "localmodel/fit.h"

/* The machine as serve may budget it now: ctx's "free now" view less what
 * the live servers (other than port) will still grow to (their expected
 * size beyond their resident memory). holders says who holds the memory:
 * "'org/a:Q4_K_M' on port 8081 (3.1 GB, growing to 4.0 GB), other
 * processes (5.2 GB)". */
void admit_machine(struct lm_ctx *ctx, int port, struct lm_machine *out, char *holders,
		   size_t size);

/* The refusal of a model that fits the machine but not the memory
 * available now: LM_ERESOURCE with the need, what is available, who holds
 * the rest and what would fit (hint). */
int admit_refuse(const char *name, const struct lm_fit_result *r, const struct lm_machine *mach,
		 const char *holders, const char *hint, struct lm_err *err);

/* The models marked to stay, for the state file: the --keep value and the
 * keep key, and in router mode each kept model under its router name too
 * (name_map: router and inventory names in pairs). */
void admit_keep_list(const char *flag, const char *cfg, char *const *name_map, size_t npairs,
		     char *out, size_t size);

#endif
