/* SPDX-License-Identifier: ISC */
/*
 * token_clevis.c: clevis's "clevis" token (tokens-clevis-systemd.md §1.1):
 *   {"type":"clevis","keyslots":["N"],"jwe":{"ciphertext":...,
 *    "encrypted_key":"","iv":...,"protected":...,"tag":...}}
 * the flattened JWE clevis luks bind writes (jose jwe fmt); clevis luks
 * unlock turns it back into compact form, so every compact part must be
 * a string and members compact form cannot carry are refused.  cryptsetup
 * has no handler for it: luksDump prints only its type and keyslots.
 */
#include <errno.h>

#include "luks2/token.h"

static int clevis_validate(const struct lv_token *token, struct lv_err *err)
{
	static const char *const parts[] = { "protected", "encrypted_key", "iv", "ciphertext",
					     "tag" };
	static const char *const unrepresentable[] = { "header", "unprotected", "aad",
						       "recipients" };
	const struct lv_json *jwe = lv_json_member(token->json, "jwe");

	if (lv_json_type_of(jwe) != LV_JSON_OBJECT)
		return lv_err_set(err, -EINVAL, "clevis token: jwe: %s",
				  jwe ? "not an object" : "missing");
	for (size_t i = 0; i < sizeof(unrepresentable) / sizeof(unrepresentable[0]); i++)
		if (lv_json_member(jwe, unrepresentable[i]))
			return lv_err_set(err, -EINVAL, "clevis token: jwe.%s is not supported",
					  unrepresentable[i]);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!lv_json_text(lv_json_member(jwe, parts[i])))
			return lv_err_set(err, -EINVAL, "clevis token: jwe.%s: %s", parts[i],
					  lv_json_member(jwe, parts[i]) ? "not a string"
									: "missing");
	if (!lv_json_text(lv_json_member(jwe, "protected"))[0])
		return lv_err_set(err, -EINVAL, "clevis token: jwe.protected: empty");
	return 0;
}

const struct lv_token_ops lv_token_clevis_ops = {
	.type = "clevis",
	.validate = clevis_validate,
};
