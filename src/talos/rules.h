/* SPDX-License-Identifier: ISC */
/* rules.h: the header rules Talos applies before it opens a volume (§5). */
#ifndef LV_TALOS_RULES_H
#define LV_TALOS_RULES_H

#include "luksvol.h"

int lv_talos_header_check(struct lv_device *dev, struct lv_err *err);

#endif
