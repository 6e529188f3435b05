/* SPDX-License-Identifier: ISC */
/*
 * fuzz_alloc.c: reuse of large heap blocks in the libFuzzer and AFL++
 * builds (linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,
 * --wrap=free; see fuzz.mk).  Not part of the replay build.
 *
 * Why: ASan serves every block above 128 KiB from fresh mmap()s and
 * munmap()s it when it leaves the quarantine.  struct lv_device is 220 KiB,
 * so each load paid about 55 page faults plus a TLB shootdown -- on the
 * paravirtualized test machine over 700 us, ten times everything else a
 * load does.  Blocks of 128 KiB and more that the code under test frees are
 * kept (up to CACHE_SLOTS of them) and handed out again for the same size.
 *
 * ASan still guards them: a cached block is a real ASan chunk with its
 * redzones, and while it sits in the cache it is poisoned, so a use after
 * free is reported (as use-after-poison).  LeakSanitizer cannot see a
 * leaked cached block (the cache points to it): fz_alloc_end_of_run(),
 * called at the end of every run, reports one instead.
 *
 * Only the callers compiled into the fuzz binary are redirected (the
 * library, the harness, libFuzzer); json-c, OpenSSL and libargon2 are
 * shared libraries and keep calling ASan's allocator directly.
 */
#include <sanitizer/asan_interface.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *ptr, size_t size);
void __real_free(void *ptr);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
void __wrap_free(void *ptr);

#define CACHE_MIN_BYTES (128 * 1024)
#define CACHE_SLOTS 8
#define ASAN_MALLOC_FILL_BYTES 4096	/* ASan's max_malloc_fill_size default */
#define ASAN_MALLOC_FILL 0xbe		/* ASan's malloc_fill_byte default */

static struct {
	void *ptr;
	size_t size;
	int in_use;
	unsigned run;		/* the run that took it */
} cache[CACHE_SLOTS];
/* Blocks taken before the first run (the AFL++ driver's input buffer)
 * belong to the engine, not to a run: only a run's own blocks can leak. */
static unsigned current_run;
static atomic_flag lock = ATOMIC_FLAG_INIT;

static void cache_lock(void)
{
	while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
		;
}

static void cache_unlock(void)
{
	atomic_flag_clear_explicit(&lock, memory_order_release);
}

/* A cached block of exactly size, now in use, or NULL. */
static void *cache_take(size_t size)
{
	void *ptr = NULL;
	int empty = -1;

	cache_lock();
	for (int i = 0; i < CACHE_SLOTS && !ptr; i++) {
		if (cache[i].ptr && !cache[i].in_use && cache[i].size == size) {
			cache[i].in_use = 1;
			cache[i].run = current_run;
			ptr = cache[i].ptr;
			ASAN_UNPOISON_MEMORY_REGION(ptr, size);
		} else if (!cache[i].ptr && empty < 0) {
			empty = i;
		}
	}
	if (!ptr && empty >= 0) {
		ptr = __real_malloc(size);
		if (ptr) {
			cache[empty].ptr = ptr;
			cache[empty].size = size;
			cache[empty].in_use = 1;
			cache[empty].run = current_run;
		}
	} else if (!ptr) {
		ptr = __real_malloc(size);	/* cache full: an ordinary block */
	}
	cache_unlock();
	return ptr;
}

/* Takes ptr back into the cache; 0 when it is not a cached block. */
static int cache_put(void *ptr, size_t *size)
{
	int found = 0;

	cache_lock();
	for (int i = 0; i < CACHE_SLOTS && !found; i++) {
		if (cache[i].ptr == ptr) {
			if (!cache[i].in_use) {
				cache_unlock();
				/* Let ASan report the double free of a poisoned block. */
				memset(ptr, 0, 1);
				__builtin_trap();
			}
			cache[i].in_use = 0;
			*size = cache[i].size;
			ASAN_POISON_MEMORY_REGION(ptr, cache[i].size);
			found = 1;
		}
	}
	cache_unlock();
	return found;
}

void *__wrap_malloc(size_t size)
{
	void *ptr;

	if (size < CACHE_MIN_BYTES)
		return __real_malloc(size);
	ptr = cache_take(size);
	if (ptr)
		memset(ptr, ASAN_MALLOC_FILL, ASAN_MALLOC_FILL_BYTES);
	return ptr;
}

void *__wrap_calloc(size_t count, size_t size)
{
	void *ptr;

	if (size && count > SIZE_MAX / size)
		return NULL;
	if (count * size < CACHE_MIN_BYTES)
		return __real_calloc(count, size);
	ptr = cache_take(count * size);
	if (ptr)
		memset(ptr, 0, count * size);
	return ptr;
}

void __wrap_free(void *ptr)
{
	size_t size;

	if (ptr && cache_put(ptr, &size))
		return;
	__real_free(ptr);
}

void *__wrap_realloc(void *ptr, size_t size)
{
	size_t old_size;
	void *grown;

	if (!ptr)
		return __wrap_malloc(size);
	cache_lock();
	old_size = 0;
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].ptr == ptr && cache[i].in_use)
			old_size = cache[i].size;
	cache_unlock();
	if (!old_size)
		return __real_realloc(ptr, size);
	grown = __wrap_malloc(size);
	if (!grown)
		return NULL;
	memcpy(grown, ptr, old_size < size ? old_size : size);
	__wrap_free(ptr);
	return grown;
}

void fz_alloc_begin_run(void)
{
	cache_lock();
	current_run++;
	cache_unlock();
}

/*
 * ASan's defaults keep 256 MiB of freed blocks in quarantine and hand the
 * allocator's free memory back to the kernel every few seconds, so the
 * blocks json-c allocates come from cold or unmapped pages: on the test
 * machine more than half of a luks2_load run went to page faults.  A run
 * frees far less than 16 MiB, so a use after free within a run is still
 * caught; ASAN_OPTIONS overrides either setting.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16:allocator_release_to_os_interval_ms=-1";
}

void fz_alloc_end_of_run(void)
{
	size_t leaked = 0;

	cache_lock();
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].ptr && cache[i].in_use && cache[i].run == current_run)
			leaked = cache[i].size;
	cache_unlock();
	if (leaked)
		fz_fail("memory leak: a %zu-byte heap block is still allocated at the end of the run",
			leaked);
}
