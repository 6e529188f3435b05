/* SPDX-License-Identifier: ISC */
/*
 * meta.h: the META partition's internals (the public calls are in
 * include/luksvol-meta.h): a META over any storage (the memory and
 * fault-injecting backends of the tests), and one copy of each ADV
 * encoded and decoded in memory (the fuzzer's and the tests' entry points).
 */
#ifndef LV_META_H
#define LV_META_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol-meta.h"
#include "luks2/storage.h"

/* The same as lv_meta_open over a storage; the META takes st over and
 * closes it. */
int lv_meta_open_storage(struct lv_storage *st, unsigned flags, struct lv_meta **meta,
			 struct lv_err *err);
/* The path (or storage name) the META was opened with, for messages. */
const char *lv_meta_name(const struct lv_meta *meta);

/* ---- one copy of each ADV, encoded and decoded in memory ---- */

/* Decodes a Talos ADV copy (LV_META_ADV_BYTES) into values[0..255]
 * (NULL: absent), which must all be NULL on entry; returns its state.
 * On anything but VALID, values stay all NULL.  -ENOMEM on failure. */
int lv_meta_adv_decode(const uint8_t *copy, struct lv_secret *values[LV_META_TAG_MAX + 1],
		       enum lv_meta_copy_state *state);
/* Encodes values into copy (LV_META_ADV_BYTES, tags in ascending order);
 * -ENOSPC when they do not fit. */
int lv_meta_adv_encode(struct lv_secret *const values[LV_META_TAG_MAX + 1], uint8_t *copy);
/* Decodes a syslinux ADV copy (LV_META_LEGACY_COPY_BYTES), as
 * lv_meta_adv_decode. */
int lv_meta_legacy_decode(const uint8_t *copy, struct lv_secret *values[LV_META_TAG_MAX + 1],
			  enum lv_meta_copy_state *state);
/* Removes tag's record from a valid syslinux ADV copy, reseals it; 1 when
 * it was there, 0 when not. */
int lv_meta_legacy_remove(uint8_t *copy, unsigned tag);
/* Seals a syslinux ADV copy: head magic, checksum, tail magic. */
void lv_meta_legacy_seal(uint8_t *copy);

#endif
