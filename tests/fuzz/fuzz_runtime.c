/*
 * fuzz_runtime: libFuzzer target for what GitHub and llama-server send the
 * runtime layer: the release list / release JSON (asset choice, digest and
 * size), an API error body, the .localmodel.json record of an installed
 * build, the Link header, and the `llama-server --version` line.
 *
 * Those readers are static in src/runtime.c, which has no network-free
 * entry point (rt_find talks HTTP), so the file is included here and
 * tests/fuzz/run.sh leaves runtime.o out of this target's link.
 *
 * Besides not crashing or leaking, it checks the readers' promises: an
 * asset taken has a URL and a name, a sha256 is empty or 64 lowercase hex.
 */
#include "../../src/runtime.c"

#include <stdint.h>

static const struct rt_platform plat[] = {
	{ .os = "linux", .arch = "x64", .vulkan = 1 },
	{ .os = "darwin", .arch = "arm64" },
	{ .os = "windows", .arch = "x64", .nvidia = 1 },
};
static const char *const backends[] = { "cpu", "vulkan", "metal", "cuda", "rocm", "auto" };

/* What consider() does with one release, short of fetching nightly-tag.txt. */
static void one_release(const cJSON *rel, const struct rt_platform *p, const char *backend)
{
	const char *tag = jstr(rel, "tag_name");
	char pattern[256];
	const cJSON *a;
	struct rt_release out;
	struct lm_err err;

	memset(&out, 0, sizeof(out));
	if (!tag || jtrue(rel, "draft"))
		return;
	if (rt_asset_pattern(p, backend, tag, pattern, sizeof(pattern), &err))
		return;
	if ((a = find_asset(rel, pattern)) && take_asset(rel, a, &out, &err) == 0) {
		if (!out.url || !out.asset[0])
			abort();
		if (out.sha256[0] && strspn(out.sha256, "0123456789abcdef") != 64)
			abort();
	}
	rt_release_release(&out);
	(void)find_asset(rel, "nightly-tag.txt");
}

/* The loop of find_newest over a list, or one release (rt_find with a tag). */
static void releases(const cJSON *doc, const struct rt_platform *p, const char *backend)
{
	const cJSON *rel;

	if (!cJSON_IsArray(doc)) {
		one_release(doc, p, backend);
		return;
	}
	cJSON_ArrayForEach(rel, doc)
		one_release(rel, p, backend);
}

/* .localmodel.json of runtime/<name>, read back by read_info. */
static void info(const uint8_t *data, size_t size)
{
	static char dir[64];
	char path[128];
	struct rt_info out;
	struct lm_err err;
	FILE *f;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-runtime-%ld", (long)getpid());
		mkdir(dir, 0700);
		snprintf(path, sizeof(path), "%s/b1-cpu", dir);
		mkdir(path, 0700);
	}
	snprintf(path, sizeof(path), "%s/b1-cpu/%s", dir, RT_INFO_FILE);
	if (!(f = fopen(path, "wb")))
		return;
	fwrite(data, 1, size, f);
	fclose(f);
	(void)read_info(dir, "b1-cpu", &out, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct lm_http_header h = { "Link", s };
	struct lm_http_response r = { .status = 403, .body = s, .body_len = size,
				      .headers = &h, .nheaders = 1 };
	struct rt_client c = { .base = "https://api.github.com" };
	struct lm_err err;
	char v[64], cm[64], *next;
	long build;
	cJSON *doc;

	memcpy(s, data, size);
	s[size] = '\0';
	doc = cJSON_ParseWithLength(s, size);
	if (doc) {
		unsigned k = size ? data[0] : 0;
		releases(doc, &plat[k % 3], backends[(k / 3) % 6]);
		cJSON_Delete(doc);
	}
	(void)parse_version(s, &build, v, sizeof(v), cm, sizeof(cm));
	(void)rt_tag_build(s);
	free(url_host(s));
	next = http_link_next(&r);
	free(next);
	r.status = size ? 400 + data[size - 1] % 100 : 404;
	(void)api_error(&c, &r, "the release list", &err);
	info(data, size);
	free(s);
	return 0;
}
