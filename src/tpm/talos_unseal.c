/* SPDX-License-Identifier: ISC */
/*
 * talos_unseal.c: unsealing as Talos does it
 * (talos:internal/pkg/secureboot/tpm2/unseal.go), tokens from before Talos
 * 1.12 included, and luksvol's PCR-only tokens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tpm/small_file.h"
#include "tpm/talos_internal.h"
#include "tpm/tpm_signed.h"

struct unseal {
	const struct lv_talos_tpm2_params *params;
	const struct lv_talos_tpm2_token *token;
	uint32_t pcr_mask;		/* PolicyPCR after PolicyAuthorize (or alone) */
	uint32_t listed_mask;		/* the token's pcrs */
	TPM2B_PRIVATE sealed_private;
	TPM2B_PUBLIC sealed_public;
	TPM2B_NAME srk_name;
	/* signed mode */
	const char *key_path, *sig_path;
	struct lv_rsa_pubkey key;
	TPM2B_PUBLIC signing_key;
	uint8_t *sig_json;
	size_t sig_json_len;
	/* the TPM */
	struct lv_tpm *tpm;
	struct lv_tpm_object srk, sealed;
	ESYS_TR session;
};

/*
 * Which PCRs the policy holds besides the signed PCR 11:
 *   encryption_version "1" (Talos 1.12+): "pcrs", when not empty;
 *   no version and no pubkey_pcrs, "pcrs" [11] (before 1.12): PCR 7, which
 *     was sealed but not recorded (tpm2.go, EncryptionSchemaVersionErrata);
 *   PCR-only: "pcrs", and no PolicyAuthorize.
 */
static int unseal_pcrs(struct unseal *u, struct lv_err *err)
{
	const struct lv_talos_tpm2_token *t = u->token;
	uint32_t listed;
	int r = lv_tpm_pcr_mask(t->pcrs, t->pcr_count, &listed, err);

	if (r < 0) {
		lv_err_prefix(err, "talos-tpm2 token: pcrs");
		return r;
	}
	u->listed_mask = listed;
	if (t->policy == LV_TALOS_POLICY_PCR_ONLY) {
		u->pcr_mask = listed;
		return 0;
	}
	if (t->encryption_version[0])
		u->pcr_mask = listed;
	else if (t->pubkey_pcr_count == 0 && listed == 1u << LV_TALOS_UKI_PCR)
		u->pcr_mask = 1u << LV_TALOS_SECUREBOOT_PCR;
	return 0;
}

static int unseal_plan(struct unseal *u, struct lv_err *err)
{
	const struct lv_talos_tpm2_token *t = u->token;
	int r = lv_tpm2b_private_from_bytes(t->sealed_private, t->sealed_private_len,
					    &u->sealed_private, "sealed_blob_private", err);

	if (r == 0)
		r = lv_tpm2b_public_from_bytes(t->sealed_public, t->sealed_public_len,
					       &u->sealed_public, "sealed_blob_public", err);
	if (r == 0)
		r = lv_tpm2b_name_from_bytes(t->key_name, t->key_name_len, &u->srk_name, "key_name",
					     err);
	if (r < 0) {
		lv_err_prefix(err, "talos-tpm2 token");
		return r;
	}
	r = unseal_pcrs(u, err);
	if (r < 0 || t->policy == LV_TALOS_POLICY_PCR_ONLY)
		return r;
	u->key_path =
		u->params->pcr_public_key ? u->params->pcr_public_key : LV_TALOS_PCR_PUBLIC_KEY;
	u->sig_path = u->params->pcr_signature ? u->params->pcr_signature : LV_TALOS_PCR_SIGNATURE;
	r = talos_pubkey_load(u->key_path, &u->key, &u->signing_key, err);
	if (r == 0)
		r = lv_small_file_read(u->sig_path, TALOS_PCRSIG_MAX, "PCR signature", &u->sig_json,
				       &u->sig_json_len, err);
	return r;
}

/* The SRK is made again from its template: another Name is another TPM. */
static int unseal_load(struct unseal *u, struct lv_err *err)
{
	int r = lv_tpm_create_primary(u->tpm, LV_TPM_PRIMARY_SRK_ECC, &u->srk, err);

	if (r < 0)
		return r;
	if (u->srk.name.size != u->srk_name.size ||
	    memcmp(u->srk.name.name, u->srk_name.name, u->srk_name.size) != 0)
		return lv_tpm_err(
			u->tpm, err, -EPERM,
			"the storage root key's Name differs from the token's key_name: "
			"sealed by another TPM, or this TPM's owner hierarchy was cleared");
	r = lv_tpm_load(u->tpm, &u->srk, &u->sealed_private, &u->sealed_public, &u->sealed, err);
	if (r == 0)
		r = lv_tpm_policy_session(u->tpm, u->srk.handle, &u->session, err);
	return r;
}

