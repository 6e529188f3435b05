/* SPDX-License-Identifier: ISC */
/* utf8.c: well-formed UTF-8 (RFC 3629), one sequence at a time. */
#include "base/utf8.h"

size_t lv_utf8_sequence(const uint8_t *s, size_t len)
{
	uint8_t c, low = 0x80, high = 0xbf;
	size_t need;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	need = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (need == 0 || need > len)
		return 0;
	/* The second byte's range excludes overlong forms (e0, f0),
	 * surrogates (ed) and values past U+10FFFF (f4). */
	if (c == 0xe0)
		low = 0xa0;
	else if (c == 0xed)
		high = 0x9f;
	else if (c == 0xf0)
		low = 0x90;
	else if (c == 0xf4)
		high = 0x8f;
	if (s[1] < low || s[1] > high)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

int lv_utf8_valid(const uint8_t *s, size_t len)
{
	size_t n;

	for (size_t i = 0; i < len; i += n)
		if ((n = lv_utf8_sequence(s + i, len - i)) == 0)
			return 0;
	return 1;
}
