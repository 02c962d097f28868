/*
 * ui: everything that reaches the user's terminal: error lines, aligned
 * tables, JSON documents, colour (only on a TTY, never with NO_COLOR),
 * progress (only on a TTY) and prompts. Used by src/cmd/ only.
 */
#ifndef LOCALMODEL_UI_H
#define LOCALMODEL_UI_H

#include <stdio.h>
#include "cmd.h"

struct cJSON;

/* "localmodel: <cmd>: <message>" on stderr. */
void ui_error(const struct lm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "localmodel: <cmd>: warning: <message>" on stderr (silent with --quiet). */
void ui_warn(const struct lm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Informational line on stderr, silent with --quiet or --json. */
void ui_info(const struct lm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print err's message as ui_error and return its code. */
int ui_fail(const struct lm_ctx *ctx, const struct lm_err *err);

/* Print one JSON document on stdout (pretty) and free it. */
void ui_json_print(struct cJSON *doc);

/* Aligned table: add a header row then rows of `ncols` cells. */
struct ui_table {
	int ncols;
	int nrows;
	int cap;
	char **cells; /* nrows * ncols, owned */
	unsigned right_align; /* bit i: column i right aligned */
};
void ui_table_init(struct ui_table *t, int ncols);
void ui_table_row(struct ui_table *t, ...); /* ncols const char * (NULL = "-") */
void ui_table_print(const struct lm_ctx *ctx, struct ui_table *t, FILE *f);
void ui_table_release(struct ui_table *t);

/* Colour escape for a style when ctx->color, else "". */
const char *ui_bold(const struct lm_ctx *ctx);
const char *ui_dim(const struct lm_ctx *ctx);
const char *ui_red(const struct lm_ctx *ctx);
const char *ui_green(const struct lm_ctx *ctx);
const char *ui_yellow(const struct lm_ctx *ctx);
const char *ui_reset(const struct lm_ctx *ctx);

/* Progress line on stderr, redrawn in place; only when stderr is a TTY and
 * not --quiet/--json. */
void ui_progress(const struct lm_ctx *ctx, const char *label, uint64_t done, uint64_t total,
		 double rate, const char *extra);
void ui_progress_done(const struct lm_ctx *ctx);

/* Ask a question on the TTY; returns the first char of the answer (lower
 * case), or 0 on EOF. */
int ui_ask(const char *question, const char *choices);

#endif
