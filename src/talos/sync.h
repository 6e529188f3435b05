/* SPDX-License-Identifier: ISC */
/* sync.h: keeping a volume's keyslots equal to its configured keys (§4). */
#ifndef LV_TALOS_SYNC_H
#define LV_TALOS_SYNC_H

#include "talos/run.h"

/* After the volume opened with run->opened_slot, and was mapped. */
void lv_sync_keys(struct lv_volume_run *run);

#endif
