/* SPDX-License-Identifier: ISC */
/*
 * keyslot.c: the keyslot manager: unlock in cryptsetup's priority order,
 * area allocation, and the add, kill and change operations.  Every change
 * writes keyslot areas first and the metadata after, so a crash never
 * leaves metadata that names material which is not on disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "luks2/keyslot.h"
#include "luks2/pbkdf.h"

#define FALLBACK_KEYSLOT_CIPHER "aes-xts-plain64"
#define FALLBACK_KEYSLOT_KEY_BYTES 64

/* ---- lookups ---- */

/* The digest of the data segment: the volume key's. */
static const struct lv_digest *volume_key_digest(const struct lv_metadata *md)
{
	return lv_md_digest_of_segment(md, lv_md_data_segment(md));
}

/* ---- unlock ---- */

static int effective_priority(const struct lv_keyslot *ks)
{
	return ks->has_priority ? (int)ks->priority : LV_PRIORITY_NORMAL;
}

/* One keyslot: strict checks, key recovery, digest. */
static int try_keyslot(struct lv_device *dev, const struct lv_keyslot *ks,
		       const struct lv_secret *passphrase, struct lv_secret **volume_key,
		       struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_digest *digest = lv_md_digest_of_keyslot(md, ks);
	int r = lv_keyslot_strict_check(md, ks, err);

	if (r < 0)
		return r;
	r = lv_keyslot_recover_key(dev, ks, passphrase, volume_key, err);
	if (r < 0)
		return r;
	r = lv_digest_verify(digest, *volume_key);
	if (r < 0) {
		lv_secret_free(volume_key);
		return r == -EPERM ? lv_err_set(err, -EPERM, "keyslot %s: wrong passphrase", ks->id.text)
				   : lv_err_set(err, r, "digest %s: cannot verify", digest->id.text);
	}
	return 0;
}

static int unlock_named(struct lv_device *dev, int slot, const struct lv_secret *passphrase,
			struct lv_secret **volume_key, struct lv_err *err)
{
	const struct lv_keyslot *ks = slot >= 0 ? lv_md_keyslot(lv_dev_md(dev), (uint32_t)slot) : NULL;
	int r;

	if (!ks)
		return lv_err_set(err, -ENOENT, "%s: keyslot %d is not active", dev->storage->name,
				  slot);
	r = try_keyslot(dev, ks, passphrase, volume_key, err);
	if (r == -EPERM)
		return lv_err_set(err, -EPERM, "%s: no key available with this passphrase in keyslot %d",
				  dev->storage->name, slot);
	return r;
}

/* Tries every keyslot bound to the data segment: priority "prefer"
 * first, then "normal"; "ignore" only when named. */
static int unlock_any(struct lv_device *dev, const struct lv_secret *passphrase,
		      struct lv_secret **volume_key, int *opened_slot, struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_digest *bound = volume_key_digest(md);
	static const int passes[] = { LV_PRIORITY_PREFER, LV_PRIORITY_NORMAL };
	struct lv_err last = { 0 };
	int tried = 0, refused = 0;

	for (size_t p = 0; p < 2; p++) {
		for (uint32_t id = 0; id < LV_KEYSLOTS_MAX; id++) {
			const struct lv_keyslot *ks = lv_md_keyslot(md, id);
			int r;

			if (!ks || ks->kind != LV_KEYSLOT_LUKS2 || effective_priority(ks) != passes[p] ||
			    lv_md_digest_of_keyslot(md, ks) != bound)
				continue;
			tried++;
			r = try_keyslot(dev, ks, passphrase, volume_key, &last);
			if (r == 0) {
				*opened_slot = (int)id;
				return 0;
			}
			if (r == -ENOMEM || r == -EIO)
				return lv_err_set(err, r, "%s", last.msg);
			if (r != -EPERM) {
				refused++;
				lv_device_warn(dev, "%s", last.msg);
			}
		}
	}
	if (!tried)
		return lv_err_set(err, -ENOENT, "%s: no usable keyslot", dev->storage->name);
	if (refused == tried)
		return lv_err_set(err, last.code, "%s: no keyslot could be tried: %s",
				  dev->storage->name, last.msg);
	return lv_err_set(err, -EPERM, "%s: no key available with this passphrase",
			  dev->storage->name);
}

