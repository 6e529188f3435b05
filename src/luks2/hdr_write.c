/* SPDX-License-Identifier: ISC */
/*
 * hdr_write.c: writing the metadata (luks2-reference.md §2 "Write").
 *
 * Order of one update: seqid check against the disk, seqid + 1, then the
 * primary and the secondary copy, each as binary header with a zeroed
 * checksum, JSON area, binary header with its checksum, fsync.  A power
 * cut leaves at most one copy with a bad checksum, and the other copy is
 * complete: either the old or the new state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "luks2/device.h"

static int write_copy(struct lv_storage *st, const struct lv_hdr_bin *bin, int secondary,
		      const uint8_t *json_area, size_t json_area_bytes, size_t write_bytes)
{
	uint8_t raw[LV_HDR_BIN_BYTES];
	struct lv_hdr_bin zeroed = *bin;
	int r;

	memset(zeroed.csum, 0, sizeof(zeroed.csum));
	lv_hdr_bin_encode(&zeroed, secondary, raw);
	if ((r = lv_storage_write(st, bin->hdr_offset, raw, sizeof(raw))) < 0 ||
	    (r = lv_storage_write(st, bin->hdr_offset + LV_HDR_BIN_BYTES, json_area,
				  write_bytes)) < 0 ||
	    (r = lv_hdr_checksum(bin->checksum_alg, raw, json_area, json_area_bytes,
				 zeroed.csum)) < 0)
		return r;
	lv_hdr_bin_encode(&zeroed, secondary, raw);
	if ((r = lv_storage_write(st, bin->hdr_offset, raw, sizeof(raw))) < 0)
		return r;
	return lv_storage_sync(st);
}

/* A copy that did not load gets a fresh salt, as cryptsetup's recovery
 * does; the salt only keeps the two copies from deduplicating. */
static int copy_salt(const struct lv_hdr_copy *copy, uint8_t salt[LV_SALT_BYTES])
{
	if (copy->state == LV_COPY_OK || copy->state == LV_COPY_OBSOLETE) {
		memcpy(salt, copy->bin.salt, LV_SALT_BYTES);
		return 0;
	}
	return lv_random(salt, LV_SALT_BYTES);
}

/*
 * Serializes md into json_area (zeroed, json_area_bytes) and reads the
 * result back exactly as a reader will: *checked is what the device then
 * holds.  What a reader would have to repair is refused like what it would
 * refuse.
 */
static int serialize(const struct lv_metadata *md, uint64_t hdr_size, uint8_t *json_area,
		     size_t json_area_bytes, size_t *json_len, struct lv_metadata **checked,
		     struct lv_err *err)
{
	size_t json_end;
	char *text;
	int r = lv_metadata_to_text(md, &text, json_len);

	*checked = NULL;
	if (r < 0)
		return lv_err_set(err, r, "cannot serialize the metadata");
	if (*json_len >= json_area_bytes) {
		free(text);
		return lv_err_set(err, -ENOSPC, "metadata JSON (%zu bytes) does not fit the %zu-byte area",
				  *json_len, json_area_bytes);
	}
	memset(json_area, 0, json_area_bytes);
	memcpy(json_area, text, *json_len);
	free(text);
	r = lv_metadata_parse(json_area, *json_len + 1, hdr_size, checked, &json_end, err);
	if (r == 0 && (*checked)->repaired_kdf_keys) {
		lv_metadata_free(checked);
		r = lv_err_set(err, -EINVAL, "the written kdf parameters would need a repair");
	}
	if (r < 0 && r != -ENOMEM)
		lv_err_prefix(err, "refusing to write invalid metadata");
	return r;
}

int lv_metadata_check(const struct lv_metadata *md, uint64_t hdr_size, struct lv_err *err)
{
	size_t json_area_bytes = hdr_size - LV_HDR_BIN_BYTES, json_len;
	uint8_t *json_area = malloc(json_area_bytes);
	struct lv_metadata *checked = NULL;
	int r;

	if (!json_area)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = serialize(md, hdr_size, json_area, json_area_bytes, &json_len, &checked, err);
	lv_metadata_free(&checked);
	free(json_area);
	return r;
}

