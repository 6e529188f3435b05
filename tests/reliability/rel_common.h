/* SPDX-License-Identifier: ISC */
/* rel_common.h: what the reliability tests share: the base volume they
 * damage, and cryptsetup as the second opinion. */
#ifndef LV_REL_COMMON_H
#define LV_REL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"

#define REL_IMAGE_BYTES (3u << 20)

extern const struct lv_pbkdf_params rel_fast_pbkdf;

struct lv_secret *rel_secret(const char *text);

/* Formats image (REL_IMAGE_BYTES) with keyslot 0 "p0", keyslot 1 "p1"
 * and token 0 naming token_keyslot; copies the volume key out. */
int rel_make_base(uint8_t *image, const char *token_keyslot, uint8_t *volume_key,
		  size_t *volume_key_len);

/* cryptsetup luksDump on image (written to path), and, when passphrase
 * is not NULL, cryptsetup open --test-passphrase with it. */
int rel_cryptsetup_accepts(const char *path, const uint8_t *image, const char *passphrase);

#endif