int lv_unlock(struct lv_device *dev, int slot, const struct lv_secret *passphrase,
	      struct lv_secret **volume_key, int *opened_slot, struct lv_err *err)
{
	int ignored;

	*volume_key = NULL;
	if (!opened_slot)
		opened_slot = &ignored;
	*opened_slot = -1;
	if (slot != LV_ANY_SLOT) {
		int r = unlock_named(dev, slot, passphrase, volume_key, err);
		if (r == 0)
			*opened_slot = slot;
		return r;
	}
	return unlock_any(dev, passphrase, volume_key, opened_slot, err);
}

/* ---- allocation ---- */

static int cmp_area_offset(const void *a, const void *b)
{
	const struct lv_area *x = *(const struct lv_area *const *)a;
	const struct lv_area *y = *(const struct lv_area *const *)b;

	return (x->offset_bytes > y->offset_bytes) - (x->offset_bytes < y->offset_bytes);
}

/* First fit, 4 KiB aligned, inside the keyslots area (§3.5), over the
 * areas in offset order (validated: they neither overlap nor overflow). */
static int find_area_gap(const struct lv_metadata *md, uint64_t size, uint64_t *offset)
{
	uint64_t start = 2 * (md->config.json_size + 4096);
	uint64_t end = start + md->config.keyslots_size;
	uint64_t candidate = start;
	const struct lv_area **areas = calloc(md->keyslot_count + 1, sizeof(*areas));

	if (!areas)
		return -ENOMEM;
	for (unsigned i = 0; i < md->keyslot_count; i++)
		areas[i] = &md->keyslots[i].area;
	qsort(areas, md->keyslot_count, sizeof(*areas), cmp_area_offset);
	for (unsigned i = 0; i < md->keyslot_count; i++) {
		const struct lv_area *a = areas[i];

		if (candidate < a->offset_bytes + a->size_bytes &&
		    (a->offset_bytes < candidate || a->offset_bytes - candidate < size))
			candidate = (a->offset_bytes + a->size_bytes + LV_AREA_ALIGN - 1) /
				    LV_AREA_ALIGN * LV_AREA_ALIGN;
	}
	free(areas);
	if (candidate > end || size > end - candidate)
		return -ENOSPC;
	*offset = candidate;
	return 0;
}

/* The cipher asked for, checked; else the segment cipher when the backend
 * can run it, else aes-xts-plain64 with a 512-bit key, as cryptsetup picks
 * keyslot ciphers (§3.2). */
static int choose_keyslot_cipher(const struct lv_metadata *md, uint32_t volume_key_bytes,
				 const struct lv_pbkdf_params *params, struct lv_area *area,
				 struct lv_err *err)
{
	const struct lv_segment *seg = lv_md_data_segment(md);
	int r;

	if (params->area_cipher || params->area_key_bits) {
		if ((r = lv_keyslot_cipher_check(params, err)) < 0)
			return r;
		area->encryption = params->area_cipher;
		area->key_size = params->area_key_bits / 8;
		return 0;
	}
	area->encryption = FALLBACK_KEYSLOT_CIPHER;
	area->key_size = FALLBACK_KEYSLOT_KEY_BYTES;
	if (!seg || seg->integrity_type || lv_cipher_is_null(seg->encryption) ||
	    strncmp(seg->encryption, "capi:", 5) == 0 ||
	    lv_sector_cipher_supported(seg->encryption, volume_key_bytes) < 0)
		return 0;
	area->encryption = seg->encryption;
	area->key_size = volume_key_bytes;
	return 0;
}

