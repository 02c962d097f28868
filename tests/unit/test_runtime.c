/* Unit tests of runtime.c: asset choice, --version parsing, the runtime/
 * layout (current, previous, prune) and the functions status and serve use. */
#include "t.h"
#include "localmodel/runtime.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

static struct rt_platform plat(const char *os, const char *arch, int nvidia, int amd, int vk)
{
	struct rt_platform p = { .nvidia = nvidia, .amd = amd, .vulkan = vk };
	snprintf(p.os, sizeof(p.os), "%s", os);
	snprintf(p.arch, sizeof(p.arch), "%s", arch);
	return p;
}

static void test_choice(void)
{
	struct rt_platform p;
	struct lm_err err = { 0 };
	char b[16], note[256], pat[256];

	p = plat("linux", "x64", 0, 0, 0);
	CHECK_INT(rt_choose_backend(&p, "auto", b, note, sizeof(note), &err), 0);
	CHECK_STR(b, "cpu");
	CHECK_STR(note, "");
	CHECK_INT(rt_asset_pattern(&p, b, "b10600", pat, sizeof(pat), &err), 0);
	CHECK_STR(pat, "llama-b10600-bin-ubuntu-x64.tar.gz");

	/* NVIDIA on Linux: vulkan, and a note saying why */
	p = plat("linux", "x64", 1, 0, 1);
	CHECK_INT(rt_choose_backend(&p, NULL, b, note, sizeof(note), &err), 0);
	CHECK_STR(b, "vulkan");
	CHECK(strstr(note, "NVIDIA") && strstr(note, "no CUDA build for Linux"));
	CHECK_INT(rt_asset_pattern(&p, b, "b1", pat, sizeof(pat), &err), 0);
	CHECK_STR(pat, "llama-b1-bin-ubuntu-vulkan-x64.tar.gz");
	p = plat("linux", "x64", 1, 0, 0);
	CHECK_INT(rt_choose_backend(&p, "auto", b, note, sizeof(note), &err), 0);
	CHECK(strstr(note, "Vulkan loader") != NULL);
	CHECK_INT(rt_choose_backend(&p, "cuda", b, note, sizeof(note), &err), LM_EUSAGE);
	CHECK(strstr(err.msg, "no Linux CUDA build") != NULL);

	/* AMD: vulkan by default, rocm on request (x64 only) */
	p = plat("linux", "x64", 0, 1, 1);
	CHECK_INT(rt_choose_backend(&p, "auto", b, note, sizeof(note), &err), 0);
	CHECK_STR(b, "vulkan");
	CHECK_INT(rt_choose_backend(&p, "rocm", b, note, sizeof(note), &err), 0);
	CHECK_STR(b, "rocm");
	CHECK_INT(rt_asset_pattern(&p, b, "b1", pat, sizeof(pat), &err), 0);
	CHECK_STR(pat, "llama-b1-bin-ubuntu-rocm-*-x64.tar.gz");
	p = plat("linux", "arm64", 0, 0, 0);
	CHECK_INT(rt_choose_backend(&p, "rocm", b, note, sizeof(note), &err), LM_EUSAGE);
	CHECK_INT(rt_choose_backend(&p, "auto", b, note, sizeof(note), &err), 0);
	CHECK_INT(rt_asset_pattern(&p, b, "b7", pat, sizeof(pat), &err), 0);
	CHECK_STR(pat, "llama-b7-bin-ubuntu-arm64.tar.gz");
	/* a Vulkan loader without a GPU we know: still vulkan */
	p = plat("linux", "x64", 0, 0, 1);
	CHECK_INT(rt_choose_backend(&p, "auto", b, note, sizeof(note), &err), 0);
	CHECK_STR(b, "vulkan");

	/* macOS */
	p = plat("darwin", "arm64", 0, 0, 0);
	CHECK_INT(rt_choose_backend(&p, "auto", b, note, sizeof(note), &err), 0);
	CHECK_STR(b, "metal");
	CHECK_INT(rt_asset_pattern(&p, b, "b1", pat, sizeof(pat), &err), 0);
	CHECK_STR(pat, "llama-b1-bin-macos-arm64.tar.gz");
	CHECK_INT(rt_choose_backend(&p, "vulkan", b, note, sizeof(note), &err), LM_EUSAGE);
	p = plat("darwin", "x64", 0, 0, 0);
	CHECK_INT(rt_choose_backend(&p, "auto", b, note, sizeof(note), &err), 0);
	CHECK_STR(b, "cpu");
	CHECK_INT(rt_asset_pattern(&p, b, "b1", pat, sizeof(pat), &err), 0);
	CHECK_STR(pat, "llama-b1-bin-macos-x64.tar.gz");
	CHECK_INT(rt_choose_backend(&p, "metal", b, note, sizeof(note), &err), LM_EUSAGE);

	/* Windows and others: out of scope, and saying so */
	p = plat("windows", "x64", 1, 0, 0);
	CHECK_INT(rt_choose_backend(&p, "auto", b, note, sizeof(note), &err), LM_EFAIL);
	CHECK(strstr(err.msg, "Windows is not supported") != NULL);
	p = plat("linux", "s390x", 0, 0, 0);
	CHECK_INT(rt_choose_backend(&p, "auto", b, note, sizeof(note), &err), LM_EFAIL);

	CHECK_INT(rt_tag_build("b10600"), 10600);
	CHECK_INT(rt_tag_build("v0.2.0"), -1);
	CHECK_INT(rt_tag_build("b"), -1);
	CHECK_INT(rt_tag_build("b12x"), -1);
}

