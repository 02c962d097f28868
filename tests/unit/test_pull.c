/* test_pull: free space, the fit of a remote file, and fetching a file that
 * is already there or identical to one on disk (no network involved). */
#include "t.h"
#include "localmodel/dl.h"
#include "localmodel/fit.h"
#include "localmodel/pull.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "wb");
	fputs(data, f);
	fclose(f);
}

static void test_space(void)
{
	struct lm_err err = { 0 };
	uint64_t free_b = 0;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/does/not/exist", t_tmpdir());
	CHECK_INT(pull_free_space(dir, &free_b, &err), 0);
	CHECK(free_b > 0);
	setenv("LOCALMODEL_TEST_FREE_BYTES", "2G", 1);
	CHECK_INT(pull_free_space(dir, &free_b, &err), 0);
	CHECK_INT(free_b, 2ull << 30);
	CHECK_INT(pull_check_space(dir, 512ull << 20, &err), 0);
	CHECK_INT(pull_check_space(dir, (1ull << 30) + 1, &err), LM_ERESOURCE);
	CHECK(strstr(err.msg, "not enough free space") != NULL);
	setenv("LOCALMODEL_TEST_FREE_BYTES", "lots", 1);
	CHECK_INT(pull_free_space(dir, &free_b, &err), LM_EUSAGE);
	unsetenv("LOCALMODEL_TEST_FREE_BYTES");
}

static void test_fits(void)
{
	struct lm_fit_machine mc;

	CHECK_INT(pull_fits_size(NULL, 0, NULL, 1), -1);
	fit_machine_from_sizes(&mc, 8ull << 30, 0, 0);
	CHECK_INT(pull_fits_size(&mc, 2ull << 30, NULL, 4ull << 30), 1);
	CHECK_INT(pull_fits_size(&mc, 2ull << 30, NULL, 7ull << 30), 0);
	/* a repo the catalog knows: its own shape */
	CHECK_INT(pull_fits_size(&mc, 2ull << 30, "bartowski/Qwen2.5-0.5B-Instruct-GGUF", 400ull << 20), 1);
	CHECK_INT(pull_fits_size(&mc, 2ull << 30, "bartowski/Qwen2.5-0.5B-Instruct-GGUF", 9ull << 30), 0);
}

static void test_fetch_local(void)
{
	struct lm_err err = { 0 };
	struct pull_result r;
	struct pull_opts o;
	struct pull_file f;
	char src[512], dest[512], hex[65], lock[600];
	const char *cands[2];
	struct stat a, b;

	snprintf(src, sizeof(src), "%s/src.gguf", t_tmpdir());
	snprintf(dest, sizeof(dest), "%s/models/org/repo/dir/m.gguf", t_tmpdir());
	write_file(src, "GGUF same bytes");
	CHECK_INT(sha256_file(src, hex, &err), 0);
	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	f.url = "http://127.0.0.1:9/never";
	f.dest = dest;
	f.size = 15;
	f.sha256 = hex;
	f.repo = "org/repo";
	cands[0] = src;
	cands[1] = NULL;
	f.candidates = cands;
	setenv("HF_HUB_CACHE", "/nonexistent", 1);
	unsetenv("LLAMA_CACHE");
	/* identical file: hard-linked, directories created, no lock left */
	CHECK_INT(pull_fetch(NULL, &f, &o, &r, &err), 0);
	CHECK_INT(r.how, PULL_LINKED);
	CHECK_STR(r.source, "localmodel");
	CHECK_STR(r.sha256, hex);
	CHECK(stat(src, &a) == 0 && stat(dest, &b) == 0 && a.st_ino == b.st_ino);
	snprintf(lock, sizeof(lock), "%s.lock", dest);
	CHECK(access(lock, F_OK) != 0);
	/* now present (hashed since not trusted) */
	CHECK_INT(pull_fetch(NULL, &f, &o, &r, &err), 0);
	CHECK_INT(r.how, PULL_PRESENT);
	CHECK_STR(pull_how_name(r.how), "present");
	/* copy when linking is refused */
	unlink(dest);
	setenv("LOCALMODEL_TEST_NO_LINK", "1", 1);
	CHECK_INT(pull_fetch(NULL, &f, &o, &r, &err), 0);
	CHECK_INT(r.how, PULL_COPIED);
	CHECK(stat(src, &a) == 0 && stat(dest, &b) == 0 && a.st_ino != b.st_ino);
	unsetenv("LOCALMODEL_TEST_NO_LINK");
	/* a present file with the wrong bytes is replaced by the right one */
	unlink(dest);
	write_file(dest, "GGUF othr bytes");
	CHECK_INT(pull_fetch(NULL, &f, &o, &r, &err), 0);
	CHECK_INT(r.how, PULL_LINKED);
	char got[65];
	CHECK_INT(sha256_file(dest, got, &err), 0);
	CHECK_STR(got, hex);
	/* trusted: the size is enough, no hashing */
	unlink(dest);
	write_file(dest, "GGUF othr bytes");
	f.trusted = 1;
	CHECK_INT(pull_fetch(NULL, &f, &o, &r, &err), 0);
	CHECK_INT(r.how, PULL_PRESENT);
}

int main(void)
{
	struct lm_err err;
	if (dl_crypto_load(&err)) {
		printf("libcrypto missing: %s\n", err.msg);
		return 1;
	}
	test_space();
	test_fits();
	test_fetch_local();
	return T_DONE();
}
