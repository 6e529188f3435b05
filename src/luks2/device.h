/* SPDX-License-Identifier: ISC */
/* device.h: struct lv_device, shared by the files of src/luks2 only. */
#ifndef LV_DEVICE_H
#define LV_DEVICE_H

#include "luks2/hdr_disk.h"
#include "luks2/lock.h"
#include "luks2/storage.h"

/* Warnings gathered at load stop at this many bytes. */
#define LV_WARNINGS_MAX 4096

enum lv_copy_index { LV_PRIMARY = 0, LV_SECONDARY = 1 };

struct lv_device {
	struct lv_storage *storage;
	struct lv_hdr_copy copies[2];
	enum lv_copy_index active;	/* the copy whose metadata is used */
	struct lv_metadata *md;		/* the active copy's; replaced by each commit */
	uint64_t device_bytes;
	struct lv_lock lock;
	char *warnings;			/* NULL until the first warning */
};

/* hold.c: what lv_device_hold took, before a device is made of it. */
struct lv_device_hold {
	struct lv_storage *storage;
	struct lv_lock lock;
};

/* An empty device over a hold's storage and lock (taken over, *hold is
 * NULL afterwards, also on failure); nothing is read yet. */
int lv_device_adopt(struct lv_device **dev, struct lv_device_hold **hold, struct lv_err *err);

/* An empty device over storage (taken over), locked as flags (enum
 * lv_load_flags) say: for writing or reading, waiting or not; nothing is
 * read yet. */
int lv_device_new(struct lv_device **dev, struct lv_storage *storage, unsigned flags,
		  struct lv_err *err);

/* The path-free entry points, over a storage the caller opened (the
 * fault-injecting test storage); both take ownership of storage. */
int lv_device_load_storage(struct lv_device **dev, struct lv_storage *storage, unsigned flags,
			   struct lv_err *err);
int lv_format_storage(struct lv_storage *storage, const struct lv_format_params *params,
		      const struct lv_secret *passphrase, struct lv_device **dev,
		      struct lv_err *err);
/* lv_probe over a storage the caller opened. */
int lv_probe_storage(struct lv_storage *st, enum lv_luks_version *version);
/* header_ops.c: lv_repair over a storage (taken over); and header-restore
 * of the header area image (image_len bytes, as a backup file holds it)
 * onto target, whose current header is current (loaded writable, on
 * target), or NULL when it has none and the caller holds the lock. */
int lv_repair_storage(struct lv_storage *storage, struct lv_err *err);
int lv_header_restore_image(struct lv_device *current, struct lv_storage *target,
			    const uint8_t *image, size_t image_len, struct lv_err *err);

enum lv_commit_flags {
	LV_COMMIT_FORCE = 1 << 0,	/* format: no seqid or requirement check */
	LV_COMMIT_FULL_AREA = 1 << 1,	/* write the whole JSON area of both copies */
};

/* hdr_write.c: serializes md, validates it as a reader would, and writes
 * both copies with seqid + 1.  On success dev holds the new metadata (read
 * back from what was written) and the one it held before is freed: every
 * pointer into lv_dev_md(dev) is stale then, md itself is not. */
int lv_device_commit(struct lv_device *dev, const struct lv_metadata *md, unsigned flags,
		     struct lv_err *err);
/* The commit's checks alone (serialized, re-read, validated for a header
 * of hdr_size bytes), for what must be refused before anything is written. */
int lv_metadata_check(const struct lv_metadata *md, uint64_t hdr_size, struct lv_err *err);

/* -EBUSY when the header on disk has a seqid other than the one loaded:
 * a writer bypassed the lock.  Called before every write, keyslot areas
 * included, so that such a writer's keyslot is never overwritten. */
int lv_device_check_seqid(struct lv_device *dev, struct lv_err *err);

/* The metadata and binary header of the active copy. */
static inline const struct lv_metadata *lv_dev_md(const struct lv_device *dev)
{
	return dev->md;
}

static inline const struct lv_hdr_bin *lv_dev_bin(const struct lv_device *dev)
{
	return &dev->copies[dev->active].bin;
}

void lv_device_warn(struct lv_device *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Rewrites a damaged or stale copy from the active one (§2 step 6): same
 * seqid, fresh salt, the whole JSON area.  Without force, refuses when
 * another signature (blkid) shares the device; force is `repair`. */
int lv_device_recover(struct lv_device *dev, int force, struct lv_err *err);

/* signature.c: 1 when the device holds another signature besides LUKS (a
 * filesystem, RAID, LVM or swap superblock, a partition table), named in
 * other (size other_len); 0 when there is none; a negative errno when
 * libblkid could not probe it (an I/O error: -EIO). */
int lv_other_signature(struct lv_storage *st, char *other, size_t other_len);

/* strict.c: findings of luks2-reference.md §1.7 that cryptsetup accepts.
 * Returns 0 when the keyslot passes, else -EINVAL with the reason in err. */
int lv_keyslot_strict_check(const struct lv_metadata *md, const struct lv_keyslot *ks,
			    struct lv_err *err);
int lv_segment_strict_check(const struct lv_segment *seg, struct lv_err *err);
/* Adds a warning to dev for every finding. */
void lv_device_strict_warnings(struct lv_device *dev);

#endif
