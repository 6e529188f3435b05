/* SPDX-License-Identifier: ISC */
/* apply.h: apply's open path over a loaded device, for the power-cut tests. */
#ifndef LV_TALOS_APPLY_H
#define LV_TALOS_APPLY_H

#include "config/config.h"
#include "luksvol.h"
#include "talos/report.h"

/* Opens and syncs an already loaded (writable) device, without mapping
 * it: apply's open path over any storage, for the power-cut tests. */
int lv_apply_loaded(struct lv_device *dev, const struct lv_config_volume *config,
		    const struct lv_apply_params *params, struct lv_apply_volume *vol);

#endif
