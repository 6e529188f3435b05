/* SPDX-License-Identifier: ISC */
/*
 * talos_seal.c: enrolment as Talos does it
 * (talos:internal/pkg/secureboot/tpm2/seal.go, policy.go, pcr.go;
 * internal/pkg/encryption/keys/tpm2.go NewKey), and luksvol's PCR-only mode.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tpm/efivars.h"
#include "tpm/talos_internal.h"

/* fixedTPM|fixedParent|noDA, no userWithAuth: a policy session only. */
#define SEALED_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_NODA)

struct enrol {
	enum lv_talos_policy policy;
	uint32_t pcr_mask;		/* the configured PCRs */
	TPM2B_PUBLIC signing_key;	/* signed mode: the PCR-signing key */
	struct lv_tpm *tpm;
	TPM2B_DIGEST auth_policy;
	TPM2B_NAME srk_name;
	TPM2B_PRIVATE sealed_private;
	TPM2B_PUBLIC sealed_public;
	struct lv_secret *key;
};

/* Signed when the PCR public key exists; PCR-only when the default one
 * is absent (an explicit path must exist). */
static int enrol_plan(const struct lv_talos_tpm2_params *p, struct enrol *e, char *warning,
		      struct lv_err *err)
{
	const char *path = p->pcr_public_key ? p->pcr_public_key : LV_TALOS_PCR_PUBLIC_KEY;
	struct lv_rsa_pubkey key;
	char pcrs[80];
	int r = lv_tpm_pcr_mask(p->pcrs, p->pcr_count, &e->pcr_mask, err);

	if (r < 0) {
		lv_err_prefix(err, "tpm key");
		return r;
	}
	r = talos_pubkey_load(path, &key, &e->signing_key, err);
	if (r != -ENOENT || p->pcr_public_key)
		return r;
	if (e->pcr_mask == 0)
		return lv_err_set(err, -EINVAL,
				  "tpm key: no PCR public key (%s) and no PCRs: nothing to seal to",
				  path);
	e->policy = LV_TALOS_POLICY_PCR_ONLY;
	snprintf(warning, LV_TALOS_WARNING_MAX,
		 "tpm key: no PCR public key at %s: sealing to PCRs %s alone (pcr-only), weaker "
		 "than a signed PCR policy: any boot that reproduces those PCR values unseals it",
		 path, lv_tpm_pcr_list(e->pcr_mask, pcrs, sizeof(pcrs)));
	return 0;
}

/*
 * policy.go CalculateSealingPolicyDigest: PolicyAuthorize(Name of the
 * signing key) then, with PCRs, PolicyPCR(them, current values).  The
 * composite hashes the values in ascending PCR order, the order the TPM
 * hashes a selection in (Talos hashes them in list order: an unsorted
 * list there seals to a policy no TPM reaches).
 */
static int enrol_policy(struct enrol *e, struct lv_err *err)
{
	uint8_t values[LV_TPM_PCR_COUNT][LV_TPM_DIGEST_BYTES];
	struct lv_tpm_calc calc;
	TPML_PCR_SELECTION selection;
	TPM2B_DIGEST composite;
	TPM2B_NAME key_name;
	int r = 0;

	lv_tpm_calc_start(&calc);
	if (e->policy == LV_TALOS_POLICY_SIGNED) {
		r = lv_tpm_object_name(&e->signing_key.publicArea, &key_name);
		if (r == 0)
			r = lv_tpm_calc_authorize(&calc, &key_name, NULL, 0);
	}
	if (r == 0 && e->pcr_mask) {
		r = lv_tpm_pcr_read(e->tpm, e->pcr_mask, values, err);
		if (r < 0)
			return r;
		lv_tpm_pcr_selection(e->pcr_mask, &selection);
		r = lv_tpm_pcr_composite(e->pcr_mask, values, &composite);
		if (r == 0)
			r = lv_tpm_calc_pcr(&calc, &selection, composite.buffer);
	}
	if (r < 0)
		return lv_tpm_err(e->tpm, err, r, "sealing policy: cannot compute the digest");
	e->auth_policy.size = sizeof(calc.digest);
	memcpy(e->auth_policy.buffer, calc.digest, sizeof(calc.digest));
	return 0;
}

