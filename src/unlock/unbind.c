/* SPDX-License-Identifier: ISC */
/*
 * unbind.c: a keyslot and the tokens that name it alone, destroyed
 * together, as `clevis luks unbind` (luksKillSlot, then token remove) and
 * `systemd-cryptenroll --wipe-slot` do.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base/constants.h"
#include "luksvol.h"

/* Whether a token's "keyslots" is exactly ["slot"]. */
static int names_only(const char *json, int slot)
{
	struct json_object *root = json_tokener_parse(json), *keyslots, *item;
	char *end;
	int only = 0;

	if (root && json_object_object_get_ex(root, "keyslots", &keyslots) &&
	    json_object_is_type(keyslots, json_type_array) &&
	    json_object_array_length(keyslots) == 1) {
		item = json_object_array_get_idx(keyslots, 0);
		only = json_object_is_type(item, json_type_string) &&
		       strtol(json_object_get_string(item), &end, 10) == slot && !*end &&
		       *json_object_get_string(item);
	}
	json_object_put(root);
	return only;
}

int lv_keyslot_unbind(struct lv_device *dev, int slot, unsigned *removed_tokens,
		      struct lv_err *err)
{
	uint32_t bound = 0;
	int r;

	*removed_tokens = 0;
	if (slot < 0 || slot >= LV_KEYSLOT_COUNT || lv_keyslot_exists(dev, slot) != 1)
		return lv_err_set(err, -ENOENT, "%s: keyslot %d is not active", lv_device_path(dev),
				  slot);
	for (int id = 0; id < LV_KEYSLOT_COUNT; id++) {
		struct lv_err ignored;
		char *json = NULL;

		if (lv_token_export(dev, id, &json, &ignored) == 0 && names_only(json, slot))
			bound |= 1u << id;
		free(json);
	}
	if (!bound)
		return lv_err_set(err, -ENOENT, "%s: no token is bound to keyslot %d alone (kill-slot "
				  "removes a keyslot without a token)", lv_device_path(dev), slot);
	/* The keyslot first: a token left behind opens nothing. */
	r = lv_keyslot_kill(dev, slot, err);
	for (int id = 0; r == 0 && id < LV_KEYSLOT_COUNT; id++) {
		if (!(bound & 1u << id))
			continue;
		r = lv_token_remove(dev, id, err);
		if (r == 0)
			*removed_tokens |= 1u << id;
	}
	return r;
}
