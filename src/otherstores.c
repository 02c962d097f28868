/* otherstores: read-only discovery of GGUF models in the HF hub cache, the
 * llama.cpp cache, LM Studio and Ollama. */
#include "localmodel/otherstores.h"
#include "localmodel/hub.h"
#include "localmodel/paths.h"

#include <cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALK_MAX_DEPTH 6
#define WALK_MAX_FILES 10000

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	return h && *h ? h : "/";
}

static int fmt(char *buf, size_t size, const char *f, const char *a, const char *b)
{
	int n = snprintf(buf, size, f, a, b);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* $XDG_CACHE_HOME or ~/.cache. */
static int cache_home(char *buf, size_t size)
{
	const char *x = getenv("XDG_CACHE_HOME");
	if (x && x[0] == '/')
		return fmt(buf, size, "%s%s", x, "");
	return fmt(buf, size, "%s/%s", home_dir(), ".cache");
}

int stores_hf_hub_dir(char *buf, size_t size)
{
	const char *v;
	char c[PATH_MAX];

	if ((v = getenv("HF_HUB_CACHE")) && *v)
		return fmt(buf, size, "%s%s", v, "");
	if ((v = getenv("HUGGINGFACE_HUB_CACHE")) && *v)
		return fmt(buf, size, "%s%s", v, "");
	if ((v = getenv("HF_HOME")) && *v)
		return fmt(buf, size, "%s/%s", v, "hub");
	if (cache_home(c, sizeof(c)) < 0)
		return -1;
	return fmt(buf, size, "%s/%s", c, "huggingface/hub");
}

int stores_llama_dir(char *buf, size_t size, int *is_env)
{
	const char *v = getenv("LLAMA_CACHE");
	char c[PATH_MAX];

	*is_env = v && *v;
	if (*is_env)
		return fmt(buf, size, "%s%s", v, "");
	if (cache_home(c, sizeof(c)) < 0)
		return -1;
	return fmt(buf, size, "%s/%s", c, "llama.cpp");
}

int stores_lmstudio_dir(char *buf, size_t size)
{
	char p[PATH_MAX], *data = NULL;
	size_t len;
	struct lm_err err;

	if (fmt(p, sizeof(p), "%s/%s", home_dir(), ".lmstudio-home-pointer") == 0 &&
	    lm_read_file(p, PATH_MAX, &data, &len, &err) == 0) {
		len = strcspn(data, "\r\n");
		while (len > 0 && isspace((unsigned char)data[len - 1]))
			len--;
		data[len] = '\0';
		int rc = data[0] == '/' ? fmt(buf, size, "%s/%s", data, "models") : -1;
		free(data);
		if (rc == 0)
			return 0;
	}
	if (fmt(p, sizeof(p), "%s/%s", home_dir(), ".cache/lm-studio") == 0 && paths_exists(p))
		return fmt(buf, size, "%s/%s", p, "models");
	return fmt(buf, size, "%s/%s", home_dir(), ".lmstudio/models");
}

int stores_ollama_dir(char *buf, size_t size)
{
	const char *v = getenv("OLLAMA_MODELS");
	if (v && *v)
		return fmt(buf, size, "%s%s", v, "");
	return fmt(buf, size, "%s/%s", home_dir(), ".ollama/models");
}

int stores_is_gguf_file(const char *path)
{
	char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, magic, 4);
	close(fd);
	return n == 4 && !memcmp(magic, "GGUF", 4);
}

/* ---- collecting ---------------------------------------------------------- */

struct found {
	struct lm_model *v;
	size_t n;
};

static void add_model(struct found *f, const char *name, const char *path, const char *repo,
		      int64_t size, const char *quant, const char *sha, const char *source,
		      int parts)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].model, name) && !strcmp(f->v[i].source, source))
			return; /* same model in an older snapshot */
	f->v = lm_xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	struct lm_model *m = &f->v[f->n++];
	memset(m, 0, sizeof(*m));
	m->model = lm_xstrdup(name);
	m->file_path = lm_xstrdup(path);
	m->repo_source = repo ? lm_xstrdup(repo) : NULL;
	m->size_bytes = size;
	m->quantization = quant && *quant ? lm_xstrdup(quant) : NULL;
	m->sha256 = sha ? lm_xstrdup(sha) : NULL;
	m->source = lm_xstrdup(source);
	m->parts = parts;
}

