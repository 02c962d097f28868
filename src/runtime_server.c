/* runtime_server: llama-server's command line and the router's model
 * preset, from what serve resolved and the fit chose (see runtime.h). */
#include "localmodel/runtime.h"
#include "localmodel/paths.h"
#include "runtime_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- what a binary accepts ------------------------------------------ */

/* llama.cpp's --help puts an option's flags first and its help text at
 * column 40 (on the next line when the flags are longer). */
#define HELP_COLUMN 40

/* Add the flags of one help line: its text before the help column, split
 * on ", " and " "; only words that look like flags. */
static void caps_line(const char *line, size_t len, char **out, size_t *olen)
{
	const char *end = line + len;

	if (len > HELP_COLUMN && line[HELP_COLUMN - 1] == ' ' && line[HELP_COLUMN] != ' ')
		end = line + HELP_COLUMN;
	for (const char *w = line; w < end;) {
		size_t n = strcspn(w, ", ");
		if (w + n > end)
			n = (size_t)(end - w);
		if (n >= 2 && w[0] == '-' && (isalpha((unsigned char)w[1]) ||
					      (w[1] == '-' && n > 2 && isalpha((unsigned char)w[2])))) {
			*out = lm_xrealloc(*out, *olen + n + 2);
			memcpy(*out + *olen, w, n);
			*olen += n;
			(*out)[(*olen)++] = '\n';
			(*out)[*olen] = '\0';
		}
		w += n;
		w += strspn(w, ", ");
	}
}

int rt_caps_parse(const char *help, struct rt_caps *c)
{
	size_t len = 1;

	c->flags = lm_xstrdup("\n");
	for (const char *line = help; *line;) {
		size_t n = strcspn(line, "\n");
		if (line[0] == '-')
			caps_line(line, n, &c->flags, &len);
		line += n;
		if (*line)
			line++;
	}
	return len > 1 ? 0 : -1;
}

int rt_caps_has(const struct rt_caps *c, const char *flag)
{
	char want[128];

	if (!c || !c->flags)
		return 0;
	snprintf(want, sizeof(want), "\n%s\n", flag);
	return strstr(c->flags, want) != NULL;
}

void rt_caps_release(struct rt_caps *c)
{
	free(c->flags);
	c->flags = NULL;
}

/* The cache file of a binary: a hash of its path, size and mtime. */
static char *caps_cache_path(const char *server, const char *cache_dir)
{
	struct stat st;
	char key[PATH_MAX + 64];
	uint64_t h = 1469598103934665603ull;

	if (!cache_dir || stat(server, &st) < 0)
		return NULL;
	snprintf(key, sizeof(key), "%s\n%lld\n%lld", server, (long long)st.st_size,
		 (long long)st.st_mtime);
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return lm_asprintf("%s/%016llx.flags", cache_dir, (unsigned long long)h);
}

int rt_caps_load(const char *server, const char *cache_dir, struct rt_caps *c,
		 struct lm_err *err)
{
	char *path = caps_cache_path(server, cache_dir), *text = NULL;
	size_t len;
	int rc;

	c->flags = NULL;
	if (path && lm_read_file(path, 1 << 20, &text, &len, NULL) == LM_OK && len > 1) {
		c->flags = text;
		free(path);
		return LM_OK;
	}
	free(text);
	if ((rc = rt_run_capture(server, "--help", &text, err)) == LM_OK &&
	    rt_caps_parse(text, c) < 0)
		rc = lm_err_set(err, LM_EFAIL, "'%s --help' listed no flags", server);
	if (rc == LM_OK && path && paths_ensure_dir(cache_dir, NULL) == LM_OK)
		lm_write_file_atomic(path, c->flags, strlen(c->flags), 0600, NULL);
	if (rc)
		rt_caps_release(c);
	free(text);
	free(path);
	return rc;
}

const char *rt_kv_for_heads(const char *kv, int explicit_kv, unsigned key_len, unsigned val_len)
{
	if (explicit_kv || !strcmp(kv, "f16"))
		return kv;
	if ((key_len && key_len % 32) || (val_len && val_len % 32))
		return "f16";
	return kv;
}

/* A growing NULL-ended argv. */
struct argv {
	char **v;
	int n, cap;
};

static void add(struct argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = lm_xrealloc(a->v, (size_t)a->cap * sizeof(char *));
	}
	a->v[a->n++] = lm_xstrdup(s);
	a->v[a->n] = NULL;
}

static void add_num(struct argv *a, const char *flag, long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%ld", v);
	add(a, flag);
	add(a, num);
}

