/* ui: error lines, tables, JSON, colour, progress and prompts. */
#include "localmodel/ui.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void vline(const struct lm_ctx *ctx, const char *kind, const char *fmt, va_list ap)
{
	fputs("localmodel: ", stderr);
	if (ctx && ctx->cmd)
		fprintf(stderr, "%s: ", ctx->cmd->name);
	if (kind)
		fprintf(stderr, "%s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ui_error(const struct lm_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(ctx, NULL, fmt, ap);
	va_end(ap);
}

void ui_warn(const struct lm_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	if (ctx && ctx->quiet)
		return;
	va_start(ap, fmt);
	vline(ctx, "warning", fmt, ap);
	va_end(ap);
}

void ui_info(const struct lm_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	if (ctx && (ctx->quiet || ctx->json))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ui_fail(const struct lm_ctx *ctx, const struct lm_err *err)
{
	ui_error(ctx, "%s", err->msg[0] ? err->msg : "failed");
	return err->code ? err->code : LM_EFAIL;
}

void ui_json_print(cJSON *doc)
{
	char *s = cJSON_Print(doc);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	cJSON_Delete(doc);
}

void ui_table_init(struct ui_table *t, int ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void ui_table_row(struct ui_table *t, ...)
{
	va_list ap;
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = lm_xrealloc(t->cells, (size_t)t->cap * (size_t)t->ncols * sizeof(char *));
	}
	va_start(ap, t);
	for (int i = 0; i < t->ncols; i++) {
		const char *c = va_arg(ap, const char *);
		t->cells[t->nrows * t->ncols + i] = lm_xstrdup(c ? c : "-");
	}
	va_end(ap);
	t->nrows++;
}

/* Display width of a UTF-8 string (code points; good enough for our text). */
static int width(const char *s)
{
	int w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void ui_table_print(const struct lm_ctx *ctx, struct ui_table *t, FILE *f)
{
	int *w = lm_xcalloc((size_t)t->ncols, sizeof(int));

	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++) {
			int cw = width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (int r = 0; r < t->nrows; r++) {
		if (r == 0)
			fputs(ui_bold(ctx), f);
		for (int c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			int pad = w[c] - width(cell);
			int last = c == t->ncols - 1;
			if (t->right_align & (1u << c)) {
				fprintf(f, "%*s%s", pad, "", cell);
			} else {
				fputs(cell, f);
				if (!last)
					fprintf(f, "%*s", pad, "");
			}
			if (!last)
				fputs("  ", f);
		}
		if (r == 0)
			fputs(ui_reset(ctx), f);
		fputc('\n', f);
	}
	free(w);
}

void ui_table_release(struct ui_table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

const char *ui_bold(const struct lm_ctx *ctx) { return ctx && ctx->color ? "\033[1m" : ""; }
const char *ui_dim(const struct lm_ctx *ctx) { return ctx && ctx->color ? "\033[2m" : ""; }
const char *ui_red(const struct lm_ctx *ctx) { return ctx && ctx->color ? "\033[31m" : ""; }
const char *ui_green(const struct lm_ctx *ctx) { return ctx && ctx->color ? "\033[32m" : ""; }
const char *ui_yellow(const struct lm_ctx *ctx) { return ctx && ctx->color ? "\033[33m" : ""; }
const char *ui_reset(const struct lm_ctx *ctx) { return ctx && ctx->color ? "\033[0m" : ""; }

static int progress_shown;

void ui_progress(const struct lm_ctx *ctx, const char *label, uint64_t done, uint64_t total,
		 double rate, const char *extra)
{
	char d[32], t[32], r[32], eta[32] = "";

	if (!ctx || !ctx->stderr_tty || ctx->quiet || ctx->json)
		return;
	lm_format_size(done, d, sizeof(d));
	lm_format_size(total, t, sizeof(t));
	lm_format_size((uint64_t)rate, r, sizeof(r));
	if (rate > 0 && total > done) {
		unsigned long s = (unsigned long)((double)(total - done) / rate);
		snprintf(eta, sizeof(eta), " ETA %lu:%02lu", s / 60, s % 60);
	}
	int pct = total ? (int)(done * 100 / total) : 0;
	int bar = pct / 5;
	fprintf(stderr, "\r\033[K%s [%.*s%*s] %3d%% %s/%s %s/s%s%s%s", label, bar,
		"####################", 20 - bar, "", pct, d, t, r, eta, extra ? " " : "",
		extra ? extra : "");
	fflush(stderr);
	progress_shown = 1;
}

void ui_progress_done(const struct lm_ctx *ctx)
{
	(void)ctx;
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_shown = 0;
	}
}

int ui_ask(const char *question, const char *choices)
{
	char line[64];
	FILE *tty = fopen("/dev/tty", "r+");
	FILE *in = tty ? tty : stdin, *out = tty ? tty : stderr;

	for (;;) {
		fprintf(out, "%s [%s] ", question, choices);
		fflush(out);
		if (!fgets(line, sizeof(line), in)) {
			if (tty)
				fclose(tty);
			return 0;
		}
		int c = line[0] >= 'A' && line[0] <= 'Z' ? line[0] + 32 : line[0];
		if (c && c != '\n' && strchr(choices, c)) {
			if (tty)
				fclose(tty);
			return c;
		}
	}
}
