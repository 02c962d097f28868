/* runtime_server: llama-server's command line and the router's model
 * preset, from what serve resolved and the fit chose (see runtime.h). */
#include "localmodel/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	add(&a, "-fa");
	add(&a, s->flash_attn);
	add(&a, "-ctk");
	add(&a, kv);
	add(&a, "-ctv");
	add(&a, kv);
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

char *rt_server_preset(const struct rt_server *s)
{
	char *out = lm_xstrdup("");

	for (size_t i = 0; i < s->nmodels; i++) {
		const struct rt_model *m = &s->models[i];
		char extra[200] = "";
		size_t n = 0;
		if (m->ctx)
			n += (size_t)snprintf(extra + n, sizeof(extra) - n, "ctx-size = %ld\n", m->ctx);
		if (m->ngl && m->ngl[0])
			n += (size_t)snprintf(extra + n, sizeof(extra) - n, "n-gpu-layers = %s\n", m->ngl);
		if (m->kv && strcmp(m->kv, s->kv))
			snprintf(extra + n, sizeof(extra) - n, "cache-type-k = %s\ncache-type-v = %s\n",
				 m->kv, m->kv);
		char *next = lm_asprintf("%s%s[%s]\nmodel = %s\n%s", out, i ? "\n" : "", m->name,
					 m->path, extra);
		free(out);
		out = next;
	}
	return out;
}
