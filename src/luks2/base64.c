/* SPDX-License-Identifier: ISC */
/* base64.c: RFC 4648 base64 with padding, for LUKS2 salts and digests. */
#include <errno.h>
#include <string.h>

#include "base/hex.h"
#include "luks2/metadata.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Each byte's value plus one; 0 for a byte outside the alphabet. */
static const unsigned char b64_values[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
	['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33,
	['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
	['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
	['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59,
	['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static int b64_value(char c)
{
	return (int)b64_values[(unsigned char)c] - 1;
}

/* Decodes padded base64 (length a multiple of 4, '=' only at the end). */
int lv_base64_decode(const char *text, uint8_t *out, size_t out_max, size_t *out_len)
{
	size_t text_len = strlen(text), pad = 0, written = 0;

	*out_len = 0;
	if (text_len % 4 != 0)
		return -EINVAL;
	if (text_len >= 1 && text[text_len - 1] == '=')
		pad++;
	if (text_len >= 2 && text[text_len - 2] == '=')
		pad++;
	if (text_len / 4 * 3 - pad > out_max)
		return -E2BIG;
	for (size_t i = 0; i < text_len; i += 4) {
		int v[4];
		int is_last = i + 4 == text_len;

		for (int k = 0; k < 4; k++) {
			int pad_ok = is_last && (size_t)k >= 4 - pad;
			v[k] = pad_ok ? 0 : b64_value(text[i + (size_t)k]);
			if (v[k] < 0)
				return -EINVAL;
		}
		uint32_t group = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
				 (uint32_t)v[2] << 6 | (uint32_t)v[3];
		size_t n = is_last ? 3 - pad : 3;
		for (size_t k = 0; k < n; k++)
			out[written++] = (uint8_t)(group >> (16 - 8 * k));
	}
	*out_len = written;
	return 0;
}

size_t lv_base64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

/* Writes lv_base64_encoded_len(len) characters plus a NUL to out. */
void lv_base64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		size_t n = len - i < 3 ? len - i : 3;
		uint32_t group = (uint32_t)in[i] << 16;

		if (n > 1)
			group |= (uint32_t)in[i + 1] << 8;
		if (n > 2)
			group |= in[i + 2];
		out[o++] = b64_alphabet[group >> 18 & 63];
		out[o++] = b64_alphabet[group >> 12 & 63];
		out[o++] = n > 1 ? b64_alphabet[group >> 6 & 63] : '=';
		out[o++] = n > 2 ? b64_alphabet[group & 63] : '=';
	}
	out[o] = '\0';
}

int lv_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t max, size_t *len)
{
	if (text_len % 2 || text_len / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < text_len; i += 2) {
		int hi = lv_hex_value((unsigned char)text[i]), lo = lv_hex_value((unsigned char)text[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = text_len / 2;
	return 0;
}
