/* SPDX-License-Identifier: ISC */
/*
 * device.c: loading a LUKS2 device: both header copies, the choice between
 * them (luks2-reference.md §2 "Read") and the device size check.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/device.h"

/* Where the secondary copy may sit when the primary cannot tell (§1.2). */
static const uint64_t secondary_scan_offsets[] = {
	0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000,
};

void lv_device_warn(struct lv_device *dev, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!dev->warnings && !(dev->warnings = calloc(1, LV_WARNINGS_MAX)))
		return;
	used = strlen(dev->warnings);
	if (used + 2 >= LV_WARNINGS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(dev->warnings + used, LV_WARNINGS_MAX - used - 1, fmt, ap);
	va_end(ap);
	used = strlen(dev->warnings);
	dev->warnings[used] = '\n';
	dev->warnings[used + 1] = '\0';
}

const char *lv_device_warnings(const struct lv_device *dev)
{
	return dev->warnings ? dev->warnings : "";
}

static int copy_usable(const struct lv_hdr_copy *copy)
{
	return copy->state == LV_COPY_OK;
}

/* The primary tells where the secondary is; without it, scan (§2 step 2).
 * A secondary whose JSON area equals the primary's takes its verdict. */
static int read_secondary(struct lv_device *dev, struct lv_metadata **md)
{
	struct lv_hdr_copy *primary = &dev->copies[LV_PRIMARY];
	struct lv_hdr_copy *secondary = &dev->copies[LV_SECONDARY];
	int r;

	if (primary->state == LV_COPY_OK || primary->state == LV_COPY_OBSOLETE)
		return lv_hdr_copy_read(dev->storage, primary->bin.hdr_size, 1, primary,
					secondary, md);
	for (size_t i = 0; i < sizeof(secondary_scan_offsets) / sizeof(uint64_t); i++) {
		r = lv_hdr_copy_read(dev->storage, secondary_scan_offsets[i], 1, NULL, secondary, md);
		if (r < 0)
			return r;
		if (secondary->state == LV_COPY_OK || secondary->state == LV_COPY_OBSOLETE)
			return 0;
		if (i + 1 < sizeof(secondary_scan_offsets) / sizeof(uint64_t))
			lv_hdr_copy_free(secondary);
	}
	return 0;
}

/* Both valid: the higher seqid wins, equal means primary (§2 step 3). */
static int choose_copy(struct lv_device *dev, struct lv_err *err)
{
	struct lv_hdr_copy *primary = &dev->copies[LV_PRIMARY];
	struct lv_hdr_copy *secondary = &dev->copies[LV_SECONDARY];

	if (copy_usable(primary) && copy_usable(secondary)) {
		dev->active = secondary->bin.seqid > primary->bin.seqid ? LV_SECONDARY : LV_PRIMARY;
		struct lv_hdr_copy *older = &dev->copies[1 - dev->active];
		if (older->bin.seqid != dev->copies[dev->active].bin.seqid) {
			lv_device_warn(dev, "%s header copy is stale (seqid %llu < %llu)",
				       dev->active == LV_PRIMARY ? "secondary" : "primary",
				       (unsigned long long)older->bin.seqid,
				       (unsigned long long)dev->copies[dev->active].bin.seqid);
			older->state = LV_COPY_OBSOLETE;
		}
		return 0;
	}
	if (copy_usable(primary) || copy_usable(secondary)) {
		dev->active = copy_usable(primary) ? LV_PRIMARY : LV_SECONDARY;
		struct lv_hdr_copy *bad = &dev->copies[1 - dev->active];
		lv_device_warn(dev, "%s header copy is damaged: %s",
			       dev->active == LV_PRIMARY ? "secondary" : "primary", bad->err.msg);
		return 0;
	}
	if (primary->state == LV_COPY_IO_ERROR && secondary->state == LV_COPY_IO_ERROR)
		return lv_err_set(err, -EIO, "%s: cannot read either header copy: %s",
				  dev->storage->name, primary->err.msg);
	/* Report the primary's problem unless only the secondary got far. */
	const struct lv_hdr_copy *report =
		primary->state == LV_COPY_OBSOLETE || secondary->state != LV_COPY_OBSOLETE ?
		primary : secondary;
	/* A checksum this build cannot compute says nothing about the header. */
	if (report->err.code == -ENOTSUP)
		return lv_err_set(err, -ENOTSUP, "%s: cannot check the LUKS2 header: %s",
				  dev->storage->name, report->err.msg);
	return lv_err_set(err, -EBADMSG, "%s: no valid LUKS2 header: %s", dev->storage->name,
			  report->err.msg);
}

