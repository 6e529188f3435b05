/* SPDX-License-Identifier: ISC */
/*
 * signature.c: asks libblkid whether anything besides LUKS lives on the
 * device, before luksvol writes a header copy back on its own.  A header
 * damaged because someone ran mkfs or pvcreate over it must not be
 * "recovered" on top of their data.
 */
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
	snprintf(other, other_len, "possibly foreign (this luksvol is built without libblkid)");
	return 1;
}
#else
#include <blkid.h>

int lv_other_signature(struct lv_storage *st, char *other, size_t other_len)
{
	blkid_probe probe;
	const char *type = NULL;
	int r, found = 0;

	other[0] = '\0';
	if (st->fd < 0)
		return 0;
	probe = blkid_new_probe();
	if (!probe)
		return 0;
	if (blkid_probe_set_device(probe, st->fd, 0, 0) == 0) {
		blkid_probe_enable_superblocks(probe, 1);
		blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE);
		blkid_probe_enable_partitions(probe, 1);
		r = blkid_do_safeprobe(probe);
		if (r == -2) {
			snprintf(other, other_len, "second (ambiguous)");
			found = 1;
		} else if (r == 0 && blkid_probe_lookup_value(probe, "TYPE", &type, NULL) == 0 &&
			   strcmp(type, "crypto_LUKS") != 0) {
			snprintf(other, other_len, "%s", type);
			found = 1;
		} else if (r == 0 && blkid_probe_lookup_value(probe, "PTTYPE", &type, NULL) == 0) {
			snprintf(other, other_len, "%s partition table", type);
			found = 1;
		}
	}
	blkid_free_probe(probe);
	return found;
}
#endif
