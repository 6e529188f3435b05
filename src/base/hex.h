/* SPDX-License-Identifier: ISC */
/* hex.h: one hexadecimal digit's value, for every parser of hex text. */
#ifndef LV_BASE_HEX_H
#define LV_BASE_HEX_H

/* 0..15 for 0-9, a-f, A-F; -1 for any other byte. */
static inline int lv_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
