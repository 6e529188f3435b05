/* SPDX-License-Identifier: ISC */
/*
 * token_json.h: what the parsers of LUKS2 tokens written by other tools
 * (clevis, systemd-cryptenroll) share, over json-c: the "type" check and
 * the one keyslot those tools always name, as a decimal string.
 */
#ifndef LV_BASE_TOKEN_JSON_H
#define LV_BASE_TOKEN_JSON_H

#include <json-c/json.h>

#include "luksvol.h"

/* root must be an object whose "type" is type: -EINVAL otherwise. */
int lv_token_json_type(struct json_object *root, const char *type, struct lv_err *err);
/* "keyslots" must list exactly one keyslot, a decimal string 0..31. */
int lv_token_json_keyslot(struct json_object *root, const char *type, int *keyslot,
			  struct lv_err *err);

#endif
