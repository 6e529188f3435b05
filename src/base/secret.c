/* SPDX-License-Identifier: ISC */
/* secret.c: wiping, constant-time comparison and locked secret buffers. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/secret.h"

/* The public struct comes first so a struct lv_secret * converts back. */
struct secret_mapping {
	struct lv_secret pub;
	size_t map_bytes;	/* callers may shrink pub.len; munmap needs this */
};

void lv_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

int lv_memeq(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	unsigned int diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= (unsigned int)(x[i] ^ y[i]);
	/* diff is 0..255: diff - 1 borrows into bit 8 only when diff == 0. */
	return (int)(((diff - 1) >> 8) & 1);
}

/* Rounds len up to whole pages; at least one page so bytes is never NULL.
 * Returns 0 on overflow. */
static size_t page_round(size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t page_bytes = page > 0 ? (size_t)page : 4096;

	if (len == 0)
		return page_bytes;
	if (len > SIZE_MAX - (page_bytes - 1))
		return 0;
	return (len + page_bytes - 1) / page_bytes * page_bytes;
}

struct lv_secret *lv_secret_new(size_t len)
{
	size_t map_bytes = page_round(len);
	struct secret_mapping *s;
	void *bytes;

	if (map_bytes == 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	/* Anonymous mappings are zero-filled by the kernel. */
	bytes = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (bytes == MAP_FAILED) {
		free(s);
		return NULL;
	}
	/* Without CAP_IPC_LOCK the RLIMIT_MEMLOCK may be tiny: an unlocked
	 * secret is still better than no secret. */
	(void)mlock(bytes, map_bytes);
	(void)madvise(bytes, map_bytes, MADV_DONTDUMP);
	s->pub.bytes = bytes;
	s->pub.len = len;
	s->map_bytes = map_bytes;
	return &s->pub;
}

struct lv_secret *lv_secret_dup(const void *src, size_t len)
{
	struct lv_secret *s;

	if (!src && len)
		return NULL;
	s = lv_secret_new(len);
	if (s && len)
		memcpy(s->bytes, src, len);
	return s;
}

void lv_secret_free(struct lv_secret **secret)
{
	struct secret_mapping *s;

	if (!secret || !*secret)
		return;
	s = (struct secret_mapping *)*secret;
	explicit_bzero(s->pub.bytes, s->map_bytes);
	(void)munlock(s->pub.bytes, s->map_bytes);
	(void)munmap(s->pub.bytes, s->map_bytes);
	free(s);
	*secret = NULL;
}
