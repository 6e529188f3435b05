/* SPDX-License-Identifier: ISC */
/*
 * rescue_disk.h: what `luksvol talos open` found and made on one Talos
 * disk (struct lv_talos_disk), shared by the rescue_*.c files: the
 * partitions, META and STATE, the run directory's record, the other
 * volumes, the printed table.
 */
#ifndef LV_TALOS_RESCUE_DISK_H
#define LV_TALOS_RESCUE_DISK_H

#include "luksvol-meta.h"
#include "luksvol-talos.h"
#include "talos/report.h"

#define MOUNT_NAME "talos-STATE"
#define CONFIG_NAME "config.yaml"
#define STATE_FS "xfs"			/* Talos's STATE filesystem */
#define PARTITIONS_MAX 128
#define PATH_BYTES 256

struct partition {
	char name[64];
	char path[PATH_BYTES];
	int count;			/* partitions of this name */
};

/* A volume with no apply report: not encrypted, not found, or not in the
 * machine config. */
struct other_row {
	char volume[64];
	char device[PATH_BYTES];
	char result[LV_ERR_MSG_MAX];
	int code;			/* a failure's negative errno, else 0 */
};

struct lv_talos_disk {
	char disk[PATH_BYTES];		/* the disk searched, "" for every disk */
	struct partition parts[PARTITIONS_MAX];
	size_t part_count;
	struct lv_apply_volume meta;	/* META and what was read from it */
	struct lv_config_file *state_cfg;	/* STATE's config from tag 9 */
	struct lv_apply_report *state;	/* STATE's opening; NULL: not encrypted */
	char state_device[PATH_BYTES];
	char mount_source[PATH_BYTES];
	int mounted;
	int norecovery;			/* STATE's XFS log needed recovery */
	int loop_fd;			/* an unencrypted STATE's read-only loop */
	struct lv_config_file *machine;	/* config.yaml */
	struct lv_err config_error;	/* config.yaml could not be had */
	struct lv_config_file view;	/* the machine's encrypted volumes found */
	const char **devices;		/* and their "ID=PATH" */
	struct lv_apply_report *volumes;	/* their opening */
	struct other_row others[PARTITIONS_MAX];
	size_t other_count;
};

/* The only apply parameters used here: open and map, never write. */
static inline struct lv_apply_params rescue_params(const char *const *devices,
						   const struct lv_key_settings *keys)
{
	struct lv_apply_params params = {
		.devices = devices,
		.keys = *keys,
		.no_sync = 1,
		.no_meta = 1,
	};
	return params;
}

#endif
