/* SPDX-License-Identifier: ISC */
/*
 * standalone_main.c: runs LLVMFuzzerTestOneInput over the files and
 * directories (not recursive, sorted by name) given as arguments, without
 * libFuzzer.  Linked with any compiler and the sanitizers of choice; this is
 * how make fuzz-replay and fuzz/replay.sh replay corpora and regressions,
 * and how make fuzz-coverage collects profiles.
 *
 *   <target> [-v] [-repeat=N] PATH...
 *                             exit 0 when every input ran; a crash aborts
 *
 * -v names each input as it runs; -repeat=N runs each input N times and
 * prints the CPU time per run (how fuzz/README.md "Speed" measures the cost
 * of a run without libFuzzer).  Other arguments starting with '-' are
 * ignored, so libFuzzer-style flags do no harm.  When a sanitizer or an invariant stops the run, the
 * input's path is printed after the report.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz_common.h"

/* From the sanitizer runtime when linked in (gcc's and clang's alike). */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static int verbose;
static unsigned long repeat = 1;

static void print_current_input(void)
{
	if (fz_current_input)
		fprintf(stderr, "standalone: crashed on input %s\n", fz_current_input);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_repeated(const char *path, const uint8_t *data, size_t len)
{
	double start = repeat > 1 ? cpu_seconds() : 0;

	for (unsigned long i = 0; i < repeat; i++)
		LLVMFuzzerTestOneInput(data, len);
	if (repeat > 1)
		printf("%s: %.1f us CPU per run (%lu runs)\n", path,
		       (cpu_seconds() - start) * 1e6 / (double)repeat, repeat);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long len;
	int r = -1;

	if (!f) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		/* Exactly len bytes, so reads past the input are caught. */
		data = malloc(len ? (size_t)len : 1);
		if (data && fread(data, 1, (size_t)len, f) == (size_t)len) {
			if (verbose)
				fprintf(stderr, "standalone: running %s (%ld bytes)\n", path, len);
			fz_current_input = path;
			run_repeated(path, data, (size_t)len);
			fz_current_input = NULL;
			r = 0;
		}
	}
	if (r < 0)
		fprintf(stderr, "standalone: %s: cannot read\n", path);
	free(data);
	fclose(f);
	return r;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir; returns the number run, -1 on error. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0, cap = 0;
	int run = 0;

	if (!d) {
		fprintf(stderr, "standalone: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 64;
			char **grown = realloc(names, cap * sizeof(*names));
			if (!grown)
				abort();
			names = grown;
		}
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		names[count] = malloc(n);
		if (!names[count])
			abort();
		snprintf(names[count], n, "%s/%s", dir, e->d_name);
		count++;
	}
	closedir(d);
	if (count)
		qsort(names, count, sizeof(*names), by_name);
	for (size_t i = 0; i < count; i++) {
		struct stat sb;

		if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (run_file(names[i]) < 0)
				run = -1;
			else if (run >= 0)
				run++;
		}
		free(names[i]);
	}
	free(names);
	return run;
}

int main(int argc, char **argv)
{
	int total = 0, failed = 0;

	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(print_current_input);
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		int n;

		if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
			continue;
		}
		if (strncmp(argv[i], "-repeat=", 8) == 0) {
			repeat = strtoul(argv[i] + 8, NULL, 10);
			if (repeat == 0)
				repeat = 1;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &sb) < 0) {
			fprintf(stderr, "standalone: %s: %s\n", argv[i], strerror(errno));
			failed = 1;
			continue;
		}
		n = S_ISDIR(sb.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0 ? 1 : -1;
		if (n < 0)
			failed = 1;
		else
			total += n;
	}
	printf("%s: %d inputs run\n", argv[0], total);
	return failed;
}
