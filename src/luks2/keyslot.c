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

static const struct lv_segment *first_crypt_segment(const struct lv_metadata *md)
{
	for (uint32_t id = 0; id < md->segment_count; id++) {
		const struct lv_segment *seg = lv_md_segment(md, id);
		if (seg && seg->is_crypt && !seg->is_backup)
			return seg;
	}
	return NULL;
}

static const struct lv_digest *segment_digest(const struct lv_metadata *md,
					      const struct lv_segment *seg)
{
	for (unsigned i = 0; seg && i < md->digest_count; i++)
		for (unsigned k = 0; k < md->digests[i].segments.count; k++)
			if (md->digests[i].segments.ids[k] == seg->id)
				return &md->digests[i];
	return NULL;
}

uint32_t lv_volume_key_bytes(const struct lv_device *dev)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_digest *digest = segment_digest(md, first_crypt_segment(md));

	for (unsigned k = 0; digest && k < digest->keyslots.count; k++) {
		const struct lv_keyslot *ks = lv_md_keyslot(md, digest->keyslots.ids[k]);
		if (ks)
			return ks->key_size;
	}
	return 0;
}

int lv_keyslot_exists(const struct lv_device *dev, int slot)
{
	return slot >= 0 && lv_md_keyslot(lv_dev_md(dev), (uint32_t)slot) != NULL;
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
	const struct lv_digest *digest = lv_md_digest_of_keyslot(md, ks->id);
	int r = lv_keyslot_strict_check(md, ks, err);

	if (r < 0)
		return r;
	r = lv_keyslot_recover_key(dev, ks, passphrase, volume_key, err);
	if (r < 0)
		return r;
	r = lv_digest_verify(digest, *volume_key);
	if (r < 0) {
		lv_secret_free(volume_key);
		return r == -EPERM ? lv_err_set(err, -EPERM, "keyslot %u: wrong passphrase", ks->id)
				   : lv_err_set(err, r, "digest %u: cannot verify", digest->id);
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
	const struct lv_digest *bound = segment_digest(md, first_crypt_segment(md));
	static const int passes[] = { LV_PRIORITY_PREFER, LV_PRIORITY_NORMAL };
	struct lv_err last = { 0 };
	int tried = 0, refused = 0;

	for (size_t p = 0; p < 2; p++) {
		for (uint32_t id = 0; id < LV_KEYSLOTS_MAX; id++) {
			const struct lv_keyslot *ks = lv_md_keyslot(md, id);
			int r;

			if (!ks || ks->kind != LV_KEYSLOT_LUKS2 || effective_priority(ks) != passes[p] ||
			    lv_md_digest_of_keyslot(md, id) != bound)
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

static int lowest_free_slot(const struct lv_metadata *md)
{
	for (uint32_t id = 0; id < LV_KEYSLOTS_MAX; id++)
		if (!lv_md_keyslot(md, id))
			return (int)id;
	return -1;
}

/* First fit, 4 KiB aligned, inside the keyslots area (§3.5). */
static int find_area_gap(const struct lv_metadata *md, uint64_t size, uint64_t *offset)
{
	uint64_t start = 2 * (md->config.json_size + 4096);
	uint64_t end = start + md->config.keyslots_size;
	uint64_t candidate = start;
	int moved = 1;

	while (moved) {
		moved = 0;
		for (unsigned i = 0; i < md->keyslot_count; i++) {
			const struct lv_area *a = &md->keyslots[i].area;

			if (candidate < a->offset_bytes + a->size_bytes &&
			    a->offset_bytes < candidate + size) {
				candidate = (a->offset_bytes + a->size_bytes + LV_AREA_ALIGN - 1) /
					    LV_AREA_ALIGN * LV_AREA_ALIGN;
				moved = 1;
			}
		}
	}
	if (candidate > end || size > end - candidate)
		return -ENOSPC;
	*offset = candidate;
	return 0;
}

/* The segment cipher when the backend can run it, else aes-xts-plain64
 * with a 512-bit key, as cryptsetup picks keyslot ciphers (§3.2). */
static void choose_keyslot_cipher(const struct lv_metadata *md, uint32_t volume_key_bytes,
				  struct lv_area *area)
{
	const struct lv_segment *seg = first_crypt_segment(md);

	snprintf(area->encryption, sizeof(area->encryption), FALLBACK_KEYSLOT_CIPHER);
	area->key_size = FALLBACK_KEYSLOT_KEY_BYTES;
	if (!seg || seg->has_integrity || lv_cipher_is_null(seg->encryption) ||
	    strncmp(seg->encryption, "capi:", 5) == 0 ||
	    lv_sector_cipher_supported(seg->encryption, volume_key_bytes) < 0)
		return;
	snprintf(area->encryption, sizeof(area->encryption), "%s", seg->encryption);
	area->key_size = volume_key_bytes;
}

static struct lv_metadata *metadata_copy(const struct lv_device *dev, struct lv_err *err)
{
	struct lv_metadata *work = malloc(sizeof(*work));

	if (!work) {
		lv_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	/* Shallow: json nodes stay owned by dev until the commit replaces them. */
	memcpy(work, lv_dev_md(dev), sizeof(*work));
	return work;
}

static int refuse_unmet_requirements(const struct lv_device *dev, struct lv_err *err)
{
	if (lv_dev_md(dev)->config.unknown_requirement)
		return lv_err_set(err, -ETXTBSY, "%s: unmet LUKS2 requirements forbid changes",
				  dev->storage->name);
	return 0;
}

/* Fills everything of a new luks2 keyslot but the salt and area offset. */
static int new_keyslot(const struct lv_metadata *md, uint32_t id, uint32_t volume_key_bytes,
		       const struct lv_pbkdf_params *pbkdf, struct lv_keyslot *ks,
		       struct lv_err *err)
{
	int r;

	memset(ks, 0, sizeof(*ks));
	ks->id = id;
	ks->kind = LV_KEYSLOT_LUKS2;
	snprintf(ks->type, sizeof(ks->type), "luks2");
	ks->key_size = volume_key_bytes;
	snprintf(ks->af.type, sizeof(ks->af.type), "luks1");
	snprintf(ks->af.hash, sizeof(ks->af.hash), "%s", pbkdf->hash ? pbkdf->hash : "sha256");
	ks->af.stripes = LV_AF_STRIPES;
	snprintf(ks->area.type, sizeof(ks->area.type), "raw");
	ks->area.size_bytes = lv_keyslot_area_bytes(volume_key_bytes);
	choose_keyslot_cipher(md, volume_key_bytes, &ks->area);
	r = lv_pbkdf_resolve(pbkdf, (size_t)ks->area.key_size, &ks->kdf, err);
	if (r < 0)
		return r;
	if (find_area_gap(md, ks->area.size_bytes, &ks->area.offset_bytes) < 0)
		return lv_err_set(err, -ENOSPC, "no free room in the keyslots area for keyslot %u",
				  id);
	/* A salt already, so that the planned metadata validates; storing
	 * the key draws the one that is kept. */
	if ((r = lv_random(ks->kdf.salt.bytes, LV_SALT_LEN)) < 0)
		return lv_err_set(err, r, "cannot generate a salt");
	ks->kdf.salt.len = LV_SALT_LEN;
	ks->kdf.salt.valid = 1;
	return 0;
}

static void id_list_remove(struct lv_id_list *list, uint32_t id)
{
	unsigned out = 0;

	for (unsigned i = 0; i < list->count; i++)
		if (list->ids[i] != id)
			list->ids[out++] = list->ids[i];
	list->count = out;
}

static int id_list_add(struct lv_id_list *list, uint32_t id)
{
	if (list->count == LV_REFS_MAX)
		return -ENOSPC;
	list->ids[list->count++] = id;
	return 0;
}

/* The digest of the data segment, writable in work. */
static struct lv_digest *work_digest(struct lv_metadata *work)
{
	const struct lv_digest *digest = segment_digest(work, first_crypt_segment(work));

	return digest ? &work->digests[digest - work->digests] : NULL;
}

static int verify_volume_key(const struct lv_device *dev, const struct lv_secret *volume_key,
			     struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_digest *digest = segment_digest(md, first_crypt_segment(md));

	if (!digest || lv_digest_verify(digest, volume_key) < 0)
		return lv_err_set(err, -EPERM, "%s: volume key does not match the digest",
				  dev->storage->name);
	return 0;
}

int lv_keyslot_plan(struct lv_metadata *work, int slot, uint32_t volume_key_bytes,
		    const struct lv_pbkdf_params *pbkdf, struct lv_keyslot **planned,
		    struct lv_err *err)
{
	struct lv_keyslot *ks = &work->keyslots[work->keyslot_count];
	struct lv_digest *digest = work_digest(work);
	int r;

	if (!digest || work->keyslot_count == LV_KEYSLOTS_MAX)
		return lv_err_set(err, -EINVAL, "cannot link keyslot %d to a digest", slot);
	if ((r = new_keyslot(work, (uint32_t)slot, volume_key_bytes, pbkdf, ks, err)) < 0)
		return r;
	if ((r = id_list_add(&digest->keyslots, (uint32_t)slot)) < 0)
		return lv_err_set(err, r, "cannot link keyslot %d to the digest", slot);
	work->keyslot_count++;
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
	if (slot == LV_ANY_SLOT && (slot = lowest_free_slot(lv_dev_md(dev))) < 0)
		return lv_err_set(err, -ENOSPC, "%s: all 32 keyslots are in use", dev->storage->name);
	if (slot < 0 || slot >= LV_KEYSLOTS_MAX)
		return lv_err_set(err, -EINVAL, "keyslot %d is out of range 0..31", slot);
	if (lv_keyslot_exists(dev, slot))
		return lv_err_set(err, -EEXIST, "%s: keyslot %d is already in use",
				  dev->storage->name, slot);
	if (!(work = metadata_copy(dev, err)))
		return -ENOMEM;
	r = lv_keyslot_create(dev, work, slot, volume_key, new_passphrase, pbkdf, err);
	if (r == 0)
		r = lv_device_commit(dev, work, 0, err);
	free(work);
	if (r == 0 && added_slot)
		*added_slot = slot;
	return r;
}

/* Removes keyslot id from work and from every digest and token. */
static void forget_keyslot(struct lv_metadata *work, uint32_t id)
{
	unsigned out = 0;

	for (unsigned i = 0; i < work->keyslot_count; i++)
		if (work->keyslots[i].id != id)
			work->keyslots[out++] = work->keyslots[i];
	work->keyslot_count = out;
	for (unsigned i = 0; i < work->digest_count; i++)
		id_list_remove(&work->digests[i].keyslots, id);
	for (unsigned i = 0; i < work->token_count; i++)
		id_list_remove(&work->tokens[i].keyslots, id);
	/* A digest left with neither keyslots nor segments is dropped, as
	 * cryptsetup's LUKS2_digests_erase_unused does. */
	out = 0;
	for (unsigned i = 0; i < work->digest_count; i++)
		if (work->digests[i].keyslots.count || work->digests[i].segments.count)
			work->digests[out++] = work->digests[i];
	work->digest_count = out;
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
		return lv_err_set(err, -EINVAL, "%s: keyslot %d is not active", dev->storage->name,
				  slot);
	if ((r = lv_device_check_seqid(dev, err)) == 0)
		r = lv_keyslot_wipe_area(dev, ks->area.offset_bytes, ks->area.size_bytes, err);
	if (r < 0 || !(work = metadata_copy(dev, err)))
		return r < 0 ? r : -ENOMEM;
	forget_keyslot(work, (uint32_t)slot);
	r = lv_device_commit(dev, work, 0, err);
	free(work);
	return r;
}

int lv_keyslot_change(struct lv_device *dev, int slot, const struct lv_secret *volume_key,
		      const struct lv_secret *new_passphrase,
		      const struct lv_pbkdf_params *pbkdf, struct lv_err *err)
{
	const struct lv_keyslot *old;
	struct lv_metadata *work;
	struct lv_keyslot *ks;
	uint64_t old_offset, old_size;
	int r;

	if ((r = refuse_unmet_requirements(dev, err)) < 0 ||
	    (r = verify_volume_key(dev, volume_key, err)) < 0)
		return r;
	old = slot >= 0 ? lv_md_keyslot(lv_dev_md(dev), (uint32_t)slot) : NULL;
	if (!old || old->kind != LV_KEYSLOT_LUKS2)
		return lv_err_set(err, -EINVAL, "%s: keyslot %d is not active", dev->storage->name,
				  slot);
	old_offset = old->area.offset_bytes;
	old_size = old->area.size_bytes;
	if (!(work = metadata_copy(dev, err)))
		return -ENOMEM;
	ks = &work->keyslots[old - lv_dev_md(dev)->keyslots];
	struct lv_keyslot fresh;
	/* The new area is allocated while the old one is still taken, so the
	 * old passphrase keeps working until the metadata switches over. */
	r = new_keyslot(work, (uint32_t)slot, (uint32_t)volume_key->len, pbkdf, &fresh, err);
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
	free(work);
	if (r == 0)
		r = lv_keyslot_wipe_area(dev, old_offset, old_size, err);
	return r;
}

int lv_data_segment_info(const struct lv_device *dev, const char **cipher,
			 uint64_t *offset_bytes, const char **uuid)
{
	const struct lv_segment *seg = first_crypt_segment(lv_dev_md(dev));

	if (!seg)
		return -ENOENT;
	*cipher = seg->encryption;
	*offset_bytes = seg->offset_bytes;
	*uuid = lv_dev_bin(dev)->uuid;
	return 0;
}

int lv_secret_equal(const struct lv_secret *a, const struct lv_secret *b)
{
	return a->len == b->len && lv_memeq(a->bytes, b->bytes, a->len);
}

int lv_crypt_segment_get(const struct lv_device *dev, struct lv_crypt_segment *segment,
			 struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_segment *seg = first_crypt_segment(md);
	const struct lv_digest *digest = segment_digest(md, seg);

	memset(segment, 0, sizeof(*segment));
	if (!seg || !digest)
		return lv_err_set(err, -EINVAL, "%s: no crypt segment with a digest",
				  dev->storage->name);
	if (md->segment_count != 1)
		return lv_err_set(err, -ENOTSUP, "%s: %u segments (an unfinished reencryption?) are not supported",
				  dev->storage->name, md->segment_count);
	segment->cipher = seg->encryption;
	segment->offset_bytes = seg->offset_bytes;
	segment->size_bytes = seg->size_bytes;
	segment->dynamic = seg->dynamic;
	segment->sector_size = seg->sector_size;
	segment->has_integrity = seg->has_integrity;
	segment->persistent_flags = md->config.persistent_flags;
	segment->digest_id = digest->id;
	segment->uuid = lv_dev_bin(dev)->uuid;
	segment->unknown_requirements = md->config.unknown_requirement;
	return 0;
}

int lv_keyslot_set_priority(struct lv_device *dev, int slot, int priority, struct lv_err *err)
{
	struct lv_metadata *work;
	int r;

	if (priority < LV_PRIORITY_IGNORE || priority > LV_PRIORITY_PREFER)
		return lv_err_set(err, -EINVAL, "keyslot priority %d is not 0, 1 or 2", priority);
	if (!lv_keyslot_exists(dev, slot))
		return lv_err_set(err, -ENOENT, "%s: keyslot %d is not in use", dev->storage->name,
				  slot);
	if (!(work = metadata_copy(dev, err)))
		return -ENOMEM;
	for (unsigned i = 0; i < work->keyslot_count; i++) {
		struct lv_keyslot *ks = &work->keyslots[i];

		if (ks->id != (uint32_t)slot)
			continue;
		/* As cryptsetup: "normal" is the absence of the key. */
		ks->has_priority = priority != LV_PRIORITY_NORMAL;
		ks->priority = priority;
	}
	r = lv_device_commit(dev, work, 0, err);
	free(work);
	return r;
}
