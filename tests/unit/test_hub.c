/* test_hub: endpoint and token lookup, JSON parsing (hostile input too),
 * error mapping, and the GGUF naming / grouping / selection rules. */
#include "t.h"
#include "localmodel/hub.h"
#include "localmodel/http.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_endpoint_token(void)
{
	char path[512];
	char *s;
	FILE *f;

	setenv("HF_ENDPOINT", "http://127.0.0.1:5/x//", 1);
	s = hub_endpoint();
	CHECK_STR(s, "http://127.0.0.1:5/x");
	free(s);
	unsetenv("HF_ENDPOINT");
	s = hub_endpoint();
	CHECK_STR(s, "https://huggingface.co");
	free(s);

	unsetenv("HF_TOKEN");
	unsetenv("HUGGING_FACE_HUB_TOKEN");
	unsetenv("HF_TOKEN_PATH");
	snprintf(path, sizeof(path), "%s/hfhome", t_tmpdir());
	setenv("HF_HOME", path, 1);
	CHECK(hub_token() == NULL);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/hfhome/token", t_tmpdir());
	f = fopen(path, "w");
	fputs("  hf_filetoken \n", f);
	fclose(f);
	s = hub_token();
	CHECK_STR(s, "hf_filetoken");
	free(s);
	setenv("HUGGING_FACE_HUB_TOKEN", "hf_second", 1);
	s = hub_token();
	CHECK_STR(s, "hf_second");
	free(s);
	setenv("HF_TOKEN", "hf_first", 1);
	s = hub_token();
	CHECK_STR(s, "hf_first");
	free(s);
	unsetenv("HF_TOKEN");
	unsetenv("HUGGING_FACE_HUB_TOKEN");
	unsetenv("HF_HOME");
	/* ~/.cache/huggingface/token */
	snprintf(path, sizeof(path), "%s/home/.cache/huggingface", t_tmpdir());
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s/home", t_tmpdir());
	mkdir(cmd, 0700);
	snprintf(cmd, sizeof(cmd), "%s/home/.cache", t_tmpdir());
	mkdir(cmd, 0700);
	mkdir(path, 0700);
	strcat(path, "/token");
	f = fopen(path, "w");
	fputs("hf_home\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/home", t_tmpdir());
	setenv("HOME", cmd, 1);
	unsetenv("XDG_CACHE_HOME");
	s = hub_token();
	CHECK_STR(s, "hf_home");
	free(s);
}

static void test_repo_valid(void)
{
	CHECK(hub_repo_valid("org/repo"));
	CHECK(hub_repo_valid("Qwen/Qwen2.5-7B-Instruct-GGUF"));
	CHECK(!hub_repo_valid("repo"));
	CHECK(!hub_repo_valid("org/"));
	CHECK(!hub_repo_valid("/repo"));
	CHECK(!hub_repo_valid("a/b/c"));
	CHECK(!hub_repo_valid("org/../x"));
	CHECK(!hub_repo_valid("org/re po"));
	CHECK(!hub_repo_valid("org/re?po"));
}

