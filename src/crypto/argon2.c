/* SPDX-License-Identifier: ISC */
/* argon2.c: lv_argon2 on top of libargon2, shared by every crypto backend. */
#include <argon2.h>
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "crypto/crypto.h"

static int argon2_errno(int argon2_result)
{
	switch (argon2_result) {
	case ARGON2_OK:
		return 0;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return -ENOMEM;
	case ARGON2_THREAD_FAIL:
		return -EIO;
	default:
		/* Every other code rejects a parameter: length, cost or lanes. */
		return -EINVAL;
	}
}

/*
 * Argon2's memory (up to 4 GiB, touched in random order) comes from mmap in
 * 2 MiB-aligned transparent huge pages rather than libargon2's malloc: a
 * 256 MiB run then takes 128 page faults instead of 65536 and far fewer TLB
 * misses, which halves its time on a machine where faults are dear (see
 * bench/RESULTS.md).  MADV_DONTDUMP keeps the password-derived blocks out
 * of core dumps.  libargon2 wipes the memory before handing it back.
 */
#define HUGE_PAGE_BYTES ((size_t)2 << 20)

static int argon2_memory_alloc(uint8_t **memory, size_t bytes)
{
	size_t mapped = bytes + HUGE_PAGE_BYTES;
	uint8_t *base, *aligned;
	size_t head, tail;

	*memory = NULL;
	if (bytes == 0 || bytes > SIZE_MAX - HUGE_PAGE_BYTES)
		return -1;
	base = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	aligned = base + (HUGE_PAGE_BYTES - (uintptr_t)base % HUGE_PAGE_BYTES) % HUGE_PAGE_BYTES;
	head = (size_t)(aligned - base);
	tail = mapped - head - bytes;
	if (head)
		(void)munmap(base, head);
	if (tail)
		(void)munmap(aligned + bytes, tail);
	/* Advice only: without huge pages or DONTDUMP it still works. */
	(void)madvise(aligned, bytes, MADV_HUGEPAGE);
	(void)madvise(aligned, bytes, MADV_DONTDUMP);
	*memory = aligned;
	return 0;
}

static void argon2_memory_free(uint8_t *memory, size_t bytes)
{
	if (memory)
		(void)munmap(memory, bytes);
}

int lv_argon2(enum lv_argon2_type type, const void *password, size_t password_len,
	      const void *salt, size_t salt_len, uint32_t time_cost,
	      uint32_t memory_kib, uint32_t parallel, uint8_t *out, size_t out_len)
{
	argon2_context ctx = { 0 };
	argon2_type variant;
	int r;

	if (!out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if ((!password && password_len) || (!salt && salt_len))
		return -EINVAL;
	if (password_len > UINT32_MAX || salt_len > UINT32_MAX || out_len > UINT32_MAX)
		return -EINVAL;
	switch (type) {
	case LV_ARGON2I:
		variant = Argon2_i;
		break;
	case LV_ARGON2ID:
		variant = Argon2_id;
		break;
	default:
		return -EINVAL;
	}
	/* Parallel lanes on as many threads, no secret and no associated
	 * data, as LUKS2 does.  libargon2 only reads pwd and salt. */
	ctx.out = out;
	ctx.outlen = (uint32_t)out_len;
	ctx.pwd = (uint8_t *)(uintptr_t)password;
	ctx.pwdlen = (uint32_t)password_len;
	ctx.salt = (uint8_t *)(uintptr_t)salt;
	ctx.saltlen = (uint32_t)salt_len;
	ctx.t_cost = time_cost;
	ctx.m_cost = memory_kib;
	ctx.lanes = parallel;
	ctx.threads = parallel;
	ctx.version = ARGON2_VERSION_13;
	ctx.allocate_cbk = argon2_memory_alloc;
	ctx.free_cbk = argon2_memory_free;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	r = argon2_ctx(&ctx, variant);
	if (r != ARGON2_OK)
		lv_wipe(out, out_len);
	return argon2_errno(r);
}
