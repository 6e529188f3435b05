/* SPDX-License-Identifier: ISC */
/*
 * af.c: the LUKS anti-forensic splitter.  Stripes s_0 .. s_{n-2} are
 * random; folding them gives d = D(...D(D(s_0) ^ s_1)... ^ s_{n-2}) with
 * the diffusion D below, and the last stripe is key ^ d.  Merging folds
 * the same stripes again and XORs the last one back out.
 */
#include <errno.h>
#include <string.h>

#include "crypto/crypto.h"
#include "luks2/af.h"

#define AF_SECTOR_BYTES 512

size_t lv_af_split_bytes(size_t key_len, unsigned stripes)
{
	if (key_len == 0 || stripes == 0 || key_len > SIZE_MAX / stripes)
		return 0;
	return key_len * stripes;
}

size_t lv_af_split_sectors_bytes(size_t key_len, unsigned stripes)
{
	size_t bytes = lv_af_split_bytes(key_len, stripes);

	if (bytes == 0 || bytes > SIZE_MAX - (AF_SECTOR_BYTES - 1))
		return 0;
	return (bytes + AF_SECTOR_BYTES - 1) / AF_SECTOR_BYTES * AF_SECTOR_BYTES;
}

static void xor_into(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] ^= src[i];
}

/*
 * D: block i (digest-sized, the last one possibly shorter) of buf becomes
 * H(be32(i) || block_i), truncated to the block's length.  Relies on
 * lv_hash_final restarting ctx for the next block.
 */
static int diffuse(struct lv_hash_ctx *ctx, size_t digest_bytes, uint8_t *buf, size_t len)
{
	uint8_t digest[LV_HASH_MAX_BYTES];
	uint32_t block_index = 0;
	int r = 0;

	for (size_t off = 0; r == 0 && off < len; off += digest_bytes, block_index++) {
		size_t block_bytes = len - off < digest_bytes ? len - off : digest_bytes;
		const uint8_t index_be[4] = {
			(uint8_t)(block_index >> 24), (uint8_t)(block_index >> 16),
			(uint8_t)(block_index >> 8), (uint8_t)block_index,
		};

		r = lv_hash_update(ctx, index_be, sizeof(index_be));
		if (r == 0)
			r = lv_hash_update(ctx, buf + off, block_bytes);
		if (r == 0)
			r = lv_hash_final(ctx, digest, sizeof(digest));
		if (r == 0)
			memcpy(buf + off, digest, block_bytes);
	}
	lv_wipe(digest, sizeof(digest));
	return r;
}

/* d = fold of stripes 0 .. stripes-2 of material; d must not overlap them. */
static int fold(const uint8_t *material, size_t key_len, unsigned stripes, const char *hash,
		uint8_t *d)
{
	struct lv_hash_ctx *ctx;
	int digest_bytes = lv_hash_size(hash);
	int r;

	if (digest_bytes <= 0)
		return digest_bytes < 0 ? digest_bytes : -EINVAL;
	r = lv_hash_init(&ctx, hash);
	if (r < 0)
		return r;
	memset(d, 0, key_len);
	for (unsigned i = 0; r == 0 && i + 1 < stripes; i++) {
		xor_into(d, material + (size_t)i * key_len, key_len);
		r = diffuse(ctx, (size_t)digest_bytes, d, key_len);
	}
	lv_hash_free(ctx);
	return r;
}

/* The diffusion numbers blocks with 32 bits: a bound on key_len keeps
 * that from wrapping. */
static int key_len_valid(size_t key_len, unsigned stripes)
{
	return lv_af_split_bytes(key_len, stripes) != 0 && key_len <= UINT32_MAX;
}

int lv_af_split(const uint8_t *key, size_t key_len, unsigned stripes, const char *hash,
		uint8_t *out)
{
	size_t split_bytes = lv_af_split_bytes(key_len, stripes);
	uint8_t *last;
	int r;

	if (!out || !key_len_valid(key_len, stripes))
		return -EINVAL;
	lv_wipe(out, split_bytes);
	if (!key)
		return -EINVAL;
	last = out + split_bytes - key_len;
	/* The last stripe's slot holds d until the key is mixed in. */
	r = lv_random(out, split_bytes - key_len);
	if (r == 0)
		r = fold(out, key_len, stripes, hash, last);
	if (r < 0) {
		lv_wipe(out, split_bytes);
		return r;
	}
	xor_into(last, key, key_len);
	return 0;
}

int lv_af_merge(const uint8_t *split, size_t key_len, unsigned stripes, const char *hash,
		uint8_t *key_out)
{
	int r;

	if (!key_out)
		return -EINVAL;
	lv_wipe(key_out, key_len);
	if (!split || !key_len_valid(key_len, stripes))
		return -EINVAL;
	r = fold(split, key_len, stripes, hash, key_out);
	if (r < 0) {
		lv_wipe(key_out, key_len);
		return r;
	}
	xor_into(key_out, split + (size_t)(stripes - 1) * key_len, key_len);
	return 0;
}
