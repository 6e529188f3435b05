/* SPDX-License-Identifier: ISC */
/*
 * luksvol-clevis.h: binding keyslots to clevis pins (`luksvol bind`,
 * src/clevis), in builds with WITH_CLEVIS (include luksvol.h's
 * conventions).  A binding is a new keyslot for a random passphrase (40
 * random bytes as base64url, as clevis >= 20 makes it) and a LUKS2
 * "clevis" token holding that passphrase encrypted to a pin: "tang",
 * "tpm2" (WITH_TPM) or "sss" over them, with clevis's JSON config.  The
 * token is exactly what `clevis luks list` and `clevis luks pass` read.
 */
#ifndef LUKSVOL_CLEVIS_H
#define LUKSVOL_CLEVIS_H

#include <stddef.h>

#include "luksvol.h"

/* Asked, when binding to tang without a thumbprint and without trust_any,
 * whether to trust the advertisement's signing keys (their S256
 * thumbprints).  Returns 1 to trust them. */
typedef int (*lv_clevis_trust_fn)(void *ctx, const char *url, const char *const thumbprints[],
				  size_t count);

struct lv_clevis_opts {
	unsigned timeout_ms;		/* per server request; 0: 10000 */
	const char *tpm_tcti;		/* tpm2 pin: NULL: /dev/tpmrm0, else /dev/tpm0 */
	int trust_any;			/* trust an advertisement's keys, as clevis -y */
	lv_clevis_trust_fn trust;	/* NULL: refuse keys not named by "thp" */
	void *trust_ctx;
};

/* A passphrase and its JWE, made before anything is written: a server
 * that cannot be reached, or keys not trusted, change nothing. */
struct lv_clevis_binding;

/* Encrypts a new random passphrase with pin and config (clevis's JSON
 * text: tang {"url":...,"thp":...}, tpm2 {"pcr_bank":...,"pcr_ids":...},
 * sss {"t":...,"pins":{...}}). */
int lv_clevis_binding_new(const char *pin, const char *config, const struct lv_clevis_opts *opts,
			  struct lv_clevis_binding **binding, struct lv_err *err);
/* Adds the keyslot (at keyslot, or the lowest free for LV_ANY_SLOT;
 * volume_key must verify against the device's digest; pbkdf NULL: pbkdf2
 * with 1000 iterations, as clevis), then the token (at token_id, or the
 * lowest free).  A token that cannot be stored takes its keyslot away
 * again.  -EEXIST when the keyslot or token id is taken. */
int lv_clevis_binding_store(struct lv_device *dev, const struct lv_secret *volume_key,
			    const struct lv_clevis_binding *binding, int keyslot, int token_id,
			    const struct lv_pbkdf_params *pbkdf, int *added_keyslot,
			    int *added_token, struct lv_err *err);
/* Wipes the passphrase; sets *binding to NULL.  NULL is accepted. */
void lv_clevis_binding_free(struct lv_clevis_binding **binding);

/* 0 when thumbprint can be a tang signing key's thumbprint as clevis takes
 * it: unpadded base64url, 43 characters (SHA-256) or 27 (SHA-1); else
 * -EINVAL with one line that calls it name. */
int lv_clevis_thumbprint_check(const char *name, const char *thumbprint, struct lv_err *err);

/* clevis's config text for pin tang, {"url":url,"thp":thumbprint} (no
 * "thp" when thumbprint is NULL; a thumbprint lv_clevis_thumbprint_check
 * refuses is -EINVAL), and for pin tpm2,
 * {"pcr_bank":pcr_bank,"pcr_ids":pcr_ids} (neither when pcr_ids is NULL or
 * empty: no PCR policy).  *config is freed with free(). */
int lv_clevis_tang_config(const char *url, const char *thumbprint, char **config,
			  struct lv_err *err);
int lv_clevis_tpm2_config(const char *pcr_bank, const char *pcr_ids, char **config,
			  struct lv_err *err);

#endif
