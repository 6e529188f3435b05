/* SPDX-License-Identifier: ISC */
/*
 * token_fields.c: the field checks token types' validate share (token.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/token.h"

int lv_token_need_string(const struct lv_json *obj, const char *key, const char *path,
			 bool optional, const char **text, struct lv_err *err)
{
	const struct lv_json *value = lv_json_member(obj, key);

	*text = lv_json_text(value);
	if (*text || (optional && lv_json_type_of(value) == LV_JSON_ABSENT))
		return 0;
	return lv_err_set(err, -EINVAL, "%s: %s", path,
			  value ? "not a string" : "missing");
}

int lv_token_need_base64(const struct lv_json *obj, const char *key, const char *path,
			 size_t min, size_t max, size_t *len, struct lv_err *err)
{
	const char *text;
	uint8_t *bytes;
	size_t decoded = 0;
	int r = lv_token_need_string(obj, key, path, false, &text, err);

	if (r < 0)
		return r;
	bytes = malloc(strlen(text) / 4 * 3 + 1);
	if (!bytes)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = lv_base64_decode(text, bytes, strlen(text) / 4 * 3, &decoded);
	free(bytes);
	if (r < 0 || decoded < min || decoded > max)
		return lv_err_set(err, -EINVAL, "%s: not padded base64 of %zu to %zu bytes", path,
				  min, max);
	if (len)
		*len = decoded;
	return 0;
}

int lv_token_need_int_list(const struct lv_json *obj, const char *key, const char *path,
			   size_t max, int64_t limit, bool unique, struct lv_err *err)
{
	const struct lv_json *list = lv_json_member(obj, key);
	uint64_t seen = 0;

	if (lv_json_type_of(list) == LV_JSON_ABSENT || lv_json_type_of(list) == LV_JSON_NULL)
		return 0;
	if (lv_json_type_of(list) != LV_JSON_ARRAY)
		return lv_err_set(err, -EINVAL, "%s: not an array", path);
	if (lv_json_count(list) > max)
		return lv_err_set(err, -EINVAL, "%s: %zu entries, at most %zu", path,
				  lv_json_count(list), max);
	for (size_t i = 0; i < lv_json_count(list); i++) {
		const struct lv_json *item = lv_json_at(list, i);
		int64_t v = lv_json_int(item);

		if (lv_json_type_of(item) != LV_JSON_INT)
			return lv_err_set(err, -EINVAL, "%s[%zu]: not an integer", path, i);
		if (v < 0 || v >= limit || v >= 64)
			return lv_err_set(err, -EINVAL, "%s[%zu]: %lld is out of range 0-%lld",
					  path, i, (long long)v, (long long)limit - 1);
		if (unique && seen & (uint64_t)1 << v)
			return lv_err_set(err, -EINVAL, "%s: %lld is listed twice", path,
					  (long long)v);
		seen |= (uint64_t)1 << v;
	}
	return 0;
}
