/* t.h: the tiny unit-test harness. Each tests/unit/test_<layer>.c is one
 * program: CHECK* macros count, T_DONE() prints "N passed, N failed". */
#ifndef LOCALMODEL_T_H
#define LOCALMODEL_T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (cond) {                                                            \
			t_pass++;                                                      \
		} else {                                                               \
			t_fail++;                                                      \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                      \
	} while (0)

#define CHECK_INT(a, b)                                                                \
	do {                                                                           \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);                \
		if (t_a_ == t_b_) {                                                    \
			t_pass++;                                                      \
		} else {                                                               \
			t_fail++;                                                      \
			fprintf(stderr, "%s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, \
				#a, t_a_, t_b_);                                       \
		}                                                                      \
	} while (0)

#define CHECK_STR(a, b)                                                                \
	do {                                                                           \
		const char *t_a_ = (a), *t_b_ = (b);                                   \
		if (t_a_ && t_b_ && !strcmp(t_a_, t_b_)) {                             \
			t_pass++;                                                      \
		} else {                                                               \
			t_fail++;                                                      \
			fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", __FILE__,  \
				__LINE__, #a, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)"); \
		}                                                                      \
	} while (0)

/* A fresh temporary directory for this test program (removed by the runner). */
static inline const char *t_tmpdir(void)
{
	static char dir[256];
	if (!dir[0]) {
		const char *base = getenv("T_TMPDIR");
		snprintf(dir, sizeof(dir), "%s/unit-XXXXXX", base && *base ? base : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return dir;
}

#define T_DONE()                                                                       \
	(printf("%s: %d passed, %d failed\n", __FILE__, t_pass, t_fail), t_fail ? 1 : 0)

#endif
