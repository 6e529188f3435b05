/* SPDX-License-Identifier: ISC */
/*
 * strict.c: checks luksvol makes beyond cryptsetup's load-time validation
 * (luks2-reference.md §1.7).  cryptsetup trusts these values until use;
 * luksvol reports them as warnings in `dump` and refuses them at unlock.
 * README.md lists each rule under "Stricter than cryptsetup".
 */
#include <errno.h>
#include <string.h>

#include "crypto/crypto.h"
#include "luks2/device.h"

#define LV_AF_STRIPES 4000
#define LV_SALT_LEN 32
#define PBKDF2_MIN_ITERATIONS 1000
#define ARGON2_MIN_MEMORY_KIB 32
#define ARGON2_MAX_MEMORY_KIB (4ULL << 20)	/* 4 GiB, cryptsetup's hard limit */
#define ARGON2_MAX_CPUS 16

static int check_kdf(const struct lv_keyslot *ks, struct lv_err *err)
{
	const struct lv_kdf *kdf = &ks->kdf;

	switch (kdf->kind) {
	case LV_KDF_PBKDF2:
		if (kdf->iterations < PBKDF2_MIN_ITERATIONS || kdf->iterations > UINT32_MAX)
			return lv_err_set(err, -EINVAL, "keyslot %u: pbkdf2 iterations %lld out of range",
					  ks->id, (long long)kdf->iterations);
		if (lv_hash_size(kdf->hash) <= 0)
			return lv_err_set(err, -EINVAL, "keyslot %u: unknown pbkdf2 hash \"%s\"",
					  ks->id, kdf->hash);
		break;
	case LV_KDF_ARGON2I:
	case LV_KDF_ARGON2ID:
		if (kdf->time_cost < 1 || kdf->time_cost > UINT32_MAX)
			return lv_err_set(err, -EINVAL, "keyslot %u: argon2 time %lld out of range",
					  ks->id, (long long)kdf->time_cost);
		if (kdf->memory_kib < ARGON2_MIN_MEMORY_KIB ||
		    (uint64_t)kdf->memory_kib > ARGON2_MAX_MEMORY_KIB)
			return lv_err_set(err, -EINVAL, "keyslot %u: argon2 memory %lld KiB out of range",
					  ks->id, (long long)kdf->memory_kib);
		if (kdf->cpus < 1 || kdf->cpus > ARGON2_MAX_CPUS)
			return lv_err_set(err, -EINVAL, "keyslot %u: argon2 cpus %lld out of range",
					  ks->id, (long long)kdf->cpus);
		break;
	default:
		return lv_err_set(err, -EINVAL, "keyslot %u: unsupported kdf type \"%s\"",
				  ks->id, kdf->type);
	}
	if (!kdf->salt.valid || kdf->salt.len != LV_SALT_LEN)
		return lv_err_set(err, -EINVAL, "keyslot %u: kdf salt is not %d bytes of base64",
				  ks->id, LV_SALT_LEN);
	return 0;
}

static int check_digest(const struct lv_metadata *md, const struct lv_keyslot *ks,
			struct lv_err *err)
{
	const struct lv_digest *digest = lv_md_digest_of_keyslot(md, ks->id);
	int hash_bytes;

	if (!digest || strcmp(digest->type, "pbkdf2") != 0)
		return lv_err_set(err, -EINVAL, "keyslot %u: no pbkdf2 digest", ks->id);
	hash_bytes = lv_hash_size(digest->hash);
	if (hash_bytes <= 0)
		return lv_err_set(err, -EINVAL, "digest %u: unknown hash \"%s\"", digest->id,
				  digest->hash);
	if (digest->iterations < PBKDF2_MIN_ITERATIONS || digest->iterations > UINT32_MAX)
		return lv_err_set(err, -EINVAL, "digest %u: iterations %lld out of range",
				  digest->id, (long long)digest->iterations);
	if (!digest->salt.valid || digest->salt.len != LV_SALT_LEN)
		return lv_err_set(err, -EINVAL, "digest %u: salt is not %d bytes of base64",
				  digest->id, LV_SALT_LEN);
	if (!digest->digest.valid ||
	    (digest->digest.len != 20 && digest->digest.len != (size_t)hash_bytes))
		return lv_err_set(err, -EINVAL, "digest %u: digest has a bad length", digest->id);
	return 0;
}

