/* SPDX-License-Identifier: ISC */
/* volume_device.h: what is on a volume's device, decided under its lock. */
#ifndef LV_TALOS_VOLUME_DEVICE_H
#define LV_TALOS_VOLUME_DEVICE_H

#include <stddef.h>

#include "luksvol-talos.h"

enum lv_device_content {
	LV_CONTENT_EMPTY,
	LV_CONTENT_LUKS2,
	LV_CONTENT_OTHER,		/* what is in *other_type */
};
/* What the held device (at path, for messages) holds: probed through the
 * hold, so under its lock. */
int lv_device_content(struct lv_device_hold *hold, const char *path,
		      enum lv_device_content *content, char *other_type, size_t other_type_size,
		      struct lv_err *err);

/* The PATH of the "VOLUMEID=PATH" entry of devices (NULL-terminated) that
 * names volume_id, or NULL. */
const char *lv_device_override(const char *const *devices, const char *volume_id);

/* Called with each named GPT partition: its name and /dev path. */
typedef void (*lv_partition_visit_fn)(const char *name, const char *path, void *ctx);
/* Visits the named partitions of disk (a /sys/block name, "vda"), or of
 * every disk but device-mapper and RAM disks when disk is NULL; through
 * libblkid, or the kernel's PARTNAME in a WITH_BLKID=0 build. */
int lv_partitions_visit(const char *disk, lv_partition_visit_fn visit, void *ctx,
			struct lv_err *err);
/* The /sys/block name of path, a whole disk's block device: -ENOTBLK for
 * anything else (an image file), -EINVAL for a partition. */
int lv_disk_name(const char *path, char *name, size_t size, struct lv_err *err);

#endif
