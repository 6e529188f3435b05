/* SPDX-License-Identifier: ISC */
/*
 * strict.c: checks luksvol makes beyond cryptsetup's load-time validation
 * (luks2-reference.md §1.7).  cryptsetup trusts these values until use;
 * luksvol reports them as warnings in `dump` and refuses them at unlock.
 * README.md lists each rule under "Stricter than cryptsetup".
 */
#include <errno.h>
#include <stdlib.h>
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
			return lv_err_set(err, -EINVAL, "keyslot %s: pbkdf2 iterations %lld out of range",
					  ks->id.text, (long long)kdf->iterations);
		if (lv_hash_size(kdf->hash) <= 0)
			return lv_err_set(err, -EINVAL, "keyslot %s: unknown pbkdf2 hash \"%s\"",
					  ks->id.text, kdf->hash);
		break;
	case LV_KDF_ARGON2I:
	case LV_KDF_ARGON2ID:
		if (kdf->time_cost < 1 || kdf->time_cost > UINT32_MAX)
			return lv_err_set(err, -EINVAL, "keyslot %s: argon2 time %lld out of range",
					  ks->id.text, (long long)kdf->time_cost);
		if (kdf->memory_kib < ARGON2_MIN_MEMORY_KIB ||
		    (uint64_t)kdf->memory_kib > ARGON2_MAX_MEMORY_KIB)
			return lv_err_set(err, -EINVAL, "keyslot %s: argon2 memory %lld KiB out of range",
					  ks->id.text, (long long)kdf->memory_kib);
		if (kdf->cpus < 1 || kdf->cpus > ARGON2_MAX_CPUS)
			return lv_err_set(err, -EINVAL, "keyslot %s: argon2 cpus %lld out of range",
					  ks->id.text, (long long)kdf->cpus);
		break;
	default:
		return lv_err_set(err, -EINVAL, "keyslot %s: unsupported kdf type \"%s\"",
				  ks->id.text, kdf->type);
	}
	if (!kdf->salt.valid || kdf->salt.len != LV_SALT_LEN)
		return lv_err_set(err, -EINVAL, "keyslot %s: kdf salt is not %d bytes of base64",
				  ks->id.text, LV_SALT_LEN);
	return 0;
}

static int check_digest(const struct lv_metadata *md, const struct lv_keyslot *ks,
			struct lv_err *err)
{
	const struct lv_digest *digest = lv_md_digest_of_keyslot(md, ks);
	int hash_bytes;

	if (!digest || strcmp(digest->type, "pbkdf2") != 0)
		return lv_err_set(err, -EINVAL, "keyslot %s: no pbkdf2 digest", ks->id.text);
	hash_bytes = digest->hash ? lv_hash_size(digest->hash) : -EINVAL;
	if (hash_bytes <= 0)
		return lv_err_set(err, -EINVAL, "digest %s: unknown hash \"%s\"", digest->id.text,
				  digest->hash);
	if (digest->iterations < PBKDF2_MIN_ITERATIONS || digest->iterations > UINT32_MAX)
		return lv_err_set(err, -EINVAL, "digest %s: iterations %lld out of range",
				  digest->id.text, (long long)digest->iterations);
	if (!digest->salt.valid || digest->salt.len != LV_SALT_LEN)
		return lv_err_set(err, -EINVAL, "digest %s: salt is not %d bytes of base64",
				  digest->id.text, LV_SALT_LEN);
	if (!digest->digest.valid ||
	    (digest->digest.len != 20 && digest->digest.len != (size_t)hash_bytes))
		return lv_err_set(err, -EINVAL, "digest %s: digest has a bad length", digest->id.text);
	return 0;
}

int lv_keyslot_strict_check(const struct lv_metadata *md, const struct lv_keyslot *ks,
			    struct lv_err *err)
{
	int r;

