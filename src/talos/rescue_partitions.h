/* SPDX-License-Identifier: ISC */
/* rescue_partitions.h: the Talos partitions of a disk, found by GPT name. */
#ifndef LV_TALOS_RESCUE_PARTITIONS_H
#define LV_TALOS_RESCUE_PARTITIONS_H

#include "talos/rescue_disk.h"

/* Records the named partitions of disk (every disk when NULL) in d. */
int rescue_discover(struct lv_talos_disk *d, const char *disk, struct lv_err *err);

/* A volume's device: its --device override, else the one partition of
 * its name; NULL with err set when there is none, or several. */
const char *rescue_volume_device(const struct lv_talos_disk *d, const char *const *devices,
				 const char *volume_id, struct lv_err *err);

#endif
