/* SPDX-License-Identifier: ISC */
/* unit.h: what every cmocka unit test includes, plus hex helpers for vectors. */
#ifndef LV_UNIT_H
#define LV_UNIT_H

/* cmocka.h relies on these being included first, in this order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/hex.h"

/* Decodes a hex string into out; fails the test unless it is well formed
 * and fits.  Returns the number of bytes written. */
static inline size_t unit_hex(const char *hex, uint8_t *out, size_t out_size)
{
	size_t len = strlen(hex);

	assert_true(len % 2 == 0);
	assert_true(len / 2 <= out_size);
	for (size_t i = 0; i < len / 2; i++) {
		int hi = lv_hex_value((unsigned char)hex[2 * i]);
		int lo = lv_hex_value((unsigned char)hex[2 * i + 1]);

		assert_true(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return len / 2;
}

/* Asserts that the len bytes at got are want_hex (lowercase); a failure
 * prints both as hex. */
static inline void unit_assert_hex(const void *got, size_t len, const char *want_hex)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *bytes = got;
	char *got_hex = malloc(2 * len + 1);

	assert_non_null(got_hex);
	for (size_t i = 0; i < len; i++) {
		got_hex[2 * i] = digits[bytes[i] >> 4];
		got_hex[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	got_hex[2 * len] = '\0';
	assert_string_equal(got_hex, want_hex);
	free(got_hex);
}

#endif
