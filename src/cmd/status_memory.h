/* status_memory: the memory picture and the guard's records in `status`
 * (status.c's helper). */
#ifndef LOCALMODEL_STATUS_MEMORY_H
#define LOCALMODEL_STATUS_MEMORY_H

#include "localmodel/cmd.h"

struct cJSON;

/* The server's "guard" object (null when the guard never acted on it). */
struct cJSON *status_guard_json(const struct lm_ctx *ctx, int port);
/* Adds "memory" to doc, and to servers (the array of live servers) an
 * entry for each server the guard stopped: {"model","port","health":
 * "stopped","guard":{...}}. */
void status_memory_json(const struct lm_ctx *ctx, struct cJSON *doc, struct cJSON *servers);
/* The "memory:" line and a "guard:" line per record. */
void status_memory_print(const struct lm_ctx *ctx);

#endif
