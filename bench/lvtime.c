/* SPDX-License-Identifier: ISC */
/*
 * lvtime.c: the benchmarks' timer, built static so that it runs in the VM
 * (busybox has no time with sub-millisecond resolution).
 *
 *   lvtime CMD [ARGS...] [:: CMD [ARGS...]]...
 *
 * runs each command in turn (stdout and stderr to /dev/null unless
 * LVTIME_VERBOSE is set), stops at the first that fails, and prints the
 * wall time of the whole sequence in nanoseconds (CLOCK_MONOTONIC) on
 * stdout.  Exit status: 0, or that of the failed command (125 when one
 * cannot be started).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run(char **argv, int quiet)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 125;
	if (pid == 0) {
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0) {
				dup2(null, 1);
				dup2(null, 2);
			}
		}
		execvp(argv[0], argv);
		_exit(125);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 125;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	int quiet = getenv("LVTIME_VERBOSE") == NULL;
	uint64_t start;
	int first = 1, rc = 0;

	if (argc < 2) {
		fputs("usage: lvtime CMD [ARGS...] [:: CMD [ARGS...]]...\n", stderr);
		return 125;
	}
	start = now_ns();
	for (int i = 1; i <= argc && rc == 0; i++) {
		if (i < argc && strcmp(argv[i], "::") != 0)
			continue;
		argv[i < argc ? i : argc] = NULL;
		if (i > first)
			rc = run(argv + first, quiet);
		first = i + 1;
	}
	printf("%llu\n", (unsigned long long)(now_ns() - start));
	if (rc)
		fprintf(stderr, "lvtime: a command exited with %d\n", rc);
	return rc;
}
