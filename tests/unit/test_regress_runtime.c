/* test_regress_runtime: inputs the fuzzers found that broke the runtime
 * layer.
 *
 * read_info (src/runtime.c) converts the "build" number of a runtime's
 * .localmodel.json with (long)valuedouble: 1e300 is undefined behaviour
 * (UBSan: "outside the range of representable values of type 'long'") and
 * on x86-64 gave LONG_MIN. take_asset did the same with an asset's
 * "size" (uint64_t). Both now treat an out-of-range number as unknown. Each
 * case runs in a child, so that a crash is a failed check, not a lost run.
 */
#include "localmodel/runtime.h"
#include "t.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

/* rt_current on a runtime whose record says `json`: 0 when it answers
 * with a build in [0, 2^62), 1 on an out-of-range build, 2 on a crash,
 * 3 when it fails. */
static int info_case(const char *name, const char *json)
{
	char dir[512], sub[600], file[700], link[600];
	pid_t pid;
	int st;

	snprintf(dir, sizeof(dir), "%s/%s", t_tmpdir(), name);
	snprintf(sub, sizeof(sub), "%s/b1-cpu", dir);
	snprintf(file, sizeof(file), "%s/.localmodel.json", sub);
	snprintf(link, sizeof(link), "%s/current", dir);
	if (mkdir(dir, 0700) || mkdir(sub, 0700) || symlink("b1-cpu", link)) {
		perror(dir);
		exit(2);
	}
	put(file, json);
	snprintf(file, sizeof(file), "%s/llama-server", sub);
	put(file, "#!/bin/sh\n");
	chmod(file, 0755);
	pid = fork();
	if (pid == 0) {
		struct rt_info in;
		struct lm_err err;
		int rc = rt_current(dir, &in, &err);
		if (rc != LM_OK)
			_exit(3);
		_exit(in.build >= 0 && in.build < 1L << 62 ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || WIFSIGNALED(st))
		return 2;
	return WEXITSTATUS(st) <= 3 ? WEXITSTATUS(st) : 2;
}

int main(void)
{
	CHECK_INT(info_case("plain", "{\"tag\":\"b10587\",\"build\":10587,\"backend\":\"cpu\"}"), 0);
	CHECK_INT(info_case("garbage", "{\"tag\":"), 0); /* guessed from the name */
	CHECK_INT(info_case("huge", "{\"tag\":\"b1\",\"build\":1e300}"), 0);
	CHECK_INT(info_case("tiny", "{\"tag\":\"b1\",\"build\":-1e300}"), 0);
	return T_DONE();
}
