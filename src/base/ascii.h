/* SPDX-License-Identifier: ISC */
/* ascii.h: names compared as OpenSSL and the kernel compare algorithm
 * names, ASCII letters without case, whatever the locale. */
#ifndef LV_BASE_ASCII_H
#define LV_BASE_ASCII_H

#include <stdbool.h>
#include <stddef.h>

static inline unsigned char lv_ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Whether a and b are the same string but for the case of ASCII letters
 * (strcasecmp reads the locale's table; a name never needs it). */
static inline bool lv_ascii_caseeq(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	while (*x && lv_ascii_lower(*x) == lv_ascii_lower(*y))
		x++, y++;
	return lv_ascii_lower(*x) == lv_ascii_lower(*y);
}

/* The same for the first n bytes of each (strncasecmp). */
static inline bool lv_ascii_ncaseeq(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (; n; n--, x++, y++) {
		if (lv_ascii_lower(*x) != lv_ascii_lower(*y))
			return false;
		if (!*x)
			break;
	}
	return true;
}

#endif
