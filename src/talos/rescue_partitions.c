/* SPDX-License-Identifier: ISC */
/*
 * rescue_partitions.c: the partitions `talos open` looks at, found by GPT
 * name (libblkid) on one disk or every disk, and the device of each
 * volume: a --device override, else the one partition of its name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "talos/rescue_partitions.h"
#include "talos/volume_device.h"

static void found_partition(const char *name, const char *path, void *ctx)
{
	struct lv_talos_disk *d = ctx;

	for (size_t i = 0; i < d->part_count; i++) {
		if (strcmp(d->parts[i].name, name) == 0) {
			d->parts[i].count++;
			return;
		}
	}
	if (d->part_count == PARTITIONS_MAX || strlen(name) >= sizeof(d->parts[0].name) ||
	    strlen(path) >= sizeof(d->parts[0].path))
		return;
	snprintf(d->parts[d->part_count].name, sizeof(d->parts[0].name), "%s", name);
	snprintf(d->parts[d->part_count].path, sizeof(d->parts[0].path), "%s", path);
	d->parts[d->part_count++].count = 1;
}

int rescue_discover(struct lv_talos_disk *d, const char *disk, struct lv_err *err)
{
	char name[PATH_BYTES];
	int r = 0;

	if (disk) {
		snprintf(d->disk, sizeof(d->disk), "%s", disk);
		r = lv_disk_name(disk, name, sizeof(name), err);
	}
	return r < 0 ? r : lv_partitions_visit(disk ? name : NULL, found_partition, d, err);
}

static const struct partition *partition_named(const struct lv_talos_disk *d, const char *name)
{
	for (size_t i = 0; i < d->part_count; i++)
		if (strcmp(d->parts[i].name, name) == 0)
			return &d->parts[i];
	return NULL;
}

const char *rescue_volume_device(const struct lv_talos_disk *d, const char *const *devices,
				 const char *volume_id, struct lv_err *err)
{
	const char *path = lv_device_override(devices, volume_id);
	const struct partition *part = path ? NULL : partition_named(d, volume_id);

	if (path)
		return path;
	if (!part)
		lv_err_set(err, -ENODEV, "no partition is named %s%s%s", volume_id,
			   d->disk[0] ? " on " : "", d->disk);
	else if (part->count > 1)
		lv_err_set(err, -EINVAL, "%d partitions are named %s: pass --disk, or --device %s=PATH",
			   part->count, volume_id, volume_id);
	return part && part->count == 1 ? part->path : NULL;
}
