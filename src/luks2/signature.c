/* SPDX-License-Identifier: ISC */
/*
 * signature.c: asks libblkid whether anything besides LUKS lives on the
 * device, before luksvol writes a header copy back on its own.  A header
 * damaged because someone ran mkfs or pvcreate over it must not be
 * "recovered" on top of their data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lv_features.h"
#include "luks2/device.h"

#if !LV_WITH_BLKID
/* Without libblkid nothing tells what else is on the device: assume the
 * worst, so that only an explicit `repair` rewrites a header copy. */
int lv_other_signature(struct lv_storage *st, char *other, size_t other_len)
{
	(void)st;
	snprintf(other, other_len, "perhaps: this luksvol is built without libblkid");
	return 1;
}
#else
#include <blkid.h>

/* The first signature blkid finds that is not LUKS: a filesystem, RAID or
 * swap superblock, or a partition table.  blkid_do_probe is called until
 * it has tried every prober: blkid_do_safeprobe would stop at crypto_LUKS
 * (a crypto or RAID superblock ends a safe probe), so an ext4 superblock
 * written over the primary header next to LUKS went unseen. */
static int first_foreign(blkid_probe probe, char *other, size_t other_len)
{
	const char *type;
	int r;

	while ((r = blkid_do_probe(probe)) == 0) {
		if (blkid_probe_lookup_value(probe, "TYPE", &type, NULL) == 0 &&
		    strcmp(type, "crypto_LUKS") != 0) {
			snprintf(other, other_len, "%s", type);
			return 1;
		}
		if (blkid_probe_lookup_value(probe, "PTTYPE", &type, NULL) == 0) {
			snprintf(other, other_len, "%s partition table", type);
			return 1;
		}
	}
	/* A failed read comes back as its -errno, anything else as -1. */
	return r < 0 ? (r < -1 ? r : -EIO) : 0;
}

int lv_other_signature(struct lv_storage *st, char *other, size_t other_len)
{
	blkid_probe probe;
	int found = -EIO;

	other[0] = '\0';
	if (st->fd < 0)
		return 0;
	probe = blkid_new_probe();
	if (!probe)
		return -ENOMEM;
	if (blkid_probe_set_device(probe, st->fd, 0, 0) == 0) {
		blkid_probe_enable_superblocks(probe, 1);
		blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE);
		blkid_probe_enable_partitions(probe, 1);
		found = first_foreign(probe, other, other_len);
	}
	blkid_free_probe(probe);
	return found;
}
#endif
