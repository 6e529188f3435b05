/* SPDX-License-Identifier: ISC */
/*
 * mapping.h: what activation, reload and suspend/resume of a LUKS2
 * mapping share: names, the DM UUID, the crypt table built from the
 * header with its keyring key, and the live table read back.
 */
#ifndef LV_DM_MAPPING_H
#define LV_DM_MAPPING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dm/dm_ioctl.h"
#include "luksvol.h"

/* A name dm and /dev/mapper accept: not empty, no '/', not "." or "..". */
int lv_dm_check_name(const char *name, struct lv_err *err);

/* What dm needs of a header: its UUID, flags and requirements, and the
 * one crypt segment. */
struct lv_dm_volume {
	struct lv_header_info hdr;
	struct lv_segment_info seg;
};

/* Reads dev's; -ENOTSUP when it has more than one segment (an unfinished
 * reencryption). */
int lv_dm_volume_read(const struct lv_device *dev, struct lv_dm_volume *vol,
		      struct lv_err *err);

/* What activation refuses: unmet requirements, a null or capi cipher,
 * integrity, a sector size dm-crypt does not take. */
int lv_dm_check_segment(const struct lv_device *dev, const struct lv_dm_volume *vol,
			struct lv_err *err);

/* CRYPT-LUKS2-<uuid without dashes>-<name> (luks2-reference.md §4.2). */
void lv_dm_crypt_uuid(const char *luks_uuid, const char *name, char out[LV_DM_UUID_MAX]);

/* The logon key's description: cryptsetup:<uuid>-d<digest id>. */
void lv_dm_key_description(const struct lv_dm_volume *vol, char *out, size_t size);

/* The mapped length of vol's segment on a device of device_bytes: a dynamic
 * segment up to the device's end, in whole encryption sectors. */
int lv_dm_data_length(const struct lv_dm_volume *vol, uint64_t device_bytes,
		      const char *path, uint64_t *length_sectors, struct lv_err *err);

/* The table line for vol on device dev_no with key; the key goes to the
 * thread keyring unless disable_keyring (or the keyring is missing), and
 * *serial names it for lv_keyring_drop once the table is loaded. */
int lv_dm_crypt_params(const struct lv_dm_volume *vol, const struct lv_secret *key,
		       dev_t dev_no, unsigned flags, int disable_keyring,
		       struct lv_secret **params, int32_t *serial);

/* A live single-target crypt mapping. */
struct lv_live_crypt {
	struct lv_dm_info info;
	struct lv_mapping_status status;	/* device is still "major:minor" */
	dev_t device;
	struct lv_secret *params;		/* the table line; may hold a hex key */
};

/* -ENODEV when there is no such mapping, -EINVAL when it is not one crypt
 * target.  Free with lv_live_crypt_free. */
int lv_live_crypt_read(const char *name, struct lv_live_crypt *live, struct lv_err *err);
void lv_live_crypt_free(struct lv_live_crypt *live);

/* Reads dev's segment and the live mapping name, runs op on them (ctx is
 * op's), frees the live table again. */
typedef int (*lv_live_op)(struct lv_device *dev, const struct lv_dm_volume *vol,
			  const struct lv_live_crypt *live, void *ctx, struct lv_err *err);
int lv_live_run(struct lv_device *dev, const char *name, lv_live_op op, void *ctx,
		struct lv_err *err);

/* The key description of a live table ("" for a hex key). */
void lv_live_key_description(const struct lv_live_crypt *live, char *out, size_t size);

/* Checks that the live mapping is this header's: the DM UUID names the
 * LUKS2 UUID, and cipher, data offset, sector size, IV offset and the
 * device are those the header gives.  -EINVAL when not. */
int lv_live_matches(const struct lv_live_crypt *live, const struct lv_device *dev,
		    const struct lv_dm_volume *vol, struct lv_err *err);

/* /dev/<kernel name> of a block device (via /sys/dev/block). */
int lv_dm_device_node(dev_t dev_no, char *path, size_t size);

/* Fills status->device with /dev/<name> and loop_file with a loop
 * device's backing file. */
void lv_dm_describe_device(struct lv_mapping_status *status);

#endif
