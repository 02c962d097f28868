/* quant_select: GGUF file naming in a repo (quant labels, split parts),
 * grouping files into models, and choosing which one to pull. */
#include "localmodel/hub.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int hub_is_gguf(const char *path)
{
	return lm_ends_with_ci(path, ".gguf");
}

/* Case-insensitive substring test. */
static int contains_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);
	for (; *s; s++)
		if (!strncasecmp(s, needle, n))
			return 1;
	return 0;
}

int hub_is_aux(const char *path)
{
	const char *b = base_name(path);
	return contains_ci(b, "mmproj") || contains_ci(b, "imatrix");
}

/* Offset of "-NNNNN-of-NNNNN.gguf" at the end of path, or -1. */
static long split_offset(const char *path, int *index, int *count)
{
	size_t len = strlen(path);
	const size_t tail = strlen("-00001-of-00003.gguf");
	const char *t;

	if (len < tail + 1 || !hub_is_gguf(path))
		return -1;
	t = path + len - tail;
	if (t[0] != '-' || strncasecmp(t + 6, "-of-", 4) != 0)
		return -1;
	for (int i = 0; i < 5; i++)
		if (!isdigit((unsigned char)t[1 + i]) || !isdigit((unsigned char)t[10 + i]))
			return -1;
	int a = atoi(t + 1), b = atoi(t + 10);
	if (a < 1 || b < 1 || a > b)
		return -1;
	if (index)
		*index = a;
	if (count)
		*count = b;
	return (long)(t - path);
}

int hub_split_info(const char *path, int *index, int *count)
{
	int i, c;
	if (split_offset(path, &i, &c) < 0)
		return 0;
	*index = i;
	*count = c;
	return 1;
}

char *hub_split_part(const char *path, int index)
{
	int i, c;
	long off = split_offset(path, &i, &c);
	char *s;

	if (off < 0 || index < 1 || index > c)
		return NULL;
	s = lm_xstrdup(path);
	char digits[8];
	snprintf(digits, sizeof(digits), "%05d", index);
	memcpy(s + off + 1, digits, 5);
	return s;
}

/* Does this token look like a quant label (Q4_K_M, IQ2_XXS, F16, BF16...)? */
static int quant_token(const char *t, size_t n)
{
	static const char *const plain[] = { "F16", "F32", "F64", "BF16", "FP16", "FP32", "FP8" };
	char u[32];

	if (n == 0 || n >= sizeof(u))
		return 0;
	for (size_t i = 0; i < n; i++)
		u[i] = (char)toupper((unsigned char)t[i]);
	u[n] = '\0';
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(u, plain[i]))
			return 1;
	if ((u[0] == 'Q' && isdigit((unsigned char)u[1])) ||
	    ((u[0] == 'I' || u[0] == 'T') && u[1] == 'Q' && isdigit((unsigned char)u[2])) ||
	    (!strncmp(u, "MXFP", 4) && isdigit((unsigned char)u[4])))
		return 1;
	return 0;
}

/* Last quant-looking token of s[0..len) split on '-' and '.'. */
static int last_quant(const char *s, size_t len, char *buf, size_t size)
{
	size_t end = len;

	while (end > 0) {
		size_t start = end;
		while (start > 0 && s[start - 1] != '-' && s[start - 1] != '.')
			start--;
		if (quant_token(s + start, end - start) && end - start < size) {
			for (size_t i = 0; i < end - start; i++)
				buf[i] = (char)toupper((unsigned char)s[start + i]);
			buf[end - start] = '\0';
			return 1;
		}
		if (start == 0)
			break;
		end = start - 1;
	}
	return 0;
}

void hub_quant_label(const char *path, char *buf, size_t size)
{
	const char *b = base_name(path);
	size_t len = strlen(b);
	long off;

	buf[0] = '\0';
	if (size == 0)
		return;
	if ((off = split_offset(path, NULL, NULL)) >= 0)
		len = (size_t)(path + off - b);
	else if (lm_ends_with_ci(b, ".gguf"))
		len -= 5;
	if (last_quant(b, len, buf, size))
		return;
	/* then the folders, deepest first */
	size_t dlen = (size_t)(b - path);
	while (dlen > 0) {
		size_t end = dlen - 1, start = end;
		while (start > 0 && path[start - 1] != '/')
			start--;
		if (last_quant(path + start, end - start, buf, size))
			return;
		dlen = start;
	}
}