/* What the one model needs: its file, context, offload and name. */
static void add_single(struct argv *a, const struct rt_server *s)
{
	const struct rt_model *m = &s->models[0];

	add(a, "-m");
	add(a, m->path);
	add_num(a, "-c", m->ctx ? m->ctx : 4096);
	add(a, "-ngl");
	add(a, m->ngl && m->ngl[0] ? m->ngl : "auto");
	add(a, "--alias");
	add(a, s->alias);
}

static int extra_has(const struct rt_server *s, const char *flag)
{
	for (int i = 0; i < s->nextra; i++)
		if (!strcmp(s->extra[i], flag))
			return 1;
	return 0;
}

/* The flags that keep the server to its user, where the binary has them. */
static void add_safety(struct argv *a, const struct rt_server *s)
{
	if (s->kv_unified && rt_caps_has(s->caps, "--kv-unified"))
		add(a, "--kv-unified");
	if (rt_caps_has(s->caps, "--cors-origins") && !extra_has(s, "--cors-origins")) {
		add(a, "--cors-origins");
		add(a, "localhost");
	}
	if (rt_caps_has(s->caps, "--no-slots") && !extra_has(s, "--slots"))
		add(a, "--no-slots");
	if (s->router && rt_caps_has(s->caps, "--offline"))
		add(a, "--offline");
}

char **rt_server_argv(const struct rt_server *s)
{
	struct argv a = { 0 };
	/* one model: its own cache type; a router: the default, with
	 * per-model exceptions in the preset */
	const char *kv = !s->router && s->models[0].kv ? s->models[0].kv : s->kv;

	add(&a, s->binary);
	if (!s->router) {
		add_single(&a, s);
	} else {
		add(&a, "--models-preset");
		add(&a, s->preset_path);
		add_num(&a, "--models-max", s->max_loaded);
	}
	add(&a, "--host");
	add(&a, s->host);
	add_num(&a, "--port", s->port);
	if (!s->router) {
		/* a router's command-line flags would override every model's own
		 * settings: its defaults go in the preset's [*] section */
		add(&a, "-fa");
		add(&a, s->flash_attn);
		add(&a, "-ctk");
		add(&a, kv);
		add(&a, "-ctv");
		add(&a, kv);
	}
	add(&a, "--jinja");
	add(&a, "--metrics");
	if (s->parallel > 0)
		add_num(&a, "-np", s->parallel);
	if (s->idle > 0)
		add_num(&a, "--sleep-idle-seconds", s->idle);
	if (s->key_file && s->key_file[0]) {
		add(&a, "--api-key-file");
		add(&a, s->key_file);
	}
	add_safety(&a, s);
	for (int i = 0; i < s->nextra; i++)
		add(&a, s->extra[i]);
	return a.v;
}

void rt_argv_free(char **argv)
{
	for (int i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

void rt_preset_name(const char *name, char *out, size_t size)
{
	const char *colon = strrchr(name, ':');

	lm_strlcpy(out, name, size);
	if (!colon || (size_t)(colon - name) + 1 >= size)
		return;
	for (char *p = out + (colon - name) + 1; *p; p++) {
		if (*p == '-' || *p == '.')
			*p = '_';
		else
			*p = (char)toupper((unsigned char)*p);
	}
}

char *rt_server_preset(const struct rt_server *s)
{
	char *out = lm_asprintf("[*]\nflash-attn = %s\ncache-type-k = %s\ncache-type-v = %s\n",
				s->flash_attn, s->kv, s->kv);

	for (size_t i = 0; i < s->nmodels; i++) {
		const struct rt_model *m = &s->models[i];
		char extra[800] = "", section[512];
		size_t n = 0;
		rt_preset_name(m->name, section, sizeof(section));
		if (strcmp(section, m->name))
			n += (size_t)snprintf(extra + n, sizeof(extra) - n, "alias = %s\n", m->name);
		if (m->ctx)
			n += (size_t)snprintf(extra + n, sizeof(extra) - n, "ctx-size = %ld\n", m->ctx);
		if (m->ngl && m->ngl[0])
			n += (size_t)snprintf(extra + n, sizeof(extra) - n, "n-gpu-layers = %s\n", m->ngl);
		if (m->kv && strcmp(m->kv, s->kv))
			snprintf(extra + n, sizeof(extra) - n, "cache-type-k = %s\ncache-type-v = %s\n",
				 m->kv, m->kv);
		char *next = lm_asprintf("%s\n[%s]\nmodel = %s\n%s", out, section, m->path, extra);
		free(out);
		out = next;
	}
	return out;
}
