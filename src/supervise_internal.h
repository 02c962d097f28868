/* supervise_internal: between the supervisor loop (supervise_run.c) and its
 * memory guard (supervise_guard.c). Not part of the layer's interface. */
#ifndef LOCALMODEL_SUPERVISE_INTERNAL_H
#define LOCALMODEL_SUPERVISE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "localmodel/supervise.h"

struct sup_guard;

/* note(data, msg) writes a line of the supervisor's own to the log. */
struct sup_guard *sup_guard_new(struct sup_config *c, const char *key,
				void (*note)(void *data, const char *msg), void *data);
void sup_guard_free(struct sup_guard *g);
/* A line of the child's output: in router mode, which model loads and which
 * one answers (least recently used). */
void sup_guard_line(struct sup_guard *g, const char *line);
/* Sample when due and act; 1 when this supervisor's own server is to be
 * stopped (why says why). Only while the server is ready. */
int sup_guard_tick(struct sup_guard *g, int ready, char *why, size_t size);
/* Milliseconds (lm_mono_ms) of the next sample. */
int64_t sup_guard_next(const struct sup_guard *g);
/* After a stop: "stopped by the memory guard: ..." when the guard (this
 * one or another server's) stopped it; reason is left alone otherwise. */
void sup_guard_end_reason(struct sup_guard *g, char *reason, size_t size);

#endif
