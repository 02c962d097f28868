/* test_regress_http: inputs the fuzzers found that broke the http layer.
 *
 * Link header parsing (http_link_next): a value whose last '<...>' entry
 * has no parameters ("<url>" at the very end) made link_find_next step
 * past the terminating NUL (strchr from gt + 2). The value is placed so
 * that its NUL is the last byte of a page followed by an unreadable page:
 * an over-read crashes in every build, not only under ASan. Each case runs
 * in a child process, so that a crash is a failed check.
 */
#include "localmodel/http.h"
#include "t.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* A copy of s ending exactly at a page boundary, an unreadable page after. */
static char *at_page_end(const char *s)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t n = strlen(s) + 1;
	char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (m == MAP_FAILED || mprotect(m + pg, (size_t)pg, PROT_NONE) != 0) {
		perror("mmap");
		exit(2);
	}
	memset(m, ';', (size_t)pg); /* what an over-read finds before the guard */
	memcpy(m + pg - n, s, n);
	return m + pg - n;
}

/* Run http_link_next on one Link value in a child: 0 ok (want matched),
 * 1 wrong answer, 2 crashed. */
static int link_case(const char *value, const char *want)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct lm_http_header h = { "Link", at_page_end(value) };
		struct lm_http_response r = { .status = 200, .headers = &h, .nheaders = 1 };
		char *got = http_link_next(&r);
		int ok = want ? got && !strcmp(got, want) : got == NULL;
		free(got);
		_exit(ok ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 2;
	if (WIFSIGNALED(st))
		return 2;
	return WEXITSTATUS(st) == 0 ? 0 : WEXITSTATUS(st) == 1 ? 1 : 2;
}

int main(void)
{
	/* the well-formed cases never reach the end of the string */
	CHECK_INT(link_case("<https://h.example/a?c=2>; rel=\"next\"", "https://h.example/a?c=2"), 0);
	CHECK_INT(link_case("<https://h.example/a?c=1>; rel=\"prev\"", NULL), 0);
	/* the entry that ends the value has no parameters */
	CHECK_INT(link_case("<https://h.example/a>", NULL), 0);
	CHECK_INT(link_case("<https://h.example/a?c=1>; rel=\"prev\", <https://h.example/b>", NULL), 0);
	/* found by fuzz_runtime */
	CHECK_INT(link_case("<https:[{\"tag_na//api.githu9me\":\"b1>", NULL), 0);
	return T_DONE();
}
