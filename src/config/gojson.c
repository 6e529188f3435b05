/* SPDX-License-Identifier: ISC */
/*
 * gojson.c: the JSON parser and string writer of gojson.h.
 *
 *   value  = ws ( object | array | string | number | true | false | null ) ws
 *   number = -? ( 0 | [1-9][0-9]* ) ( . [0-9]+ )? ( [eE] [+-]? [0-9]+ )?
 *   string = " ( any byte >= 0x20 but " and \ | \ ["\/bfnrt] | \u XXXX )* "
 *   ws     = [ \t\n\r]*
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "config/gojson.h"

#define REPLACEMENT 0xfffd

struct parser {
	const uint8_t *buf;
	size_t len, pos;
	uint8_t *strings;		/* the arena */
	size_t strings_used;
	char *msg;
	size_t msg_size;
	int failed;
};

static int fail(struct parser *p, const char *what)
{
	if (!p->failed) {
		if (p->pos >= p->len)
			snprintf(p->msg, p->msg_size, "unexpected end of JSON input");
		else if (p->buf[p->pos] >= 0x20 && p->buf[p->pos] < 0x7f)
			snprintf(p->msg, p->msg_size, "invalid character '%c' %s (offset %zu)",
				 p->buf[p->pos], what, p->pos);
		else
			snprintf(p->msg, p->msg_size, "invalid byte 0x%02x %s (offset %zu)",
				 p->buf[p->pos], what, p->pos);
	}
	p->failed = 1;
	return -EINVAL;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->buf[p->pos] == ' ' || p->buf[p->pos] == '\t' ||
				   p->buf[p->pos] == '\n' || p->buf[p->pos] == '\r'))
		p->pos++;
}

static int peek(const struct parser *p)
{
	return p->pos < p->len ? p->buf[p->pos] : -1;
}

/* ---- UTF-8 as Go's utf8.DecodeRune and utf8.EncodeRune see it ---- */

/* The rune at s (n bytes left) and its length; an invalid sequence is
 * U+FFFD of length 1, as Go decodes it. */