static void write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(path, 0755);
}

static void test_version(void)
{
	char path[PATH_MAX], v[64], c[64];
	struct lm_err err = { 0 };
	long build = 0;

	snprintf(path, sizeof(path), "%s/ls-ok", t_tmpdir());
	write_script(path, "echo 'version: 0.2.0-dev (build 10587, commit 3f545becc)' >&2\n"
			   "echo 'built with GNU 12.2.0 for Linux x86_64' >&2\n");
	CHECK_INT(rt_version(path, &build, v, sizeof(v), c, sizeof(c), &err), 0);
	CHECK_INT(build, 10587);
	CHECK_STR(v, "0.2.0-dev");
	CHECK_STR(c, "3f545becc");
	snprintf(path, sizeof(path), "%s/ls-fail", t_tmpdir());
	write_script(path, "echo 'error while loading shared libraries' >&2\nexit 127\n");
	CHECK_INT(rt_version(path, &build, v, sizeof(v), c, sizeof(c), &err), LM_EFAIL);
	CHECK(strstr(err.msg, "exit 127") && strstr(err.msg, "shared libraries"));
	snprintf(path, sizeof(path), "%s/ls-none", t_tmpdir());
	write_script(path, "echo 'version: something' >&2\n");
	CHECK_INT(rt_version(path, &build, v, sizeof(v), c, sizeof(c), &err), LM_EFAIL);
	CHECK(strstr(err.msg, "no build number") != NULL);
	snprintf(path, sizeof(path), "%s/ls-missing", t_tmpdir());
	CHECK_INT(rt_version(path, &build, v, sizeof(v), c, sizeof(c), &err), LM_ENOTFOUND);
}

/* A runtime directory as install leaves it. */
static void fake_runtime(const char *rt, const char *name, const char *tag, long build)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", rt, name);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/llama-server", rt, name);
	write_script(p, "exit 0\n");
	snprintf(p, sizeof(p), "%s/%s/.localmodel.json", rt, name);
	f = fopen(p, "w");
	fprintf(f, "{\"tag\":\"%s\",\"build\":%ld,\"backend\":\"cpu\",\"source\":\"github\"}\n",
		tag, build);
	fclose(f);
}

