/* SPDX-License-Identifier: ISC */
/* loop.h: attaching an image file to a free loop device, autoclear. */
#ifndef LV_DM_LOOP_H
#define LV_DM_LOOP_H

#include <sys/types.h>

#include "luksvol.h"

/* Attaches path; *loop_fd keeps the loop device alive until the caller has
 * made dm open it, then closes it: autoclear detaches it with the mapping. */
int lv_loop_attach(const char *path, int readonly, dev_t *loop_dev, int *loop_fd,
		   struct lv_err *err);

#endif