/* 32 random bytes sealed under a transient SRK (seal.go). */
static int enrol_seal(struct enrol *e, struct lv_err *err)
{
	struct lv_tpm_object srk = LV_TPM_OBJECT_INIT;
	int r;

	e->key = lv_secret_new(LV_TALOS_KEY_BYTES);
	if (!e->key)
		return lv_err_set(err, -ENOMEM, "tpm key: out of memory");
	r = lv_random(e->key->bytes, e->key->len);
	if (r < 0)
		return lv_err_set(err, r, "tpm key: no random bytes");
	r = lv_tpm_create_primary(e->tpm, LV_TPM_PRIMARY_SRK_ECC, &srk, err);
	if (r == 0)
		r = lv_tpm_seal(e->tpm, &srk, SEALED_ATTRS, &e->auth_policy, e->key,
				&e->sealed_private, &e->sealed_public, err);
	e->srk_name = srk.name;
	lv_tpm_flush(e->tpm, &srk.handle);
	return r;
}

/* seal.go's SealedResponse as keys/tpm2.go puts it into the token. */
static int enrol_token(const struct lv_talos_tpm2_params *p, const struct enrol *e,
		       struct lv_talos_tpm2_token *t, struct lv_err *err)
{
	int r;

	t->keyslots[0] = p->keyslot;
	t->keyslot_count = 1;
	r = lv_tpm2b_private_to_bytes(&e->sealed_private, t->sealed_private,
				      sizeof(t->sealed_private), &t->sealed_private_len);
	if (r == 0)
		r = lv_tpm2b_public_to_bytes(&e->sealed_public, t->sealed_public,
					     sizeof(t->sealed_public), &t->sealed_public_len);
	if (r == 0)
		r = lv_tpm2b_name_to_bytes(&e->srk_name, t->key_name, sizeof(t->key_name),
					   &t->key_name_len);
	if (r < 0)
		return lv_tpm_err(e->tpm, err, r, "cannot marshal the sealed object");
	/* As configured: the mask check let through at most 24, none twice. */
	memcpy(t->pcrs, p->pcrs, p->pcr_count * sizeof(*p->pcrs));
	t->pcr_count = p->pcr_count;
	if (e->policy == LV_TALOS_POLICY_SIGNED) {
		t->pubkey_pcrs[0] = LV_TALOS_UKI_PCR;
		t->pubkey_pcr_count = 1;
	}
	snprintf(t->encryption_version, sizeof(t->encryption_version), "%s",
		 LV_TALOS_ENCRYPTION_VERSION);
	memcpy(t->policy_hash, e->auth_policy.buffer, sizeof(t->policy_hash));
	t->policy = e->policy;
	return 0;
}

int lv_talos_tpm2_enrol(const struct lv_talos_tpm2_params *p, struct lv_talos_tpm2_token *token,
			struct lv_secret **passphrase, char warning[LV_TALOS_WARNING_MAX],
			struct lv_err *err)
{
	struct enrol e = { .policy = LV_TALOS_POLICY_SIGNED };
	int r;

	*passphrase = NULL;
	warning[0] = '\0';
	memset(token, 0, sizeof(*token));
	if (p->keyslot < 0 || p->keyslot >= LV_TALOS_KEYSLOTS_MAX)
		return lv_err_set(err, -EINVAL, "tpm key: keyslot %d is out of range", p->keyslot);
	r = enrol_plan(p, &e, warning, err);
	if (r == 0 && p->check_secureboot)
		r = lv_efi_secureboot_check(p->efivars_dir, err);
	if (r == 0)
		r = lv_tpm_open_timed(p->tcti, p->timeout_ms, &e.tpm, err);
	if (r == 0)
		r = talos_pcr_checks(e.tpm, e.policy, e.pcr_mask, err);
	if (r == 0)
		r = enrol_policy(&e, err);
	if (r == 0)
		r = enrol_seal(&e, err);
	if (r == 0)
		r = enrol_token(p, &e, token, err);
	if (r == 0)
		r = lv_tpm_sealed_passphrase(e.key, passphrase, err);
	lv_secret_free(&e.key);
	lv_tpm_close(&e.tpm);
	if (r < 0) {
		memset(token, 0, sizeof(*token));
		warning[0] = '\0';
	}
	return r;
}