	if (ks->kind != LV_KEYSLOT_LUKS2)
		return lv_err_set(err, -EINVAL, "keyslot %s: type \"%s\" cannot be unlocked",
				  ks->id.text, ks->type);
	if (ks->af.stripes != LV_AF_STRIPES)
		return lv_err_set(err, -EINVAL, "keyslot %s: af stripes %lld is not %d", ks->id.text,
				  (long long)ks->af.stripes, LV_AF_STRIPES);
	if (lv_hash_size(ks->af.hash) <= 0)
		return lv_err_set(err, -EINVAL, "keyslot %s: unknown af hash \"%s\"", ks->id.text,
				  ks->af.hash);
	if (ks->key_size == 0 || ks->key_size > 512)
		return lv_err_set(err, -EINVAL, "keyslot %s: key_size %u out of range", ks->id.text,
				  ks->key_size);
	uint64_t af_bytes = ((uint64_t)ks->key_size * LV_AF_STRIPES + 511) / 512 * 512;
	if (ks->area.size_bytes < af_bytes)
		return lv_err_set(err, -EINVAL,
				  "keyslot %s: area of %llu bytes is too small for %llu bytes of AF material",
				  ks->id.text, (unsigned long long)ks->area.size_bytes,
				  (unsigned long long)af_bytes);
	if (ks->area.key_size <= 0 || ks->area.key_size > 512)
		return lv_err_set(err, -EINVAL, "keyslot %s: area key_size %lld out of range",
				  ks->id.text, (long long)ks->area.key_size);
	if (lv_cipher_is_null(ks->area.encryption))
		return lv_err_set(err, -EINVAL, "keyslot %s: area uses the null cipher", ks->id.text);
	if ((r = check_kdf(ks, err)) < 0)
		return r;
	return check_digest(md, ks, err);
}

int lv_segment_strict_check(const struct lv_segment *seg, struct lv_err *err)
{
	if (!seg->dynamic && seg->size_bytes > UINT64_MAX - seg->offset_bytes)
		return lv_err_set(err, -EINVAL, "segment %s: offset + size overflows", seg->id.text);
	if (!seg->is_crypt)
		return 0;
	if (lv_cipher_is_null(seg->encryption))
		return lv_err_set(err, -EINVAL, "segment %s: data is not encrypted (null cipher)",
				  seg->id.text);
	if (seg->sector_size < 512 || seg->sector_size > 4096 ||
	    (seg->sector_size & (seg->sector_size - 1)))
		return lv_err_set(err, -EINVAL, "segment %s: sector_size %u is not a power of two in 512..4096",
				  seg->id.text, seg->sector_size);
	return 0;
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A digest that names a keyslot twice: cryptsetup counts the digest once
 * (the header is valid) and luksDump shows its "Digest ID" twice. */
static void warn_listed_twice(struct lv_device *dev, const struct lv_digest *digest)
{
	const char **names = calloc(digest->keyslots.count + 1, sizeof(*names));

	if (!names)
		return;
	for (unsigned k = 0; k < digest->keyslots.count; k++)
		names[k] = digest->keyslots.items[k].text;
	qsort(names, digest->keyslots.count, sizeof(*names), cmp_text);
	for (unsigned k = 1; k < digest->keyslots.count; k++)
		if (strcmp(names[k], names[k - 1]) == 0 && (k == 1 || strcmp(names[k], names[k - 2])))
			lv_device_warn(dev, "digest %.32s: lists keyslot %.32s more than once",
				       digest->id.text, names[k]);
	free(names);
}

/* Objects whose id cryptsetup's loops over 0..max-1 never reach: kept,
 * never used. */
static void warn_unreachable(struct lv_device *dev, const char *kind, const struct lv_id *id,
			     int max)
{
	if (!id->canonical || id->number >= max)
		lv_device_warn(dev, "%s \"%.32s\": never used (only %ss 0..%d are)", kind, id->text,
			       kind, max - 1);
}

void lv_device_strict_warnings(struct lv_device *dev)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	struct lv_err err;

	for (unsigned i = 0; i < md->keyslot_count; i++) {
		const struct lv_keyslot *ks = &md->keyslots[i];

		warn_unreachable(dev, "keyslot", &ks->id, LV_KEYSLOTS_MAX);
		if (ks->kind == LV_KEYSLOT_LUKS2 && ks->id.canonical &&
		    lv_keyslot_strict_check(md, ks, &err) < 0)
			lv_device_warn(dev, "%s (refused at unlock)", err.msg);
	}
	for (unsigned i = 0; i < md->token_count; i++)
		warn_unreachable(dev, "token", &md->tokens[i].id, LV_TOKENS_MAX);
	for (unsigned i = 0; i < md->digest_count; i++)
		warn_listed_twice(dev, &md->digests[i]);
	for (unsigned i = 0; i < md->segment_count; i++)
		if (lv_segment_strict_check(&md->segments[i], &err) < 0)
			lv_device_warn(dev, "%s (refused at activation)", err.msg);
}