static void test_layout(void)
{
	char rt[PATH_MAX], p[PATH_MAX * 2], path[PATH_MAX];
	struct rt_info info;
	struct lm_err err = { 0 };
	int removed = 0, fd = -1, fd2 = -1;

	snprintf(rt, sizeof(rt), "%s/runtime", t_tmpdir());
	mkdir(rt, 0700);
	/* nothing installed: every reader says LM_ERUNTIME */
	CHECK_INT(rt_current(rt, &info, &err), LM_ERUNTIME);
	CHECK(strstr(err.msg, "no runtime installed") != NULL);
	CHECK_INT(rt_server_path(rt, path, sizeof(path), &err), LM_ERUNTIME);
	CHECK_INT(rt_previous(rt, &info, &err), LM_ERUNTIME);
	CHECK_INT(rt_rollback(rt, &err), LM_ERUNTIME);
	CHECK_INT(rt_restart_needed(rt, "b1"), 0);

	fake_runtime(rt, "b100-cpu", "b100", 100);
	fake_runtime(rt, "b200-cpu", "b200", 200);
	fake_runtime(rt, "b300-cpu", "b300", 300);
	CHECK_INT(rt_switch(rt, "b100-cpu", &err), 0);
	CHECK_INT(rt_switch(rt, "b200-cpu", &err), 0);
	CHECK_INT(rt_current(rt, &info, &err), 0);
	CHECK_STR(info.tag, "b200");
	CHECK_INT(info.build, 200);
	CHECK_STR(info.backend, "cpu");
	CHECK_STR(info.name, "b200-cpu");
	snprintf(p, sizeof(p), "%s/b200-cpu/llama-server", rt);
	CHECK_STR(info.server, p);
	CHECK_INT(rt_previous(rt, &info, &err), 0);
	CHECK_STR(info.tag, "b100");

	/* serve's path is resolved, so a later switch does not move it */
	CHECK_INT(rt_server_path(rt, path, sizeof(path), &err), 0);
	CHECK(strstr(path, "/b200-cpu/llama-server") != NULL);
	CHECK(strstr(path, "current") == NULL);

	/* status: does a running server need a restart to pick up current? */
	CHECK_INT(rt_restart_needed(rt, path), 0);
	CHECK_INT(rt_restart_needed(rt, "b200"), 0);
	CHECK_INT(rt_restart_needed(rt, "b200-cpu"), 0);
	CHECK_INT(rt_restart_needed(rt, "b100"), 1);
	snprintf(p, sizeof(p), "%s/current/llama-server", rt);
	CHECK_INT(rt_restart_needed(rt, p), 0);
	CHECK_INT(rt_switch(rt, "b300-cpu", &err), 0);
	CHECK_INT(rt_restart_needed(rt, path), 1); /* started from b200, current is b300 */
	CHECK_INT(rt_restart_needed(rt, "b200"), 1);
	CHECK_INT(rt_restart_needed(rt, "/nonexistent/llama-server"), 1);
	CHECK_INT(rt_restart_needed(rt, NULL), 0);

	/* keep current and previous, remove the rest, never foreign dirs */
	snprintf(p, sizeof(p), "%s/hand-made", rt);
	mkdir(p, 0755);
	CHECK_INT(rt_prune(rt, &removed, &err), 0);
	CHECK_INT(removed, 1);
	snprintf(p, sizeof(p), "%s/b100-cpu", rt);
	CHECK(access(p, F_OK) < 0);
	snprintf(p, sizeof(p), "%s/b200-cpu", rt);
	CHECK(access(p, F_OK) == 0);
	snprintf(p, sizeof(p), "%s/hand-made", rt);
	CHECK(access(p, F_OK) == 0);

	/* rollback swaps current and previous */
	CHECK_INT(rt_rollback(rt, &err), 0);
	CHECK_INT(rt_current(rt, &info, &err), 0);
	CHECK_STR(info.tag, "b200");
	CHECK_INT(rt_previous(rt, &info, &err), 0);
	CHECK_STR(info.tag, "b300");

	/* a current without a runnable llama-server is no runtime */
	snprintf(p, sizeof(p), "%s/b200-cpu/llama-server", rt);
	chmod(p, 0644);
	CHECK_INT(rt_current(rt, &info, &err), LM_ERUNTIME);
	chmod(p, 0755);

	/* one installer at a time */
	CHECK_INT(rt_lock(rt, &fd, &err), 0);
	CHECK_INT(rt_lock(rt, &fd2, &err), LM_ESTATE);
	rt_unlock(fd);
	CHECK_INT(rt_lock(rt, &fd2, &err), 0);
	rt_unlock(fd2);
}

