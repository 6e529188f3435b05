/* SPDX-License-Identifier: ISC */
/* token_json.c: the type and the keyslot of a token other tools wrote (token_json.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/constants.h"
#include "base/token_json.h"

int lv_token_json_type(struct json_object *root, const char *type, struct lv_err *err)
{
	struct json_object *value;
	const char *found = "";

	if (!root || !json_object_is_type(root, json_type_object))
		return lv_err_set(err, -EINVAL, "%s token: not a JSON object", type);
	if (json_object_object_get_ex(root, "type", &value) &&
	    json_object_is_type(value, json_type_string))
		found = json_object_get_string(value);
	if (strcmp(found, type) != 0)
		return lv_err_set(err, -EINVAL, "token type \"%.64s\" is not %s", found, type);
	return 0;
}

int lv_token_json_keyslot(struct json_object *root, const char *type, int *keyslot,
			  struct lv_err *err)
{
	struct json_object *keyslots, *item;
	const char *text;
	char *end;
	long slot;

	if (!json_object_object_get_ex(root, "keyslots", &keyslots) ||
	    !json_object_is_type(keyslots, json_type_array) || json_object_array_length(keyslots) != 1)
		return lv_err_set(err, -EINVAL, "%s token: \"keyslots\" must list exactly one keyslot",
				  type);
	item = json_object_array_get_idx(keyslots, 0);
	text = json_object_get_string(item);
	if (!json_object_is_type(item, json_type_string) || text[0] < '0' || text[0] > '9')
		return lv_err_set(err, -EINVAL, "%s token: the keyslot is not a decimal string", type);
	errno = 0;
	slot = strtol(text, &end, 10);
	if (errno || *end || slot >= LV_KEYSLOT_COUNT)
		return lv_err_set(err, -EINVAL, "%s token: keyslot \"%.16s\" is out of range 0..%d",
				  type, text, LV_KEYSLOT_COUNT - 1);
	*keyslot = (int)slot;
	return 0;
}
