/* SPDX-License-Identifier: ISC */
/*
 * pbkdf.c: KDF parameters of new keyslots and digests, with cryptsetup's
 * defaults, limits and (simplified) benchmark (luks2-reference.md §3.4).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "luks2/pbkdf.h"

#define DEFAULT_ITER_TIME_MS 2000
#define DEFAULT_MEMORY_KIB (1024 * 1024)
#define DEFAULT_PARALLEL 4
#define ARGON2_MIN_TIME 4
#define ARGON2_MIN_MEMORY_KIB 32
#define ARGON2_MAX_MEMORY_KIB (4 * 1024 * 1024)
#define ARGON2_MAX_PARALLEL 4
#define PBKDF2_MIN_ITERATIONS 1000
#define DIGEST_ITER_TIME_MS 125

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Iterations of PBKDF2-<hash> that take target_ms of CPU time here. */
static int benchmark_pbkdf2(const char *hash, size_t key_bytes, uint32_t target_ms,
			    uint32_t *iterations)
{
	static const char password[] = "foobarfo", salt[] = "0123456789abcdef";
	uint8_t out[LV_HASH_MAX_BYTES * 2];
	uint32_t trial = 1u << 15;
	double elapsed = 0;

	if (key_bytes > sizeof(out))
		key_bytes = sizeof(out);
	for (int step = 0; step < 10; step++) {
		double start = cpu_ms();
		int r = lv_pbkdf2(hash, password, 8, salt, 16, trial, out, key_bytes);

		if (r < 0)
			return r;
		elapsed = cpu_ms() - start;
		if (elapsed > 500 || trial >= (1u << 30))
			break;
		trial *= elapsed <= 62 ? 16 : elapsed <= 125 ? 8 : elapsed <= 250 ? 4 : 2;
	}
	lv_wipe(out, sizeof(out));
	double scaled = (double)trial * target_ms / (elapsed > 0 ? elapsed : 1);
	*iterations = scaled > UINT32_MAX ? UINT32_MAX : (uint32_t)scaled;
	if (*iterations < PBKDF2_MIN_ITERATIONS)
		*iterations = PBKDF2_MIN_ITERATIONS;
	return 0;
}

/* Keeps memory and threads, picks the time cost that takes target_ms;
 * lowers memory when even the minimum time cost is too slow. */
static int benchmark_argon2(struct lv_kdf *kdf, uint32_t target_ms)
{
	static const char password[] = "foobarfo", salt[] = "0123456789abcdef";
	uint8_t out[32];

	for (int round = 0; round < 8; round++) {
		double start = wall_ms();
		int r = lv_argon2(kdf->kind == LV_KDF_ARGON2I ? LV_ARGON2I : LV_ARGON2ID,
				  password, 8, salt, 16, ARGON2_MIN_TIME,
				  (uint32_t)kdf->memory_kib, (uint32_t)kdf->cpus, out, sizeof(out));
		double elapsed = wall_ms() - start;

		if (r < 0)
			return r;
		if (elapsed <= target_ms || kdf->memory_kib <= ARGON2_MIN_MEMORY_KIB * 2) {
			double t = ARGON2_MIN_TIME * target_ms / (elapsed > 0 ? elapsed : 1);
			kdf->time_cost = t < ARGON2_MIN_TIME ? ARGON2_MIN_TIME :
					 t > 1e6 ? 1000000 : (int64_t)t;
			return 0;
		}
		kdf->memory_kib = (int64_t)((double)kdf->memory_kib * target_ms / elapsed);
		if (kdf->memory_kib < ARGON2_MIN_MEMORY_KIB * 2)
			kdf->memory_kib = ARGON2_MIN_MEMORY_KIB * 2;
	}
	kdf->time_cost = ARGON2_MIN_TIME;
	return 0;
}

/* Half the physical memory, in KiB: cryptsetup's cap for argon2. */
static uint32_t memory_cap_kib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
	uint64_t half_kib;

	if (pages <= 0 || page_size <= 0)
		return DEFAULT_MEMORY_KIB;
	half_kib = (uint64_t)pages * (uint64_t)page_size / 1024 / 2;
	return half_kib > ARGON2_MAX_MEMORY_KIB ? ARGON2_MAX_MEMORY_KIB : (uint32_t)half_kib;
}

static uint32_t online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (uint32_t)n : 1;
}

static int argon2_check(const struct lv_pbkdf_params *in, struct lv_err *err)
{
	uint32_t memory = in->memory_kib ? in->memory_kib : DEFAULT_MEMORY_KIB;
	uint32_t parallel = in->parallel ? in->parallel : DEFAULT_PARALLEL;

	if (memory < ARGON2_MIN_MEMORY_KIB || memory > ARGON2_MAX_MEMORY_KIB)
		return lv_err_set(err, -EINVAL, "--pbkdf-memory %u KiB is outside %u..%u",
				  memory, ARGON2_MIN_MEMORY_KIB, ARGON2_MAX_MEMORY_KIB);
	if (parallel < 1 || parallel > ARGON2_MAX_PARALLEL)
		return lv_err_set(err, -EINVAL, "--pbkdf-parallel %u is outside 1..%u", parallel,
				  ARGON2_MAX_PARALLEL);
	if (in->forced_iterations && in->forced_iterations < ARGON2_MIN_TIME)
		return lv_err_set(err, -EINVAL, "argon2 time cost %u is below %u",
				  in->forced_iterations, ARGON2_MIN_TIME);
	return 0;
}

