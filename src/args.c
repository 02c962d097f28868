/* args: declarative option tables, "did you mean" and per-command help. */
#include "localmodel/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct lm_opt lm_common_opts[] = {
	{ "json", 0, LM_OPT_FLAG, NULL, "print one JSON document on stdout" },
	{ "quiet", 'q', LM_OPT_FLAG, NULL, "print nothing but errors" },
	{ "help", 'h', LM_OPT_FLAG, NULL, "show this help" },
	LM_OPT_END,
};

static int count_opts(const struct lm_opt *o)
{
	int n = 0;
	while (o && o[n].name)
		n++;
	return n;
}

/* The i-th option of the combined table (command options, then common). */
static const struct lm_opt *opt_at(const struct lm_args *a, int i)
{
	int n = count_opts(a->opts);
	return i < n ? &a->opts[i] : &lm_common_opts[i - n];
}

static int find_long(const struct lm_args *a, const char *name, size_t len)
{
	for (int i = 0; i < a->nopts; i++) {
		const struct lm_opt *o = opt_at(a, i);
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return i;
	}
	return -1;
}

static int find_short(const struct lm_args *a, char c)
{
	for (int i = 0; i < a->nopts; i++)
		if (opt_at(a, i)->short_name == c)
			return i;
	return -1;
}

static int unknown(const struct lm_args *a, const char *arg, struct lm_err *err)
{
	const char *name = arg + strspn(arg, "-");
	size_t len = strcspn(name, "=");
	char buf[64];
	const char *best = NULL;
	int bestd = 3;

	snprintf(buf, sizeof(buf), "%.*s", (int)(len < 60 ? len : 60), name);
	for (int i = 0; i < a->nopts; i++) {
		int d = lm_edit_distance(buf, opt_at(a, i)->name);
		if (d < bestd || (len >= 3 && lm_starts_with(opt_at(a, i)->name, buf) && d < 99 &&
				  !best)) {
			bestd = d < bestd ? d : bestd;
			best = opt_at(a, i)->name;
		}
	}
	if (best)
		return lm_err_set(err, LM_EUSAGE, "unknown option '%s'; did you mean '--%s'?", arg,
				  best);
	return lm_err_set(err, LM_EUSAGE, "unknown option '%s'", arg);
}

static void set_opt(struct lm_args *a, int i, const char *v)
{
	a->count[i]++;
	a->value[i] = v;
	if (opt_at(a, i)->kind == LM_OPT_LIST) {
		a->listval[a->nlist] = v;
		a->listopt[a->nlist++] = i;
	}
}

int args_parse(struct lm_args *a, const struct lm_opt *opts, int argc, char **argv,
	       struct lm_err *err)
{
	memset(a, 0, sizeof(*a));
	a->opts = opts;
	a->nopts = count_opts(opts) + count_opts(lm_common_opts);
	if (a->nopts > LM_MAX_OPTS)
		return lm_err_set(err, LM_EFAIL, "too many options");
	a->pos = lm_xcalloc((size_t)argc + 1, sizeof(char *));
	a->listval = lm_xcalloc((size_t)argc + 1, sizeof(char *));
	a->listopt = lm_xcalloc((size_t)argc + 1, sizeof(int));
	for (int k = 1; k < argc; k++) {
		char *arg = argv[k];
		if (!strcmp(arg, "--")) {
			a->has_dashdash = 1;
			a->extra = &argv[k + 1];
			a->nextra = argc - k - 1;
			break;
		}
		if (arg[0] == '-' && arg[1] == '-') {
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int i = find_long(a, name, len);
			if (i < 0)
				return unknown(a, arg, err);
			const struct lm_opt *o = opt_at(a, i);
			if (o->kind == LM_OPT_FLAG) {
				if (eq)
					return lm_err_set(err, LM_EUSAGE, "option '--%s' takes no value",
							  o->name);
				set_opt(a, i, NULL);
			} else if (eq) {
				set_opt(a, i, eq + 1);
			} else if (k + 1 < argc) {
				set_opt(a, i, argv[++k]);
			} else {
				return lm_err_set(err, LM_EUSAGE, "option '--%s' needs a value", o->name);
			}
		} else if (arg[0] == '-' && arg[1] && !(arg[1] >= '0' && arg[1] <= '9')) {
			for (const char *c = arg + 1; *c; c++) {
				int i = find_short(a, *c);
				if (i < 0) {
					char b[3] = { '-', *c, 0 };
					return unknown(a, b, err);
				}
				const struct lm_opt *o = opt_at(a, i);
				if (o->kind == LM_OPT_FLAG) {
					set_opt(a, i, NULL);
				} else if (c[1]) {
					set_opt(a, i, c + 1);
					break;
				} else if (k + 1 < argc) {
					set_opt(a, i, argv[++k]);
					break;
				} else {
					return lm_err_set(err, LM_EUSAGE, "option '-%c' needs a value", *c);
				}
			}
		} else {
			a->pos[a->npos++] = arg;
		}
	}
	return LM_OK;
}

