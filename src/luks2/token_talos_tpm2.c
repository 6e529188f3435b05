/* SPDX-License-Identifier: ISC */
/*
 * token_talos_tpm2.c: Talos's "talos-tpm2" token (talos-encryption.md
 * §4): UserData holds the sealed blobs, PCR lists and policy hash, checked
 * as src/tpm's parser reads them short of unmarshalling the TPM blobs
 * (that needs tpm2-tss, which the format does not link).  cryptsetup has
 * no handler for it: luksDump prints only its type and keyslots.
 */
#include <errno.h>
#include <string.h>

#include "luks2/token.h"

#define P "talos-tpm2 token: UserData."
#define TALOS_KEYSLOTS_MAX 32
#define TALOS_PCR_MAX 24
#define TALOS_BLOB_MAX 4096

static int talos_int_lists(const struct lv_json *user, struct lv_err *err)
{
	int r = lv_token_need_int_list(user, "keyslots", P "keyslots", TALOS_KEYSLOTS_MAX,
				       TALOS_KEYSLOTS_MAX, true, err);

	if (r == 0)
		r = lv_token_need_int_list(user, "pcrs", P "pcrs", TALOS_PCR_MAX, TALOS_PCR_MAX,
					   true, err);
	if (r == 0)
		r = lv_token_need_int_list(user, "pubkey_pcrs", P "pubkey_pcrs", TALOS_PCR_MAX,
					   TALOS_PCR_MAX, true, err);
	return r;
}

static int talos_blobs(const struct lv_json *user, struct lv_err *err)
{
	int r = lv_token_need_base64(user, "sealed_blob_private", P "sealed_blob_private", 1,
				     TALOS_BLOB_MAX, NULL, err);

	if (r == 0)
		r = lv_token_need_base64(user, "sealed_blob_public", P "sealed_blob_public", 1,
					 TALOS_BLOB_MAX, NULL, err);
	if (r == 0)
		r = lv_token_need_base64(user, "policy_hash", P "policy_hash", 32, 32, NULL, err);
	if (r == 0)
		r = lv_token_need_base64(user, "key_name", P "key_name", 1, TALOS_BLOB_MAX, NULL,
					 err);
	return r;
}

/* Optional strings with one known value each ("" too for the version). */
static int talos_strings(const struct lv_json *user, struct lv_err *err)
{
	const char *alg, *version, *policy;
	int r = lv_token_need_string(user, "alg", P "alg", true, &alg, err);

	if (r == 0 && alg && strcmp(alg, "sha256") != 0)
		r = lv_err_set(err, -EINVAL, P "alg: only sha256 is known");
	if (r == 0)
		r = lv_token_need_string(user, "encryption_version", P "encryption_version", true,
					 &version, err);
	if (r == 0 && version && version[0] && strcmp(version, "1") != 0)
		r = lv_err_set(err, -EINVAL, P "encryption_version: Talos writes \"1\"");
	if (r == 0)
		r = lv_token_need_string(user, "luksvol_policy", P "luksvol_policy", true, &policy,
					 err);
	if (r == 0 && policy && strcmp(policy, "pcr-only") != 0)
		r = lv_err_set(err, -EINVAL, P "luksvol_policy: only pcr-only is known");
	return r;
}

static int talos_tpm2_validate(const struct lv_token *token, struct lv_err *err)
{
	const struct lv_json *user = lv_json_member(token->json, "UserData");
	int r;

	if (lv_json_type_of(user) != LV_JSON_OBJECT)
		return lv_err_set(err, -EINVAL, "talos-tpm2 token: UserData: %s",
				  user ? "not an object" : "missing");
	r = talos_int_lists(user, err);
	if (r == 0)
		r = talos_blobs(user, err);
	if (r == 0)
		r = talos_strings(user, err);
	return r;
}

const struct lv_token_ops lv_token_talos_tpm2_ops = {
	.type = "talos-tpm2",
	.validate = talos_tpm2_validate,
};
