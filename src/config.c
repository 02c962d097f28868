/* config: `key = value` file plus LOCALMODEL_<KEY> environment overrides. */
#include "localmodel/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_type { K_NUM, K_INT, K_STR };

struct key_def {
	const char *name;
	enum key_type type;
	double min, max;
	size_t offset;
	size_t size; /* for K_STR */
};

#define OFF(f) offsetof(struct lm_config, f)
static const struct key_def keys[] = {
	{ "reserve_gb", K_NUM, 0, 1e6, OFF(reserve_gb), 0 },
	{ "stale_days", K_INT, 1, 36500, OFF(stale_days), 0 },
	{ "nudge_min_gb", K_NUM, 0, 1e9, OFF(nudge_min_gb), 0 },
	{ "port", K_INT, 1, 65535, OFF(port), 0 },
	{ "host", K_STR, 0, 0, OFF(host), sizeof(((struct lm_config *)0)->host) },
	{ "cloud_price_in", K_NUM, 0, 1e6, OFF(cloud_price_in), 0 },
	{ "cloud_price_out", K_NUM, 0, 1e6, OFF(cloud_price_out), 0 },
	{ "connections", K_INT, 0, 64, OFF(connections), 0 },
	{ "backend", K_STR, 0, 0, OFF(backend), sizeof(((struct lm_config *)0)->backend) },
	{ "swap_limit_gb", K_NUM, -1, 1e6, OFF(swap_limit_gb), 0 },
	{ "pressure_limit", K_NUM, -1, 100, OFF(pressure_limit), 0 },
	{ "keep", K_STR, 0, 0, OFF(keep), sizeof(((struct lm_config *)0)->keep) },
	{ "calibrate", K_INT, 0, 1, OFF(calibrate), 0 },
	{ "peers", K_STR, 0, 0, OFF(peers), sizeof(((struct lm_config *)0)->peers) },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *const *config_keys(void)
{
	static const char *names[NKEYS + 1];
	for (size_t i = 0; i < NKEYS; i++)
		names[i] = keys[i].name;
	names[NKEYS] = NULL;
	return names;
}

int config_get(const struct lm_config *c, const char *key, char *buf, size_t size)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];
		const char *p = (const char *)c + k->offset;
		if (strcmp(k->name, key))
			continue;
		if (k->type == K_STR)
			snprintf(buf, size, "%s", p);
		else if (k->type == K_INT)
			snprintf(buf, size, "%d", *(const int *)(const void *)p);
		else
			snprintf(buf, size, "%g", *(const double *)(const void *)p);
		return 0;
	}
	return -1;
}

void config_defaults(struct lm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->reserve_gb = 2;
	c->stale_days = 30;
	c->nudge_min_gb = 5;
	c->port = 8080;
	lm_strlcpy(c->host, "127.0.0.1", sizeof(c->host));
	lm_strlcpy(c->backend, "auto", sizeof(c->backend));
	c->calibrate = 1;
}

static void add_warning(struct lm_config *c, const char *fmt, const char *a, int line)
{
	if (c->nwarnings < LM_CONFIG_MAX_WARN)
		snprintf(c->warnings[c->nwarnings++], sizeof(c->warnings[0]), fmt, a, line);
}

static int set_value(struct lm_config *c, const struct key_def *k, const char *v,
		     struct lm_err *err)
{
	char *p = (char *)c + k->offset;
	char *end;

	if (k->type == K_STR) {
		if (!*v || strlen(v) >= k->size)
			return lm_err_set(err, LM_EUSAGE, "bad value for '%s': '%s'", k->name, v);
		if (!strcmp(k->name, "backend") && strcmp(v, "auto") && strcmp(v, "cpu") &&
		    strcmp(v, "vulkan") && strcmp(v, "rocm") && strcmp(v, "metal"))
			return lm_err_set(err, LM_EUSAGE,
					  "bad value for 'backend': '%s' (auto, cpu, vulkan, rocm, metal)", v);
		lm_strlcpy(p, v, k->size);
		return LM_OK;
	}
	errno = 0;
	double d = strtod(v, &end);
	if (!*v || *end || errno || !isfinite(d) || d < k->min || d > k->max ||
	    (k->type == K_INT && d != floor(d)))
		return lm_err_set(err, LM_EUSAGE, "bad value for '%s': '%s' (want %s %g..%g)",
				  k->name, v, k->type == K_INT ? "an integer" : "a number", k->min,
				  k->max);
	if (k->type == K_INT)
		*(int *)p = (int)d;
	else
		*(double *)p = d;
	return LM_OK;
}

static const struct key_def *find_key(const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, key))
			return &keys[i];
	return NULL;
}

int config_set(struct lm_config *c, const char *key, const char *value, struct lm_err *err)
{
	const struct key_def *k = find_key(key);
	if (!k)
		return lm_err_set(err, LM_EUSAGE, "unknown key '%s'", key);
	return set_value(c, k, value, err);
}

static char *trim(char *s)
{
	char *e;
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int load_file(struct lm_config *c, const char *path, struct lm_err *err)
{
	char *buf, *line;
	size_t len;
	int lineno = 0, rc;

	rc = lm_read_file(path, 1 << 20, &buf, &len, err);
	if (rc == LM_ENOTFOUND)
		return LM_OK;
	if (rc)
		return rc;
	/* strtok_r skips empty lines, so count lines by hand */
	for (line = buf; line; ) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		char *s = trim(line);
		if (*s && *s != '#') {
			char *eq = strchr(s, '=');
			if (!eq) {
				rc = lm_err_set(err, LM_EUSAGE, "%s:%d: expected 'key = value'", path, lineno);
				break;
			}
			*eq = '\0';
			char *key = trim(s), *val = trim(eq + 1);
			size_t vl = strlen(val);
			if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
				val[vl - 1] = '\0';
				val++;
			}
			const struct key_def *k = find_key(key);
			if (!k) {
				add_warning(c, "unknown config key '%s' (line %d)", key, lineno);
			} else if ((rc = set_value(c, k, val, err)) != LM_OK) {
				lm_err_prefix(err, "%s:%d", path, lineno);
				break;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(buf);
	return rc;
}

static int load_env(struct lm_config *c, struct lm_err *err)
{
	for (size_t i = 0; i < NKEYS; i++) {
		char var[64];
		size_t j;
		memcpy(var, "LOCALMODEL_", 11);
		for (j = 0; keys[i].name[j] && j + 12 < sizeof(var); j++)
			var[11 + j] = (char)toupper((unsigned char)keys[i].name[j]);
		var[11 + j] = '\0';
		const char *v = getenv(var);
		if (v && *v && set_value(c, &keys[i], v, err) != LM_OK)
			return lm_err_prefix(err, "environment %s", var);
	}
	return LM_OK;
}

int config_load(struct lm_config *c, const char *path, struct lm_err *err)
{
	int rc = load_file(c, path, err);
	return rc ? rc : load_env(c, err);
}
