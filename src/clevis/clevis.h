/* SPDX-License-Identifier: ISC */
/*
 * clevis.h: clevis bindings (tokens-clevis-systemd.md §1): the JWEs of the
 * tang, tpm2 and sss pins, decrypted and encrypted as clevis does it, and
 * the LUKS2 "clevis" token `clevis luks bind` writes.  Built with
 * WITH_CLEVIS; the tpm2 pin also needs WITH_TPM.
 *
 * A pin's config is clevis's JSON text: tang {"url":..., "thp":...,
 * "adv":...}, tpm2 {"pcr_bank":"sha256", "pcr_ids":"0,7", "key":"ecc",
 * "hash":"sha256", "pcr_digest":...}, sss {"t":N, "pins":{"tang":[{...},
 * ...], "tpm2":[...], "sss":{...}}}.
 *
 * Every call returns 0 or a negative errno with one line in err that names
 * the server, token or field:
 *   -EINVAL        a malformed JWE, token, header, config or server key
 *   -ENOTSUP       a pin this build does not have
 *   -EPERM         the JWE did not decrypt with the key recovered (a wrong
 *                  or rotated-away server key, a damaged JWE); an
 *                  advertisement not signed by its own keys, or not trusted;
 *                  tpm2: the PCRs changed since the binding
 *   -ENODEV        tpm2: no TPM
 *   -ETIMEDOUT     a server did not answer within the timeout
 *   -ECONNREFUSED, -EHOSTUNREACH   a server could not be reached
 *   -ECONNRESET    a server went away mid-request
 *   -EACCES        an https server's certificate is not trusted
 *   -EPROTO        a server answered with an HTTP error or a malformed reply
 *   -ENOKEY        sss: fewer than t of its pins could be decrypted
 *   -ENOMEM
 * Secrets (plaintexts, passphrases) travel in struct lv_secret.
 */
#ifndef LV_CLEVIS_H
#define LV_CLEVIS_H

#include <stddef.h>

#include "luksvol-clevis.h"
#include "luksvol.h"

#define LV_CLEVIS_TIMEOUT_MS 10000		/* per server request */
#define LV_CLEVIS_JWE_MAX (1u << 20)		/* compact JWE text */
#define LV_CLEVIS_PLAINTEXT_MAX 8192
#define LV_CLEVIS_PASSPHRASE_BYTES 40		/* random bytes, as clevis >= 20 */

/* A new keyslot passphrase like clevis's: LV_CLEVIS_PASSPHRASE_BYTES random
 * bytes as base64url, 54 characters of [A-Za-z0-9_-] (printable, no
 * newline: clevis's shell scripts can carry it). */
int lv_clevis_passphrase_new(struct lv_secret **passphrase, struct lv_err *err);

/* Decrypts a compact JWE clevis encrypted (pins tang, tpm2 and sss). */
int lv_clevis_decrypt(const char *jwe, size_t jwe_len, const struct lv_clevis_opts *opts,
		      struct lv_secret **plaintext, struct lv_err *err);

/* Encrypts plaintext with pin and its config into a compact JWE (*jwe,
 * free() it) that `clevis decrypt` reads. */
int lv_clevis_encrypt(const char *pin, const char *config, const struct lv_secret *plaintext,
		      const struct lv_clevis_opts *opts, char **jwe, struct lv_err *err);

/* The pin and its config as `clevis luks list` prints them, e.g.
 * tang '{"url":"http://tang"}' (*text, free() it). */
int lv_clevis_describe(const char *jwe, size_t jwe_len, char **text, struct lv_err *err);

/*
 * The LUKS2 token: {"type":"clevis","keyslots":["N"],"jwe":{"ciphertext",
 * "encrypted_key","iv","protected","tag"}}, the JWE in flattened form.
 */
struct lv_clevis_token {
	int keyslot;
	char *jwe;			/* compact serialization */
};

int lv_clevis_token_decode(const char *token_json, struct lv_clevis_token *token,
			   struct lv_err *err);
int lv_clevis_token_encode(int keyslot, const char *jwe, char **token_json, struct lv_err *err);
void lv_clevis_token_clear(struct lv_clevis_token *token);

/* The passphrase a clevis token's JWE holds, and the keyslot it opens. */
int lv_clevis_token_passphrase(const char *token_json, const struct lv_clevis_opts *opts,
			       struct lv_secret **passphrase, int *keyslot, struct lv_err *err);

/* Opens the keyslot of clevis token token_id: the volume key in *volume_key. */
int lv_clevis_unlock(struct lv_device *dev, int token_id, const struct lv_clevis_opts *opts,
		     struct lv_secret **volume_key, int *keyslot, struct lv_err *err);

struct lv_clevis_bind_params {
	const char *pin;
	const char *config;
	int keyslot;				/* LV_ANY_SLOT: the lowest free */
	int token_id;				/* LV_ANY_SLOT: the lowest free */
	const struct lv_pbkdf_params *pbkdf;	/* NULL: pbkdf2, 1000 iterations (clevis's) */
	struct lv_clevis_opts opts;
};

/* lv_clevis_binding_new then lv_clevis_binding_store. */
int lv_clevis_bind(struct lv_device *dev, const struct lv_secret *volume_key,
		   const struct lv_clevis_bind_params *params, int *keyslot, int *token_id,
		   struct lv_err *err);

#endif