/* A writer that bypassed the lock shows up as a changed seqid (§2). */
int lv_device_check_seqid(struct lv_device *dev, struct lv_err *err)
{
	const struct lv_hdr_copy *active = &dev->copies[dev->active];
	uint8_t raw[LV_HDR_BIN_BYTES];
	struct lv_hdr_bin on_disk;

	if (lv_storage_read(dev->storage, active->offset_bytes, raw, sizeof(raw)) < 0 ||
	    lv_hdr_bin_decode(raw, dev->active == LV_SECONDARY, active->offset_bytes,
			      &on_disk, NULL) < 0)
		return 0;	/* unreadable now: the write below repairs it */
	if (strcmp(on_disk.uuid, active->bin.uuid) == 0 && on_disk.seqid != active->bin.seqid)
		return lv_err_set(err, -EBUSY,
				  "%s: detected a concurrent metadata update (seqid %llu, expected %llu)",
				  dev->storage->name, (unsigned long long)on_disk.seqid,
				  (unsigned long long)active->bin.seqid);
	return 0;
}

static size_t write_length(const struct lv_hdr_copy *copy, size_t json_len, int full)
{
	if (full || copy->state != LV_COPY_OK)
		return copy->json_area_bytes;
	return json_len > copy->json_end_bytes ? json_len : copy->json_end_bytes;
}

/* Makes both copies hold bins and the new JSON, valid in memory, and md
 * the device's metadata. */
static void adopt(struct lv_device *dev, const struct lv_hdr_bin bins[2], uint8_t *prefix,
		  size_t json_len, struct lv_metadata *md)
{
	for (int i = 0; i < 2; i++) {
		struct lv_hdr_copy *copy = &dev->copies[i];

		free(copy->json_prefix);
		copy->json_prefix = NULL;
		copy->json_prefix_bytes = 0;
		copy->bin = bins[i];
		copy->offset_bytes = bins[i].hdr_offset;
		copy->json_area_bytes = bins[i].hdr_size - LV_HDR_BIN_BYTES;
		copy->json_end_bytes = json_len;
		copy->state = LV_COPY_OK;
	}
	dev->copies[LV_PRIMARY].json_prefix = prefix;
	dev->copies[LV_PRIMARY].json_prefix_bytes = json_len + 1;
	lv_metadata_free(&dev->md);
	dev->md = md;
	dev->active = LV_PRIMARY;
}

static int write_both(struct lv_device *dev, struct lv_hdr_bin bins[2], const uint8_t *json_area,
		      size_t json_area_bytes, size_t json_len, int full, struct lv_err *err)
{
	for (int i = 0; i < 2; i++) {
		size_t len = write_length(&dev->copies[i], json_len, full);
		int r = write_copy(dev->storage, &bins[i], i, json_area, json_area_bytes, len);

		if (r < 0)
			return lv_err_set(err, r, "%s: cannot write the %s header: %s",
					  dev->storage->name, i ? "secondary" : "primary",
					  strerror(-r));
	}
	return 0;
}

int lv_device_commit(struct lv_device *dev, const struct lv_metadata *md, unsigned flags,
		     struct lv_err *err)
{
	const struct lv_hdr_bin *template = lv_dev_bin(dev);
	size_t json_area_bytes = template->hdr_size - LV_HDR_BIN_BYTES, json_len;
	struct lv_hdr_bin bins[2];
	struct lv_metadata *checked = NULL;
	uint8_t *json_area, *prefix = NULL;
	int r;

