/* spawntime: run a command N times (posix_spawn + waitpid, stdout and stderr
 * to /dev/null) and print the median wall time in microseconds. Used by the
 * benchmarks so that whole-process times are measured the same way for
 * localmodel and for its references. usage: spawntime N cmd [args...] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0;
	double *t;
	posix_spawn_file_actions_t fa;

	if (n <= 0) {
		fprintf(stderr, "usage: spawntime N cmd [args...]\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof(double));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (int i = -3; i < n; i++) { /* 3 warm-up runs */
		struct timespec a, b;
		pid_t pid;
		int st;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0) {
			perror(argv[2]);
			return 1;
		}
		waitpid(pid, &st, 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (i >= 0)
			t[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(t, (size_t)n, sizeof(double), cmp);
	printf("%.0f\n", t[n / 2]);
	free(t);
	return 0;
}