int lv_keyslot_cipher_check(const struct lv_pbkdf_params *params, struct lv_err *err)
{
	const char *cipher = params->area_cipher;
	uint32_t bits = params->area_key_bits;
	int r;

	if (!cipher && !bits)
		return 0;
	if (!cipher || !bits)
		return lv_err_set(err, -EINVAL, "a keyslot cipher needs its key size, and a key size "
				  "its cipher");
	if (bits % 8 || bits > 4096)
		return lv_err_set(err, -EINVAL, "keyslot key size %u is not a whole number of bytes "
				  "up to 4096 bits", bits);
	if (lv_cipher_is_null(cipher) || strncmp(cipher, "capi:", 5) == 0)
		return lv_err_set(err, -EINVAL, "keyslot cipher %s cannot protect a keyslot area",
				  cipher);
	if ((r = lv_sector_cipher_supported(cipher, bits / 8)) < 0)
		return lv_err_set(err, r == -ENOMEM ? r : -ENOTSUP,
				  "keyslot cipher %s with a %u-bit key is %s", cipher, bits,
				  r == -ENOTSUP ? "not supported by the crypto backend" : "invalid");
	return 0;
}

static int refuse_unmet_requirements(const struct lv_device *dev, struct lv_err *err)
{
	if (lv_dev_md(dev)->config.unknown_requirement)
		return lv_err_set(err, -ETXTBSY, "%s: unmet LUKS2 requirements forbid changes",
				  dev->storage->name);
	return 0;
}

/* Fills everything of a new luks2 keyslot but the salt and area offset;
 * its strings end up in md's arena. */
static int new_keyslot(struct lv_metadata *md, uint32_t volume_key_bytes,
		       const struct lv_pbkdf_params *pbkdf, struct lv_keyslot *ks,
		       struct lv_err *err)
{
	int r;

	ks->json = NULL;
	ks->kind = LV_KEYSLOT_LUKS2;
	ks->type = "luks2";
	ks->key_size = volume_key_bytes;
	ks->has_priority = false;
	ks->af = (struct lv_af){ .type = "luks1", .stripes = LV_AF_STRIPES,
				 .hash = lv_md_strdup(md, pbkdf->hash ? pbkdf->hash : "sha256") };
	ks->area = (struct lv_area){ .type = "raw",
				     .size_bytes = lv_keyslot_area_bytes(volume_key_bytes) };
	if ((r = choose_keyslot_cipher(md, volume_key_bytes, pbkdf, &ks->area, err)) < 0)
		return r;
	if (!ks->af.hash || !(ks->area.encryption = lv_md_strdup(md, ks->area.encryption)))
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = lv_pbkdf_resolve(pbkdf, (size_t)ks->area.key_size, &ks->kdf, err);
	if (r < 0)
		return r;
	if (!(ks->kdf.type = lv_md_strdup(md, ks->kdf.type)) ||
	    (ks->kdf.hash && !(ks->kdf.hash = lv_md_strdup(md, ks->kdf.hash))))
		return lv_err_set(err, -ENOMEM, "out of memory");
	if ((r = find_area_gap(md, ks->area.size_bytes, &ks->area.offset_bytes)) == -ENOSPC)
		return lv_err_set(err, r, "no free room in the keyslots area for keyslot %s",
				  ks->id.text);
	if (r < 0)
		return lv_err_set(err, r, "out of memory");
	/* A salt already, so that the planned metadata validates; storing
	 * the key draws the one that is kept. */
	if ((r = lv_random(ks->kdf.salt.bytes, LV_SALT_LEN)) < 0)
		return lv_err_set(err, r, "cannot generate a salt");
	ks->kdf.salt.len = LV_SALT_LEN;
	ks->kdf.salt.valid = 1;
	return 0;
}

static int verify_volume_key(const struct lv_device *dev, const struct lv_secret *volume_key,
			     struct lv_err *err)
{
	const struct lv_digest *digest = volume_key_digest(lv_dev_md(dev));

