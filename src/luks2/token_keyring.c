/* SPDX-License-Identifier: ISC */
/*
 * token_keyring.c: cryptsetup's built-in "luks2-keyring" token: the volume
 * key is in the kernel keyring under key_description
 * (luks2_token_keyring.c: keyring_validate, keyring_dump).
 */
#include <errno.h>

#include "luks2/token.h"

/* Exactly type, keyslots and a string key_description. */
static int keyring_validate(const struct lv_token *token, struct lv_err *err)
{
	if (lv_json_count(token->json) != 3 ||
	    lv_json_type_of(lv_json_member(token->json, "key_description")) != LV_JSON_STRING)
		return lv_err_set(err, -EINVAL,
				  "luks2-keyring token needs exactly type, keyslots and key_description");
	return 0;
}

static void keyring_dump(const struct lv_token *token, FILE *out)
{
	const struct lv_json *desc = lv_json_member(token->json, "key_description");

	if (lv_json_type_of(desc) == LV_JSON_ABSENT)
		return;
	fputs("\tKey description: ", out);
	lv_json_fprint(out, desc);
	fputc('\n', out);
}

const struct lv_token_ops lv_token_keyring_ops = {
	.type = "luks2-keyring",
	.validate = keyring_validate,
	.dump = keyring_dump,
};