/* The device must hold both metadata copies and the keyslots area (§2 step 5). */
static int check_device_size(struct lv_device *dev, struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	uint64_t needed = 2 * (md->config.json_size + 4096) + md->config.keyslots_size;
	int r = lv_storage_size(dev->storage, &dev->device_bytes);

	if (r < 0)
		return lv_err_set(err, r, "%s: cannot get the device size", dev->storage->name);
	if (dev->device_bytes < needed)
		return lv_err_set(err, -ENODATA,
				  "%s: device is %llu bytes, smaller than its LUKS2 metadata (%llu)",
				  dev->storage->name, (unsigned long long)dev->device_bytes,
				  (unsigned long long)needed);
	return 0;
}

/* The device keeps the active copy's metadata (the primary's when the
 * secondary took its verdict) and the active copy's JSON bytes only. */
static void keep_active(struct lv_device *dev, struct lv_metadata *mds[2])
{
	enum lv_copy_index other = 1 - dev->active;

	dev->md = mds[dev->active] ? mds[dev->active] : mds[other];
	if (dev->md == mds[other])
		mds[other] = NULL;
	else
		lv_metadata_free(&mds[other]);
	mds[dev->active] = NULL;
	free(dev->copies[other].json_prefix);
	dev->copies[other].json_prefix = NULL;
	dev->copies[other].json_prefix_bytes = 0;
}

static int device_load(struct lv_device *dev, struct lv_err *err)
{
	struct lv_metadata *mds[2] = { NULL, NULL };
	int r = lv_hdr_copy_read(dev->storage, 0, 0, NULL, &dev->copies[LV_PRIMARY], &mds[0]);

	if (r < 0)
		return lv_err_set(err, r, "%s: %s", dev->storage->name,
				  dev->copies[LV_PRIMARY].err.msg);
	r = read_secondary(dev, &mds[1]);
	if (r < 0)
		lv_err_set(err, r, "%s: %s", dev->storage->name, dev->copies[LV_SECONDARY].err.msg);
	if (r == 0 && (r = choose_copy(dev, err)) == 0)
		keep_active(dev, mds);
	lv_metadata_free(&mds[0]);
	lv_metadata_free(&mds[1]);
	if (r < 0 || (r = check_device_size(dev, err)) < 0)
		return r;
	if (dev->md->repaired_kdf_keys)
		lv_device_warn(dev, "removed %u kdf parameters that do not belong to the kdf type (repaired in memory)",
			       dev->md->repaired_kdf_keys);
	lv_device_strict_warnings(dev);
	return 0;
}

int lv_device_new(struct lv_device **dev, struct lv_storage *storage, unsigned flags,
		  struct lv_err *err)
{
	int r;

	*dev = calloc(1, sizeof(**dev));
	if (!*dev) {
		lv_storage_close(&storage);
		return lv_err_set(err, -ENOMEM, "out of memory");
	}
	(*dev)->storage = storage;
	(*dev)->lock.fd = -1;
	/* Writers hold the lock from before the read to after the write, so
	 * a read-modify-write never interleaves with another writer. */
	r = lv_lock_acquire(&(*dev)->lock, storage, !!(flags & LV_LOAD_WRITABLE),
			    !(flags & LV_LOAD_NONBLOCK), err);
	if (r < 0)
		lv_device_free(dev);
	return r;
}

int lv_device_adopt(struct lv_device **dev, struct lv_device_hold **hold, struct lv_err *err)
{
	*dev = NULL;
	if (!hold || !*hold)
		return lv_err_set(err, -EINVAL, "no device held");
	*dev = calloc(1, sizeof(**dev));
	if (!*dev) {
		lv_device_hold_release(hold);
		return lv_err_set(err, -ENOMEM, "out of memory");
	}
	(*dev)->storage = (*hold)->storage;
	(*dev)->lock = (*hold)->lock;
	free(*hold);
	*hold = NULL;
	return 0;
}