/* The GGUF files below dir (relative paths), following symlinks. */
struct walk {
	struct hub_file *files;
	size_t n;
	char **blobs; /* symlink target's base name per file, or NULL */
};

static void walk_release(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->blobs[i]);
	free(w->blobs);
	hub_file_list_free(w->files, w->n);
	memset(w, 0, sizeof(*w));
}

static void walk_dir(struct walk *w, const char *root, const char *rel, int depth)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *e;

	if (depth > WALK_MAX_DEPTH)
		return;
	if (fmt(dir, sizeof(dir), rel[0] ? "%s/%s" : "%s%s", root, rel) < 0 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && w->n < WALK_MAX_FILES) {
		char full[PATH_MAX], sub[PATH_MAX], link[PATH_MAX];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		if (fmt(full, sizeof(full), "%s/%s", dir, e->d_name) < 0 ||
		    (rel[0] ? fmt(sub, sizeof(sub), "%s/%s", rel, e->d_name)
			    : fmt(sub, sizeof(sub), "%s%s", e->d_name, "")) < 0)
			continue;
		if (stat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk_dir(w, root, sub, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !hub_is_gguf(e->d_name))
			continue;
		ssize_t ln = readlink(full, link, sizeof(link) - 1);
		w->files = lm_xrealloc(w->files, (w->n + 1) * sizeof(*w->files));
		w->blobs = lm_xrealloc(w->blobs, (w->n + 1) * sizeof(*w->blobs));
		memset(&w->files[w->n], 0, sizeof(w->files[0]));
		w->files[w->n].path = lm_xstrdup(sub);
		w->files[w->n].size = (uint64_t)st.st_size;
		w->blobs[w->n] = NULL;
		if (ln > 0) {
			link[ln] = '\0';
			const char *b = strrchr(link, '/');
			w->blobs[w->n] = lm_xstrdup(b ? b + 1 : link);
		}
		w->n++;
	}
	closedir(d);
}

static int is_sha256_hex(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return 0;
	return n == 64;
}

/* Add the groups of a walk under dir as models named prefix + ":" + quant. */
static void add_groups(struct found *f, struct walk *w, const char *dir, const char *prefix,
		       const char *repo, const char *source)
{
	struct hub_group *g;
	size_t ng;

	hub_group_files(w->files, w->n, &g, &ng);
	for (size_t i = 0; i < ng; i++) {
		char name[PATH_MAX], path[PATH_MAX];
		const struct hub_file *p0 = g[i].parts[0];
		const char *sha = NULL;
		if (g[i].aux || g[i].nparts != g[i].count)
			continue;
		for (size_t k = 0; k < w->n; k++)
			if (&w->files[k] == p0 && w->blobs[k] && is_sha256_hex(w->blobs[k]))
				sha = w->blobs[k];
		if (g[i].quant[0])
			snprintf(name, sizeof(name), "%s:%s", prefix, g[i].quant);
		else {
			const char *b = strrchr(p0->path, '/');
			b = b ? b + 1 : p0->path;
			snprintf(name, sizeof(name), "%s:%.*s", prefix, (int)(strlen(b) - 5), b);
		}
		if (fmt(path, sizeof(path), "%s/%s", dir, p0->path) < 0)
			continue;
		add_model(f, name, path, repo, (int64_t)g[i].size, g[i].quant, sha, source,
			  g[i].nparts);
	}
	hub_group_list_free(g, ng);
}

/* "models--org--repo" -> "org/repo" (caller frees), or NULL. */
static char *hf_repo_name(const char *dir)
{
	if (!lm_starts_with(dir, "models--"))
		return NULL;
	const char *s = dir + 8, *sep = strstr(s, "--");
	if (!sep || sep == s || !sep[2])
		return NULL;
	return lm_asprintf("%.*s/%s", (int)(sep - s), s, sep + 2);
}

