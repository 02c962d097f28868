/* Unit tests of archive.c: safe extraction of tar archives built in memory. */
#include "t.h"
#include "localmodel/archive.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

/* A tiny ustar writer. */
struct tarbuf {
	unsigned char *p;
	size_t len;
};

static void oct(char *dst, size_t n, unsigned long long v)
{
	snprintf(dst, n, "%0*llo", (int)n - 1, v);
}

static void tar_add(struct tarbuf *t, const char *name, char type, unsigned mode,
		    const char *data, const char *link)
{
	size_t dlen = data ? strlen(data) : 0, blocks = (dlen + 511) / 512;
	unsigned char *h;
	unsigned sum = 0;

	t->p = realloc(t->p, t->len + 512 + blocks * 512);
	h = t->p + t->len;
	memset(h, 0, 512 + blocks * 512);
	snprintf((char *)h, 100, "%s", name);
	oct((char *)h + 100, 8, mode);
	oct((char *)h + 108, 8, 0);
	oct((char *)h + 116, 8, 0);
	oct((char *)h + 124, 12, dlen);
	oct((char *)h + 136, 12, 1787000000);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	if (link)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar\0" "00", 8);
	if (type == '3') {
		oct((char *)h + 329, 8, 1);
		oct((char *)h + 337, 8, 3);
	}
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	if (dlen)
		memcpy(h + 512, data, dlen);
	t->len += 512 + blocks * 512;
}

static void tar_end(struct tarbuf *t)
{
	t->p = realloc(t->p, t->len + 1024);
	memset(t->p + t->len, 0, 1024);
	t->len += 1024;
}

static void good_tree(struct tarbuf *t, const char *top)
{
	char n[256];
	snprintf(n, sizeof(n), "%s/", top);
	tar_add(t, n, '5', 0755, NULL, NULL);
	snprintf(n, sizeof(n), "%s/llama-server", top);
	tar_add(t, n, '0', 04755, "#!/bin/sh\nexit 0\n", NULL);
	snprintf(n, sizeof(n), "%s/libllama.so.0.2.0", top);
	tar_add(t, n, '0', 0755, "ELF", NULL);
	snprintf(n, sizeof(n), "%s/libllama.so.0", top);
	tar_add(t, n, '2', 0777, NULL, "libllama.so.0.2.0");
	snprintf(n, sizeof(n), "%s/libllama.so", top);
	tar_add(t, n, '2', 0777, NULL, "libllama.so.0");
	snprintf(n, sizeof(n), "%s/LICENSE", top);
	tar_add(t, n, '0', 0666, "MIT\n", NULL);
	snprintf(n, sizeof(n), "%s/LICENSE.hl", top);
	tar_add(t, n, '1', 0644, NULL, "llama-b1/LICENSE");
}

static int count_entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void test_good(void)
{
	struct tarbuf t = { 0 };
	struct lm_err err = { 0 };
	char dest[PATH_MAX], p[PATH_MAX * 2], link[64];
	struct stat st;

	good_tree(&t, "llama-b1");
	tar_end(&t);
	snprintf(dest, sizeof(dest), "%s/good", t_tmpdir());
	CHECK_INT(ar_extract_memory(t.p, t.len, dest, NULL, &err), 0);
	snprintf(p, sizeof(p), "%s/llama-server", dest);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0100) && !(st.st_mode & S_ISUID));
	snprintf(p, sizeof(p), "%s/LICENSE", dest);
	CHECK(stat(p, &st) == 0 && !(st.st_mode & 0022) && st.st_nlink == 2);
	snprintf(p, sizeof(p), "%s/libllama.so", dest);
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	CHECK(n > 0);
	link[n > 0 ? n : 0] = '\0';
	CHECK_STR(link, "libllama.so.0");
	CHECK(stat(p, &st) == 0 && S_ISREG(st.st_mode)); /* the chain resolves */
	/* nothing left behind but dest itself */
	CHECK_INT(count_entries(t_tmpdir()), 1);
	/* dest exists now: a second extraction refuses */
	CHECK(ar_extract_memory(t.p, t.len, dest, NULL, &err) != 0);
	CHECK_INT(ar_remove_tree(dest, &err), 0);
	CHECK(access(dest, F_OK) < 0);
	free(t.p);
}

/* Build an archive with the good tree plus one hostile addition. */
static int try_hostile(const char *label, const char *name, char type, const char *data,
		       const char *link, const char *name2, const char *data2)
{
	struct tarbuf t = { 0 };
	struct lm_err err = { 0 };
	char dest[PATH_MAX];
	int rc;

	good_tree(&t, "llama-b1");
	tar_add(&t, name, type, 0644, data, link);
	if (name2)
		tar_add(&t, name2, '0', 0644, data2, NULL);
	tar_end(&t);
	snprintf(dest, sizeof(dest), "%s/h-%s", t_tmpdir(), label);
	rc = ar_extract_memory(t.p, t.len, dest, NULL, &err);
	if (rc != LM_EINTEGRITY)
		fprintf(stderr, "%s: rc %d: %s\n", label, rc, err.msg);
	if (access(dest, F_OK) == 0)
		rc = -1;
	/* no staging directory left behind */
	if (count_entries(t_tmpdir()) != 1)
		rc = -2;
	free(t.p);
	return rc;
}