static int is_sep(char c)
{
	return c == '/' || c == '-' || c == '.';
}

/* quant at s, case-insensitive, its '-' and '.' matching either, followed by
 * the end or a separator. */
static int match_at(const char *s, const char *quant)
{
	for (; *quant; s++, quant++) {
		if (*quant == '-' || *quant == '.') {
			if (*s != '-' && *s != '.')
				return 0;
		} else if (!*s || tolower((unsigned char)*s) != tolower((unsigned char)*quant)) {
			return 0;
		}
	}
	return !*s || is_sep(*s);
}

int hub_quant_match(const char *path, const char *quant)
{
	if (!*quant || strchr(quant, '/'))
		return 0;
	for (const char *s = path; *s; s++)
		if ((s == path || is_sep(s[-1])) && match_at(s, quant))
			return 1;
	return 0;
}

void hub_file_list_free(struct hub_file *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].path);
		free(list[i].sha256);
		free(list[i].oid);
	}
	free(list);
}

void hub_group_list_free(struct hub_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].parts);
	free(g);
}

static int cmp_file_ptr(const void *a, const void *b)
{
	const struct hub_file *x = *(const struct hub_file *const *)a;
	const struct hub_file *y = *(const struct hub_file *const *)b;
	return strcmp(x->path, y->path);
}

/* The group key of a path: the path without its split suffix. */
static size_t group_key_len(const char *path)
{
	long off = split_offset(path, NULL, NULL);
	return off >= 0 ? (size_t)off : strlen(path);
}

int hub_group_files(const struct hub_file *files, size_t nfiles, struct hub_group **out,
		    size_t *n)
{
	const struct hub_file **v = lm_xcalloc(nfiles ? nfiles : 1, sizeof(*v));
	struct hub_group *g = NULL;
	size_t nv = 0, ng = 0;

	for (size_t i = 0; i < nfiles; i++)
		if (files[i].path && hub_is_gguf(files[i].path))
			v[nv++] = &files[i];
	qsort(v, nv, sizeof(*v), cmp_file_ptr);
	for (size_t i = 0; i < nv;) {
		size_t klen = group_key_len(v[i]->path), j = i;
		while (j < nv && group_key_len(v[j]->path) == klen &&
		       !strncmp(v[j]->path, v[i]->path, klen))
			j++;
		g = lm_xrealloc(g, (ng + 1) * sizeof(*g));
		struct hub_group *cur = &g[ng++];
		memset(cur, 0, sizeof(*cur));
		cur->parts = lm_xcalloc(j - i, sizeof(*cur->parts));
		int idx, cnt;
		cur->count = hub_split_info(v[i]->path, &idx, &cnt) ? cnt : 1;
		for (size_t k = i; k < j; k++) {
			cur->parts[cur->nparts++] = v[k];
			cur->size += v[k]->size;
		}
		hub_quant_label(v[i]->path, cur->quant, sizeof(cur->quant));
		cur->aux = hub_is_aux(v[i]->path);
		i = j;
	}
	free(v);
	*out = g;
	*n = ng;
	return LM_OK;
}

/* Comma-separated quant labels of the non-aux groups, for messages. */
static void list_quants(const struct hub_group *g, size_t n, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len + 2 < size; i++) {
		if (g[i].aux)
			continue;
		const char *q = g[i].quant[0] ? g[i].quant : g[i].parts[0]->path;
		int seen = 0;
		for (size_t k = 0; k < i; k++)
			if (!g[k].aux && !strcmp(g[k].quant[0] ? g[k].quant : g[k].parts[0]->path, q))
				seen = 1;
		if (seen)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", q);
		if (len >= size)
			len = size - 1;
	}
}

static int select_file(const struct hub_group *g, size_t n, const char *file, size_t *chosen,
		       struct lm_err *err)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < g[i].nparts; k++)
			if (!strcmp(g[i].parts[k]->path, file)) {
				*chosen = i;
				return LM_OK;
			}
	return lm_err_set(err, LM_ENOTFOUND, "no GGUF file '%s' in the repo", file);
}