/* One models--org--repo folder: the snapshot refs/main points at, then the others. */
static void scan_hf_repo(struct found *f, const char *root, const char *dname, const char *source)
{
	char *repo = hf_repo_name(dname), snaps[PATH_MAX], ref[PATH_MAX], *main_commit = NULL;
	size_t len;
	struct lm_err err;
	DIR *d;
	struct dirent *e;

	if (!repo)
		return;
	if (fmt(snaps, sizeof(snaps), "%s/%s/snapshots", root, dname) < 0 ||
	    fmt(ref, sizeof(ref), "%s/%s/refs/main", root, dname) < 0)
		goto out;
	if (lm_read_file(ref, 256, &main_commit, &len, &err) == 0)
		main_commit[strcspn(main_commit, "\r\n \t")] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		if (!(d = opendir(snaps)))
			break;
		while ((e = readdir(d))) {
			char dir[PATH_MAX];
			int is_main = main_commit && !strcmp(e->d_name, main_commit);
			if (e->d_name[0] == '.' || (pass == 0) != is_main)
				continue;
			if (fmt(dir, sizeof(dir), "%s/%s", snaps, e->d_name) < 0)
				continue;
			struct walk w = { 0 };
			walk_dir(&w, dir, "", 0);
			add_groups(f, &w, dir, repo, repo, source);
			walk_release(&w);
		}
		closedir(d);
	}
out:
	free(main_commit);
	free(repo);
}

static void scan_hf_layout(struct found *f, const char *root, const char *source)
{
	DIR *d = opendir(root);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (lm_starts_with(e->d_name, "models--"))
			scan_hf_repo(f, root, e->d_name, source);
	closedir(d);
}

/* Flat *.gguf files directly in dir, named by their file name. */
static void scan_flat(struct found *f, const char *dir, const char *source)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX], name[NAME_MAX + 1], quant[32];
		struct stat st;
		int idx, cnt;
		if (e->d_name[0] == '.' || !hub_is_gguf(e->d_name) || hub_is_aux(e->d_name))
			continue;
		if (hub_split_info(e->d_name, &idx, &cnt) && idx != 1)
			continue;
		if (fmt(path, sizeof(path), "%s/%s", dir, e->d_name) < 0 || stat(path, &st) ||
		    !S_ISREG(st.st_mode))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(e->d_name) - 5), e->d_name);
		hub_quant_label(e->d_name, quant, sizeof(quant));
		add_model(f, name, path, NULL, st.st_size, quant, NULL, source, 1);
	}
	closedir(d);
}

static int same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void scan_lmstudio(struct found *f)
{
	char root[PATH_MAX];
	DIR *d, *d2;
	struct dirent *pub, *rep;

	if (stores_lmstudio_dir(root, sizeof(root)) < 0 || !(d = opendir(root)))
		return;
	while ((pub = readdir(d))) {
		char pdir[PATH_MAX];
		if (pub->d_name[0] == '.' || fmt(pdir, sizeof(pdir), "%s/%s", root, pub->d_name) < 0)
			continue;
		if (!(d2 = opendir(pdir)))
			continue;
		while ((rep = readdir(d2))) {
			char rdir[PATH_MAX], repo[PATH_MAX];
			if (rep->d_name[0] == '.' ||
			    fmt(rdir, sizeof(rdir), "%s/%s", pdir, rep->d_name) < 0)
				continue;
			snprintf(repo, sizeof(repo), "%s/%s", pub->d_name, rep->d_name);
			struct walk w = { 0 };
			walk_dir(&w, rdir, "", 0);
			add_groups(f, &w, rdir, repo, repo, "lmstudio");
			walk_release(&w);
		}
		closedir(d2);
	}
	closedir(d);
}

/* Ollama's name for a manifest: "model:tag" for the default registry and
 * namespace, "host/ns/model:tag" otherwise (hf.co pulls keep their host). */
static void ollama_name(const char *host, const char *ns, const char *model, const char *tag,
			char *buf, size_t size)
{
	if (!strcmp(host, "registry.ollama.ai") && !strcmp(ns, "library"))
		snprintf(buf, size, "%s:%s", model, tag);
	else if (!strcmp(host, "registry.ollama.ai"))
		snprintf(buf, size, "%s/%s:%s", ns, model, tag);
	else
		snprintf(buf, size, "%s/%s/%s:%s", host, ns, model, tag);
}

