/* SPDX-License-Identifier: ISC */
/* tang_fields.c: what a tang server's url and thumbprint may look like (constants.h). */
#include <stdio.h>
#include <string.h>

#include "base/constants.h"

#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
/* Both lengths leave two spare bits in the last character, which an
 * encoder sets to zero: only these characters can end a thumbprint. */
#define B64URL_LOW_BITS_ZERO "AEIMQUYcgkosw048"

const char *lv_tang_thumbprint_problem(const char *thumbprint, char *why, size_t why_size)
{
	size_t len = strlen(thumbprint), good = strspn(thumbprint, B64URL);

	if (len == 0)
		return "is empty";
	if (good < len) {
		unsigned char c = (unsigned char)thumbprint[good];

		if (c > 0x20 && c < 0x7f)
			snprintf(why, why_size, "is not base64url: '%c' at offset %zu", c, good);
		else
			snprintf(why, why_size, "is not base64url: byte 0x%02x at offset %zu", c, good);
		return why;
	}
	if (len != LV_TANG_THP_S256_CHARS && len != LV_TANG_THP_S1_CHARS) {
		snprintf(why, why_size, "has %zu characters: a SHA-256 thumbprint has %d, a SHA-1 "
			 "one %d", len, LV_TANG_THP_S256_CHARS, LV_TANG_THP_S1_CHARS);
		return why;
	}
	if (!strchr(B64URL_LOW_BITS_ZERO, thumbprint[len - 1]))
		return "cannot be a digest's base64url: its last character has bits past the digest";
	return NULL;
}

const char *lv_tang_url_problem(const char *url, char *why, size_t why_size)
{
	size_t len = strlen(url);

	if (len > LV_TANG_URL_MAX) {
		snprintf(why, why_size, "is %zu bytes long, more than %d", len, LV_TANG_URL_MAX);
		return why;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
			return "has a space, a control character or a byte outside ASCII";
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return "is not http:// or https://";
	return NULL;
}
