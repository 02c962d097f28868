/* test_otherstores: discovery in fake HF hub, llama.cpp, LM Studio and Ollama
 * stores, and the blob lookup used to avoid downloading twice. */
#include "t.h"
#include "localmodel/otherstores.h"
#include "localmodel/paths.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static char root[512];

static void put(const char *rel, const char *data, size_t len)
{
	char p[1024], d[1024];
	struct lm_err err;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	lm_strlcpy(d, p, sizeof(d));
	*strrchr(d, '/') = '\0';
	paths_ensure_dir(d, &err);
	FILE *f = fopen(p, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
}

static void gguf(const char *rel, size_t size)
{
	char *buf = calloc(1, size);
	memcpy(buf, "GGUF", 4);
	put(rel, buf, size);
	free(buf);
}

static void sym(const char *target, const char *rel)
{
	char p[1024], d[1024];
	struct lm_err err;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	lm_strlcpy(d, p, sizeof(d));
	*strrchr(d, '/') = '\0';
	paths_ensure_dir(d, &err);
	CHECK(symlink(target, p) == 0);
}

static const struct lm_model *find(const struct lm_model *v, size_t n, const char *name,
				   const char *source)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].model, name) && !strcmp(v[i].source, source))
			return &v[i];
	return NULL;
}

static void setup(void)
{
	const char *commit = "0123456789abcdef0123456789abcdef01234567";
	char link[256];

	snprintf(root, sizeof(root), "%s/home", t_tmpdir());
	setenv("HOME", root, 1);
	unsetenv("HF_HUB_CACHE");
	unsetenv("HUGGINGFACE_HUB_CACHE");
	unsetenv("HF_HOME");
	unsetenv("XDG_CACHE_HOME");
	unsetenv("LLAMA_CACHE");
	unsetenv("OLLAMA_MODELS");

	/* HF hub cache: one repo, a model and an mmproj, split parts */
	gguf(".cache/huggingface/hub/models--org--repo/blobs/" SHA_A, 100);
	gguf(".cache/huggingface/hub/models--org--repo/blobs/" SHA_B, 10);
	put(".cache/huggingface/hub/models--org--repo/refs/main", commit, strlen(commit));
	snprintf(link, sizeof(link), ".cache/huggingface/hub/models--org--repo/snapshots/%s/m-Q4_K_M.gguf", commit);
	sym("../../blobs/" SHA_A, link);
	snprintf(link, sizeof(link), ".cache/huggingface/hub/models--org--repo/snapshots/%s/mmproj-f16.gguf", commit);
	sym("../../blobs/" SHA_B, link);
	snprintf(link, sizeof(link), ".cache/huggingface/hub/models--org--repo/snapshots/%s/Q8_0/m-00001-of-00002.gguf", commit);
	gguf(link + 0, 30);
	snprintf(link, sizeof(link), ".cache/huggingface/hub/models--org--repo/snapshots/%s/Q8_0/m-00002-of-00002.gguf", commit);
	gguf(link, 40);

	/* legacy llama.cpp cache: flat files */
	gguf(".cache/llama.cpp/org_x_tiny-Q8_0.gguf", 20);

	/* LM Studio through the home pointer */
	char lms[600];
	snprintf(lms, sizeof(lms), "%s/lmshome\n", root);
	put(".lmstudio-home-pointer", lms, strlen(lms));
	gguf("lmshome/models/pub/rep-GGUF/rep-Q5_K_M.gguf", 50);
	gguf("lmshome/models/loose.gguf", 5); /* directly in models/: ignored */

	/* Ollama: a manifest whose model layer is a GGUF blob, one that is not */
	const char *man = "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" SHA_C "\"},"
			  "\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.template\",\"digest\":\"sha256:" SHA_B "\"},"
			  "{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:" SHA_A "\",\"size\":100}]}";
	put(".ollama/models/manifests/registry.ollama.ai/library/llama3.2/3b", man, strlen(man));
	gguf(".ollama/models/blobs/sha256-" SHA_A, 100);
	const char *cfg = "{\"model_format\":\"gguf\",\"file_type\":\"Q4_K_M\"}";
	put(".ollama/models/blobs/sha256-" SHA_C, cfg, strlen(cfg));
	const char *man2 = "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:" SHA_B "\"}]}";
	put(".ollama/models/manifests/hf.co/user/repo/latest", man2, strlen(man2));
	put(".ollama/models/blobs/sha256-" SHA_B, "notgguf", 7);
	put(".ollama/models/manifests/registry.ollama.ai/library/broken/latest", "{", 1);
}