/* "sha256:<hex>" or "sha256-<hex>" -> the hex part, or NULL. */
static const char *digest_hex(const char *d)
{
	if (!d || strncmp(d, "sha256", 6) || (d[6] != ':' && d[6] != '-') || !is_sha256_hex(d + 7))
		return NULL;
	return d + 7;
}

/* The config blob's file_type (quant), or "". */
static void ollama_quant(const char *root, const cJSON *man, char *buf, size_t size)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(man, "config");
	const cJSON *dg = cJSON_GetObjectItemCaseSensitive(cfg, "digest");
	const char *hex = cJSON_IsString(dg) ? digest_hex(dg->valuestring) : NULL;
	char path[PATH_MAX], *data = NULL;
	size_t len;
	struct lm_err err;

	buf[0] = '\0';
	if (!hex || fmt(path, sizeof(path), "%s/blobs/sha256-%s", root, hex) < 0 ||
	    lm_read_file(path, 1 << 20, &data, &len, &err))
		return;
	cJSON *doc = cJSON_ParseWithLength(data, len);
	const cJSON *ft = cJSON_GetObjectItemCaseSensitive(doc, "file_type");
	if (cJSON_IsString(ft) && strlen(ft->valuestring) < size) {
		for (size_t i = 0; ft->valuestring[i]; i++)
			buf[i] = (char)toupper((unsigned char)ft->valuestring[i]);
		buf[strlen(ft->valuestring)] = '\0';
	}
	cJSON_Delete(doc);
	free(data);
}

static void scan_ollama_manifest(struct found *f, const char *root, const char *path,
				 const char *host, const char *ns, const char *model,
				 const char *tag)
{
	char *data = NULL, blob[PATH_MAX], name[PATH_MAX], quant[32];
	size_t len;
	struct lm_err err;
	const cJSON *layers, *l;
	struct stat st;

	if (lm_read_file(path, 1 << 20, &data, &len, &err))
		return;
	cJSON *doc = cJSON_ParseWithLength(data, len);
	layers = cJSON_GetObjectItemCaseSensitive(doc, "layers");
	if (!cJSON_IsArray(layers))
		layers = NULL;
	cJSON_ArrayForEach(l, layers) {
		const cJSON *mt = cJSON_GetObjectItemCaseSensitive(l, "mediaType");
		const cJSON *dg = cJSON_GetObjectItemCaseSensitive(l, "digest");
		const char *hex;
		if (!cJSON_IsString(mt) || strcmp(mt->valuestring, "application/vnd.ollama.image.model"))
			continue;
		if (!cJSON_IsString(dg) || !(hex = digest_hex(dg->valuestring)))
			continue;
		if (fmt(blob, sizeof(blob), "%s/blobs/sha256-%s", root, hex) < 0 || stat(blob, &st) ||
		    !stores_is_gguf_file(blob))
			continue;
		ollama_name(host, ns, model, tag, name, sizeof(name));
		ollama_quant(root, doc, quant, sizeof(quant));
		add_model(f, name, blob, NULL, st.st_size, quant, hex, "ollama", 1);
		break;
	}
	cJSON_Delete(doc);
	free(data);
}