/* PolicyPCR(11), its digest signed in the JSON, VerifySignature, then
 * PolicyAuthorize (unseal.go). */
static int authorize_signed(struct unseal *u, struct lv_err *err)
{
	const struct lv_tpm_signed_policy policy = {
		.pcr_mask = 1u << LV_TALOS_UKI_PCR,
		.key = &u->key,
		.signing_key = &u->signing_key,
		.key_what = u->key_path,
		.sig_json = (const char *)u->sig_json,
		.sig_json_len = u->sig_json_len,
		.sig_what = u->sig_path,
	};

	return lv_tpm_policy_signed(u->tpm, u->session, &policy, err);
}

/* The session's digest must be the sealed object's authPolicy (what the
 * TPM checks at Unseal), and Talos's policy_hash after a PCR step. */
static int check_digest(struct unseal *u, struct lv_err *err)
{
	const TPM2B_DIGEST *sealed = &u->sealed_public.publicArea.authPolicy;
	TPM2B_DIGEST digest;
	char pcrs[80];
	int r = lv_tpm_policy_get_digest(u->tpm, u->session, &digest, err);

	if (r < 0)
		return r;
	if (digest.size == sealed->size &&
	    memcmp(digest.buffer, sealed->buffer, digest.size) == 0 &&
	    (!u->pcr_mask ||
	     memcmp(digest.buffer, u->token->policy_hash, sizeof(u->token->policy_hash)) == 0))
		return 0;
	lv_tpm_pcr_list(u->pcr_mask, pcrs, sizeof(pcrs));
	if (u->token->policy == LV_TALOS_POLICY_PCR_ONLY)
		return lv_tpm_err(u->tpm, err, -EPERM,
				  "sealing policy digest does not match: PCRs %s changed since "
				  "enrolment",
				  pcrs);
	if (!u->pcr_mask)
		return lv_tpm_err(u->tpm, err, -EPERM,
				  "sealing policy digest does not match: the key was sealed to "
				  "another PCR public key than %s",
				  u->key_path);
	return lv_tpm_err(u->tpm, err, -EPERM,
			  "sealing policy digest does not match: PCRs %s changed since enrolment, "
			  "or the key was sealed to another PCR public key than %s",
			  pcrs, u->key_path);
}

static int unseal_run(struct unseal *u, struct lv_secret **passphrase, struct lv_err *err)
{
	TPML_PCR_SELECTION selection;
	struct lv_secret *key = NULL;
	int r = talos_pcr_checks(u->tpm, u->token->policy, u->listed_mask, err);

	if (r == 0)
		r = unseal_load(u, err);
	if (r == 0 && u->token->policy == LV_TALOS_POLICY_SIGNED)
		r = authorize_signed(u, err);
	if (r == 0 && u->pcr_mask) {
		lv_tpm_pcr_selection(u->pcr_mask, &selection);
		r = lv_tpm_policy_pcr(u->tpm, u->session, &selection, err);
	}
	if (r == 0)
		r = check_digest(u, err);
	if (r == 0)
		r = lv_tpm_unseal(u->tpm, &u->sealed, u->session, u->srk.handle, &key, err);
	if (r == 0)
		r = lv_tpm_sealed_passphrase(key, passphrase, err);
	lv_secret_free(&key);
	return r;
}

int lv_talos_tpm2_unseal(const struct lv_talos_tpm2_params *params,
			 const struct lv_talos_tpm2_token *token, struct lv_secret **passphrase,
			 struct lv_err *err)
{
	struct unseal u = {
		.params = params,
		.token = token,
		.srk = LV_TPM_OBJECT_INIT,
		.sealed = LV_TPM_OBJECT_INIT,
		.session = ESYS_TR_NONE,
	};
	int r;

	*passphrase = NULL;
	r = unseal_plan(&u, err);
	if (r == 0)
		r = lv_tpm_open_timed(params->tcti, params->timeout_ms, &u.tpm, err);
	if (r == 0)
		r = unseal_run(&u, passphrase, err);
	/* Closing flushes the session, the sealed object and the SRK. */
	lv_tpm_close(&u.tpm);
	free(u.sig_json);
	return r;
}