	if (!(flags & LV_COMMIT_FORCE) && dev->md && dev->md->config.unknown_requirement)
		return lv_err_set(err, -ETXTBSY, "%s: unmet LUKS2 requirements forbid changes",
				  dev->storage->name);
	json_area = malloc(json_area_bytes);
	if (!json_area)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = serialize(md, template->hdr_size, json_area, json_area_bytes, &json_len, &checked, err);
	/* What the device keeps of the new JSON, taken before anything is
	 * written: past the write, nothing may fail. */
	if (r == 0 && !(prefix = malloc(json_len + 1)))
		r = lv_err_set(err, -ENOMEM, "out of memory");
	else if (r == 0)
		memcpy(prefix, json_area, json_len + 1);
	if (r == 0 && !(flags & LV_COMMIT_FORCE))
		r = lv_device_check_seqid(dev, err);
	for (int i = 0; r == 0 && i < 2; i++) {
		bins[i] = *template;
		bins[i].seqid = template->seqid + 1;
		bins[i].hdr_offset = i ? template->hdr_size : 0;
		r = copy_salt(&dev->copies[i], bins[i].salt);
	}
	if (r == 0)
		r = write_both(dev, bins, json_area, json_area_bytes, json_len,
			       !!(flags & LV_COMMIT_FULL_AREA), err);
	if (r == 0) {
		adopt(dev, bins, prefix, json_len, checked);
		prefix = NULL;
		checked = NULL;
	}
	free(prefix);
	lv_metadata_free(&checked);
	free(json_area);
	return r;
}

int lv_device_recover(struct lv_device *dev, int force, struct lv_err *err)
{
	const struct lv_hdr_copy *good = &dev->copies[dev->active];
	enum lv_copy_index bad_index = dev->active == LV_PRIMARY ? LV_SECONDARY : LV_PRIMARY;
	struct lv_hdr_copy *bad = &dev->copies[bad_index];
	struct lv_hdr_bin bin = good->bin;
	uint8_t *json_area;
	char other[64];
	int found, r;

	if (bad->state == LV_COPY_OK)
		return 0;
	found = force ? 0 : lv_other_signature(dev->storage, other, sizeof(other));
	/* As cryptsetup: a device that cannot be probed is not recovered on
	 * its own either. */
	if (found < 0)
		return lv_err_set(err, found, "%s: cannot recover the %s header: %s (libblkid could not probe the device for other signatures)",
				  dev->storage->name,
				  bad_index == LV_PRIMARY ? "primary" : "secondary", strerror(-found));
	if (found)
		return lv_err_set(err, -EINVAL,
				  "%s: another signature besides LUKS2 is on the device (%s): not recovering the %s header automatically (run `luksvol repair`)",
				  dev->storage->name, other,
				  bad_index == LV_PRIMARY ? "primary" : "secondary");
	bin.hdr_offset = bad_index == LV_PRIMARY ? 0 : bin.hdr_size;
	if ((r = lv_random(bin.salt, sizeof(bin.salt))) < 0)
		return lv_err_set(err, r, "cannot generate a header salt");
	/* The whole area: the bad copy's tail may hold anything. */
	json_area = calloc(1, good->json_area_bytes);
	if (!json_area)
		return lv_err_set(err, -ENOMEM, "%s: out of memory", dev->storage->name);
	if (good->json_prefix)
		memcpy(json_area, good->json_prefix, good->json_prefix_bytes);
	r = write_copy(dev->storage, &bin, bad_index == LV_SECONDARY, json_area,
		       good->json_area_bytes, good->json_area_bytes);
	free(json_area);
	if (r < 0)
		return lv_err_set(err, r, "%s: cannot recover the %s header: %s",
				  dev->storage->name,
				  bad_index == LV_PRIMARY ? "primary" : "secondary", strerror(-r));
	free(bad->json_prefix);
	bad->json_prefix = NULL;
	bad->json_prefix_bytes = 0;
	bad->bin = bin;
	bad->offset_bytes = bin.hdr_offset;
	bad->json_area_bytes = good->json_area_bytes;
	bad->json_end_bytes = good->json_end_bytes;
	bad->state = LV_COPY_OK;
	lv_device_warn(dev, "recovered the %s header copy",
		       bad_index == LV_PRIMARY ? "primary" : "secondary");
	return 0;
}