static void test_parse_search(void)
{
	const char *ok = "[{\"id\":\"a/b\",\"downloads\":5,\"likes\":2,\"lastModified\":\"2026-01-01T00:00:00.000Z\","
			 "\"gguf\":{\"total\":8000000000,\"architecture\":\"llama\",\"context_length\":8192}},"
			 "{\"modelId\":\"c/d\",\"gated\":\"manual\"},"
			 "{\"id\":\"../../etc\"}, 5, null, {\"id\":7}]";
	struct hub_repo *v;
	size_t n;
	struct lm_err err = { 0 };

	CHECK_INT(hub_parse_search(ok, strlen(ok), &v, &n, &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(v[0].id, "a/b");
		CHECK_INT(v[0].downloads, 5);
		CHECK_INT(v[0].params, 8000000000LL);
		CHECK_STR(v[0].arch, "llama");
		CHECK_INT(v[0].ctx, 8192);
		CHECK_STR(v[1].id, "c/d");
		CHECK_STR(v[1].gated, "manual");
	}
	hub_repo_list_free(v, n);

	const char *bad[] = { "", "{", "{\"id\":\"a/b\"}", "[", "[{\"id\":\"a/b\",\"downloads\":\"x\"",
			      "null", "\"str\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = hub_parse_search(bad[i], strlen(bad[i]), &v, &n, &err);
		CHECK(rc == LM_ENET || (rc == 0 && n == 0));
		if (rc == 0)
			hub_repo_list_free(v, n);
	}
	/* NUL inside: parse stops at the given length, never beyond */
	const char nul[] = "[{\"id\":\"a/b\"}]\0garbage";
	CHECK_INT(hub_parse_search(nul, sizeof(nul) - 1, &v, &n, &err), 0);
	hub_repo_list_free(v, n);

	struct hub_repo r;
	const char *m = "{\"id\":\"o/r\",\"sha\":\"0123456789012345678901234567890123456789\",\"downloads\":-5,\"likes\":1e300}";
	CHECK_INT(hub_parse_model(m, strlen(m), &r, &err), 0);
	CHECK_STR(r.sha, "0123456789012345678901234567890123456789");
	CHECK_INT(r.downloads, 0);
	CHECK_INT(r.likes, 0);
	hub_repo_release(&r);
	CHECK_INT(hub_parse_model("[]", 2, &r, &err), LM_ENET);
}

static void test_parse_tree(void)
{
	const char *page = "[{\"type\":\"directory\",\"path\":\"Q4_K_M\",\"size\":0,\"oid\":\"x\"},"
			   "{\"type\":\"file\",\"path\":\"Q4_K_M/m-00001-of-00002.gguf\",\"size\":10,"
			   "\"oid\":\"abc\",\"lfs\":{\"oid\":\"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\",\"size\":10}},"
			   "{\"type\":\"file\",\"path\":\"README.md\",\"size\":5,\"oid\":\"def\"},"
			   "{\"type\":\"file\",\"path\":\"../escape.gguf\",\"size\":5},"
			   "{\"type\":\"file\",\"path\":\"/abs.gguf\",\"size\":5},"
			   "{\"type\":\"file\",\"path\":\"a//b.gguf\",\"size\":5},"
			   "{\"type\":\"file\",\"path\":\"dir/\",\"size\":5},"
			   "{\"type\":\"file\",\"path\":\"a/./b.gguf\",\"size\":5},"
			   "{\"type\":\"file\",\"path\":\"neg.gguf\",\"size\":-1},"
			   "{\"type\":\"file\",\"path\":\"short.gguf\",\"size\":3,\"lfs\":{\"oid\":\"abc\"}},"
			   "{\"type\":\"file\",\"path\":7,\"size\":1}]";
	struct hub_file *f = NULL;
	size_t n = 0;
	struct lm_err err = { 0 };

	CHECK_INT(hub_parse_tree(page, strlen(page), &f, &n, &err), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(f[0].path, "Q4_K_M/m-00001-of-00002.gguf");
		CHECK_STR(f[0].sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
		CHECK_INT(f[0].size, 10);
		CHECK(f[1].sha256 == NULL);
		CHECK_STR(f[2].path, "short.gguf");
		CHECK(f[2].sha256 == NULL);
	}
	/* a second page appends */
	CHECK_INT(hub_parse_tree("[{\"type\":\"file\",\"path\":\"x.gguf\",\"size\":1}]", 43, &f, &n, &err), 0);
	CHECK_INT(n, 4);
	CHECK_INT(hub_parse_tree("{\"error\":\"x\"}", 13, &f, &n, &err), LM_ENET);
	CHECK_INT(hub_parse_tree("[{", 2, &f, &n, &err), LM_ENET);
	CHECK_INT(n, 4);
	hub_file_list_free(f, n);
}

static void test_check_status(void)
{
	struct lm_hub hub = { 0 };
	struct lm_http_header h[3];
	struct lm_http_response r = { 0 };
	struct lm_err err = { 0 };

	hub.endpoint = "https://hub.example";
	r.headers = h;
	r.status = 200;
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "repo 'o/r'", &err), 0);
	r.status = 302;
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "repo 'o/r'", &err), 0);

	h[0].name = "X-Error-Code";
	h[0].value = "RepoNotFound";
	r.nheaders = 1;
	r.status = 404;
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "repo 'o/r'", &err), LM_ENOTFOUND);
	CHECK(strstr(err.msg, "'o/r' not found") != NULL);
	CHECK(strstr(err.msg, "HF_TOKEN") != NULL);
	r.status = 401;
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "repo 'o/r'", &err), LM_ENOTFOUND);
	CHECK(strstr(err.msg, "private and gated") != NULL);

	h[0].value = "GatedRepo";
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "file", &err), LM_ENET);
	CHECK(strstr(err.msg, "set HF_TOKEN") != NULL);
	CHECK(strstr(err.msg, "https://hub.example/o/r") != NULL);
	hub.token = "hf_secret_value";
	r.status = 403;
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "file", &err), LM_ENET);
	CHECK(strstr(err.msg, "request access on https://hub.example/o/r") != NULL);
	CHECK(strstr(err.msg, "hf_secret_value") == NULL);

	h[0].name = "Retry-After";
	h[0].value = "42";
	r.status = 429;
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "file", &err), LM_ENET);
	CHECK(strstr(err.msg, "retry in 42 s") != NULL);
	h[0].name = "RateLimit";
	h[0].value = "\"api\";r=0;t=17";
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "file", &err), LM_ENET);
	CHECK(strstr(err.msg, "retry in 17 s") != NULL);

	r.nheaders = 0;
	r.status = 404;
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "file 'x'", &err), LM_ENOTFOUND);
	CHECK(strstr(err.msg, "file 'x' not found") != NULL);
	r.status = 503;
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "file 'x'", &err), LM_ENET);
	/* a token the Hub calls invalid */
	h[0].name = "X-Error-Message";
	h[0].value = "Invalid credentials in Authorization header";
	r.nheaders = 1;
	r.status = 401;
	CHECK_INT(hub_check_status(&hub, &r, "o/r", "repo", &err), LM_ENET);
	CHECK(strstr(err.msg, "refused the token") != NULL);
}

