/* SPDX-License-Identifier: ISC */
/*
 * constants.h: the numbers and names that more than one module needs,
 * defined once: LUKS2's (luks2-reference.md), dm-crypt's and Talos's
 * (talos-encryption.md).
 */
#ifndef LV_BASE_CONSTANTS_H
#define LV_BASE_CONSTANTS_H

#include <stddef.h>

#include "luksvol.h"

#ifndef LV_KEYSLOT_COUNT
#define LV_KEYSLOT_COUNT 32		/* LUKS2 keyslot (and token) ids: 0..31 */
#endif
#define LV_AF_STRIPES 4000		/* cryptsetup writes and reads 4000 stripes */
#define LV_KDF_SALT_BYTES 32		/* a keyslot's KDF salt, a digest's salt */
#define LV_PBKDF2_MIN_ITERATIONS 1000	/* the fewest pbkdf2 iterations, keyslot or digest */

/*
 * The activation flags (enum lv_activation_flag) by name: in a LUKS2
 * header's config.flags, in a dm-crypt table (NULL: not a dm-crypt
 * option luksvol writes), in `cryptsetup status`; talos marks Talos's
 * perf options (§1.1 `options`, spelled as the dm-crypt name).  In
 * dm-crypt's fixed option order; the table ends with flag 0.
 */
struct lv_flag_names {
	unsigned flag;
	const char *luks2;
	const char *dm;
	const char *status;
	int talos;
};
extern const struct lv_flag_names lv_flag_names[];

/* Talos's ciphers (§1.1), the default first. */
#define LV_TALOS_CIPHER_COUNT 3
extern const char *const lv_talos_ciphers[LV_TALOS_CIPHER_COUNT];
int lv_talos_cipher(const char *cipher);

/*
 * A tang server's signing-key thumbprint as clevis takes it
 * (clevis-encrypt-tang tries S256, then S1): the unpadded base64url of a
 * SHA-256 (43 characters) or SHA-1 (27) JWK thumbprint.  NULL when
 * thumbprint can be one; else why not, in a few words to follow its name
 * (written into why when it quotes the text).
 */
#define LV_TANG_THP_S256_CHARS 43
#define LV_TANG_THP_S1_CHARS 27
const char *lv_tang_thumbprint_problem(const char *thumbprint, char *why, size_t why_size);
/* A tang server's url: http:// or https://, printable ASCII with no
 * space, at most LV_TANG_URL_MAX bytes; NULL or why not, as above. */
#define LV_TANG_URL_MAX 2048
const char *lv_tang_url_problem(const char *url, char *why, size_t why_size);

#endif