static void test_scan(void)
{
	struct lm_model *v;
	size_t n;
	struct lm_err err = { 0 };
	const struct lm_model *m;

	CHECK_INT(stores_scan(STORES_ALL, &v, &n, &err), 0);
	CHECK_INT(n, 5);
	m = find(v, n, "org/repo:Q4_K_M", "hf-cache");
	CHECK(m != NULL);
	if (m) {
		CHECK_INT(m->size_bytes, 100);
		CHECK_STR(m->sha256, SHA_A);
		CHECK_STR(m->repo_source, "org/repo");
	}
	m = find(v, n, "org/repo:Q8_0", "hf-cache");
	CHECK(m != NULL);
	if (m) {
		CHECK_INT(m->parts, 2);
		CHECK_INT(m->size_bytes, 70);
		CHECK(strstr(m->file_path, "m-00001-of-00002.gguf") != NULL);
	}
	CHECK(find(v, n, "org_x_tiny-Q8_0", "llama-cache") != NULL);
	m = find(v, n, "pub/rep-GGUF:Q5_K_M", "lmstudio");
	CHECK(m != NULL);
	m = find(v, n, "llama3.2:3b", "ollama");
	CHECK(m != NULL);
	if (m) {
		CHECK_STR(m->quantization, "Q4_K_M");
		CHECK(strstr(m->file_path, "blobs/sha256-" SHA_A) != NULL);
	}
	for (size_t i = 0; i < n; i++)
		CHECK(strstr(v[i].model, "mmproj") == NULL);
	store_model_list_free(v, n);

	CHECK_INT(stores_scan(STORES_OLLAMA, &v, &n, &err), 0);
	CHECK_INT(n, 1);
	store_model_list_free(v, n);
}

static void test_find_blob(void)
{
	char path[1024];
	const char *src = NULL;

	CHECK(stores_find_blob("org/repo", SHA_A, 100, path, sizeof(path), &src));
	CHECK_STR(src, "hf-cache");
	CHECK(strstr(path, "models--org--repo/blobs/" SHA_A) != NULL);
	/* another repo's blob is found too */
	CHECK(stores_find_blob("other/repo", SHA_A, 100, path, sizeof(path), &src));
	/* wrong size, unknown hash, bad hash */
	CHECK(!stores_find_blob("org/repo", SHA_A, 99, path, sizeof(path), &src));
	CHECK(!stores_find_blob("org/repo", SHA_C, 100, path, sizeof(path), &src));
	CHECK(!stores_find_blob("org/repo", "../../x", 100, path, sizeof(path), &src));

	/* LLAMA_CACHE with the hub layout */
	char ll[600];
	snprintf(ll, sizeof(ll), "%s/llc", root);
	setenv("LLAMA_CACHE", ll, 1);
	gguf("llc/models--a--b/blobs/" SHA_C, 7);
	CHECK(stores_find_blob("a/b", SHA_C, 7, path, sizeof(path), &src));
	CHECK_STR(src, "llama-cache");
	unsetenv("LLAMA_CACHE");
}

static void test_dirs(void)
{
	char b[1024];
	int env;

	setenv("HF_HOME", "/x/hf", 1);
	stores_hf_hub_dir(b, sizeof(b));
	CHECK_STR(b, "/x/hf/hub");
	setenv("HF_HUB_CACHE", "/y/hub", 1);
	stores_hf_hub_dir(b, sizeof(b));
	CHECK_STR(b, "/y/hub");
	unsetenv("HF_HUB_CACHE");
	unsetenv("HF_HOME");
	setenv("XDG_CACHE_HOME", "/c", 1);
	stores_hf_hub_dir(b, sizeof(b));
	CHECK_STR(b, "/c/huggingface/hub");
	stores_llama_dir(b, sizeof(b), &env);
	CHECK_STR(b, "/c/llama.cpp");
	CHECK_INT(env, 0);
	unsetenv("XDG_CACHE_HOME");
	setenv("OLLAMA_MODELS", "/o", 1);
	stores_ollama_dir(b, sizeof(b));
	CHECK_STR(b, "/o");
	unsetenv("OLLAMA_MODELS");
	unlink(strcat(strcpy(b, root), "/.lmstudio-home-pointer"));
	stores_lmstudio_dir(b, sizeof(b));
	CHECK(lm_ends_with(b, "/home/.lmstudio/models"));
}

int main(void)
{
	setup();
	test_scan();
	test_find_blob();
	test_dirs();
	return T_DONE();
}