static void test_quant(void)
{
	char q[32];

	hub_quant_label("Qwen2.5-7B-Instruct-Q4_K_M.gguf", q, sizeof(q));
	CHECK_STR(q, "Q4_K_M");
	hub_quant_label("Q8_0/model-00001-of-00003.gguf", q, sizeof(q));
	CHECK_STR(q, "Q8_0");
	hub_quant_label("m-UD-Q4_K_XL-00002-of-00003.gguf", q, sizeof(q));
	CHECK_STR(q, "Q4_K_XL");
	hub_quant_label("model.q5_k_s.gguf", q, sizeof(q));
	CHECK_STR(q, "Q5_K_S");
	hub_quant_label("tiny-f16.gguf", q, sizeof(q));
	CHECK_STR(q, "F16");
	hub_quant_label("gemma-3-IQ2_XXS.gguf", q, sizeof(q));
	CHECK_STR(q, "IQ2_XXS");
	hub_quant_label("Qwen3-8B.gguf", q, sizeof(q));
	CHECK_STR(q, "");

	CHECK(hub_quant_match("m-Q4_K_M.gguf", "q4_k_m"));
	CHECK(!hub_quant_match("m-Q4_K_M.gguf", "Q4_K"));
	CHECK(hub_quant_match("m-Q4_K.gguf", "Q4_K"));
	CHECK(hub_quant_match("Q4_K_M/m-00001-of-00002.gguf", "Q4_K_M"));
	CHECK(!hub_quant_match("m-Q4_K_M.gguf", ""));
	CHECK(hub_quant_match("m-UD-Q4_K_XL-00001-of-00002.gguf", "UD-Q4_K_XL"));
	CHECK(hub_quant_match("m-UD-Q4_K_XL.gguf", "q4_k_xl"));
	CHECK(hub_quant_match("m.UD.Q4_K_XL.gguf", "UD-Q4_K_XL"));
	CHECK(!hub_quant_match("m-XUD-Q4_K_XL.gguf", "UD-Q4_K_XL"));
	CHECK(!hub_quant_match("m-UD-Q4_K_XLL.gguf", "UD-Q4_K_XL"));
	CHECK(!hub_quant_match("UD/Q4_K_XL.gguf", "UD-Q4_K_XL"));
	CHECK(!hub_quant_match("m-Q4_K_M.gguf", "Q4_K_M/"));
	CHECK(hub_quant_match("Q4_K_M/m.gguf", "Q4_K_M"));

	int i, c;
	CHECK(hub_split_info("a/m-00002-of-00003.gguf", &i, &c));
	CHECK_INT(i, 2);
	CHECK_INT(c, 3);
	CHECK(!hub_split_info("m-00004-of-00003.gguf", &i, &c));
	CHECK(!hub_split_info("m-0001-of-0003.gguf", &i, &c));
	CHECK(!hub_split_info("m.gguf", &i, &c));
	char *p = hub_split_part("a/m-00001-of-00003.gguf", 3);
	CHECK_STR(p, "a/m-00003-of-00003.gguf");
	free(p);
	CHECK(hub_split_part("m.gguf", 1) == NULL);
	CHECK(hub_is_aux("x/mmproj-model-f16.gguf"));
	CHECK(hub_is_aux("imatrix.gguf"));
	CHECK(!hub_is_aux("mmproj/model-Q4_K_M.gguf"));
}