static int select_quant(const struct hub_group *g, size_t n, const char *quant, size_t *chosen,
			struct lm_err *err)
{
	size_t found = 0, first = 0;
	char avail[256];

	for (size_t i = 0; i < n; i++) {
		if (g[i].aux || !hub_quant_match(g[i].parts[0]->path, quant))
			continue;
		if (!found++)
			first = i;
	}
	if (found == 1) {
		*chosen = first;
		return LM_OK;
	}
	if (found > 1) {
		size_t second = first + 1;
		while (g[second].aux || !hub_quant_match(g[second].parts[0]->path, quant))
			second++;
		return lm_err_set(err, LM_EUSAGE,
				  "quant '%s' matches several files ('%s', '%s'); choose one with --file",
				  quant, g[first].parts[0]->path, g[second].parts[0]->path);
	}
	list_quants(g, n, avail, sizeof(avail));
	return lm_err_set(err, LM_ENOTFOUND, "no '%s' file in the repo (available: %s)", quant,
			  avail[0] ? avail : "none");
}

/* Order of preference when nothing says what fits. */
static int pref_rank(const char *q)
{
	static const char *const order[] = { "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q4_0", "IQ4_XS",
					     "Q5_K_S", "Q6_K", "Q8_0", "IQ4_NL", "Q3_K_M" };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(q, order[i]))
			return (int)i;
	return 100;
}

static int is_float(const char *q)
{
	return !strcmp(q, "F16") || !strcmp(q, "BF16") || !strcmp(q, "F32") || !strcmp(q, "FP16") ||
	       !strcmp(q, "FP32") || !strcmp(q, "F64");
}

/* Is candidate a better automatic choice than b? The preference order
 * first (Q4_K_M, then nearby quants), then non-float, then larger. */
static int better(const struct hub_group *a, const struct hub_group *b)
{
	int ra = pref_rank(a->quant), rb = pref_rank(b->quant);
	int fa = is_float(a->quant), fb = is_float(b->quant);

	if (ra != rb)
		return ra < rb;
	if (fa != fb)
		return fb;
	return a->size > b->size;
}

/* Best automatic choice among the complete, non-aux groups that fit (or
 * whose fit is unknown): Q4_K_M when it fits, else the preference order,
 * else the largest non-float quant that fits. */
static int select_auto(const struct hub_group *g, size_t n, hub_fits_fn fits, void *fctx,
		       size_t *chosen, struct lm_err *err)
{
	long best = -1, smallest = -1;
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		if (g[i].aux || g[i].nparts != g[i].count)
			continue;
		any = 1;
		if (smallest < 0 || g[i].size < g[(size_t)smallest].size)
			smallest = (long)i;
		if (fits && fits(fctx, &g[i]) == 0)
			continue;
		if (best < 0 || better(&g[i], &g[(size_t)best]))
			best = (long)i;
	}
	if (!any)
		return lm_err_set(err, LM_ENOTFOUND, "no GGUF model file in the repo");
	if (best < 0) {
		char sz[32];
		const struct hub_group *s = &g[(size_t)smallest];
		lm_format_size(s->size, sz, sizeof(sz));
		return lm_err_set(err, LM_ERESOURCE,
				  "no file of the repo fits this machine (smallest: %s, %s); "
				  "name a quant to pull it anyway",
				  s->quant[0] ? s->quant : s->parts[0]->path, sz);
	}
	*chosen = (size_t)best;
	return LM_OK;
}

int hub_select(const struct hub_group *groups, size_t n, const char *quant, const char *file,
	       hub_fits_fn fits, void *fits_ctx, size_t *chosen, struct lm_err *err)
{
	int rc;

	if (file)
		rc = select_file(groups, n, file, chosen, err);
	else if (quant && *quant)
		rc = select_quant(groups, n, quant, chosen, err);
	else
		return select_auto(groups, n, fits, fits_ctx, chosen, err);
	if (rc)
		return rc;
	const struct hub_group *g = &groups[*chosen];
	if (g->nparts != g->count)
		return lm_err_set(err, LM_ENOTFOUND, "'%s' is split in %d parts but the repo has %d",
				  g->parts[0]->path, g->count, g->nparts);
	return LM_OK;
}
