/* SPDX-License-Identifier: ISC */
/* loop.h: attaching an image file to a free loop device, autoclear; resizing it. */
#ifndef LV_DM_LOOP_H
#define LV_DM_LOOP_H

#include <sys/types.h>

#include "luksvol.h"

/* Attaches path; *loop_fd keeps the loop device alive until the caller has
 * made dm open it, then closes it: autoclear detaches it with the mapping. */
int lv_loop_attach(const char *path, int readonly, dev_t *loop_dev, int *loop_fd,
		   struct lv_err *err);

/* Makes the loop device re-read its backing file's size (LOOP_SET_CAPACITY);
 * -ENOTTY when loop_fd is not a loop device. */
int lv_loop_set_capacity(int loop_fd);

#endif
