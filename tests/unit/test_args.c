/* Unit tests of args.c: option parsing, repeatable options. */
#include "t.h"
#include "localmodel/cmd.h"

static const struct lm_opt opts[] = {
	{ "file", 'f', LM_OPT_LIST, "PATH", "a file" },
	{ "connections", 0, LM_OPT_VALUE, "N", "connections" },
	{ "force", 0, LM_OPT_FLAG, NULL, "force" },
	LM_OPT_END,
};

static int parse(struct lm_args *a, int argc, char **argv)
{
	struct lm_err err = { 0 };
	return args_parse(a, opts, argc, argv, &err);
}

static void test_list(void)
{
	char *argv[] = { "pull", "--file", "a.gguf", "org/r", "--file=b.gguf", "-f", "c.gguf",
			 "-fd.gguf", "--connections", "2", "--connections", "3", "--file", "a.gguf" };
	struct lm_args a;
	const char **v;
	int n = -1;

	CHECK_INT(parse(&a, (int)(sizeof(argv) / sizeof(*argv)), argv), LM_OK);
	v = args_get_all(&a, "file", &n);
	CHECK_INT(n, 5);
	CHECK_STR(v[0], "a.gguf");
	CHECK_STR(v[1], "b.gguf");
	CHECK_STR(v[2], "c.gguf");
	CHECK_STR(v[3], "d.gguf");
	CHECK_STR(v[4], "a.gguf"); /* the list keeps repeats: the caller decides */
	CHECK(v[5] == NULL);
	free(v);
	CHECK_STR(args_get(&a, "file"), "a.gguf");
	CHECK_STR(args_get(&a, "connections"), "3"); /* a plain value: the last one */
	CHECK_INT(a.npos, 1);
	CHECK_STR(a.pos[0], "org/r");
	args_release(&a);
}

static void test_list_absent(void)
{
	char *argv[] = { "pull", "org/r", "--force", "--", "--file", "x" };
	struct lm_args a;
	const char **v;
	int n = -1;

	CHECK_INT(parse(&a, 6, argv), LM_OK);
	v = args_get_all(&a, "file", &n);
	CHECK_INT(n, 0);
	CHECK(v != NULL && v[0] == NULL);
	free(v);
	CHECK(args_get(&a, "file") == NULL);
	CHECK(args_has(&a, "force"));
	CHECK_INT(a.nextra, 2);
	args_release(&a);
}

static void test_list_errors(void)
{
	char *argv[] = { "pull", "org/r", "--file" };
	char *argv2[] = { "pull", "--files", "x" };
	struct lm_args a;
	struct lm_err err = { 0 };

	CHECK_INT(args_parse(&a, opts, 3, argv, &err), LM_EUSAGE);
	CHECK(strstr(err.msg, "needs a value") != NULL);
	args_release(&a);
	CHECK_INT(args_parse(&a, opts, 3, argv2, &err), LM_EUSAGE);
	CHECK(strstr(err.msg, "did you mean '--file'") != NULL);
	args_release(&a);
}

int main(void)
{
	test_list();
	test_list_absent();
	test_list_errors();
	return T_DONE();
}
