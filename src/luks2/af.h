/* SPDX-License-Identifier: ISC */
/*
 * af.h: the LUKS anti-forensic information splitter.  A key is stored as
 * `stripes` blocks of key_len bytes; every block is needed to recover it,
 * so destroying any part of a keyslot area destroys the key.
 */
#ifndef LV_AF_H
#define LV_AF_H

#include <stddef.h>
#include <stdint.h>

/* key_len * stripes, or 0 when either is 0 or the product overflows. */
size_t lv_af_split_bytes(size_t key_len, unsigned stripes);

/* lv_af_split_bytes rounded up to whole 512-byte sectors, or 0. */
size_t lv_af_split_sectors_bytes(size_t key_len, unsigned stripes);

/* Splits key into out, lv_af_split_bytes(key_len, stripes) bytes, diffusing
 * with hash (a LUKS2 hash name).  key and out must not overlap.  On error
 * out is zeroed. */
int lv_af_split(const uint8_t *key, size_t key_len, unsigned stripes, const char *hash,
		uint8_t *out);

/* Recovers the key_len-byte key from split material.  On error key_out is
 * zeroed. */
int lv_af_merge(const uint8_t *split, size_t key_len, unsigned stripes, const char *hash,
		uint8_t *key_out);

#endif
