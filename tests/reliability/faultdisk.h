/* SPDX-License-Identifier: ISC */
/*
 * faultdisk.h: a test-only storage that loses power.  Writes land in a
 * volatile image; fsync makes them durable.  Every write and every fsync is
 * an event; at event cut_at the power fails: that operation and all later
 * ones fail, and only the durable image survives, optionally with the
 * failed write torn (its first half, in 512-byte units, reached the disk).
 */
#ifndef LV_FAULTDISK_H
#define LV_FAULTDISK_H

#include <stddef.h>
#include <stdint.h>

#include "luks2/storage.h"

struct fault_disk {
	uint8_t *current;	/* what reads see */
	uint8_t *durable;	/* what survives a power cut */
	size_t len;
	unsigned events;	/* writes and syncs so far */
	unsigned cut_at;	/* 0: power never fails */
	int tear;
	int dead;
};

/* A disk of len bytes holding image (both copies start equal). */
int fault_disk_init(struct fault_disk *disk, const uint8_t *image, size_t len);
void fault_disk_destroy(struct fault_disk *disk);
/* A storage over disk; the disk outlives it. */
struct lv_storage *fault_disk_storage(struct fault_disk *disk);

#endif
