/* SPDX-License-Identifier: ISC */
/*
 * keyslot.h: keyslots, the volume-key digest and KDF parameters
 * (luks2-reference.md §3), inside src/luks2.
 */
#ifndef LV_KEYSLOT_H
#define LV_KEYSLOT_H

#include "luks2/device.h"

#define LV_AF_STRIPES 4000
#define LV_SALT_LEN 32
#define LV_AREA_ALIGN 4096
#define LV_DIGEST_MIN_ITERATIONS 1000

/* digest_pbkdf2.c: PBKDF2(volume key, salt, iterations) compared in
 * constant time.  0 on match, -EPERM on mismatch, -EINVAL on bad metadata. */
int lv_digest_verify(const struct lv_digest *digest, const struct lv_secret *volume_key);
/* Fills a new pbkdf2 digest of volume_key: random salt, given iterations. */
int lv_digest_fill(struct lv_digest *digest, const char *hash, uint32_t iterations,
		   const struct lv_secret *volume_key);

/* keyslot_luks2.c */
/* Bytes of AF material on disk: ceil(key_size * 4000 / 512) * 512. */
uint64_t lv_keyslot_af_bytes(uint32_t key_size);
/* Bytes allocated for a keyslot area: round_up(key_size * 4000, 4096). */
uint64_t lv_keyslot_area_bytes(uint32_t key_size);
/* Derives, decrypts and merges the key of ks; the digest is the caller's
 * job.  -EPERM for the null cipher with a passphrase. */
int lv_keyslot_recover_key(struct lv_device *dev, const struct lv_keyslot *ks,
			   const struct lv_secret *passphrase, struct lv_secret **key,
			   struct lv_err *err);
/* Fills ks->kdf.salt, then writes the AF-split, encrypted volume key into
 * ks->area.  kdf and area parameters must be set. */
int lv_keyslot_store_key(struct lv_device *dev, struct lv_keyslot *ks,
			 const struct lv_secret *passphrase,
			 const struct lv_secret *volume_key, struct lv_err *err);
/* keyslot.c: adds keyslot slot to work, linked to the data segment's
 * digest, its KDF resolved (benchmarked) and its area allocated: all but
 * the key, nothing written.  *planned points into work. */
int lv_keyslot_plan(struct lv_metadata *work, int slot, uint32_t volume_key_bytes,
		    const struct lv_pbkdf_params *pbkdf, struct lv_keyslot **planned,
		    struct lv_err *err);
/* Plans keyslot slot for passphrase in work (not committed), then writes
 * the AF-split volume key to its area.  On failure work may hold the
 * planned keyslot: discard it. */
int lv_keyslot_create(struct lv_device *dev, struct lv_metadata *work, int slot,
		      const struct lv_secret *volume_key, const struct lv_secret *passphrase,
		      const struct lv_pbkdf_params *pbkdf, struct lv_err *err);

/* Overwrites a keyslot area with random bytes, then syncs. */
int lv_keyslot_wipe_area(struct lv_device *dev, uint64_t offset, uint64_t size,
			 struct lv_err *err);

#endif
