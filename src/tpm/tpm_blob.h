/* SPDX-License-Identifier: ISC */
/*
 * tpm_blob.h: TPM structures as bytes, with no TPM attached: TPM2B blobs
 * marshalled and unmarshalled with exact bounds (tokens carry them), object
 * Names, public-key templates, and a software policy-digest calculator (the
 * digest a policy session reaches, computed ahead of sealing).  Safe on
 * untrusted input: the token parsers and their fuzzers call it.
 */
#ifndef LV_TPM_BLOB_H
#define LV_TPM_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include <tss2_tpm2_types.h>

#include "luksvol.h"
#include "tpm/rsa_pubkey.h"

/* Largest marshalled TPM2B_PUBLIC / TPM2B_PRIVATE / TPM2B_NAME. */
#define LV_TPM2B_PUBLIC_MAX (2 + sizeof(TPMT_PUBLIC))
#define LV_TPM2B_PRIVATE_MAX (2 + sizeof(((TPM2B_PRIVATE *)0)->buffer))
#define LV_TPM2B_NAME_MAX (2 + sizeof(TPMU_NAME))
/* A SHA-256 Name: the algorithm (0x000B) then the digest. */
#define LV_TPM_NAME_BYTES (2 + TPM2_SHA256_DIGEST_SIZE)

/*
 * Unmarshal a blob of exactly len bytes: the 2-byte big-endian size must
 * equal the bytes that follow, and the structure must use them all.  what
 * names the blob in the message ("sealed_blob_public").  -EINVAL.
 */
int lv_tpm2b_public_from_bytes(const uint8_t *buf, size_t len, TPM2B_PUBLIC *out,
			       const char *what, struct lv_err *err);
int lv_tpm2b_private_from_bytes(const uint8_t *buf, size_t len, TPM2B_PRIVATE *out,
				const char *what, struct lv_err *err);
int lv_tpm2b_name_from_bytes(const uint8_t *buf, size_t len, TPM2B_NAME *out,
			     const char *what, struct lv_err *err);

/* Marshal into buf (at most max bytes); *len is what was written. */
int lv_tpm2b_public_to_bytes(const TPM2B_PUBLIC *in, uint8_t *buf, size_t max, size_t *len);
int lv_tpm2b_private_to_bytes(const TPM2B_PRIVATE *in, uint8_t *buf, size_t max, size_t *len);
int lv_tpm2b_name_to_bytes(const TPM2B_NAME *in, uint8_t *buf, size_t max, size_t *len);

/* Hex of any length up to max bytes, either case (Go's hex.DecodeString,
 * systemd's unhexmem): -EINVAL otherwise. */
int lv_tpm_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t max, size_t *len);

/* The LUKS passphrase Talos and systemd make of the key they seal: its
 * standard base64 with padding (44 characters for 32 bytes), in a new
 * secret. */
int lv_tpm_sealed_passphrase(const struct lv_secret *key, struct lv_secret **passphrase,
			     struct lv_err *err);

/* An RSA PCR-signing key from PEM text (rsa_pubkey.h), parsed and as the
 * TPM loads it (lv_tpm_rsa_public).  what names its source. */
int lv_tpm_rsa_public_from_pem(const char *pem, size_t len, const char *what,
			       struct lv_rsa_pubkey *key, TPM2B_PUBLIC *public_key,
			       struct lv_err *err);

/* The Name of a public area: nameAlg (SHA-256 only) then the digest of
 * the marshalled TPMT_PUBLIC.  -ENOTSUP for another nameAlg. */
int lv_tpm_object_name(const TPMT_PUBLIC *public_area, TPM2B_NAME *name);

/* An RSA public key as Talos's RSAPubKeyTemplate loads it: nameAlg
 * SHA-256, decrypt|sign|userWithAuth, symmetric and scheme NULL, keyBits
 * the modulus's bit length, the exponent as given (65537 is written out,
 * not 0), unique the big-endian modulus (leading zeros dropped).
 * -EINVAL for a modulus longer than 512 bytes or of no bits. */
int lv_tpm_rsa_public(const uint8_t *modulus, size_t modulus_len, uint32_t exponent,
		      TPM2B_PUBLIC *out);

/*
 * The policy calculator: what a policy session's digest becomes through
 * the same commands (SHA-256; TPM 2.0 Part 3, "PolicyUpdate").
 */
struct lv_tpm_calc {
	uint8_t digest[TPM2_SHA256_DIGEST_SIZE];
};
/* A new session: 32 zero bytes. */
void lv_tpm_calc_start(struct lv_tpm_calc *calc);
/* H(digest || TPM_CC_PolicyPCR || selection || pcr_composite). */
int lv_tpm_calc_pcr(struct lv_tpm_calc *calc, const TPML_PCR_SELECTION *selection,
		      const uint8_t pcr_composite[TPM2_SHA256_DIGEST_SIZE]);
/* The digest is reset, then H(H(0 || TPM_CC_PolicyAuthorize || key_sign)
 * || policy_ref): PolicyAuthorize forgets what came before it. */
int lv_tpm_calc_authorize(struct lv_tpm_calc *calc, const TPM2B_NAME *key_sign,
			    const uint8_t *policy_ref, size_t policy_ref_len);
/* H(digest || TPM_CC_PolicyAuthValue). */
int lv_tpm_calc_auth_value(struct lv_tpm_calc *calc);

#endif
