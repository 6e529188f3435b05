/* SPDX-License-Identifier: ISC */
/*
 * rsa_pubkey.h: an RSA public key from PEM, as the PCR-signing key of a UKI
 * (systemd-stub's .pcrpkey, /.extra/tpm2-pcr-public-key.pem) comes, and its
 * systemd fingerprint.  A strict DER reader of untrusted bytes: no crypto
 * library is involved, the TPM checks the signatures.
 */
#ifndef LV_RSA_PUBKEY_H
#define LV_RSA_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"

#define LV_RSA_MODULUS_MAX 512	/* 4096 bits: the TPM's TPM2B_PUBLIC_KEY_RSA */

struct lv_rsa_pubkey {
	uint8_t modulus[LV_RSA_MODULUS_MAX];	/* big-endian, no leading zero */
	size_t modulus_len;
	uint32_t exponent;
};

/*
 * "-----BEGIN PUBLIC KEY-----", base64 of a DER SubjectPublicKeyInfo with
 * algorithm rsaEncryption (NULL parameters) and an RSAPublicKey, then
 * "-----END PUBLIC KEY-----" (what Go's pem.Decode and
 * x509.ParsePKIXPublicKey take for an RSA key; text before the first BEGIN
 * and after the END is ignored, as there).  what names the source in
 * messages.  -EINVAL for anything else.
 */
int lv_rsa_pubkey_from_pem(const char *pem, size_t pem_len, struct lv_rsa_pubkey *key,
			   const char *what, struct lv_err *err);

/* pkfp of systemd's .pcrsig: SHA-256 of the key's PKCS#1 RSAPublicKey DER. */
int lv_rsa_pubkey_fingerprint(const struct lv_rsa_pubkey *key, uint8_t fingerprint[32]);

#endif
