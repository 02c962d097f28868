/* test_pull_verify: the git blob id check of plain git files. */
#include "localmodel/pull.h"
#include "t.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	char path[512], sha256[65];
	struct lm_err err = { 0 };

	snprintf(path, sizeof(path), "%s/hello", t_tmpdir());
	write_file(path, "hello\n");
	/* `printf 'hello\n' | git hash-object --stdin` */
	CHECK_INT(pull_verify_git_blob(path, "ce013625030ba8dba906f756967f9e9ca394464a", sha256,
				       &err), LM_OK);
	CHECK_STR(sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	CHECK_INT(pull_verify_git_blob(path, "CE013625030BA8DBA906F756967F9E9CA394464A", sha256,
				       &err), LM_OK);
	CHECK_INT(pull_verify_git_blob(path, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", sha256,
				       &err), LM_EINTEGRITY);
	CHECK_STR(sha256, "");
	CHECK(strstr(err.msg, "git blob id mismatch") != NULL);
	write_file(path, "");
	CHECK_INT(pull_verify_git_blob(path, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", sha256,
				       &err), LM_OK);
	snprintf(path, sizeof(path), "%s/missing", t_tmpdir());
	CHECK_INT(pull_verify_git_blob(path, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", sha256,
				       &err), LM_EFAIL);
	return T_DONE();
}
