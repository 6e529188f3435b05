/* SPDX-License-Identifier: ISC */
/*
 * gojson.h: JSON as Go's encoding/json reads and writes it, for the values
 * Talos keeps in META (state_meta.c).  The parser builds a tree of the
 * whole text (RFC 8259 grammar, as Go's scanner checks it before decoding)
 * with strings decoded as Go's unquote does: invalid UTF-8 and lone UTF-16
 * surrogates become U+FFFD.  String bytes live in locked memory (a static
 * passphrase is one of them).  The writer escapes as json.Marshal does.
 */
#ifndef LV_GOJSON_H
#define LV_GOJSON_H

#include <stdint.h>

#include "luksvol.h"

#define GJ_DEPTH_MAX 64

enum gj_type { GJ_NULL, GJ_BOOL, GJ_NUMBER, GJ_STRING, GJ_ARRAY, GJ_OBJECT };

struct gj_value {
	enum gj_type type;
	int boolean;
	const char *text;		/* NUMBER: the literal; STRING: decoded bytes */
	size_t len;
	struct gj_value *items;		/* ARRAY: elements; OBJECT: values */
	struct gj_value *keys;		/* OBJECT: STRING keys, one per value */
	size_t count;
};

struct gj_doc {
	struct gj_value root;
	struct lv_secret *strings;	/* every decoded string's bytes */
};

/* Parses len bytes; on a syntax error returns -EINVAL with Go's kind of
 * message ("invalid character 'x' looking for beginning of value") and the
 * byte offset in msg. */
int gj_parse(const uint8_t *buf, size_t len, struct gj_doc *doc, char *msg, size_t msg_size);
void gj_free(struct gj_doc *doc);

/* Go's object key match: exact, else equal under Go's fold (ASCII case,
 * and the few runes that fold onto ASCII letters). */
int gj_key_matches(const struct gj_value *key, const char *field);

/* Output in locked memory that grows (a value may hold a passphrase). */
struct gj_out {
	struct lv_secret *buf;
	size_t len;
	int oom;
};
void gj_put(struct gj_out *out, const void *bytes, size_t len);
void gj_puts(struct gj_out *out, const char *text);
/* A JSON string of len bytes as json.Marshal writes it: <, >, & and
 * U+2028/U+2029 as \u escapes, invalid UTF-8 as \ufffd. */
void gj_write_string(struct gj_out *out, const char *s, size_t len);

#endif
