/* SPDX-License-Identifier: ISC */
/*
 * systemd_tpm2.h: the LUKS2 "systemd-tpm2" token systemd-cryptenroll
 * writes (tokens-clevis-systemd.md §3), read and unsealed: 32 random bytes
 * sealed under the legacy transient primary (ECC or RSA, tpm2-tools'
 * template) or the persistent SRK the token names, to
 *   [PolicyAuthorize(PCR-signing key)] -> [PolicyPCR(bank, tpm2-pcrs)]
 *   -> [PolicyAuthValue when tpm2-pin]
 * and the LUKS passphrase is their standard base64.
 *
 * Not supported (refused with -ENOTSUP, naming the field): pcrlock
 * policies, sharded (array) blobs, objects sealed offline (a blob with an
 * import seed), signed policies over another bank than sha256.
 */
#ifndef LV_SYSTEMD_TPM2_H
#define LV_SYSTEMD_TPM2_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "luksvol.h"
#include "tpm/tpm.h"
#include "tpm/tpm_blob.h"

#define LV_SYSTEMD_TPM2_TOKEN_TYPE "systemd-tpm2"
/* Where systemd looks for the signed PCR policy when unlocking. */
#define LV_SYSTEMD_PCR_SIGNATURE "/run/systemd/tpm2-pcr-signature.json"
#define LV_SYSTEMD_PUBKEY_PEM_MAX 4096
#define LV_SYSTEMD_SALT_MAX 64
/* Esys_TR_Serialize of a persistent key: handle, Name, type, public area. */
#define LV_SYSTEMD_SRK_MAX (4 + LV_TPM2B_NAME_MAX + 4 + LV_TPM2B_PUBLIC_MAX)
#define LV_SYSTEMD_PIN_ITERATIONS 10000	/* PBKDF2-HMAC-SHA256 of a salted PIN */

struct lv_systemd_tpm2_token {
	int keyslot;				/* keyslots: exactly one */
	/* tpm2-blob: TPM2B_PRIVATE then TPM2B_PUBLIC (then a seed: refused) */
	TPM2B_PRIVATE private_blob;
	TPM2B_PUBLIC public_blob;
	size_t blob_len;			/* for dump */
	uint8_t blob[LV_TPM2B_PRIVATE_MAX + LV_TPM2B_PUBLIC_MAX];
	uint32_t pcr_mask;			/* tpm2-pcrs */
	TPMI_ALG_HASH bank;			/* tpm2-pcr-bank; sha256 when absent */
	int bank_given;
	enum lv_tpm_primary primary;		/* tpm2-primary-alg; ecc when absent */
	int primary_given;
	uint8_t policy_hash[TPM2_SHA256_DIGEST_SIZE];	/* tpm2-policy-hash */
	int pin;				/* tpm2-pin */
	uint32_t pubkey_pcr_mask;		/* tpm2_pubkey_pcrs */
	char pubkey_pem[LV_SYSTEMD_PUBKEY_PEM_MAX + 1];	/* tpm2_pubkey: PEM text */
	size_t pubkey_pem_len;
	uint8_t salt[LV_SYSTEMD_SALT_MAX];	/* tpm2_salt */
	size_t salt_len;
	int has_srk;				/* tpm2_srk */
	TPM2_HANDLE srk_handle;
	TPM2B_NAME srk_name;
};

/* Parses a whole token object from JSON text of len bytes: every field
 * checked (types, ranges, base64, hex, the blobs unmarshalled with exact
 * bounds).  -EINVAL naming the field, -ENOTSUP for what is not supported. */
int lv_systemd_tpm2_token_parse(const char *json, size_t len,
				struct lv_systemd_tpm2_token *token, struct lv_err *err);
/* luksDump's lines for the token are the format's: src/luks2/token_systemd_tpm2.c. */

struct lv_systemd_tpm2_params {
	const char *tcti;			/* NULL: /dev/tpmrm0, else /dev/tpm0 */
	const struct lv_secret *pin;		/* the PIN, for a token with tpm2-pin */
	const char *pcr_signature;		/* signed policy: NULL: LV_SYSTEMD_PCR_SIGNATURE */
};

/*
 * The passphrase of the token's keyslot.  -ENOANO when the token needs a
 * PIN and none was given, and only once the TPM is reached and the PCR
 * policy found met (the TPM closed again: the caller asks a human with
 * nothing loaded); -EPERM when the TPM refuses (PCRs changed, a
 * wrong PIN, no signature for the current values), with the reason;
 * -ENODEV without a TPM.
 */
int lv_systemd_tpm2_unseal(const struct lv_systemd_tpm2_params *params,
			   const struct lv_systemd_tpm2_token *token, struct lv_secret **passphrase,
			   struct lv_err *err);

#endif