/* Read the names of the entries of a directory (not starting with '.'). */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) && *n < WALK_MAX_FILES) {
		if (e->d_name[0] == '.')
			continue;
		v = lm_xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = lm_xstrdup(e->d_name);
	}
	closedir(d);
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* manifests/<host>/<namespace>/<model>/<tag>: exactly four levels. */
static void scan_ollama(struct found *f)
{
	char root[PATH_MAX], p[4][PATH_MAX];
	size_t n[4];
	char **l[4];

	if (stores_ollama_dir(root, sizeof(root)) < 0 ||
	    fmt(p[0], sizeof(p[0]), "%s/%s", root, "manifests") < 0)
		return;
	l[0] = list_dir(p[0], &n[0]);
	for (size_t a = 0; a < n[0]; a++) {
		if (fmt(p[1], sizeof(p[1]), "%s/%s", p[0], l[0][a]) < 0)
			continue;
		l[1] = list_dir(p[1], &n[1]);
		for (size_t b = 0; b < n[1]; b++) {
			if (fmt(p[2], sizeof(p[2]), "%s/%s", p[1], l[1][b]) < 0)
				continue;
			l[2] = list_dir(p[2], &n[2]);
			for (size_t c = 0; c < n[2]; c++) {
				if (fmt(p[3], sizeof(p[3]), "%s/%s", p[2], l[2][c]) < 0)
					continue;
				l[3] = list_dir(p[3], &n[3]);
				for (size_t d = 0; d < n[3]; d++) {
					char mf[PATH_MAX];
					if (fmt(mf, sizeof(mf), "%s/%s", p[3], l[3][d]) == 0)
						scan_ollama_manifest(f, root, mf, l[0][a], l[1][b],
								     l[2][c], l[3][d]);
				}
				free_list(l[3], n[3]);
			}
			free_list(l[2], n[2]);
		}
		free_list(l[1], n[1]);
	}
	free_list(l[0], n[0]);
}

static int cmp_model(const void *a, const void *b)
{
	const struct lm_model *x = a, *y = b;
	int c = strcmp(x->model, y->model);
	return c ? c : strcmp(x->source, y->source);
}

int stores_scan(unsigned kinds, struct lm_model **out, size_t *n, struct lm_err *err)
{
	struct found f = { 0 };
	char hf[PATH_MAX], ll[PATH_MAX];
	int ll_env = 0, have_hf = stores_hf_hub_dir(hf, sizeof(hf)) == 0;

	(void)err;
	if ((kinds & STORES_HF) && have_hf)
		scan_hf_layout(&f, hf, "hf-cache");
	if ((kinds & STORES_LLAMA) && stores_llama_dir(ll, sizeof(ll), &ll_env) == 0 &&
	    !(have_hf && same_dir(hf, ll))) {
		if (ll_env)
			scan_hf_layout(&f, ll, "llama-cache");
		scan_flat(&f, ll, "llama-cache");
	}
	if (kinds & STORES_LMSTUDIO)
		scan_lmstudio(&f);
	if (kinds & STORES_OLLAMA)
		scan_ollama(&f);
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), cmp_model);
	*out = f.v;
	*n = f.n;
	return LM_OK;
}

/* Look for blobs/<sha> in root's models--org--repo, then every repo. */
static int find_in(const char *root, const char *repo, const char *sha, uint64_t size,
		   char *path, size_t psize)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (repo && strchr(repo, '/')) {
		const char *slash = strchr(repo, '/');
		char full[PATH_MAX];
		if (snprintf(full, sizeof(full), "%s/models--%.*s--%s/blobs/%s", root,
			     (int)(slash - repo), repo, slash + 1, sha) < (int)sizeof(full) &&
		    stat(full, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size) {
			lm_strlcpy(path, full, psize);
			return 1;
		}
	}
	if (!(d = opendir(root)))
		return 0;
	while ((e = readdir(d))) {
		char full[PATH_MAX];
		if (!lm_starts_with(e->d_name, "models--"))
			continue;
		if (snprintf(full, sizeof(full), "%s/%s/blobs/%s", root, e->d_name, sha) >=
		    (int)sizeof(full))
			continue;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size) {
			lm_strlcpy(path, full, psize);
			closedir(d);
			return 1;
		}
	}
	closedir(d);
	return 0;
}

int stores_find_blob(const char *repo, const char *sha, uint64_t size, char *path, size_t psize,
		     const char **source)
{
	char hf[PATH_MAX], ll[PATH_MAX];
	int ll_env = 0;

	if (!sha || !is_sha256_hex(sha))
		return 0;
	if (stores_hf_hub_dir(hf, sizeof(hf)) == 0 && find_in(hf, repo, sha, size, path, psize)) {
		*source = "hf-cache";
		return 1;
	}
	if (stores_llama_dir(ll, sizeof(ll), &ll_env) == 0 && ll_env &&
	    find_in(ll, repo, sha, size, path, psize)) {
		*source = "llama-cache";
		return 1;
	}
	return 0;
}