static uint32_t decode_rune(const uint8_t *s, size_t n, size_t *size)
{
	static const uint8_t lead_bits[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	size_t len = lv_utf8_sequence(s, n);
	uint32_t r;

	*size = len ? len : 1;
	if (len == 0)
		return REPLACEMENT;
	r = s[0] & lead_bits[len];
	for (size_t i = 1; i < len; i++)
		r = r << 6 | (s[i] & 0x3f);
	return r;
}

static size_t encode_rune(uint32_t r, uint8_t *out)
{
	if (r < 0x80) {
		out[0] = (uint8_t)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (uint8_t)(0xc0 | r >> 6);
		out[1] = (uint8_t)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (uint8_t)(0xe0 | r >> 12);
		out[1] = (uint8_t)(0x80 | (r >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (r & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | r >> 18);
	out[1] = (uint8_t)(0x80 | (r >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (r >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (r & 0x3f));
	return 4;
}

/* ---- parser ---- */

static int hex4(struct parser *p, size_t at, uint32_t *out)
{
	uint32_t v = 0;

	if (at + 4 > p->len)
		return 0;
	for (size_t i = 0; i < 4; i++) {
		uint8_t c = p->buf[at + i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return 0;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 1;
}

/* \uXXXX at p->pos (past the backslash and u); a surrogate pair takes the
 * next \uXXXX too; a lone surrogate is U+FFFD (Go's unquote). */
static int unicode_escape(struct parser *p, uint32_t *rune)
{
	uint32_t r, r2;

	if (!hex4(p, p->pos, &r))
		return fail(p, "in \\u hexadecimal character escape");
	p->pos += 4;
	if (r < 0xd800 || r > 0xdfff) {
		*rune = r;
		return 0;
	}
	*rune = REPLACEMENT;
	if (r <= 0xdbff && p->pos + 6 <= p->len && p->buf[p->pos] == '\\' &&
	    p->buf[p->pos + 1] == 'u' && hex4(p, p->pos + 2, &r2) && r2 >= 0xdc00 && r2 <= 0xdfff) {
		*rune = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
		p->pos += 6;
	}
	return 0;
}

static int escape(struct parser *p, uint8_t *out, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	uint32_t rune = REPLACEMENT;

	if (p->pos >= p->len)
		return fail(p, "in string escape code");
	hit = p->buf[p->pos] ? strchr(from, p->buf[p->pos]) : NULL;
	if (hit) {
		out[0] = (uint8_t)to[hit - from];
		*n = 1;
		p->pos++;
		return 0;
	}
	if (p->buf[p->pos] != 'u')
		return fail(p, "in string escape code");
	p->pos++;
	if (unicode_escape(p, &rune) < 0)
		return -EINVAL;
	*n = encode_rune(rune, out);
	return 0;
}

/* A string at p->pos (its opening quote); its decoded bytes go to the
 * arena, which is 3 bytes per input byte: no string outgrows it. */
static int parse_string(struct parser *p, struct gj_value *v)
{
	uint8_t *out = p->strings + p->strings_used;
	size_t used = 0, n = 0;

	p->pos++;
	for (;;) {
		uint8_t c;

		if (p->pos >= p->len)
			return fail(p, "in string literal");
		c = p->buf[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, "in string literal");
		if (c == '\\') {
			p->pos++;
			if (escape(p, out + used, &n) < 0)
				return -EINVAL;
			used += n;
		} else if (c < 0x80) {
			out[used++] = c;
			p->pos++;
		} else {
			uint32_t r = decode_rune(p->buf + p->pos, p->len - p->pos, &n);

			p->pos += n;
			used += encode_rune(r, out + used);
		}
	}
	p->pos++;
	v->type = GJ_STRING;
	v->text = (const char *)out;
	v->len = used;
	p->strings_used += used;
	return 0;
}

static int digits(struct parser *p)
{
	size_t from = p->pos;

	while (p->pos < p->len && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9')
		p->pos++;
	return p->pos > from;
}

static int parse_number(struct parser *p, struct gj_value *v)
{
	size_t from = p->pos;

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0')
		p->pos++;
	else if (!(peek(p) >= '1' && peek(p) <= '9') || !digits(p))
		return fail(p, "in numeric literal");
	if (peek(p) == '.') {
		p->pos++;
		if (!digits(p))
			return fail(p, "after decimal point in numeric literal");
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!digits(p))
			return fail(p, "in exponent of numeric literal");
	}
	v->type = GJ_NUMBER;
	v->text = (const char *)p->buf + from;
	v->len = p->pos - from;
	return 0;
}

static int parse_literal(struct parser *p, const char *word, struct gj_value *v)
{
	size_t n = strlen(word);

	for (size_t i = 0; i < n; i++, p->pos++)
		if (p->pos >= p->len || p->buf[p->pos] != (uint8_t)word[i])
			return fail(p, "in literal (expecting a JSON literal)");
	v->type = word[0] == 'n' ? GJ_NULL : GJ_BOOL;
	v->boolean = word[0] == 't';
	return 0;
}

static int parse_value(struct parser *p, struct gj_value *v, unsigned depth);

/* Appends a zeroed element to items (and keys, for objects). */
static struct gj_value *grow(struct gj_value *v, size_t *capacity, int object)
{
	if (v->count == *capacity) {
		size_t cap = *capacity ? *capacity * 2 : 4;
		struct gj_value *items = realloc(v->items, cap * sizeof(*items));

		if (!items)
			return NULL;
		v->items = items;
		if (object) {
			struct gj_value *keys = realloc(v->keys, cap * sizeof(*keys));

			if (!keys)
				return NULL;
			v->keys = keys;
		}
		*capacity = cap;
	}
	memset(&v->items[v->count], 0, sizeof(v->items[0]));
	if (object)
		memset(&v->keys[v->count], 0, sizeof(v->keys[0]));
	return &v->items[v->count++];
}

static int parse_container(struct parser *p, struct gj_value *v, unsigned depth)
{
	int object = p->buf[p->pos] == '{';
	char close = object ? '}' : ']';
	size_t capacity = 0;

	v->type = object ? GJ_OBJECT : GJ_ARRAY;
	p->pos++;
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		struct gj_value *item = grow(v, &capacity, object);

		if (!item)
			return -ENOMEM;
		if (object) {
			skip_ws(p);
			if (peek(p) != '"')
				return fail(p, "looking for beginning of object key string");
			if (parse_string(p, &v->keys[v->count - 1]) < 0)
				return -EINVAL;
			skip_ws(p);
			if (peek(p) != ':')
				return fail(p, "after object key");
			p->pos++;
		}
		if (parse_value(p, item, depth + 1) < 0)
			return p->failed ? -EINVAL : -ENOMEM;
		if (peek(p) == close) {
			p->pos++;
			return 0;
		}
		if (peek(p) != ',')
			return fail(p, object ? "after object key:value pair" : "after array element");
		p->pos++;
	}
}

static int parse_value(struct parser *p, struct gj_value *v, unsigned depth)
{
	int c, r;

	if (depth > GJ_DEPTH_MAX) {
		snprintf(p->msg, p->msg_size, "nested deeper than %d levels", GJ_DEPTH_MAX);
		p->failed = 1;
		return -EINVAL;
	}
	skip_ws(p);
	c = peek(p);
	if (c == '{' || c == '[')
		r = parse_container(p, v, depth);
	else if (c == '"')
		r = parse_string(p, v);
	else if (c == '-' || (c >= '0' && c <= '9'))
		r = parse_number(p, v);
	else if (c == 't')
		r = parse_literal(p, "true", v);
	else if (c == 'f')
		r = parse_literal(p, "false", v);
	else if (c == 'n')
		r = parse_literal(p, "null", v);
	else
		r = fail(p, "looking for beginning of value");
	if (r == 0)
		skip_ws(p);
	return r;
}

static void free_value(struct gj_value *v)
{
	if (v->type != GJ_ARRAY && v->type != GJ_OBJECT)
		return;
	for (size_t i = 0; i < v->count; i++)
		free_value(&v->items[i]);
	free(v->items);
	free(v->keys);
	v->items = v->keys = NULL;
	v->count = 0;
}

void gj_free(struct gj_doc *doc)
{
	free_value(&doc->root);
	lv_secret_free(&doc->strings);
}

int gj_parse(const uint8_t *buf, size_t len, struct gj_doc *doc, char *msg, size_t msg_size)
{
	struct parser p = { .buf = buf, .len = len, .msg = msg, .msg_size = msg_size };
	int r;

	memset(doc, 0, sizeof(*doc));
	if (len > (SIZE_MAX - 16) / 3)
		return -EINVAL;
	doc->strings = lv_secret_new(3 * len + 16);
	if (!doc->strings)
		return -ENOMEM;
	p.strings = doc->strings->bytes;
	r = parse_value(&p, &doc->root, 0);
	if (r == 0 && p.pos < len)
		r = fail(&p, "after top-level value");
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(msg, msg_size, "out of memory");
		gj_free(doc);
	}
	return r;
}

/* ---- Go's field name match ---- */

/* The ASCII letter Go's foldName maps a key rune to (upper case), or 0
 * for a rune that folds onto no ASCII letter: K (U+212A KELVIN SIGN),
 * U+017F LONG S, U+0130 and U+0131 (dotted and dotless I) are the runes
 * that unicode.ToUpper(unicode.ToLower(r)) takes to ASCII. */
static int fold_rune(uint32_t r)
{
	if (r >= 'a' && r <= 'z')
		return (int)(r - 'a' + 'A');
	if (r < 0x80)
		return (int)r;
	switch (r) {
	case 0x212a:
		return 'K';
	case 0x017f:
		return 'S';
	case 0x0130:
	case 0x0131:
		return 'I';
	default:
		return 0;
	}
}

int gj_key_matches(const struct gj_value *key, const char *field)
{
	const uint8_t *s = (const uint8_t *)key->text;
	size_t i = 0, n;

	if (key->len == strlen(field) && memcmp(key->text, field, key->len) == 0)
		return 1;
	for (; *field; field++) {
		int want = fold_rune((unsigned char)*field);

		if (i >= key->len || fold_rune(decode_rune(s + i, key->len - i, &n)) != want)
			return 0;
		i += n;
	}
	return i == key->len;
}

/* ---- writer ---- */

void gj_put(struct gj_out *out, const void *bytes, size_t len)
{
	if (out->oom || len == 0)
		return;
	if (!out->buf || out->buf->len - out->len < len) {
		size_t want = out->buf ? out->buf->len * 2 : 256;
		struct lv_secret *bigger;

		while (want - out->len < len)
			want *= 2;
		bigger = lv_secret_new(want);
		if (!bigger) {
			out->oom = 1;
			return;
		}
		if (out->len)
			memcpy(bigger->bytes, out->buf->bytes, out->len);
		lv_secret_free(&out->buf);
		out->buf = bigger;
	}
	memcpy(out->buf->bytes + out->len, bytes, len);
	out->len += len;
}

void gj_puts(struct gj_out *out, const char *text)
{
	gj_put(out, text, strlen(text));
}

static void put_u_escape(struct gj_out *out, uint32_t r)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', hex[r >> 12 & 0xf], hex[r >> 8 & 0xf], hex[r >> 4 & 0xf],
			hex[r & 0xf] };

	gj_put(out, esc, sizeof(esc));
}

/* encoding/json's encodeState.string with HTML escaping (json.Marshal):
 * short escapes for " \\ \b \f \n \r \t (Go 1.22 and later), \u00XX for
 * the other control bytes and < > &, U+2028 and U+2029 escaped, each byte
 * of invalid UTF-8 as \ufffd, everything else as is. */
void gj_write_string(struct gj_out *out, const char *s, size_t len)
{
	static const char shorts[] = "\"\\\b\f\n\r\t", letters[] = "\"\\bfnrt";
	const uint8_t *b = (const uint8_t *)s;
	size_t i = 0, n;

	gj_put(out, "\"", 1);
	while (i < len) {
		uint8_t c = b[i];
		const char *hit = c ? strchr(shorts, c) : NULL;

		if (c >= 0x80) {
			uint32_t r = decode_rune(b + i, len - i, &n);

			if ((r == REPLACEMENT && n == 1) || r == 0x2028 || r == 0x2029)
				put_u_escape(out, r);
			else
				gj_put(out, b + i, n);
			i += n;
			continue;
		}
		i++;
		if (hit) {
			char esc[2] = { '\\', letters[hit - shorts] };

			gj_put(out, esc, 2);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			put_u_escape(out, c);
		} else {
			gj_put(out, &c, 1);
		}
	}
	gj_put(out, "\"", 1);
}