static struct hub_file mkf(const char *path, uint64_t size)
{
	struct hub_file f = { 0 };
	f.path = (char *)path;
	f.size = size;
	return f;
}

static int fits_below_300(void *ctx, const struct hub_group *g)
{
	(void)ctx;
	return g->size < 300;
}

static void test_select(void)
{
	struct hub_file files[] = {
		mkf("m-Q4_K.gguf", 90),
		mkf("m-Q8_0.gguf", 200),
		mkf("README.md", 1),
		mkf("mmproj-m-Q4_K_M.gguf", 10),
		mkf("Q4_K_M/m-00002-of-00002.gguf", 50),
		mkf("Q4_K_M/m-00001-of-00002.gguf", 50),
		mkf("BF16/m-BF16-00001-of-00003.gguf", 100),
		mkf("BF16/m-BF16-00002-of-00003.gguf", 100),
		mkf("BF16/m-BF16-00003-of-00003.gguf", 100),
		mkf("Q2/m-Q2_K-00001-of-00002.gguf", 10),
	};
	struct hub_group *g;
	size_t n, ch;
	struct lm_err err = { 0 };

	hub_group_files(files, sizeof(files) / sizeof(files[0]), &g, &n);
	CHECK_INT(n, 6);
	/* sorted by path: BF16/, Q2/, Q4_K_M/, m-Q4_K, m-Q8_0, mmproj */
	CHECK_INT(g[0].nparts, 3);
	CHECK_INT(g[0].size, 300);
	CHECK_STR(g[0].quant, "BF16");
	CHECK_INT(g[2].nparts, 2);
	CHECK_STR(g[2].parts[0]->path, "Q4_K_M/m-00001-of-00002.gguf");
	CHECK_STR(g[2].quant, "Q4_K_M");
	CHECK(g[5].aux);

	CHECK_INT(hub_select(g, n, "Q4_K", NULL, NULL, NULL, &ch, &err), 0);
	CHECK_STR(g[ch].parts[0]->path, "m-Q4_K.gguf");
	CHECK_INT(hub_select(g, n, "q4_k_m", NULL, NULL, NULL, &ch, &err), 0);
	CHECK_STR(g[ch].parts[0]->path, "Q4_K_M/m-00001-of-00002.gguf");
	CHECK_INT(hub_select(g, n, "Q5_K_M", NULL, NULL, NULL, &ch, &err), LM_ENOTFOUND);
	CHECK(strstr(err.msg, "available: BF16, Q2_K, Q4_K_M, Q4_K, Q8_0)") != NULL);
	/* incomplete split */
	CHECK_INT(hub_select(g, n, "Q2_K", NULL, NULL, NULL, &ch, &err), LM_ENOTFOUND);
	/* auto: Q4_K_M first, never mmproj */
	CHECK_INT(hub_select(g, n, NULL, NULL, NULL, NULL, &ch, &err), 0);
	CHECK_STR(g[ch].quant, "Q4_K_M");
	/* --file may name an aux file or any part */
	CHECK_INT(hub_select(g, n, NULL, "mmproj-m-Q4_K_M.gguf", NULL, NULL, &ch, &err), 0);
	CHECK(g[ch].aux);
	CHECK_INT(hub_select(g, n, NULL, "Q4_K_M/m-00002-of-00002.gguf", NULL, NULL, &ch, &err), 0);
	CHECK_INT(g[ch].nparts, 2);
	CHECK_INT(hub_select(g, n, NULL, "nope.gguf", NULL, NULL, &ch, &err), LM_ENOTFOUND);
	hub_group_list_free(g, n);

	/* without Q4_K_M: the preferred quant that fits, never a float one */
	struct hub_file f2[] = { mkf("m-Q4_K.gguf", 90), mkf("m-Q8_0.gguf", 200), mkf("m-Q6_K.gguf", 150),
				 mkf("m-F16.gguf", 280), mkf("m-Q8_0-big.gguf", 400) };
	hub_group_files(f2, 5, &g, &n);
	CHECK_INT(hub_select(g, n, NULL, NULL, fits_below_300, NULL, &ch, &err), 0);
	CHECK_STR(g[ch].parts[0]->path, "m-Q6_K.gguf");
	hub_group_list_free(g, n);
	/* none of the preferred fits: the largest non-float that does */
	struct hub_file f6[] = { mkf("m-Q2_K.gguf", 90), mkf("m-Q3_K_S.gguf", 120),
				 mkf("m-F16.gguf", 200), mkf("m-Q4_K_M.gguf", 400) };
	hub_group_files(f6, 4, &g, &n);
	CHECK_INT(hub_select(g, n, NULL, NULL, fits_below_300, NULL, &ch, &err), 0);
	CHECK_STR(g[ch].parts[0]->path, "m-Q3_K_S.gguf");
	hub_group_list_free(g, n);
	/* nothing fits */
	struct hub_file f3[] = { mkf("m-Q4_K_M.gguf", 900) };
	hub_group_files(f3, 1, &g, &n);
	CHECK_INT(hub_select(g, n, NULL, NULL, fits_below_300, NULL, &ch, &err), LM_ERESOURCE);
	/* an explicit quant is pulled even when it does not fit */
	CHECK_INT(hub_select(g, n, "Q4_K_M", NULL, fits_below_300, NULL, &ch, &err), 0);
	hub_group_list_free(g, n);
	/* ambiguous quant */
	struct hub_file f4[] = { mkf("a/m-Q4_K_M.gguf", 1), mkf("b/m-Q4_K_M.gguf", 1) };
	hub_group_files(f4, 2, &g, &n);
	CHECK_INT(hub_select(g, n, "Q4_K_M", NULL, NULL, NULL, &ch, &err), LM_EUSAGE);
	hub_group_list_free(g, n);
	/* only aux files */
	struct hub_file f5[] = { mkf("mmproj-f16.gguf", 1) };
	hub_group_files(f5, 1, &g, &n);
	CHECK_INT(hub_select(g, n, NULL, NULL, NULL, NULL, &ch, &err), LM_ENOTFOUND);
	CHECK_INT(hub_select(g, n, "F16", NULL, NULL, NULL, &ch, &err), LM_ENOTFOUND);
	hub_group_list_free(g, n);
}

