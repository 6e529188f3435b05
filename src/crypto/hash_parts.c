/* SPDX-License-Identifier: ISC */
/*
 * hash_parts.c: the one-shot hash over a list of buffers, the same for
 * every backend: it is built on lv_hash_init/update/final.
 */
#include <errno.h>

#include "crypto/crypto.h"

#define HASH_MAX_PARTS 4

int lv_hash(const char *hash_name, const void *const data[], const size_t len[],
	    size_t n, uint8_t *out, size_t out_len)
{
	struct lv_hash_ctx *ctx;
	int r;

	if (!out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if (n > HASH_MAX_PARTS || (n && (!data || !len)))
		return -EINVAL;
	r = lv_hash_init(&ctx, hash_name);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = lv_hash_update(ctx, data[i], len[i]);
	if (r == 0)
		r = lv_hash_final(ctx, out, out_len);
	lv_hash_free(ctx);
	return r;
}
