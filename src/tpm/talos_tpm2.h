/* SPDX-License-Identifier: ISC */
/*
 * talos_tpm2.h: Talos's TPM-bound key (talos-encryption.md §2.4, §3): 32
 * random bytes sealed under a transient SRK to PolicyAuthorize(the UKI's
 * PCR-signing key) then PolicyPCR(the configured PCRs), the LUKS
 * passphrase their standard base64, and the talos-tpm2 token that carries
 * the sealed blobs.
 *
 * Beyond Talos, a PCR-only mode for machines booted without a UKI: when
 * there is no PCR public key the key is sealed to PolicyPCR(configured
 * PCRs) alone, and the token says so in a field Talos's decoder ignores,
 * "luksvol_policy": "pcr-only" (with "pubkey_pcrs": []).  Talos fails to
 * unseal such a token and leaves its slot alone.  It is weaker than a
 * signed policy: any boot chain that reproduces those PCR values unseals.
 */
#ifndef LV_TALOS_TPM2_H
#define LV_TALOS_TPM2_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "luksvol.h"
#include "tpm/tpm_blob.h"

#define LV_TALOS_TPM2_TOKEN_TYPE "talos-tpm2"
#define LV_TALOS_PCR_PUBLIC_KEY "/.extra/tpm2-pcr-public-key.pem"
#define LV_TALOS_PCR_SIGNATURE "/.extra/tpm2-pcr-signature.json"
#define LV_TALOS_UKI_PCR 11		/* signed: enter-initrd, leave-initrd, enter-machined */
#define LV_TALOS_SECUREBOOT_PCR 7
#define LV_TALOS_KEY_BYTES 32
#define LV_TALOS_PASSPHRASE_BYTES 44	/* base64 of the key */
#define LV_TALOS_ENCRYPTION_VERSION "1"	/* Talos 1.12+: "pcrs" is the whole PCR policy */
#define LV_TALOS_PCR_ONLY "pcr-only"	/* the value of luksvol_policy */

enum lv_talos_policy {
	LV_TALOS_POLICY_SIGNED,		/* Talos: PolicyAuthorize [+ PolicyPCR(pcrs)] */
	LV_TALOS_POLICY_PCR_ONLY,	/* luksvol: PolicyPCR(pcrs) alone */
};

#define LV_TALOS_KEYSLOTS_MAX 32
#define LV_TALOS_PCR_MAX 24

/* The token, fields as Talos names them (keys/tpm2.go TPMToken); blobs
 * as stored: marshalled, with their 2-byte size. */
struct lv_talos_tpm2_token {
	int keyslots[LV_TALOS_KEYSLOTS_MAX];	/* UserData.keyslots */
	size_t keyslot_count;
	uint8_t sealed_private[LV_TPM2B_PRIVATE_MAX];
	size_t sealed_private_len;
	uint8_t sealed_public[LV_TPM2B_PUBLIC_MAX];
	size_t sealed_public_len;
	int pcrs[LV_TALOS_PCR_MAX];	/* as listed; omitted when empty */
	size_t pcr_count;
	int pubkey_pcrs[LV_TALOS_PCR_MAX];	/* [11]; absent or null before 1.12 */
	size_t pubkey_pcr_count;
	char encryption_version[8];		/* "" before 1.12 (omitted) */
	uint8_t policy_hash[TPM2_SHA256_DIGEST_SIZE];
	uint8_t key_name[LV_TPM2B_NAME_MAX];	/* the SRK's TPM2B_NAME */
	size_t key_name_len;
	enum lv_talos_policy policy;
};

/* Parses a whole token object (type, keyslots, UserData) from JSON text of
 * len bytes: every field checked against what Talos writes, the blobs
 * unmarshalled with exact bounds.  -EINVAL naming the field. */
int lv_talos_tpm2_token_parse(const char *json, size_t len, struct lv_talos_tpm2_token *token,
			      struct lv_err *err);
/* The token as Talos writes it (go-blockdevice luks.Token, encoding/json):
 * {"UserData":{...},"type":"talos-tpm2","keyslots":[]}, no spaces, fields
 * in Talos's order, []byte as padded standard base64.  *json: malloc'ed. */
int lv_talos_tpm2_token_format(const struct lv_talos_tpm2_token *token, char **json,
			       struct lv_err *err);
/* luksDump-style lines, each starting with indent. */
void lv_talos_tpm2_token_dump(const struct lv_talos_tpm2_token *token, const char *indent,
			      FILE *out);

/* What seal and unseal take. */
struct lv_talos_tpm2_params {
	const char *tcti;		/* NULL: /dev/tpmrm0, else /dev/tpm0 */
	const char *pcr_public_key;	/* NULL: LV_TALOS_PCR_PUBLIC_KEY, PCR-only when absent */
	const char *pcr_signature;	/* NULL: LV_TALOS_PCR_SIGNATURE */
	const char *efivars_dir;	/* NULL: /sys/firmware/efi/efivars */
	const int *pcrs;		/* enrol: the configured PCRs, Talos's default [7] */
	size_t pcr_count;
	int check_secureboot;		/* enrol: checkSecurebootStatusOnEnroll */
	int keyslot;			/* enrol: UserData.keyslots = [keyslot] */
	unsigned timeout_ms;		/* the TPM must answer every command within
					 * this of its opening, else -ETIMEDOUT;
					 * 0: no bound */
};

#define LV_TALOS_WARNING_MAX 320

/*
 * Enrols: checks (SecureBoot when asked, the SHA-256 bank, PCR 11 and the
 * configured PCRs neither all zero nor all 0xFF), seals 32 random bytes,
 * fills *token and returns the passphrase, their base64, in a new secret.
 * warning is set to a line for the user in PCR-only mode, else to "".
 */
int lv_talos_tpm2_enrol(const struct lv_talos_tpm2_params *params,
			struct lv_talos_tpm2_token *token, struct lv_secret **passphrase,
			char warning[LV_TALOS_WARNING_MAX], struct lv_err *err);
/* Unseals token with the TPM, the PCR public key and the signature JSON
 * (signed mode); the passphrase is the base64 of what was sealed.
 * -EPERM when the policy is not satisfied (PCRs changed, no signature for
 * the current PCR 11, another key), -ENODEV without a TPM. */
int lv_talos_tpm2_unseal(const struct lv_talos_tpm2_params *params,
			 const struct lv_talos_tpm2_token *token, struct lv_secret **passphrase,
			 struct lv_err *err);

/*
 * systemd-stub's .pcrsig JSON (/.extra/tpm2-pcr-signature.json):
 * {"sha256":[{"pcrs":[11],"pkfp":"<hex>","pol":"<hex>","sig":"<base64>"}],...}
 */
#define LV_PCRSIG_SIG_MAX 512
struct lv_pcrsig_entry {
	char pkfp[2 * TPM2_SHA256_DIGEST_SIZE + 1];	/* lowercase hex, as written */
	uint8_t sig[LV_PCRSIG_SIG_MAX];
	size_t sig_len;
};
/* Checks every sha256 entry, then returns the first whose pol is policy;
 * -ENOENT when none is.  what names the file in messages. */
int lv_pcrsig_find(const char *json, size_t len, const uint8_t policy[TPM2_SHA256_DIGEST_SIZE],
		   struct lv_pcrsig_entry *entry, const char *what, struct lv_err *err);

#endif
