/*
 * predict: memory and speed of one model on this machine, with the speed
 * figures taken from the best source there is (see speed.h): the served
 * history in the database, then the calibration cached under the state
 * directory (speed-<machine key>.txt), then the chip table. Reads the
 * database and the models' GGUF headers; prints nothing.
 */
#ifndef LOCALMODEL_PREDICT_H
#define LOCALMODEL_PREDICT_H

#include "base.h"
#include "fit.h"
#include "speed.h"

struct lm_hw;
struct lm_store;

/* This machine's speed figures. state_dir may be NULL (no calibration),
 * store may be NULL (no history). With may_probe and no calibration cached
 * for this machine, the probe runs first (about a second) and its result
 * is cached (predict_calibrate), unless the load average says half the
 * machine is busy: then it is used and not kept. Never fails: a missing
 * source is skipped. */
void predict_machine(struct lm_speed_machine *sm, const struct lm_hw *hw,
		     const struct lm_fit_machine *mc, const char *state_dir,
		     struct lm_store *store, int may_probe);

/* Measure this machine (speed_probe: 256 MiB of reads on every logical
 * core, 9 rounds of int8 dot products) and cache the result under
 * state_dir. */
int predict_calibrate(const struct lm_hw *hw, const char *state_dir, struct lm_speed_probe *p,
		      struct lm_err *err);

/* Decode and prompt speed for a fitted model: r's gpu layers, and
 * LM_SPEED_CTX_USED tokens in the cache (fewer when r's context is smaller). */
void predict_speed(const struct lm_fit_model *m, const struct lm_fit_result *r,
		   enum lm_cache_type cache, const struct lm_speed_machine *sm,
		   struct lm_speed_result *out);

/* The speeds predicted for the GGUF model at path with sm (CPU, or
 * offloaded as the fit on mc says); LM_OK, or -1 (out zeroed) when the
 * header cannot be read or nothing fits. */
int predict_file(const char *path, const struct lm_fit_machine *mc,
		 const struct lm_speed_machine *sm, struct lm_speed_result *out);

/* A remote file known only by its repo and size: the catalog's shape for
 * repo (may be NULL) when it knows it, else a generic 32-layer one of
 * about 4 bits a weight; fitted at 4096 tokens of q8_0 KV. r and sp
 * filled; LM_OK, or an error when nothing can be estimated. */
int predict_file_size(const struct lm_fit_machine *mc, uint64_t reserve,
		      const struct lm_speed_machine *sm, const char *repo, uint64_t bytes,
		      struct lm_fit_result *r, struct lm_speed_result *sp);

/* The prompt tok/s a usage row tells: its prompt tokens (reconciled ones
 * left out) over its time less its generation time; 0 when it has fewer
 * than 64 prompt tokens or no time. *tokens gets the prompt tokens. */
struct usagedb_row;
double predict_prompt_measured(const struct usagedb_row *row, int64_t *tokens);

const char *predict_source_name(enum lm_speed_source s); /* "table", "calibration", "history", "given" */

#endif
