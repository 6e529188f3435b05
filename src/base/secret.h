/* SPDX-License-Identifier: ISC */
/*
 * secret.h: wiping and constant-time comparison, for every module.  The
 * secret buffers themselves (struct lv_secret, lv_secret_new/dup/free,
 * lv_secret_equal) are declared in luksvol.h: they are public API.
 */
#ifndef LV_BASE_SECRET_H
#define LV_BASE_SECRET_H

#include <stddef.h>

#include "luksvol.h"

/* Wipe memory in a way the compiler cannot drop. */
void lv_wipe(void *p, size_t len);

/* Constant-time equality: 1 when equal, 0 otherwise. */
int lv_memeq(const void *a, const void *b, size_t len);

#endif