void args_release(struct lm_args *a)
{
	free(a->pos);
	free(a->listval);
	free(a->listopt);
	a->pos = NULL;
	a->listval = NULL;
	a->listopt = NULL;
	a->nlist = 0;
}

/* The slot of a declared option. A name the command never declared is a
 * mistake in the code, not in the user's input: it stops the program
 * rather than read as "not given" (tests/e2e/t0004-options.sh finds such
 * names in the sources before they run). */
static int index_of(const struct lm_args *a, const char *name)
{
	int i = find_long(a, name, strlen(name));

	if (i < 0) {
		fprintf(stderr, "localmodel: internal error: option '--%s' is not declared\n", name);
		abort();
	}
	return i;
}

int args_has(const struct lm_args *a, const char *name)
{
	int i = index_of(a, name);
	return i >= 0 && a->count[i] > 0;
}

const char *args_get(const struct lm_args *a, const char *name)
{
	int i = index_of(a, name);
	return i >= 0 && a->count[i] ? a->value[i] : NULL;
}

const char **args_get_all(const struct lm_args *a, const char *name, int *n)
{
	int i = index_of(a, name), k = 0;
	const char **out;

	if (opt_at(a, i)->kind != LM_OPT_LIST) {
		fprintf(stderr, "localmodel: internal error: option '--%s' is not repeatable\n", name);
		abort();
	}
	out = lm_xcalloc((size_t)a->count[i] + 1, sizeof(*out));
	for (int j = 0; j < a->nlist; j++)
		if (a->listopt[j] == i)
			out[k++] = a->listval[j];
	if (n)
		*n = k;
	return out;
}

int args_get_long(const struct lm_args *a, const char *name, long min, long max, long *out,
		  struct lm_err *err)
{
	const char *v = args_get(a, name);
	if (!v)
		return LM_OK;
	if (lm_parse_long(v, min, max, out) < 0)
		return lm_err_set(err, LM_EUSAGE, "bad value for '--%s': '%s' (want %ld..%ld)", name,
				  v, min, max);
	return LM_OK;
}

int args_get_size(const struct lm_args *a, const char *name, uint64_t *out, struct lm_err *err)
{
	const char *v = args_get(a, name);
	if (!v)
		return LM_OK;
	if (lm_parse_size(v, out) < 0)
		return lm_err_set(err, LM_EUSAGE, "bad size for '--%s': '%s' (e.g. 8G, 16GiB, 512M)",
				  name, v);
	return LM_OK;
}

int args_want_pos(const struct lm_args *a, int min, int max, struct lm_err *err)
{
	if (a->npos < min)
		return lm_err_set(err, LM_EUSAGE, "missing argument (see --help)");
	if (max >= 0 && a->npos > max)
		return lm_err_set(err, LM_EUSAGE, "unexpected argument '%s'", a->pos[max]);
	return LM_OK;
}

static void print_opts(const struct lm_opt *o)
{
	for (; o && o->name; o++) {
		char left[64];
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->metavar ? " " : "", o->metavar ? o->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");
		printf("  %-28s %s%s\n", left, o->help, o->kind == LM_OPT_LIST ? " (repeatable)" : "");
	}
}

int args_subcommand(const struct lm_args *a, const struct lm_subcmd *subs,
		    const struct lm_subcmd **out, struct lm_err *err)
{
	char names[200] = "";

	*out = NULL;
	if (!subs || a->npos == 0)
		return LM_OK;
	for (const struct lm_subcmd *s = subs; s->name; s++) {
		if (strcmp(s->name, a->pos[0])) {
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", s->name);
			continue;
		}
		int n = a->npos - 1;
		if (n < s->min_args || n > s->max_args) {
			if (s->min_args == s->max_args && s->min_args == 1)
				return lm_err_set(err, LM_EUSAGE, "'%s' needs one %s", s->name, s->metavar);
			return lm_err_set(err, LM_EUSAGE, "'%s' takes %d to %d arguments, not %d",
					  s->name, s->min_args, s->max_args, n);
		}
		*out = s;
		return LM_OK;
	}
	return lm_err_set(err, LM_EUSAGE, "unknown subcommand '%s' (%s)", a->pos[0], names);
}

void cmd_print_help(const struct lm_cmd *c)
{
	printf("usage: %s\n\n%s\n", c->usage, c->summary);
	if (c->description)
		printf("\n%s\n", c->description);
	if (c->opts && c->opts->name) {
		printf("\noptions:\n");
		print_opts(c->opts);
	}
	printf("\ncommon options:\n");
	print_opts(lm_common_opts);
	printf("\nSee 'man localmodel' for exit codes and files.\n");
}
