/* SPDX-License-Identifier: ISC */
/*
 * token_sidero_kms.c: Talos's "sideroKMS" token (talos-encryption.md §3):
 *   {"type":"sideroKMS","keyslots":[],"UserData":{"sealedData":"<base64>"}}
 * checked as strictly as src/kms's decoder reads it.  cryptsetup has no
 * handler for it: luksDump prints only its type and keyslots.
 */
#include <errno.h>

#include "luks2/token.h"

/* src/kms's LV_KMS_SEALED_MAX: the format cannot include src/kms. */
#define SIDERO_KMS_SEALED_MAX 4096

static int sidero_kms_validate(const struct lv_token *token, struct lv_err *err)
{
	const struct lv_json *user_data = lv_json_member(token->json, "UserData");

	if (lv_json_type_of(user_data) != LV_JSON_OBJECT)
		return lv_err_set(err, -EINVAL, "sideroKMS token: UserData: %s",
				  user_data ? "not an object" : "missing");
	if (lv_json_count(user_data) != 1 || !lv_json_member(user_data, "sealedData"))
		return lv_err_set(err, -EINVAL,
				  "sideroKMS token: UserData: sealedData must be its only field");
	return lv_token_need_base64(user_data, "sealedData", "sideroKMS token: UserData.sealedData",
				    1, SIDERO_KMS_SEALED_MAX, NULL, err);
}

const struct lv_token_ops lv_token_sidero_kms_ops = {
	.type = "sideroKMS",
	.validate = sidero_kms_validate,
};