static void test_register(void)
{
	char rt[PATH_MAX], srv[PATH_MAX], link[PATH_MAX];
	struct rt_info info;
	struct lm_err err = { 0 };

	snprintf(rt, sizeof(rt), "%s/rt2", t_tmpdir());
	snprintf(srv, sizeof(srv), "%s/my-llama-server", t_tmpdir());
	write_script(srv, "echo 'version: 0.2.0 (build 4242, commit abc)' >&2\n");
	CHECK_INT(rt_register_path(rt, srv, &info, &err), 0);
	CHECK_STR(info.name, "b4242-local");
	CHECK_STR(info.source, "path");
	CHECK_INT(rt_current(rt, &info, &err), 0);
	CHECK_INT(info.build, 4242);
	CHECK_STR(info.origin, srv);
	ssize_t n = readlink(info.server, link, sizeof(link) - 1);
	CHECK(n > 0);
	link[n > 0 ? n : 0] = '\0';
	CHECK_STR(link, srv);
	/* pruning a registered runtime removes the link, never what it points at */
	fake_runtime(rt, "b1-cpu", "b1", 1);
	fake_runtime(rt, "b2-cpu", "b2", 2);
	CHECK_INT(rt_switch(rt, "b1-cpu", &err), 0);
	CHECK_INT(rt_switch(rt, "b2-cpu", &err), 0);
	int removed = 0;
	CHECK_INT(rt_prune(rt, &removed, &err), 0);
	CHECK_INT(removed, 1);
	CHECK(access(info.dir, F_OK) < 0);
	CHECK(access(srv, X_OK) == 0);
}

/* argv as one string, words separated by one space. */
static char *joined(char **argv)
{
	char *out = lm_xstrdup("");
	for (int i = 0; argv[i]; i++) {
		char *n = lm_asprintf("%s%s%s", out, i ? " " : "", argv[i]);
		free(out);
		out = n;
	}
	return out;
}

