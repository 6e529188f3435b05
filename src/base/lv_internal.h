/* SPDX-License-Identifier: ISC */
/*
 * lv_internal.h: helpers every layer of luksvol uses that are not part of
 * the library's API: luksvol.h includes this file for the library's own
 * sources only (-DLV_BUILDING_LIBRARY), and the shared library does not
 * export what it declares.
 */
#ifndef LV_INTERNAL_H
#define LV_INTERNAL_H

#include "luksvol.h"

/* Sets err (if non-NULL) and returns code, so a failure is one statement:
 *   return lv_err_set(err, -EINVAL, "keyslot %u: area overlaps keyslot %u", a, b); */
int lv_err_set(struct lv_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes an already set message with "<prefix>: ". */
void lv_err_prefix(struct lv_err *err, const char *prefix);

#endif
