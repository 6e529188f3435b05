/* SPDX-License-Identifier: ISC */
/*
 * tpm_signed.h: a signed PCR policy, as systemd-stub's UKIs carry one and
 * Talos's tpm keys and systemd-tpm2 tokens seal to: PolicyAuthorize(the
 * Name of an RSA PCR-signing key) over PolicyPCR(the signed PCRs, at
 * values that key signed in systemd-stub's .pcrsig JSON).
 */
#ifndef LV_TPM_SIGNED_H
#define LV_TPM_SIGNED_H

#include "tpm/rsa_pubkey.h"
#include "tpm/tpm.h"

struct lv_tpm_signed_policy {
	uint32_t pcr_mask;			/* the signed PCRs (SHA-256 bank) */
	const struct lv_rsa_pubkey *key;	/* the PCR-signing key */
	const TPM2B_PUBLIC *signing_key;	/* as the TPM loads it */
	const char *key_what;			/* names it in messages */
	const char *sig_json;			/* the .pcrsig JSON text */
	size_t sig_json_len;
	const char *sig_what;			/* names it in messages */
};

/* Satisfies PolicyAuthorize in session: PolicyPCR(pcr_mask) with the
 * current values, its digest's sha256 entry of the JSON (signed by key:
 * pkfp), VerifySignature, PolicyAuthorize.  -EPERM when no entry is for
 * the current values, or one is by another key or does not verify. */
int lv_tpm_policy_signed(struct lv_tpm *tpm, ESYS_TR session,
			 const struct lv_tpm_signed_policy *policy, struct lv_err *err);

#endif