static void test_server_command(void)
{
	struct rt_model m[2] = {
		{ "org/a:Q4_K_M", "/m/a.gguf", 8192, "99", "q8_0" },
		{ "org/b:F16", "/m/b.gguf", 4096, "", "f16" },
	};
	char *extra[] = { "--threads", "4" };
	struct rt_server s = { .binary = "/rt/llama-server", .models = m, .nmodels = 1,
			       .alias = "a", .host = "127.0.0.1", .port = 8080,
			       .flash_attn = "auto", .kv = "q8_0", .key_file = "/run/k",
			       .extra = extra, .nextra = 2 };
	char **argv = rt_server_argv(&s);
	char *line = joined(argv);

	CHECK_STR(line, "/rt/llama-server -m /m/a.gguf -c 8192 -ngl 99 --alias a --host 127.0.0.1 "
			"--port 8080 -fa auto -ctk q8_0 -ctv q8_0 --jinja --metrics "
			"--api-key-file /run/k --threads 4");
	free(line);
	rt_argv_free(argv);
	/* a router: the preset carries each model; only exceptions to the
	 * default KV type are written */
	s.router = 1;
	s.nmodels = 2;
	s.preset_path = "/run/server-8080.ini";
	s.max_loaded = 2;
	s.parallel = 4;
	s.key_file = NULL;
	s.nextra = 0;
	argv = rt_server_argv(&s);
	line = joined(argv);
	/* no -fa/-ctk/-ctv for a router: they would override every model's own */
	CHECK_STR(line, "/rt/llama-server --models-preset /run/server-8080.ini --models-max 2 "
			"--host 127.0.0.1 --port 8080 --jinja --metrics -np 4");
	free(line);
	rt_argv_free(argv);
	char *ini = rt_server_preset(&s);
	CHECK_STR(ini, "[*]\nflash-attn = auto\ncache-type-k = q8_0\ncache-type-v = q8_0\n"
		       "\n[org/a:Q4_K_M]\nmodel = /m/a.gguf\nctx-size = 8192\nn-gpu-layers = 99\n"
		       "\n[org/b:F16]\nmodel = /m/b.gguf\nctx-size = 4096\n"
		       "cache-type-k = f16\ncache-type-v = f16\n");
	free(ini);
	/* a tag the router would rewrite: a name it keeps, the listed one as alias */
	struct rt_model ud = { "org/c:UD-Q4_K_XL", "/m/c.gguf", 0, "", NULL };
	s.models = &ud;
	s.nmodels = 1;
	ini = rt_server_preset(&s);
	CHECK(strstr(ini, "\n[org/c:UD_Q4_K_XL]\nmodel = /m/c.gguf\nalias = org/c:UD-Q4_K_XL\n") != NULL);
	free(ini);
	char name[128];
	rt_preset_name("org/r:q4_k_m", name, sizeof(name));
	CHECK_STR(name, "org/r:Q4_K_M");
	rt_preset_name("org/r:mmproj-F16.gguf", name, sizeof(name));
	CHECK_STR(name, "org/r:MMPROJ_F16_GGUF");
	rt_preset_name("/models/x-1.5.gguf", name, sizeof(name)); /* no tag: kept */
	CHECK_STR(name, "/models/x-1.5.gguf");

	/* safety flags, only where the binary lists them */
	struct rt_caps caps = { 0 };
	CHECK_INT(rt_caps_parse("usage: llama-server [options]\n\n----- common params -----\n\n"
				"-h,    --help, --usage                  print usage and exit\n"
				"-kvu,  --kv-unified                     use a unified buffer\n"
				"--cors-origins ORIGINS                  origins allowed\n"
				"--slots, --no-slots                     expose slots monitoring endpoint\n"
				"                                        (env: LLAMA_ARG_ENDPOINT_SLOTS)\n"
				"--offline                               Offline mode\n",
				&caps), 0);
	CHECK(rt_caps_has(&caps, "--kv-unified"));
	CHECK(rt_caps_has(&caps, "-kvu"));
	CHECK(rt_caps_has(&caps, "--no-slots"));
	CHECK(!rt_caps_has(&caps, "-----"));
	CHECK(!rt_caps_has(&caps, "--sleep-idle-seconds"));
	s.models = m;
	s.nmodels = 2;
	s.caps = &caps;
	s.kv_unified = 1;
	argv = rt_server_argv(&s);
	line = joined(argv);
	CHECK(strstr(line, " --kv-unified --cors-origins localhost --no-slots --offline") != NULL);
	free(line);
	rt_argv_free(argv);
	/* --slots asked for after "--": no --no-slots; a single model: no --offline */
	char *slots[] = { "--slots" };
	s.extra = slots;
	s.nextra = 1;
	s.router = 0;
	s.kv_unified = 0;
	argv = rt_server_argv(&s);
	line = joined(argv);
	CHECK(strstr(line, "--no-slots") == NULL);
	CHECK(strstr(line, "--offline") == NULL);
	CHECK(strstr(line, "--cors-origins localhost") != NULL);
	free(line);
	rt_argv_free(argv);
	rt_caps_release(&caps);
	CHECK_INT(rt_caps_parse("no flags here\n", &caps), -1);
	rt_caps_release(&caps);
	/* heads not a multiple of 32 wide: f16 unless the user chose */
	CHECK_STR(rt_kv_for_heads("q8_0", 0, 128, 128), "q8_0");
	CHECK_STR(rt_kv_for_heads("q8_0", 0, 16, 16), "f16");
	CHECK_STR(rt_kv_for_heads("q4_0", 1, 16, 16), "q4_0");
	CHECK_STR(rt_kv_for_heads("q8_0", 0, 0, 0), "q8_0");
}

int main(void)
{
	test_server_command();
	test_choice();
	test_version();
	test_layout();
	test_register();
	return T_DONE();
}
