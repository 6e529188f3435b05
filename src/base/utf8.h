/* SPDX-License-Identifier: ISC */
/* utf8.h: well-formed UTF-8, as Go and protobuf see it. */
#ifndef LV_BASE_UTF8_H
#define LV_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length (1..4) of the well-formed UTF-8 sequence at s, of the len
 * bytes there, or 0 when it is not one: a stray continuation byte, an
 * overlong form, a surrogate, a value past U+10FFFF or a cut sequence. */
size_t lv_utf8_sequence(const uint8_t *s, size_t len);

/* 1 when all len bytes at s are well-formed UTF-8. */
int lv_utf8_valid(const uint8_t *s, size_t len);

#endif
