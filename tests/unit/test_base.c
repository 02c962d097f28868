/* Unit tests of base.c, paths.c and config.c. */
#include "t.h"
#include "localmodel/base.h"
#include "localmodel/config.h"
#include "localmodel/paths.h"

#include <stdlib.h>
#include <sys/stat.h>

static void test_sizes(void)
{
	uint64_t v = 0;
	char buf[32];

	CHECK(lm_parse_size("8G", &v) == 0);
	CHECK_INT(v, 8ULL << 30);
	CHECK(lm_parse_size("16GiB", &v) == 0);
	CHECK_INT(v, 16ULL << 30);
	CHECK(lm_parse_size("512M", &v) == 0);
	CHECK_INT(v, 512ULL << 20);
	CHECK(lm_parse_size("1.5T", &v) == 0);
	CHECK_INT(v, 3ULL << 39);
	CHECK(lm_parse_size("1024", &v) == 0);
	CHECK_INT(v, 1024);
	CHECK(lm_parse_size("", &v) < 0);
	CHECK(lm_parse_size("-1G", &v) < 0);
	CHECK(lm_parse_size("8X", &v) < 0);
	CHECK(lm_parse_size("8Gx", &v) < 0);
	lm_format_size(13314398618ULL, buf, sizeof(buf));
	CHECK_STR(buf, "12.4 GB");
	lm_format_size(100, buf, sizeof(buf));
	CHECK_STR(buf, "100 B");
}

static void test_times(void)
{
	time_t t;
	char buf[32];

	CHECK(lm_time_parse("2026-01-02T03:04:05Z", &t) == 0);
	lm_time_iso(t, buf, sizeof(buf));
	CHECK_STR(buf, "2026-01-02T03:04:05Z");
	CHECK(lm_time_parse("2026-01-02", &t) == 0);
	lm_time_iso(t, buf, sizeof(buf));
	CHECK_STR(buf, "2026-01-02T00:00:00Z");
	CHECK(lm_time_parse("2026-13-02", &t) < 0);
	CHECK(lm_time_parse("yesterday", &t) < 0);
	lm_format_ago(1000, 1000 + 3 * 86400, buf, sizeof(buf));
	CHECK_STR(buf, "3 days ago");
	lm_format_ago(0, 1000, buf, sizeof(buf));
	CHECK_STR(buf, "never");
}

static void test_strings(void)
{
	long v;
	CHECK_INT(lm_edit_distance("status", "stauts"), 1);
	CHECK_INT(lm_edit_distance("pull", "pull"), 0);
	CHECK(lm_parse_long("42", 0, 100, &v) == 0 && v == 42);
	CHECK(lm_parse_long("420", 0, 100, &v) < 0);
	CHECK(lm_parse_long("4x", 0, 100, &v) < 0);
	CHECK(lm_ends_with_ci("model.GGUF", ".gguf"));
	{
		char *buf = NULL;
		size_t len = 0;
		CHECK_INT(lm_bytes_append(&buf, &len, "abc", 3, 5), 0);
		CHECK_INT(lm_bytes_append(&buf, &len, "de", 2, 5), 0); /* exactly the bound */
		CHECK_INT(lm_bytes_append(&buf, &len, "f", 1, 5), -1);
		CHECK(len == 5 && !strcmp(buf, "abcde"));
		free(buf);
	}
}

static void test_paths(void)
{
	struct lm_paths p;
	struct lm_err err = { 0 };
	char dir[512];

	CHECK(paths_init(&p, "/srv/lm", &err) == 0);
	CHECK_STR(p.models_dir, "/srv/lm/models");
	CHECK_STR(p.db_path, "/srv/lm/localmodel.db");
	CHECK_STR(p.config_file, "/srv/lm/config");
	unsetenv("LOCALMODEL_HOME");
	setenv("HOME", "/home/u", 1);
	setenv("XDG_DATA_HOME", "/data", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_RUNTIME_DIR");
	CHECK(paths_init(&p, NULL, &err) == 0);
	CHECK_STR(p.models_dir, "/data/localmodel/models");
	CHECK_STR(p.config_file, "/home/u/.config/localmodel/config");
	CHECK_STR(p.run_dir, "/home/u/.local/state/localmodel/run");
	snprintf(dir, sizeof(dir), "%s/a/b/c", t_tmpdir());
	CHECK(paths_ensure_dir(dir, &err) == 0);
	struct stat st;
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
}

static void write_cfg(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void test_config(void)
{
	struct lm_config c;
	struct lm_err err = { 0 };
	char path[512];

	snprintf(path, sizeof(path), "%s/config", t_tmpdir());
	write_cfg(path, "# comment\n\nreserve_gb = 4\nport=9000 \nfrobnicate = 1\nhost = \"0.0.0.0\"\n");
	config_defaults(&c);
	unsetenv("LOCALMODEL_PORT");
	CHECK(config_load(&c, path, &err) == 0);
	CHECK(c.reserve_gb == 4);
	CHECK_INT(c.port, 9000);
	CHECK_STR(c.host, "0.0.0.0");
	CHECK_INT(c.nwarnings, 1);
	CHECK(strstr(c.warnings[0], "frobnicate") != NULL);

	setenv("LOCALMODEL_PORT", "7000", 1);
	config_defaults(&c);
	CHECK(config_load(&c, path, &err) == 0);
	CHECK_INT(c.port, 7000);
	unsetenv("LOCALMODEL_PORT");

	write_cfg(path, "stale_days = 30\nport = seventy\n");
	config_defaults(&c);
	CHECK_INT(config_load(&c, path, &err), LM_EUSAGE);
	CHECK(strstr(err.msg, ":2:") != NULL);
	write_cfg(path, "just words\n");
	config_defaults(&c);
	CHECK_INT(config_load(&c, path, &err), LM_EUSAGE);

	config_defaults(&c);
	snprintf(path, sizeof(path), "%s/missing", t_tmpdir());
	CHECK(config_load(&c, path, &err) == 0);
	CHECK_INT(c.stale_days, 30);
}

int main(void)
{
	test_sizes();
	test_times();
	test_strings();
	test_paths();
	test_config();
	return T_DONE();
}