int lv_keyslot_strict_check(const struct lv_metadata *md, const struct lv_keyslot *ks,
			    struct lv_err *err)
{
	int r;

	if (ks->kind != LV_KEYSLOT_LUKS2)
		return lv_err_set(err, -EINVAL, "keyslot %u: type \"%s\" cannot be unlocked",
				  ks->id, ks->type);
	if (ks->af.stripes != LV_AF_STRIPES)
		return lv_err_set(err, -EINVAL, "keyslot %u: af stripes %lld is not %d", ks->id,
				  (long long)ks->af.stripes, LV_AF_STRIPES);
	if (lv_hash_size(ks->af.hash) <= 0)
		return lv_err_set(err, -EINVAL, "keyslot %u: unknown af hash \"%s\"", ks->id,
				  ks->af.hash);
	if (ks->key_size == 0 || ks->key_size > 512)
		return lv_err_set(err, -EINVAL, "keyslot %u: key_size %u out of range", ks->id,
				  ks->key_size);
	uint64_t af_bytes = ((uint64_t)ks->key_size * LV_AF_STRIPES + 511) / 512 * 512;
	if (ks->area.size_bytes < af_bytes)
		return lv_err_set(err, -EINVAL,
				  "keyslot %u: area of %llu bytes is too small for %llu bytes of AF material",
				  ks->id, (unsigned long long)ks->area.size_bytes,
				  (unsigned long long)af_bytes);
	if (ks->area.key_size <= 0 || ks->area.key_size > 512)
		return lv_err_set(err, -EINVAL, "keyslot %u: area key_size %lld out of range",
				  ks->id, (long long)ks->area.key_size);
	if (lv_cipher_is_null(ks->area.encryption))
		return lv_err_set(err, -EINVAL, "keyslot %u: area uses the null cipher", ks->id);
	if ((r = check_kdf(ks, err)) < 0)
		return r;
	return check_digest(md, ks, err);
}

int lv_segment_strict_check(const struct lv_segment *seg, struct lv_err *err)
{
	if (!seg->dynamic && seg->size_bytes > UINT64_MAX - seg->offset_bytes)
		return lv_err_set(err, -EINVAL, "segment %u: offset + size overflows", seg->id);
	if (!seg->is_crypt)
		return 0;
	if (lv_cipher_is_null(seg->encryption))
		return lv_err_set(err, -EINVAL, "segment %u: data is not encrypted (null cipher)",
				  seg->id);
	if (seg->sector_size < 512 || seg->sector_size > 4096 ||
	    (seg->sector_size & (seg->sector_size - 1)))
		return lv_err_set(err, -EINVAL, "segment %u: sector_size %u is not a power of two in 512..4096",
				  seg->id, seg->sector_size);
	return 0;
}

void lv_device_strict_warnings(struct lv_device *dev)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	struct lv_err err;

	for (unsigned i = 0; i < md->keyslot_count; i++) {
		const struct lv_keyslot *ks = &md->keyslots[i];

		if (ks->kind == LV_KEYSLOT_LUKS2 && lv_keyslot_strict_check(md, ks, &err) < 0)
			lv_device_warn(dev, "%s (refused at unlock)", err.msg);
	}
	for (unsigned i = 0; i < md->segment_count; i++)
		if (lv_segment_strict_check(&md->segments[i], &err) < 0)
			lv_device_warn(dev, "%s (refused at activation)", err.msg);
}
