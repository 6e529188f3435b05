/* SPDX-License-Identifier: ISC */
/*
 * compact.h: the JWE compact serialization (RFC 7516 §7.1),
 *   protected.encrypted_key.iv.ciphertext.tag
 * each field base64url; with clevis's pins only the encrypted key may be
 * empty.  Shared by the JOSE side (jwe.c) and the LUKS2 token (clevis_token.c),
 * which holds the same five fields as a flattened JWE object.
 */
#ifndef LV_CLEVIS_COMPACT_H
#define LV_CLEVIS_COMPACT_H

#include <stddef.h>

#include "luksvol.h"

enum { JWE_PROTECTED, JWE_ENCRYPTED_KEY, JWE_IV, JWE_CIPHERTEXT, JWE_TAG, JWE_FIELDS };

/* The member names of the flattened form, in field order. */
extern const char *const jwe_field_names[JWE_FIELDS];

struct jwe_span {
	const char *text;
	size_t len;
};

/* Splits text (len bytes, not necessarily NUL-terminated) into its fields. */
int jwe_compact_split(const char *text, size_t len, struct jwe_span fields[JWE_FIELDS],
		      struct lv_err *err);

/* Joins the fields (NUL-terminated strings, each checked as in split) into
 * *compact (free() it). */
int jwe_compact_join(const char *const fields[JWE_FIELDS], char **compact, struct lv_err *err);

#endif