	if (!digest || lv_digest_verify(digest, volume_key) < 0)
		return lv_err_set(err, -EPERM, "%s: volume key does not match the digest",
				  dev->storage->name);
	return 0;
}

int lv_keyslot_plan(struct lv_metadata *work, int slot, uint32_t volume_key_bytes,
		    const struct lv_pbkdf_params *pbkdf, struct lv_keyslot **planned,
		    struct lv_err *err)
{
	const struct lv_digest *digest = volume_key_digest(work);
	struct lv_keyslot fresh = { .id = { .text = "" } }, *ks;
	int r;

	if (!digest)
		return lv_err_set(err, -EINVAL, "cannot link keyslot %d to a digest", slot);
	if ((r = lv_md_id(work, (uint32_t)slot, &fresh.id)) < 0 ||
	    (r = new_keyslot(work, volume_key_bytes, pbkdf, &fresh, err)) < 0)
		return r == -ENOMEM ? lv_err_set(err, r, "out of memory") : r;
	if (!(ks = lv_md_add_keyslot(work, (uint32_t)slot)) ||
	    lv_md_list_add(work, &work->digests[digest - work->digests].keyslots, (uint32_t)slot) < 0)
		return lv_err_set(err, -ENOMEM, "cannot link keyslot %d to the digest", slot);
	fresh.id = ks->id;
	*ks = fresh;
	*planned = ks;
	return 0;
}

int lv_keyslot_create(struct lv_device *dev, struct lv_metadata *work, int slot,
		      const struct lv_secret *volume_key, const struct lv_secret *passphrase,
		      const struct lv_pbkdf_params *pbkdf, struct lv_err *err)
{
	struct lv_keyslot *ks;
	int r = lv_keyslot_plan(work, slot, (uint32_t)volume_key->len, pbkdf, &ks, err);

	return r < 0 ? r : lv_keyslot_store_key(dev, ks, passphrase, volume_key, err);
}

int lv_keyslot_add(struct lv_device *dev, int slot, const struct lv_secret *volume_key,
		   const struct lv_secret *new_passphrase,
		   const struct lv_pbkdf_params *pbkdf, int *added_slot, struct lv_err *err)
{
	struct lv_metadata *work;
	int r;

	if ((r = refuse_unmet_requirements(dev, err)) < 0 ||
	    (r = verify_volume_key(dev, volume_key, err)) < 0)
		return r;
	if (slot == LV_ANY_SLOT && (slot = lv_md_free_keyslot(lv_dev_md(dev))) < 0)
		return lv_err_set(err, -ENOSPC, "%s: all 32 keyslots are in use", dev->storage->name);
	if (slot < 0 || slot >= LV_KEYSLOTS_MAX)
		return lv_err_set(err, -EINVAL, "keyslot %d is out of range 0..31", slot);
	if (lv_keyslot_exists(dev, slot))
		return lv_err_set(err, -EEXIST, "%s: keyslot %d is already in use",
				  dev->storage->name, slot);
	if ((r = lv_metadata_clone(lv_dev_md(dev), &work)) < 0)
		return lv_err_set(err, r, "out of memory");
	r = lv_keyslot_create(dev, work, slot, volume_key, new_passphrase, pbkdf, err);
	if (r == 0)
		r = lv_device_commit(dev, work, 0, err);
	lv_metadata_free(&work);
	if (r == 0 && added_slot)
		*added_slot = slot;
	return r;
}

