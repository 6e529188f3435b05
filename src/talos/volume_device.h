/* SPDX-License-Identifier: ISC */
/* volume_device.h: what is on a volume's device, decided under its lock. */
#ifndef LV_TALOS_VOLUME_DEVICE_H
#define LV_TALOS_VOLUME_DEVICE_H

#include <stddef.h>

#include "luksvol-talos.h"

enum lv_device_content {
	LV_CONTENT_EMPTY,
	LV_CONTENT_LUKS2,
	LV_CONTENT_OTHER,		/* what is in *other_type */
};
/* What the held device (at path, for messages) holds: probed through the
 * hold, so under its lock. */
int lv_device_content(struct lv_device_hold *hold, const char *path,
		      enum lv_device_content *content, char *other_type, size_t other_type_size,
		      struct lv_err *err);

#endif
