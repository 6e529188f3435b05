/* SPDX-License-Identifier: ISC */
/* compact.c: the JWE compact serialization (compact.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clevis/clevis.h"
#include "clevis/compact.h"

const char *const jwe_field_names[JWE_FIELDS] = {
	"protected", "encrypted_key", "iv", "ciphertext", "tag",
};

static int is_b64u(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int check_field(unsigned i, const char *text, size_t len, struct lv_err *err)
{
	if (!is_b64u(text, len))
		return lv_err_set(err, -EINVAL, "clevis JWE: %s is not base64url", jwe_field_names[i]);
	if (len == 0 && i != JWE_ENCRYPTED_KEY)
		return lv_err_set(err, -EINVAL, "clevis JWE: %s is empty", jwe_field_names[i]);
	return 0;
}

int jwe_compact_split(const char *text, size_t len, struct jwe_span fields[JWE_FIELDS],
		      struct lv_err *err)
{
	size_t start = 0;

	if (len > LV_CLEVIS_JWE_MAX)
		return lv_err_set(err, -EINVAL, "clevis JWE: %zu bytes, more than %u", len,
				  LV_CLEVIS_JWE_MAX);
	for (unsigned i = 0; i < JWE_FIELDS; i++) {
		const char *dot = memchr(text + start, '.', len - start);
		size_t end = dot ? (size_t)(dot - text) : len;
		int r;

		if ((i < JWE_TAG) != (dot != NULL))
			return lv_err_set(err, -EINVAL, "clevis JWE: not %d fields separated by '.'",
					  JWE_FIELDS);
		r = check_field(i, text + start, end - start, err);
		if (r < 0)
			return r;
		fields[i].text = text + start;
		fields[i].len = end - start;
		start = end + 1;
	}
	return 0;
}

int jwe_compact_join(const char *const fields[JWE_FIELDS], char **compact, struct lv_err *err)
{
	size_t len = JWE_FIELDS, lens[JWE_FIELDS];
	char *p;

	*compact = NULL;
	for (unsigned i = 0; i < JWE_FIELDS; i++) {
		int r;

		if (!fields[i])
			return lv_err_set(err, -EINVAL, "clevis JWE: no %s", jwe_field_names[i]);
		lens[i] = strlen(fields[i]);
		r = check_field(i, fields[i], lens[i], err);
		if (r < 0)
			return r;
		if (lens[i] > LV_CLEVIS_JWE_MAX)
			return lv_err_set(err, -EINVAL, "clevis JWE: %s is too long", jwe_field_names[i]);
		len += lens[i];
	}
	*compact = p = malloc(len);
	if (!p)
		return lv_err_set(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < JWE_FIELDS; i++) {
		memcpy(p, fields[i], lens[i]);
		p += lens[i];
		*p++ = i < JWE_TAG ? '.' : '\0';
	}
	return 0;
}