/* model info with blobs=true: the commit and every file, in one answer */
static void test_parse_model_files(void)
{
	const char *ok = "{\"id\":\"org/m\",\"sha\":\"0123456789012345678901234567890123456789\","
			 "\"gated\":false,\"siblings\":["
			 "{\"rfilename\":\"Q4/m-Q4_K_M.gguf\",\"size\":10,\"blobId\":\"b1\","
			 "\"lfs\":{\"size\":10,\"sha256\":\"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\"}},"
			 "{\"rfilename\":\"README.md\",\"size\":5,\"blobId\":\"b2\"},"
			 "{\"rfilename\":\"../escape.gguf\",\"size\":5},"
			 "{\"rfilename\":\"bad.gguf\",\"size\":3,\"lfs\":{\"sha256\":\"abc\"}}]}";
	const char *nosizes = "{\"id\":\"org/m\",\"sha\":\"0123456789012345678901234567890123456789\","
			      "\"siblings\":[{\"rfilename\":\"m-Q4_K_M.gguf\"}]}";
	struct hub_repo info;
	struct hub_file *f = NULL;
	size_t n = 0;
	struct lm_err err = { 0 };

	CHECK_INT(hub_parse_model_files(ok, strlen(ok), &info, &f, &n, &err), LM_OK);
	CHECK_STR(info.sha, "0123456789012345678901234567890123456789");
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(f[0].path, "Q4/m-Q4_K_M.gguf");
		CHECK_INT(f[0].size, 10);
		CHECK_STR(f[0].oid, "b1");
		CHECK_STR(f[0].sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
		CHECK(f[1].sha256 == NULL);
		CHECK_STR(f[2].path, "bad.gguf");
		CHECK(f[2].sha256 == NULL);
	}
	hub_file_list_free(f, n);
	hub_repo_release(&info);
	/* no sizes (a Hub that ignored blobs=true): 1, nothing listed */
	CHECK_INT(hub_parse_model_files(nosizes, strlen(nosizes), &info, &f, &n, &err), 1);
	CHECK(f == NULL && n == 0);
	CHECK_STR(info.id, "org/m");
	hub_repo_release(&info);
	CHECK_INT(hub_parse_model_files("[1]", 3, &info, &f, &n, &err), LM_ENET);
}

int main(void)
{
	test_endpoint_token();
	test_parse_model_files();
	test_repo_valid();
	test_parse_search();
	test_parse_tree();
	test_check_status();
	test_quant();
	test_select();
	return T_DONE();
}
