/* SPDX-License-Identifier: ISC */
/*
 * token.c: the sideroKMS LUKS2 token (talos-encryption.md §3), as
 * go-blockdevice's Token[KMSToken] marshals it with Go's encoding/json:
 *   {"UserData":{"sealedData":"<standard base64>"},"type":"sideroKMS","keyslots":[]}
 * (embedded struct fields first, then keyslots; base64 needs no escaping).
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "kms/kms.h"
#include "luks2/metadata.h"

static const char token_head[] = "{\"UserData\":{\"sealedData\":\"";
static const char token_tail[] = "\"},\"type\":\"" LV_KMS_TOKEN_TYPE "\",\"keyslots\":[]}";

char *lv_kms_token_encode(const uint8_t *sealed, size_t sealed_len)
{
	size_t b64_len = lv_base64_encoded_len(sealed_len);
	size_t head_len = sizeof(token_head) - 1;
	char *json;

	if (sealed_len == 0 || sealed_len > LV_KMS_SEALED_MAX)
		return NULL;
	json = malloc(head_len + b64_len + sizeof(token_tail));
	if (!json)
		return NULL;
	memcpy(json, token_head, head_len);
	lv_base64_encode(sealed, sealed_len, json + head_len);
	memcpy(json + head_len + b64_len, token_tail, sizeof(token_tail));
	return json;
}

/* The whole text as one JSON value, nothing after it. */
static struct json_object *parse_whole(const char *json)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;
	size_t len = strlen(json);

	if (!tok)
		return NULL;
	obj = len <= INT32_MAX ? json_tokener_parse_ex(tok, json, (int)len) : NULL;
	if (obj && (json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) != len)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* UserData: exactly one field, sealedData, a non-empty base64 string. */
static int sealed_data(struct json_object *user_data, uint8_t **sealed, size_t *sealed_len,
		       struct lv_err *err)
{
	struct json_object *field;
	uint8_t *bytes;
	size_t len;

	if (!json_object_is_type(user_data, json_type_object))
		return lv_err_set(err, -EINVAL, "sideroKMS token: UserData is not an object");
	json_object_object_foreach(user_data, key, value) {
		char shown[64];

		(void)value;
		if (strcmp(key, "sealedData") != 0) {
			lv_kms_printable(shown, sizeof(shown), key, strlen(key));
			return lv_err_set(err, -EINVAL, "sideroKMS token: unknown field UserData.%s",
					  shown);
		}
	}
	if (!json_object_object_get_ex(user_data, "sealedData", &field) ||
	    !json_object_is_type(field, json_type_string))
		return lv_err_set(err, -EINVAL, "sideroKMS token: UserData.sealedData is not a string");
	bytes = malloc(LV_KMS_SEALED_MAX);
	if (!bytes)
		return lv_err_set(err, -ENOMEM, "out of memory");
	if (lv_base64_decode(json_object_get_string(field), bytes, LV_KMS_SEALED_MAX, &len) < 0 ||
	    len == 0) {
		free(bytes);
		return lv_err_set(err, -EINVAL,
				  "sideroKMS token: sealedData is not base64 of 1 to %d bytes",
				  LV_KMS_SEALED_MAX);
	}
	*sealed = bytes;
	*sealed_len = len;
	return 0;
}

static int foreign_type(const char *type, struct lv_err *err)
{
	char shown[64];

	lv_kms_printable(shown, sizeof(shown), type, strlen(type));
	return lv_err_set(err, LV_KMS_TOKEN_INVALID, "token of type \"%s\", not " LV_KMS_TOKEN_TYPE,
			  shown);
}

int lv_kms_token_decode(const char *json, uint8_t **sealed, size_t *sealed_len,
			struct lv_err *err)
{
	struct json_object *root, *type, *user_data;
	int r;

	*sealed = NULL;
	*sealed_len = 0;
	if (!json)
		return lv_err_set(err, LV_KMS_TOKEN_INVALID, "no token");
	root = parse_whole(json);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return lv_err_set(err, -EINVAL, "token: not a JSON object");
	}
	if (!json_object_object_get_ex(root, "type", &type) ||
	    !json_object_is_type(type, json_type_string))
		r = lv_err_set(err, -EINVAL, "token: no type");
	else if (strcmp(json_object_get_string(type), LV_KMS_TOKEN_TYPE) != 0)
		r = foreign_type(json_object_get_string(type), err);
	else if (!json_object_object_get_ex(root, "UserData", &user_data))
		r = lv_err_set(err, -EINVAL, "sideroKMS token: no UserData");
	else
		r = sealed_data(user_data, sealed, sealed_len, err);
	json_object_put(root);
	return r;
}
