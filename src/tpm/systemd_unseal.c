/* SPDX-License-Identifier: ISC */
/*
 * systemd_unseal.c: unsealing a systemd-tpm2 token as systemd's
 * tpm2_unseal does (tokens-clevis-systemd.md §3.2, §3.3): the parent (the
 * legacy primary, or the SRK the token names), the sealed object, a policy
 * session salted with the parent running [PolicyAuthorize] -> [PolicyPCR]
 * -> [PolicyAuthValue], then Unseal with its response encrypted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tpm/small_file.h"
#include "tpm/systemd_tpm2.h"
#include "tpm/tpm_signed.h"

#define PCRSIG_MAX (1024 * 1024)

struct unseal {
	const struct lv_systemd_tpm2_params *params;
	const struct lv_systemd_tpm2_token *token;
	struct lv_tpm *tpm;
	struct lv_tpm_object parent, sealed;
	ESYS_TR session;
	/* signed policy */
	struct lv_rsa_pubkey key;
	TPM2B_PUBLIC signing_key;
	uint8_t *sig_json;
	size_t sig_json_len;
	const char *sig_path;
};

/* The signed policy's key (from the token) and signature (a file), read
 * before the TPM is touched. */
static int load_signed(struct unseal *u, struct lv_err *err)
{
	const struct lv_systemd_tpm2_token *t = u->token;
	int r;

	if (!t->pubkey_pcr_mask)
		return 0;
	if (t->bank != TPM2_ALG_SHA256)
		return lv_err_set(err, -ENOTSUP, "systemd-tpm2 token: a signed PCR policy over the "
				  "%s bank is not supported (sha256 is)", lv_tpm_bank_name(t->bank));
	r = lv_tpm_rsa_public_from_pem(t->pubkey_pem, t->pubkey_pem_len,
				       "systemd-tpm2 token: tpm2_pubkey", &u->key, &u->signing_key,
				       err);
	u->sig_path = u->params->pcr_signature ? u->params->pcr_signature :
		      LV_SYSTEMD_PCR_SIGNATURE;
	if (r == 0)
		r = lv_small_file_read(u->sig_path, PCRSIG_MAX, "PCR signature", &u->sig_json,
				       &u->sig_json_len, err);
	return r;
}

/* The legacy primary made again, or the persistent SRK the token names,
 * which must still have the Name it had. */
static int load_parent(struct unseal *u, struct lv_err *err)
{
	const struct lv_systemd_tpm2_token *t = u->token;
	int r;

	if (!t->has_srk)
		return lv_tpm_create_primary(u->tpm, t->primary, &u->parent, err);
	r = lv_tpm_persistent(u->tpm, t->srk_handle, &u->parent, err);
	if (r == 0 && (u->parent.name.size != t->srk_name.size ||
		       memcmp(u->parent.name.name, t->srk_name.name, t->srk_name.size) != 0))
		r = lv_tpm_err(u->tpm, err, -EPERM, "the key at 0x%08x is not the storage root key "
			       "the token names (tpm2_srk): another TPM, or its owner hierarchy was "
			       "cleared", t->srk_handle);
	return r;
}

/* systemd's PIN auth: SHA-256 of the PIN, or of base64(PBKDF2-HMAC-SHA256(
 * PIN, tpm2_salt, 10000)) when the token has a salt; the TPM drops
 * trailing zero bytes of an authValue, and so does systemd. */
static int set_pin(struct unseal *u, struct lv_err *err)
{
	const struct lv_secret *pin = u->params->pin;
	uint8_t derived[TPM2_SHA256_DIGEST_SIZE], auth[TPM2_SHA256_DIGEST_SIZE];
	struct lv_secret *salted = NULL;
	const void *parts[1] = { pin->bytes };
	size_t lens[1] = { pin->len }, len = sizeof(auth);
	int r = 0;

	if (u->token->salt_len) {
		r = lv_pbkdf2("sha256", pin->bytes, pin->len, u->token->salt, u->token->salt_len,
			      LV_SYSTEMD_PIN_ITERATIONS, derived, sizeof(derived));
		if (r == 0)
			r = lv_tpm_sealed_passphrase(&(struct lv_secret){ derived, sizeof(derived) },
						     &salted, err);
		if (r == 0) {
			parts[0] = salted->bytes;
			lens[0] = salted->len;
		}
	}
	if (r == 0)
		r = lv_hash("sha256", parts, lens, 1, auth, sizeof(auth));
	while (r == 0 && len > 0 && auth[len - 1] == 0)
		len--;
	if (r == 0)
		r = lv_tpm_set_auth(u->tpm, u->sealed.handle, auth, len, err);
	else
		lv_err_set(err, r, "systemd-tpm2 token: cannot derive the PIN's auth value");
	lv_wipe(derived, sizeof(derived));
	lv_wipe(auth, sizeof(auth));
	lv_secret_free(&salted);
	return r;
}