int lv_keyslot_kill(struct lv_device *dev, int slot, struct lv_err *err)
{
	const struct lv_keyslot *ks;
	struct lv_metadata *work;
	int r;

	if ((r = refuse_unmet_requirements(dev, err)) < 0)
		return r;
	ks = slot >= 0 ? lv_md_keyslot(lv_dev_md(dev), (uint32_t)slot) : NULL;
	if (!ks)
		return lv_err_set(err, -ENOENT, "%s: keyslot %d is not active", dev->storage->name,
				  slot);
	if ((r = lv_device_check_seqid(dev, err)) == 0)
		r = lv_keyslot_wipe_area(dev, ks->area.offset_bytes, ks->area.size_bytes, err);
	if (r < 0)
		return r;
	if ((r = lv_metadata_clone(lv_dev_md(dev), &work)) < 0)
		return lv_err_set(err, r, "out of memory");
	lv_md_remove_keyslot(work, &work->keyslots[ks - lv_dev_md(dev)->keyslots]);
	r = lv_device_commit(dev, work, 0, err);
	lv_metadata_free(&work);
	return r;
}

int lv_keyslot_change(struct lv_device *dev, int slot, const struct lv_secret *volume_key,
		      const struct lv_secret *new_passphrase,
		      const struct lv_pbkdf_params *pbkdf, struct lv_err *err)
{
	const struct lv_keyslot *old;
	struct lv_metadata *work;
	struct lv_keyslot fresh, *ks;
	uint64_t old_offset, old_size;
	int r;

	if ((r = refuse_unmet_requirements(dev, err)) < 0 ||
	    (r = verify_volume_key(dev, volume_key, err)) < 0)
		return r;
	old = slot >= 0 ? lv_md_keyslot(lv_dev_md(dev), (uint32_t)slot) : NULL;
	if (!old || old->kind != LV_KEYSLOT_LUKS2)
		return lv_err_set(err, -ENOENT, "%s: keyslot %d is not active", dev->storage->name,
				  slot);
	old_offset = old->area.offset_bytes;
	old_size = old->area.size_bytes;
	if ((r = lv_metadata_clone(lv_dev_md(dev), &work)) < 0)
		return lv_err_set(err, r, "out of memory");
	ks = &work->keyslots[old - lv_dev_md(dev)->keyslots];
	fresh = *ks;
	/* The new area is allocated while the old one is still taken, so the
	 * old passphrase keeps working until the metadata switches over. */
	r = new_keyslot(work, (uint32_t)volume_key->len, pbkdf, &fresh, err);
	if (r == 0) {
		fresh.json = ks->json;
		fresh.has_priority = ks->has_priority;
		fresh.priority = ks->priority;
		r = lv_keyslot_store_key(dev, &fresh, new_passphrase, volume_key, err);
	}
	if (r == 0) {
		*ks = fresh;
		r = lv_device_commit(dev, work, 0, err);
	}
	lv_metadata_free(&work);
	if (r == 0)
		r = lv_keyslot_wipe_area(dev, old_offset, old_size, err);
	return r;
}

int lv_secret_equal(const struct lv_secret *a, const struct lv_secret *b)
{
	return a->len == b->len && lv_memeq(a->bytes, b->bytes, a->len);
}

int lv_keyslot_set_priority(struct lv_device *dev, int slot, int priority, struct lv_err *err)
{
	const struct lv_keyslot *old;
	struct lv_keyslot *ks;
	struct lv_metadata *work;
	int r;

	if (priority < LV_PRIORITY_IGNORE || priority > LV_PRIORITY_PREFER)
		return lv_err_set(err, -EINVAL, "keyslot priority %d is not 0, 1 or 2", priority);
	old = slot >= 0 ? lv_md_keyslot(lv_dev_md(dev), (uint32_t)slot) : NULL;
	if (!old)
		return lv_err_set(err, -ENOENT, "%s: keyslot %d is not in use", dev->storage->name,
				  slot);
	if ((r = lv_metadata_clone(lv_dev_md(dev), &work)) < 0)
		return lv_err_set(err, r, "out of memory");
	ks = &work->keyslots[old - lv_dev_md(dev)->keyslots];
	/* As cryptsetup: "normal" is the absence of the key. */
	ks->has_priority = priority != LV_PRIORITY_NORMAL;
	ks->priority = priority;
	r = lv_device_commit(dev, work, 0, err);
	lv_metadata_free(&work);
	return r;
}
