/* SPDX-License-Identifier: ISC */
/* rescue_volumes.h: the volumes the machine config encrypts, opened. */
#ifndef LV_TALOS_RESCUE_VOLUMES_H
#define LV_TALOS_RESCUE_VOLUMES_H

#include "talos/rescue_disk.h"

/* Opens and maps every volume d->machine encrypts that has a device
 * (overrides: --device), lockToState keys with STATE's salt; the others,
 * and Talos partitions the config does not name, get a row of their own.
 * A failure of the whole is left in d->config_error. */
void rescue_open_volumes(struct lv_talos_disk *d, const char *const *overrides,
			 const struct lv_key_settings *keys);

#endif
