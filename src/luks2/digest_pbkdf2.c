/* SPDX-License-Identifier: ISC */
/*
 * digest_pbkdf2.c: the LUKS2 volume-key digest (luks2-reference.md §3.3):
 * PBKDF2-HMAC-<hash>(password = volume key, 32-byte salt, iterations).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "luks2/keyslot.h"

int lv_digest_verify(const struct lv_digest *digest, const struct lv_secret *volume_key)
{
	uint8_t computed[LV_BLOB_MAX];
	int hash_bytes = digest->hash ? lv_hash_size(digest->hash) : -EINVAL;
	int r, equal;

	if (strcmp(digest->type, "pbkdf2") != 0 || !digest->hash || hash_bytes <= 0)
		return -EINVAL;
	/* A 20-byte digest is the LUKS1 legacy length; otherwise the hash's. */
	if (!digest->digest.valid ||
	    (digest->digest.len != 20 && digest->digest.len != (size_t)hash_bytes) ||
	    !digest->salt.valid || digest->salt.len != LV_SALT_LEN ||
	    digest->iterations < 1 || digest->iterations > UINT32_MAX)
		return -EINVAL;
	r = lv_pbkdf2(digest->hash, volume_key->bytes, volume_key->len, digest->salt.bytes,
		      digest->salt.len, (uint32_t)digest->iterations, computed,
		      digest->digest.len);
	if (r < 0)
		return r;
	equal = lv_memeq(computed, digest->digest.bytes, digest->digest.len);
	lv_wipe(computed, sizeof(computed));
	return equal ? 0 : -EPERM;
}

int lv_digest_fill(struct lv_digest *digest, const char *hash, uint32_t iterations,
		   const struct lv_secret *volume_key)
{
	int hash_bytes = lv_hash_size(hash);
	int r;

	if (hash_bytes <= 0 || (size_t)hash_bytes > LV_BLOB_MAX)
		return -EINVAL;
	digest->type = "pbkdf2";
	digest->hash = hash;
	digest->iterations = iterations;
	r = lv_random(digest->salt.bytes, LV_SALT_LEN);
	if (r < 0)
		return r;
	digest->salt.len = LV_SALT_LEN;
	digest->salt.valid = true;
	digest->salt.text = NULL;
	r = lv_pbkdf2(hash, volume_key->bytes, volume_key->len, digest->salt.bytes,
		      LV_SALT_LEN, iterations, digest->digest.bytes, (size_t)hash_bytes);
	if (r < 0)
		return r;
	digest->digest.len = (size_t)hash_bytes;
	digest->digest.valid = true;
	digest->digest.text = NULL;
	return 0;
}