static void test_hostile(void)
{
	char outside[PATH_MAX], victim[PATH_MAX + 16], rel[PATH_MAX + 32];

	/* tmpdir holds only "outside" from here on */
	snprintf(outside, sizeof(outside), "%s/outside", t_tmpdir());
	CHECK(mkdir(outside, 0700) == 0);
	snprintf(victim, sizeof(victim), "%s/pwned", outside);

	CHECK_INT(try_hostile("dotdot", "llama-b1/../outside/pwned", '0', "x", NULL, NULL, NULL),
		  LM_EINTEGRITY);
	CHECK_INT(try_hostile("abs", victim, '0', "x", NULL, NULL, NULL), LM_EINTEGRITY);
	CHECK_INT(try_hostile("symabs", "llama-b1/evil", '2', NULL, outside, "llama-b1/evil/pwned",
			      "x"),
		  LM_EINTEGRITY);
	CHECK_INT(try_hostile("symrel", "llama-b1/evil", '2', NULL, "../../outside",
			      "llama-b1/evil/pwned", "x"),
		  LM_EINTEGRITY);
	CHECK_INT(try_hostile("through", "llama-b1/sub", '2', NULL, ".", "llama-b1/sub/x", "x"),
		  LM_EINTEGRITY);
	CHECK_INT(try_hostile("over", "llama-b1/lnk", '2', NULL, "LICENSE", "llama-b1/lnk", "x"),
		  LM_EINTEGRITY);
	snprintf(rel, sizeof(rel), "../outside/pwned");
	CHECK_INT(try_hostile("hardlink", "llama-b1/hl", '1', NULL, rel, NULL, NULL),
		  LM_EINTEGRITY);
	CHECK_INT(try_hostile("hardlink-sym", "llama-b1/hl", '1', NULL, "llama-b1/libllama.so",
			      NULL, NULL),
		  LM_EINTEGRITY);
	CHECK_INT(try_hostile("device", "llama-b1/null", '3', NULL, NULL, NULL, NULL),
		  LM_EINTEGRITY);
	CHECK_INT(try_hostile("fifo", "llama-b1/pipe", '6', NULL, NULL, NULL, NULL),
		  LM_EINTEGRITY);
	/* a link escaping the top-level dir but not the staging dir */
	CHECK_INT(try_hostile("toplevel", "llama-b1/up", '2', NULL, "..", NULL, NULL),
		  LM_EINTEGRITY);
	CHECK(access(victim, F_OK) < 0);
	CHECK_INT(count_entries(outside), 0);
}

static void test_chain_late(void)
{
	struct tarbuf t = { 0 };
	struct lm_err err = { 0 };
	char dest[PATH_MAX];

	good_tree(&t, "llama-b1");
	tar_add(&t, "llama-b1/sub/", '5', 0755, NULL, NULL);
	tar_add(&t, "llama-b1/sub/a", '2', 0777, NULL, "b/../..");
	tar_add(&t, "llama-b1/sub/b", '2', 0777, NULL, "..");
	tar_end(&t);
	snprintf(dest, sizeof(dest), "%s/chain2", t_tmpdir());
	CHECK_INT(ar_extract_memory(t.p, t.len, dest, NULL, &err), LM_EINTEGRITY);
	CHECK(strstr(err.msg, "outside") != NULL);
	CHECK(access(dest, F_OK) < 0);
	free(t.p);
}

static void test_link_inside(void)
{
	const char *root = t_tmpdir();
	CHECK(ar_link_inside(root, "a", "b"));
	CHECK(ar_link_inside(root, "d/a", "../b"));
	CHECK(!ar_link_inside(root, "a", "../b"));
	CHECK(!ar_link_inside(root, "a", "/etc"));
	CHECK(!ar_link_inside(root, "a", ""));
	CHECK(ar_link_inside(root, "d/e/a", "./../../x/./y"));
	CHECK(!ar_link_inside(root, "d/e/a", "../../../x"));
}

static void test_garbage(void)
{
	struct lm_err err = { 0 };
	char dest[PATH_MAX];
	static const char junk[] = "this is not an archive at all, not even close";
	struct tarbuf t = { 0 };

	snprintf(dest, sizeof(dest), "%s/junk", t_tmpdir());
	CHECK_INT(ar_extract_memory(junk, sizeof(junk), dest, NULL, &err), LM_EINTEGRITY);
	CHECK(access(dest, F_OK) < 0);
	/* a size limit */
	good_tree(&t, "llama-b1");
	tar_end(&t);
	struct ar_opts lim = { .max_bytes = 4 };
	CHECK_INT(ar_extract_memory(t.p, t.len, dest, &lim, &err), LM_ERESOURCE);
	CHECK(access(dest, F_OK) < 0);
	/* a flat archive (no top-level dir) is fine and becomes dest itself */
	free(t.p);
	memset(&t, 0, sizeof(t));
	tar_add(&t, "llama-server", '0', 0755, "x", NULL);
	tar_add(&t, "LICENSE", '0', 0644, "x", NULL);
	tar_end(&t);
	CHECK_INT(ar_extract_memory(t.p, t.len, dest, NULL, &err), 0);
	char p[PATH_MAX + 16];
	snprintf(p, sizeof(p), "%s/llama-server", dest);
	CHECK(access(p, X_OK) == 0);
	CHECK_INT(ar_remove_tree(dest, &err), 0);
	free(t.p);
}

int main(void)
{
	test_link_inside();
	test_good();
	test_hostile();
	test_chain_late();
	test_garbage();
	return T_DONE();
}
