/* SPDX-License-Identifier: ISC */
/* tpm_signed.c: satisfying a signed PCR policy (tpm_signed.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tpm/talos_tpm2.h"
#include "tpm/tpm_signed.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The entry of the signature JSON for the current policy of the signed
 * PCRs, signed by the key (pkfp). */
static int find_signature(const struct lv_tpm_signed_policy *p, const TPM2B_DIGEST *pcr_policy,
			  struct lv_pcrsig_entry *entry, struct lv_err *err)
{
	uint8_t fingerprint[32];
	char policy_hex[2 * TPM2_SHA256_DIGEST_SIZE + 1], fp_hex[2 * sizeof(fingerprint) + 1];
	char pcrs[80];
	int r = lv_pcrsig_find(p->sig_json, p->sig_json_len, pcr_policy->buffer, entry,
			       p->sig_what, err);

	hex(pcr_policy->buffer, pcr_policy->size, policy_hex);
	lv_tpm_pcr_list(p->pcr_mask, pcrs, sizeof(pcrs));
	if (r == -ENOENT)
		return lv_err_set(err, -EPERM,
				  "%s: no sha256 signature for the current PCR %s policy %s: PCR "
				  "%s is not at a phase the UKI signed",
				  p->sig_what, pcrs, policy_hex, pcrs);
	if (r < 0)
		return r;
	r = lv_rsa_pubkey_fingerprint(p->key, fingerprint);
	if (r < 0)
		return lv_err_set(err, r, "%s: cannot fingerprint", p->key_what);
	hex(fingerprint, sizeof(fingerprint), fp_hex);
	/* Talos compares the hex text: pkfp must be lowercase. */
	if (strcmp(fp_hex, entry->pkfp) != 0)
		return lv_err_set(err, -EPERM,
				  "%s: the signature of PCR %s policy %s is by another key (pkfp "
				  "%.64s), not %s (%s)",
				  p->sig_what, pcrs, policy_hex, entry->pkfp, p->key_what, fp_hex);
	return 0;
}

int lv_tpm_policy_signed(struct lv_tpm *tpm, ESYS_TR session,
			 const struct lv_tpm_signed_policy *p, struct lv_err *err)
{
	struct lv_tpm_object key = LV_TPM_OBJECT_INIT;
	struct lv_pcrsig_entry entry;
	TPML_PCR_SELECTION selection;
	TPM2B_DIGEST policy, signed_digest = { .size = TPM2_SHA256_DIGEST_SIZE };
	TPMT_TK_VERIFIED ticket;
	const void *parts[1];
	size_t lens[1];
	int r;

	lv_tpm_pcr_selection(p->pcr_mask, &selection);
	r = lv_tpm_policy_pcr(tpm, session, &selection, err);
	if (r == 0)
		r = lv_tpm_policy_get_digest(tpm, session, &policy, err);
	if (r == 0)
		r = find_signature(p, &policy, &entry, err);
	if (r < 0)
		return r;
	/* VerifySignature takes the hash; the JSON signs the digest itself. */
	parts[0] = policy.buffer;
	lens[0] = policy.size;
	r = lv_hash("sha256", parts, lens, 1, signed_digest.buffer, signed_digest.size);
	if (r == 0)
		r = lv_tpm_load_external(tpm, p->signing_key, ESYS_TR_RH_OWNER, &key, err);
	if (r == 0) {
		r = lv_tpm_verify_rsassa(tpm, &key, &signed_digest, entry.sig, entry.sig_len,
					 &ticket, err);
		if (r < 0)
			lv_err_prefix(err, p->sig_what);
	}
	if (r == 0)
		r = lv_tpm_policy_authorize(tpm, session, &policy, &key.name, &ticket, err);
	lv_tpm_flush(tpm, &key.handle);
	return r;
}