/* Reads both copies into a new device; a writable one recovers a bad copy. */
static int device_read_new(struct lv_device **dev, unsigned flags, struct lv_err *err)
{
	int r = device_load(*dev, err);

	if (r == 0 && (flags & LV_LOAD_WRITABLE))
		r = lv_device_recover(*dev, !!(flags & LV_LOAD_REPAIR), err);
	if (r < 0)
		lv_device_free(dev);
	return r;
}

static int device_open(struct lv_device **dev, struct lv_storage *storage, unsigned flags,
		       struct lv_err *err)
{
	int r = lv_device_new(dev, storage, flags, err);

	return r < 0 ? r : device_read_new(dev, flags, err);
}

int lv_device_load_held(struct lv_device_hold **hold, unsigned flags, struct lv_device **dev,
			struct lv_err *err)
{
	int r;

	*dev = NULL;
	if ((flags & LV_LOAD_WRITABLE) && !(*hold)->storage->writable) {
		lv_device_hold_release(hold);
		return lv_err_set(err, -EINVAL, "a writable load needs a writable hold");
	}
	r = lv_device_adopt(dev, hold, err);
	return r < 0 ? r : device_read_new(dev, flags, err);
}

int lv_device_load(struct lv_device **dev, const char *path, unsigned flags,
		   struct lv_err *err)
{
	struct lv_storage *storage;
	int r = lv_storage_open_path(&storage, path, !!(flags & LV_LOAD_WRITABLE));

	*dev = NULL;
	if (r < 0)
		return lv_err_set(err, r == -ENOENT ? -ENODEV : r,
				  "%s: cannot open: %s", path, lv_storage_strerror(r));
	return device_open(dev, storage, flags, err);
}

int lv_device_load_storage(struct lv_device **dev, struct lv_storage *storage, unsigned flags,
			   struct lv_err *err)
{
	return device_open(dev, storage, flags, err);
}

int lv_device_load_mem(struct lv_device **dev, uint8_t *image, size_t image_len,
		       unsigned flags, struct lv_err *err)
{
	struct lv_storage *storage;
	int r = lv_storage_open_mem(&storage, image, image_len, !!(flags & LV_LOAD_WRITABLE));

	*dev = NULL;
	if (r < 0)
		return lv_err_set(err, r, "out of memory");
	return device_open(dev, storage, flags, err);
}

void lv_device_free(struct lv_device **dev)
{
	if (!dev || !*dev)
		return;
	lv_hdr_copy_free(&(*dev)->copies[LV_PRIMARY]);
	lv_hdr_copy_free(&(*dev)->copies[LV_SECONDARY]);
	lv_metadata_free(&(*dev)->md);
	free((*dev)->warnings);
	lv_lock_release(&(*dev)->lock);
	lv_storage_close(&(*dev)->storage);
	free(*dev);
	*dev = NULL;
}

int lv_probe_storage(struct lv_storage *st, enum lv_luks_version *version)
{
	uint8_t raw[8];

	*version = LV_NOT_LUKS;
	if (lv_storage_read(st, 0, raw, sizeof(raw)) == 0 &&
	    memcmp(raw, lv_magic_primary, LV_MAGIC_BYTES) == 0) {
		unsigned v = (unsigned)raw[6] << 8 | raw[7];
		if (v == 1 || v == 2) {
			*version = (enum lv_luks_version)v;
			return 0;
		}
	}
	/* A wiped primary: libblkid still finds LUKS2 by its secondary. */
	for (size_t i = 0; i < sizeof(secondary_scan_offsets) / sizeof(uint64_t); i++) {
		if (lv_storage_read(st, secondary_scan_offsets[i], raw, sizeof(raw)) == 0 &&
		    memcmp(raw, lv_magic_secondary, LV_MAGIC_BYTES) == 0 &&
		    raw[6] == 0 && raw[7] == 2) {
			*version = LV_LUKS2;
			return 0;
		}
	}
	return 0;
}

int lv_probe(const char *path, enum lv_luks_version *version, struct lv_err *err)
{
	struct lv_storage *st;
	int r = lv_storage_open_path(&st, path, 0);

	*version = LV_NOT_LUKS;
	if (r < 0)
		return lv_err_set(err, r == -ENOENT ? -ENODEV : r, "%s: cannot open: %s", path,
				  lv_storage_strerror(r));
	r = lv_probe_storage(st, version);
	lv_storage_close(&st);
	return r;
}