/* The policy steps in systemd's order; the digest they reach must be the
 * token's tpm2-policy-hash (and the object's authPolicy). */
static int run_policy(struct unseal *u, struct lv_err *err)
{
	const struct lv_systemd_tpm2_token *t = u->token;
	const struct lv_tpm_signed_policy signed_policy = {
		.pcr_mask = t->pubkey_pcr_mask,
		.key = &u->key,
		.signing_key = &u->signing_key,
		.key_what = "systemd-tpm2 token: tpm2_pubkey",
		.sig_json = (const char *)u->sig_json,
		.sig_json_len = u->sig_json_len,
		.sig_what = u->sig_path,
	};
	TPML_PCR_SELECTION selection;
	int r = lv_tpm_policy_session(u->tpm, u->parent.handle, &u->session, err);

	if (r == 0 && t->pubkey_pcr_mask)
		r = lv_tpm_policy_signed(u->tpm, u->session, &signed_policy, err);
	if (r == 0 && t->pcr_mask) {
		lv_tpm_pcr_selection_bank(t->bank, t->pcr_mask, &selection);
		r = lv_tpm_policy_pcr(u->tpm, u->session, &selection, err);
	}
	if (r == 0 && t->pin)
		r = lv_tpm_policy_auth_value(u->tpm, u->session, err);
	return r;
}

static int check_digest(struct unseal *u, struct lv_err *err)
{
	const struct lv_systemd_tpm2_token *t = u->token;
	const TPM2B_DIGEST *sealed = &t->public_blob.publicArea.authPolicy;
	char pcrs[80];
	TPM2B_DIGEST digest;
	int r = lv_tpm_policy_get_digest(u->tpm, u->session, &digest, err);

	if (r < 0)
		return r;
	if (sealed->size != sizeof(t->policy_hash) ||
	    memcmp(sealed->buffer, t->policy_hash, sizeof(t->policy_hash)) != 0)
		return lv_err_set(err, -EINVAL, "systemd-tpm2 token: tpm2-policy-hash is not the "
				  "sealed object's policy");
	if (digest.size == sealed->size && memcmp(digest.buffer, sealed->buffer, digest.size) == 0)
		return 0;
	lv_tpm_pcr_list(t->pcr_mask, pcrs, sizeof(pcrs));
	return lv_tpm_err(u->tpm, err, -EPERM, "systemd-tpm2: the policy digest does not match "
			  "tpm2-policy-hash: PCRs %s (%s) changed since enrolment", pcrs,
			  lv_tpm_bank_name(t->bank));
}

static int unseal_run(struct unseal *u, struct lv_secret **passphrase, struct lv_err *err)
{
	const struct lv_systemd_tpm2_token *t = u->token;
	struct lv_secret *key = NULL;
	int r = load_parent(u, err);

	if (r == 0)
		r = lv_tpm_load(u->tpm, &u->parent, &t->private_blob, &t->public_blob, &u->sealed,
				err);
	if (r == 0)
		r = run_policy(u, err);
	if (r == 0)
		r = check_digest(u, err);
	/* The policy's digest is known before the PIN is: a PIN is asked for
	 * only once the PCRs (and a signed policy) are met.  The caller asks
	 * with the TPM closed, so a prompt interrupted leaves nothing loaded
	 * in a TPM without a resource manager. */
	if (r == 0 && t->pin && !u->params->pin)
		return lv_err_set(err, -ENOANO, "systemd-tpm2 token: a PIN is needed");
	if (r == 0 && t->pin)
		r = set_pin(u, err);
	if (r == 0) {
		r = lv_tpm_unseal(u->tpm, &u->sealed, u->session, u->parent.handle, &key, err);
		/* The digest matched: only the PIN can be wrong. */
		if (r == -EPERM && t->pin)
			lv_err_prefix(err, "systemd-tpm2: wrong PIN, or the TPM is in dictionary-"
				      "attack lockout");
	}
	if (r == 0)
		r = lv_tpm_sealed_passphrase(key, passphrase, err);
	lv_secret_free(&key);
	return r;
}

int lv_systemd_tpm2_unseal(const struct lv_systemd_tpm2_params *params,
			   const struct lv_systemd_tpm2_token *token, struct lv_secret **passphrase,
			   struct lv_err *err)
{
	struct unseal u = {
		.params = params,
		.token = token,
		.parent = LV_TPM_OBJECT_INIT,
		.sealed = LV_TPM_OBJECT_INIT,
		.session = ESYS_TR_NONE,
	};
	int r = 0;

	*passphrase = NULL;
	r = load_signed(&u, err);
	if (r == 0)
		r = lv_tpm_open(params->tcti, &u.tpm, err);
	if (r == 0)
		r = unseal_run(&u, passphrase, err);
	/* Closing flushes the session, the sealed object and the primary
	 * (never the SRK: it is persistent). */
	lv_tpm_close(&u.tpm);
	free(u.sig_json);
	return r;
}