static int argon2_params(const struct lv_pbkdf_params *in, struct lv_kdf *kdf,
			 struct lv_err *err)
{
	uint32_t memory = in->memory_kib ? in->memory_kib : DEFAULT_MEMORY_KIB;
	uint32_t parallel = in->parallel ? in->parallel : DEFAULT_PARALLEL;
	int r = argon2_check(in, err);

	if (r < 0)
		return r;
	if (memory > memory_cap_kib())
		memory = memory_cap_kib();
	if (parallel > online_cpus())
		parallel = online_cpus();
	kdf->memory_kib = memory;
	kdf->cpus = parallel;
	if (in->forced_iterations) {
		kdf->time_cost = in->forced_iterations;
		return 0;
	}
	r = benchmark_argon2(kdf, in->iter_time_ms ? in->iter_time_ms : DEFAULT_ITER_TIME_MS);
	return r < 0 ? lv_err_set(err, r, "argon2 benchmark failed") : 0;
}

static int check_hash(const char *hash, struct lv_err *err)
{
	int r = lv_hash_size(hash);

	if (r == -ENOTSUP)
		return lv_err_set(err, r, "hash \"%s\" is unsupported by the %s crypto backend%s",
				  hash, lv_crypto_backend(), lv_crypto_kernel_hint(0, hash));
	if (r <= 0)
		return lv_err_set(err, -EINVAL, "unknown hash \"%s\"", hash);
	return 0;
}

int lv_pbkdf_resolve(const struct lv_pbkdf_params *in, size_t key_bytes, struct lv_kdf *kdf,
		     struct lv_err *err)
{
	const char *type = in->type ? in->type : "argon2id";
	const char *hash = in->hash ? in->hash : "sha256";
	int r;

	memset(kdf, 0, sizeof(*kdf));
	if ((r = check_hash(hash, err)) < 0)
		return r;
	kdf->type = type;
	if (strcmp(type, "pbkdf2") == 0) {
		kdf->kind = LV_KDF_PBKDF2;
		kdf->hash = hash;
		if (in->forced_iterations && in->forced_iterations < PBKDF2_MIN_ITERATIONS)
			return lv_err_set(err, -EINVAL, "pbkdf2 iterations %u are below %u",
					  in->forced_iterations, PBKDF2_MIN_ITERATIONS);
		if (in->forced_iterations) {
			kdf->iterations = in->forced_iterations;
			return 0;
		}
		uint32_t iterations;
		r = benchmark_pbkdf2(hash, key_bytes,
					 in->iter_time_ms ? in->iter_time_ms : DEFAULT_ITER_TIME_MS,
					 &iterations);
		kdf->iterations = iterations;
		return r < 0 ? lv_err_set(err, r, "pbkdf2 benchmark failed") : 0;
	}
	if (strcmp(type, "argon2i") == 0 || strcmp(type, "argon2id") == 0) {
		kdf->kind = strcmp(type, "argon2i") == 0 ? LV_KDF_ARGON2I : LV_KDF_ARGON2ID;
		return argon2_params(in, kdf, err);
	}
	return lv_err_set(err, -EINVAL, "unknown PBKDF \"%s\"", type);
}

int lv_pbkdf_check(const struct lv_pbkdf_params *in, struct lv_err *err)
{
	const char *type = in->type ? in->type : "argon2id";
	const char *hash = in->hash ? in->hash : "sha256";
	int r = check_hash(hash, err);

	if (r < 0)
		return r;
	if (strcmp(type, "pbkdf2") == 0) {
		if (in->forced_iterations && in->forced_iterations < PBKDF2_MIN_ITERATIONS)
			return lv_err_set(err, -EINVAL, "pbkdf2 iterations %u are below %u",
					  in->forced_iterations, PBKDF2_MIN_ITERATIONS);
		return 0;
	}
	if (strcmp(type, "argon2i") == 0 || strcmp(type, "argon2id") == 0)
		return argon2_check(in, err);
	return lv_err_set(err, -EINVAL, "unknown PBKDF \"%s\"", type);
}

uint32_t lv_digest_iterations(const struct lv_pbkdf_params *in, const char *hash,
			      size_t key_bytes)
{
	uint32_t iterations = LV_PBKDF_DIGEST_MIN_ITERATIONS;

	/* Forced KDF costs mean "no benchmark", as cryptsetup's flag does. */
	if (in->forced_iterations)
		return iterations;
	if (benchmark_pbkdf2(hash, key_bytes, DIGEST_ITER_TIME_MS, &iterations) < 0)
		return LV_PBKDF_DIGEST_MIN_ITERATIONS;
	return iterations;
}
