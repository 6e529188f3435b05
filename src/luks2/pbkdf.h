/* SPDX-License-Identifier: ISC */
/* pbkdf.h: resolving lv_pbkdf_params into the kdf of a new keyslot. */
#ifndef LV_PBKDF_H
#define LV_PBKDF_H

#include "luks2/metadata.h"

#define LV_PBKDF_DIGEST_MIN_ITERATIONS 1000

/* Fills kdf (type, hash, costs; not the salt), benchmarking where the
 * caller forced no cost.  key_bytes sizes the pbkdf2 benchmark output.
 * kdf->type and kdf->hash point to in's strings or to literals. */
int lv_pbkdf_resolve(const struct lv_pbkdf_params *in, size_t key_bytes, struct lv_kdf *kdf,
		     struct lv_err *err);

/* Checks in without benchmarking: what lv_pbkdf_resolve would refuse. */
int lv_pbkdf_check(const struct lv_pbkdf_params *in, struct lv_err *err);

/* Iterations of the volume-key digest: 1000 when costs are forced, else
 * what takes 125 ms (cryptsetup's LUKS_MKD_ITERATIONS_MS). */
uint32_t lv_digest_iterations(const struct lv_pbkdf_params *in, const char *hash,
			      size_t key_bytes);

#endif
