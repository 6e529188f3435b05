/* SPDX-License-Identifier: ISC */
/*
 * json_tree.c: json_tree.h's documents, parser and json-c's conversions.
 * The grammar is json-c 0.16's (see json_tree.h); where json-c has a quirk,
 * the comment says so, because the quirk is what cryptsetup accepts.  The
 * printer and the builders are in json_print.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "luks2/arena.h"
#include "luks2/json_tree.h"

/* json-c's JSON_TOKENER_DEFAULT_DEPTH: values nest at most this deep. */
#define MAX_DEPTH 32
/* Objects up to this many members find duplicate keys pairwise. */
#define SMALL_OBJECT 16

/* ---- documents ---- */

static struct lv_json_doc *doc_new(size_t arena_bytes)
{
	struct lv_arena *arena = lv_arena_new(arena_bytes);
	struct lv_json_doc *doc = arena ? lv_arena_alloc(arena, sizeof(*doc)) : NULL;

	if (!doc) {
		lv_arena_free(&arena);
		return NULL;
	}
	doc->refs = 1;
	doc->arena = arena;
	return doc;
}

struct lv_json_doc *lv_json_doc_new(void)
{
	return doc_new(4096);
}

struct lv_json_doc *lv_json_doc_get(struct lv_json_doc *doc)
{
	doc->refs++;
	return doc;
}

void lv_json_doc_put(struct lv_json_doc **doc)
{
	struct lv_arena *arena;

	if (!doc || !*doc)
		return;
	if (--(*doc)->refs == 0) {
		arena = (*doc)->arena;	/* the doc itself lives in its arena */
		lv_arena_free(&arena);
	}
	*doc = NULL;
}

struct lv_json *lv_json_new(struct lv_json_doc *doc, enum lv_json_type type)
{
	struct lv_json *value = lv_arena_alloc_raw(doc->arena, sizeof(*value));

	if (value)
		*value = (struct lv_json){ .type = type };
	return value;
}

/* ---- the parser ---- */

/* A member (arrays: key NULL) of a container being read. */
struct item {
	const char *key;
	size_t key_len;
	struct lv_json *value;
};

/*
 * The parser reads a copy of the text in the document's arena (s), up to
 * its first NUL, with a NUL after it; nothing past the first NUL is read.
 * So the scans below need no bound: each stops at a NUL, and the parser
 * then tells the end of the input (pos == len) from a NUL in it.  Strings
 * stay where they are in the copy: the closing quote becomes their NUL,
 * and escapes are decoded in place (none is shorter than what it stands
 * for).
 */
struct parser {
	unsigned char *s;
	size_t len, pos;
	size_t w;			/* where decoded bytes go (w <= pos) */
	struct lv_json_doc *doc;
	/* The items of the containers being read, the innermost on top, moved
	 * into the arena when a container closes: in first_items, on the C
	 * stack, until a document has more open at once (a LUKS2 header has
	 * about 20; a heap block would be one more page touched per load). */
	struct item *stack;
	size_t top, cap;
	struct item first_items[64];
	/* The string just read: str_len bytes at str, NUL-terminated; decoded
	 * when it had an escape (and then it may hold a NUL). */
	char *str;
	size_t str_len;
	bool decoded;
	int err;
	/* A string in single quotes was read (see prints_longer). */
	bool single_quotes;
	/* Set when json-c would stop here and return this value (eat_ws). */
	struct lv_json *stopped;
};

/* eat_ws() after a value, when a comment ran into a NUL (see there). */
#define STOPPED 2

static int fail(struct parser *p, int err)
{
	if (!p->err)
		p->err = err;
	return p->err;
}

#define WHITESPACE " \t\n\r"

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* How many bytes from the current one are in set / not in set (a NUL ends
 * either run). */
static size_t span(const struct parser *p, const char *set)
{
	return strspn((const char *)p->s + p->pos, set);
}

static size_t cspan(const struct parser *p, const char *set)
{
	return strcspn((const char *)p->s + p->pos, set);
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * Whitespace and comments.  Returns 0 at a byte (a NUL too: it is no
 * whitespace, and wherever a value or a separator is due it is refused),
 * 1 at the end of the input, a negative errno for a bad comment.  json-c
 * quirks: the byte after a '*' in a block comment is taken whatever it is,
 * so "**" followed by "/" does not end the comment; and a comment right
 * after a value (after_value) that runs into a NUL ends the parse with
 * success, the result being that value, however deep (STOPPED; the parse
 * ends past the NUL).
 */
static int comment_at_nul(struct parser *p, bool after_value)
{
	if (!after_value)
		return fail(p, -EINVAL);
	p->pos++;
	return STOPPED;
}

static int eat_ws(struct parser *p, bool after_value)
{
	for (;;) {
		if (p->s[p->pos] > ' ' && p->s[p->pos] != '/')
			return 0;	/* most JSON has no whitespace */
		p->pos += span(p, WHITESPACE);
		if (p->pos == p->len)
			return 1;
		if (p->s[p->pos] != '/')
			return 0;
		if (++p->pos == p->len)
			return fail(p, -EINVAL);
		if (p->s[p->pos] == '/') {		/* to the end of the line */
			p->pos++;
			p->pos += cspan(p, "\n");
			if (p->pos == p->len)
				return fail(p, -EINVAL);
			if (p->s[p->pos] == '\0')
				return comment_at_nul(p, after_value);
			p->pos++;
			continue;
		}
		if (p->s[p->pos] != '*')
			return fail(p, -EINVAL);
		for (p->pos++;;) {			/* to a '*' then a '/' */
			p->pos += cspan(p, "*");
			if (p->pos == p->len)
				return fail(p, -EINVAL);
			if (p->s[p->pos] == '\0')
				return comment_at_nul(p, after_value);
			if (++p->pos == p->len)
				return fail(p, -EINVAL);
			if (p->s[p->pos] == '\0')
				return comment_at_nul(p, after_value);
			if (p->s[p->pos++] == '/')
				break;
		}
	}
}

/* eat_ws where a byte must follow (not after a value). */
static int need_byte(struct parser *p)
{
	int r = eat_ws(p, false);

	return r == 0 ? 0 : fail(p, -EINVAL);
}

/* Decoded bytes, in place: behind what has been read. */
static int buf_put(struct parser *p, const void *bytes, size_t n)
{
	memmove(p->s + p->w, bytes, n);
	p->w += n;
	return 0;
}

static int put_utf8(struct parser *p, uint32_t code)
{
	static const unsigned char replacement[3] = { 0xEF, 0xBF, 0xBD };
	unsigned char out[4];

	if (code < 0x80) {
		out[0] = (unsigned char)code;
		return buf_put(p, out, 1);
	}
	if (code < 0x800) {
		out[0] = (unsigned char)(0xC0 | code >> 6);
		out[1] = (unsigned char)(0x80 | (code & 0x3F));
		return buf_put(p, out, 2);
	}
	if ((code & 0xFC00) == 0xDC00 || code >= 0x110000)	/* a lone low surrogate */
		return buf_put(p, replacement, 3);
	if (code < 0x10000) {
		out[0] = (unsigned char)(0xE0 | code >> 12);
		out[1] = (unsigned char)(0x80 | ((code >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (code & 0x3F));
		return buf_put(p, out, 3);
	}
	out[0] = (unsigned char)(0xF0 | ((code >> 18) & 0x07));
	out[1] = (unsigned char)(0x80 | ((code >> 12) & 0x3F));
	out[2] = (unsigned char)(0x80 | ((code >> 6) & 0x3F));
	out[3] = (unsigned char)(0x80 | (code & 0x3F));
	return buf_put(p, out, 4);
}

static int read_hex4(struct parser *p, uint32_t *code)
{
	*code = 0;
	for (int i = 0; i < 4; i++, p->pos++) {
		int v = p->pos < p->len ? lv_hex_value(p->s[p->pos]) : -1;

		if (v < 0)
			return fail(p, -EINVAL);
		*code = *code << 4 | (uint32_t)v;
	}
	return 0;
}

static __attribute__((noinline)) int read_escape(struct parser *p);

/* After "\u": one code unit, or a surrogate pair.  A high surrogate not
 * followed by "\u" and a low one becomes U+FFFD, and what followed it is
 * read as it stands. */
static int read_unicode(struct parser *p)
{
	static const unsigned char replacement[3] = { 0xEF, 0xBF, 0xBD };
	uint32_t code, high = 0;

	for (;;) {
		if (read_hex4(p, &code) < 0)
			return p->err;
		if (high) {
			if ((code & 0xFC00) == 0xDC00)
				code = ((high & 0x3FF) << 10) + (code & 0x3FF) + 0x10000;
			else if (buf_put(p, replacement, 3) < 0)
				return p->err;
			high = 0;
		}
		if ((code & 0xFC00) != 0xD800)
			return put_utf8(p, code);
		high = code;
		if (p->pos == p->len)
			return fail(p, -EINVAL);
		if (p->s[p->pos] != '\\')
			return buf_put(p, replacement, 3);
		if (++p->pos == p->len)
			return fail(p, -EINVAL);
		if (p->s[p->pos] != 'u') {
			if (buf_put(p, replacement, 3) < 0)
				return p->err;
			return read_escape(p);
		}
		p->pos++;
	}
}

/* At the byte after a backslash. */
static __attribute__((noinline)) int read_escape(struct parser *p)
{
	static const char plain[] = "\"\\/", letters[] = "bnrtf", controls[] = "\b\n\r\t\f";
	const char *hit;
	unsigned char c;

	if (p->pos == p->len)
		return fail(p, -EINVAL);
	c = p->s[p->pos++];
	if (c && strchr(plain, c))
		return buf_put(p, &c, 1);
	if (c && (hit = strchr(letters, c)))
		return buf_put(p, &controls[hit - letters], 1);
	if (c == 'u')
		return read_unicode(p);
	return fail(p, -EINVAL);
}

/* Bytes that end the plain run of a string: bit 0 in double quotes, bit 1
 * in single quotes (a NUL, the quote, a backslash). */
static const unsigned char string_stop[256] = {
	['\0'] = 3, ['"'] = 1, ['\''] = 2, ['\\'] = 3,
};

static size_t string_span(const struct parser *p, unsigned char quote)
{
	const unsigned char *at = p->s + p->pos, *q = at;
	unsigned char mask = quote == '"' ? 1 : 2;

	while (!(string_stop[*q] & mask))
		q++;
	return (size_t)(q - at);
}

/* A string in '"' or '\'' quotes, into p->str and p->str_len (in place). */
static int read_string(struct parser *p)
{
	unsigned char quote = p->s[p->pos++];
	size_t start = p->pos, n;

	if (quote == '\'')
		p->single_quotes = true;	/* a '"' in it prints as two bytes */
	p->pos += string_span(p, quote);
	if (p->pos == p->len || p->s[p->pos] == '\0')
		return fail(p, -EINVAL);
	p->str = (char *)p->s + start;
	p->decoded = p->s[p->pos] != quote;
	if (!p->decoded) {
		p->str_len = p->pos - start;
		p->s[p->pos++] = '\0';	/* the quote, read */
		return 0;
	}
	p->w = p->pos;
	for (;;) {
		p->pos++;		/* the backslash */
		if (read_escape(p) < 0)
			return p->err;
		start = p->pos;
		n = string_span(p, quote);
		p->pos += n;
		if (p->pos == p->len || p->s[p->pos] == '\0')
			return fail(p, -EINVAL);
		buf_put(p, p->s + start, n);
		if (p->s[p->pos] == quote) {
			p->str_len = p->w - (size_t)(p->str - (char *)p->s);
			p->s[p->w] = '\0';
			p->pos++;
			return 0;
		}
	}
}

/* A word in any case; json-c wants one more byte after it before it takes
 * the word (it reads the byte to see the word is complete). */
static int read_word(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i < n; i++, p->pos++)
		if (p->pos == p->len || ascii_lower(p->s[p->pos]) != (unsigned char)word[i])
			return fail(p, -EINVAL);
	return p->pos < p->len ? 0 : fail(p, -EINVAL);
}

static struct lv_json *new_double(struct parser *p, double value, const char *text)
{
	struct lv_json *v = lv_json_new(p->doc, LV_JSON_DOUBLE);

	if (!v) {
		fail(p, -ENOMEM);
		return NULL;
	}
	v->dbl.value = value;
	v->dbl.text = text;
	return v;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* strtod in the C locale, as json-c parses, whatever the caller set. */
static double c_strtod(const char *text, char **end)
{
	pthread_once(&c_locale_once, make_c_locale);
	return c_locale ? strtod_l(text, end, c_locale) : strtod(text, end);
}

/* strtoll/strtoull's value of text as json_parse_int64/uint64 take it:
 * blanks and a sign first, saturating; -1 when no digit follows. */
static int parse_integer(const char *text, bool allow_minus, int64_t *i64, uint64_t *u64,
			 bool *is_u64)
{
	const char *p = text;
	uint64_t magnitude = 0;
	bool negative = false, digits = false, overflow = false;

	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '+' || *p == '-')
		negative = *p++ == '-';
	if (negative && !allow_minus)
		return -1;
	for (; is_digit((unsigned char)*p); p++, digits = true) {
		if (magnitude > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			overflow = true;
		else
			magnitude = magnitude * 10 + (uint64_t)(*p - '0');
	}
	if (!digits)
		return -1;
	*is_u64 = false;
	if (allow_minus) {
		/* strtoll: [INT64_MIN, INT64_MAX], saturating. */
		if (negative)
			*i64 = overflow || magnitude > (uint64_t)INT64_MAX + 1 ? INT64_MIN :
			       (int64_t)(0 - magnitude);
		else
			*i64 = overflow || magnitude > INT64_MAX ? INT64_MAX : (int64_t)magnitude;
		return 0;
	}
	/* strtoull, saturating; a value above INT64_MAX stays unsigned. */
	*u64 = overflow ? UINT64_MAX : magnitude;
	if (*u64 > INT64_MAX)
		*is_u64 = true;
	else
		*i64 = (int64_t)*u64;
	return 0;
}

/* A double's text, whole for strtod.  Apart: its local would cost every
 * value read an instrumented stack frame (read_value inlines the rest). */
static __attribute__((noinline)) struct lv_json *double_value(struct parser *p, const char *text,
							       size_t n)
{
	char *end;
	double value = c_strtod(text, &end);

	if (end != text + n) {
		fail(p, -EINVAL);
		return NULL;
	}
	return new_double(p, value, text);
}

/*
 * A number (json_tokener_state_number): '-' first, digits, '.' once, e/E
 * once, a sign right after either; inside a container it must end at
 * , ] } / I i or whitespace.  "-" then i/I is -Infinity.  A double loses a
 * trailing e, E, + or - and must then be strtod's whole text; an integer
 * is strtoll's (negative) or strtoull's.
 */
static struct lv_json *read_number(struct parser *p, int depth)
{
	size_t start = p->pos, n;
	bool is_double = false, exponent = false, minus_ok = true, plus_ok = false;
	unsigned char c;
	struct lv_json *v;
	char *text;

	for (;; p->pos++) {
		size_t digits = span(p, "0123456789");

		p->pos += digits;
		if (p->pos == p->len) {
			fail(p, -EINVAL);
			return NULL;
		}
		c = p->s[p->pos];
		if (digits)
			minus_ok = plus_ok = false;
		if (!((!exponent && (c == 'e' || c == 'E')) || (minus_ok && c == '-') ||
		      (plus_ok && c == '+') || (!is_double && c == '.')))
			break;
		minus_ok = plus_ok = false;
		if (c == '.' || c == 'e' || c == 'E') {
			is_double = true;
			exponent |= c != '.';
			minus_ok = plus_ok = true;
		}
	}
	if (depth > 0 && !strchr(",]}/Ii", c ? c : 'x') && !is_ws(c)) {
		fail(p, -EINVAL);
		return NULL;
	}
	n = p->pos - start;
	if (p->s[start] == '-' && n <= 1 && (c == 'i' || c == 'I')) {
		if (read_word(p, "infinity") < 0)
			return NULL;
		return new_double(p, -INFINITY, NULL);
	}
	if (is_double) {
		while (n > 1 && strchr("eE-+", p->s[start + n - 1]))
			n--;
		text = lv_arena_strndup(p->doc->arena, (const char *)p->s + start, n);
		if (!text) {
			fail(p, -ENOMEM);
			return NULL;
		}
		return double_value(p, text, n);
	}
	if (!(v = lv_json_new(p->doc, LV_JSON_INT))) {
		fail(p, -ENOMEM);
		return NULL;
	}
	/* An integer is read where it stands: a byte that is no digit ends it. */
	text = (char *)p->s + start;
	if (parse_integer(text, text[0] == '-', &v->i64, &v->u64, &v->is_uint64) < 0) {
		fail(p, -EINVAL);
		return NULL;
	}
	return v;
}

static int push(struct parser *p, const char *key, size_t key_len, struct lv_json *value)
{
	if (p->top == p->cap) {
		size_t cap = 2 * p->cap;
		struct item *grown = cap > SIZE_MAX / sizeof(*grown) ? NULL :
				     p->stack == p->first_items ? malloc(cap * sizeof(*grown)) :
				     realloc(p->stack, cap * sizeof(*grown));

		if (!grown)
			return fail(p, -ENOMEM);
		if (p->stack == p->first_items)
			memcpy(grown, p->first_items, sizeof(p->first_items));
		p->stack = grown;
		p->cap = cap;
	}
	p->stack[p->top++] = (struct item){ key, key_len, value };
	return 0;
}

static bool same_key(const struct item *a, const struct item *b)
{
	if (a->key_len != b->key_len)
		return false;
	for (size_t i = 0; i < a->key_len; i++)	/* short: no call */
		if (a->key[i] != b->key[i])
			return false;
	return true;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *const *x = a, *const *y = b;
	int r = strcmp((*x)->key, (*y)->key);

	return r ? r : (*x > *y) - (*x < *y);
}

/* Duplicate keys: the first keeps its place and takes the last value
 * (json_object_object_add replaces a value in place).  Returns the count. */
static size_t merge_duplicates(struct parser *p, struct item *m, size_t n)
{
	size_t kept = 0;

	if (n <= SMALL_OBJECT) {
		for (size_t i = 0; i < n; i++) {
			size_t j = 0;

			while (j < kept && !same_key(&m[j], &m[i]))
				j++;
			if (j < kept)
				m[j].value = m[i].value;
			else
				m[kept++] = m[i];
		}
		return kept;
	}
	struct item **order = malloc(n * sizeof(*order));

	if (!order) {
		fail(p, -ENOMEM);
		return n;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = &m[i];
	qsort(order, n, sizeof(*order), cmp_item);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && same_key(order[j], order[i])) {
			order[j]->key = NULL;	/* dropped below */
			j++;
		}
		order[i]->value = order[j - 1]->value;
		i = j;
	}
	free(order);
	for (size_t i = 0; i < n; i++)
		if (m[i].key)
			m[kept++] = m[i];
	return kept;
}

static struct lv_json *read_value(struct parser *p, int depth);

size_t lv_json_capacity(size_t count)
{
	size_t cap = 1;

	while (cap < count && cap <= SIZE_MAX / 2)
		cap *= 2;
	return count ? cap : 0;
}

/* Moves the members above base into a new object or array. */
static struct lv_json *close_container(struct parser *p, size_t base, bool object)
{
	struct lv_json *v = lv_json_new(p->doc, object ? LV_JSON_OBJECT : LV_JSON_ARRAY);
	size_t n = p->top - base;

	if (!v) {
		fail(p, -ENOMEM);
		return NULL;
	}
	if (object && n) {
		n = merge_duplicates(p, p->stack + base, n);
		v->obj.members = lv_arena_alloc_raw(p->doc->arena,
						    lv_json_capacity(n) * sizeof(*v->obj.members));
		for (size_t i = 0; v->obj.members && i < n; i++)
			v->obj.members[i] = (struct lv_json_member){ p->stack[base + i].key,
								     p->stack[base + i].value };
		v->obj.count = n;
	} else if (n) {
		v->arr.items = lv_arena_alloc_raw(p->doc->arena,
						  lv_json_capacity(n) * sizeof(*v->arr.items));
		for (size_t i = 0; v->arr.items && i < n; i++)
			v->arr.items[i] = p->stack[base + i].value;
		v->arr.count = n;
	}
	p->top = base;
	if (n && !(object ? (void *)v->obj.members : (void *)v->arr.items))
		fail(p, -ENOMEM);
	return p->err ? NULL : v;
}

/* After a member or element (value): 1 when the container closed, 0 when
 * another one follows (a trailing comma before the close counts as a
 * close); -EINTR when the parse stopped at value. */
static int after_item(struct parser *p, unsigned char close, struct lv_json *value)
{
	int r = eat_ws(p, true);

	if (r == STOPPED) {
		p->stopped = value;
		return -EINTR;
	}
	if (r != 0)
		return fail(p, -EINVAL);
	if (p->s[p->pos] == close) {
		p->pos++;
		return 1;
	}
	if (p->s[p->pos] != ',')
		return fail(p, -EINVAL);
	p->pos++;
	if (need_byte(p) < 0)
		return p->err;
	if (p->s[p->pos] == close) {
		p->pos++;
		return 1;
	}
	return 0;
}

static struct lv_json *read_object(struct parser *p, int depth)
{
	size_t base = p->top;
	int r;

	p->pos++;
	if (need_byte(p) < 0)
		return NULL;
	r = p->s[p->pos] == '}';
	if (r)
		p->pos++;
	while (!r) {
		unsigned char c = p->s[p->pos];
		struct lv_json *value;
		size_t key_len;
		char *key;

		if (c != '"' && c != '\'') {
			fail(p, -EINVAL);
			return NULL;
		}
		if (read_string(p) < 0)
			return NULL;
		/* json-c keeps a key up to its first NUL. */
		key = p->str;
		key_len = p->decoded ? strlen(key) : p->str_len;
		if (need_byte(p) < 0)
			return NULL;
		if (p->s[p->pos] != ':') {
			fail(p, -EINVAL);
			return NULL;
		}
		p->pos++;
		if (need_byte(p) < 0)
			return NULL;
		if (depth >= MAX_DEPTH - 1) {
			fail(p, -EINVAL);
			return NULL;
		}
		if (!(value = read_value(p, depth + 1)) || push(p, key, key_len, value) < 0 ||
		    (r = after_item(p, '}', value)) < 0)
			return NULL;
	}
	return close_container(p, base, true);
}

static struct lv_json *read_array(struct parser *p, int depth)
{
	size_t base = p->top;
	int r;

	p->pos++;
	if (need_byte(p) < 0)
		return NULL;
	r = p->s[p->pos] == ']';
	if (r)
		p->pos++;
	while (!r) {
		struct lv_json *value;

		if (depth >= MAX_DEPTH - 1) {
			fail(p, -EINVAL);
			return NULL;
		}
		if (!(value = read_value(p, depth + 1)) || push(p, NULL, 0, value) < 0 ||
		    (r = after_item(p, ']', value)) < 0)
			return NULL;
	}
	return close_container(p, base, false);
}

/* "null" or "nan", told apart by the second byte. */
static struct lv_json *read_null_or_nan(struct parser *p)
{
	size_t second = p->pos + 1;
	int nan = second < p->len && ascii_lower(p->s[second]) == 'a';

	if (read_word(p, nan ? "nan" : "null") < 0)
		return NULL;
	return nan ? new_double(p, NAN, NULL) : lv_json_new(p->doc, LV_JSON_NULL);
}

static struct lv_json *read_boolean(struct parser *p)
{
	int truth = ascii_lower(p->s[p->pos]) == 't';
	struct lv_json *v;

	if (read_word(p, truth ? "true" : "false") < 0)
		return NULL;
	if ((v = lv_json_new(p->doc, LV_JSON_BOOL)))
		v->boolean = truth;
	return v;
}

static struct lv_json *read_string_value(struct parser *p)
{
	struct lv_json *v;

	if (read_string(p) < 0)
		return NULL;
	v = lv_json_new(p->doc, LV_JSON_STRING);
	if (v) {
		v->str.bytes = p->str;
		v->str.len = p->str_len;
	}
	return v;
}

/* At the first byte of a value (whitespace eaten). */
static struct lv_json *read_value(struct parser *p, int depth)
{
	unsigned char c = p->s[p->pos];
	struct lv_json *v;

	switch (c) {
	case '{': v = read_object(p, depth); break;
	case '[': v = read_array(p, depth); break;
	case '"': case '\'': v = read_string_value(p); break;
	case 'I': case 'i':
		v = read_word(p, "infinity") < 0 ? NULL : new_double(p, INFINITY, NULL);
		break;
	case 'N': case 'n': v = read_null_or_nan(p); break;
	case 'T': case 't': case 'F': case 'f': v = read_boolean(p); break;
	default:
		if (c != '-' && !is_digit(c)) {
			fail(p, -EINVAL);
			return NULL;
		}
		v = read_number(p, depth);
	}
	if (!v && !p->stopped)
		fail(p, -ENOMEM);	/* keeps an error already set */
	return v;
}

int lv_json_parse(const char *text, size_t len, struct lv_json_doc **doc, size_t *end)
{
	struct parser p = { .len = len, .cap = sizeof(p.first_items) / sizeof(p.first_items[0]) };
	const char *nul = memchr(text, '\0', len);
	/* Nothing past the first NUL is read.  The first block holds the
	 * text's copy and, for a LUKS2 header's JSON, the whole tree (about
	 * 3.8 times the text: 24-byte values, 16-byte members): only the part
	 * used is ever touched, and a second block would be a page more. */
	size_t text_len = nul ? (size_t)(nul - text) : len, first_control;
	struct lv_json *root = NULL;

	p.stack = p.first_items;
	*doc = NULL;
	if (text_len > SIZE_MAX / 8 || !(p.doc = doc_new(4 * text_len + 1024)))
		return -ENOMEM;
	if (!(p.s = (unsigned char *)lv_arena_strndup(p.doc->arena, text, text_len))) {
		lv_json_doc_put(&p.doc);
		return -ENOMEM;
	}
	/* Raw control bytes print escaped, longer: in strings only, but one
	 * look over the whole text is cheaper than one per string. */
	first_control = strcspn((const char *)p.s, LV_JSON_CONTROLS);
	if (need_byte(&p) == 0 && (root = read_value(&p, 0)) && eat_ws(&p, true) >= 0)
		*end = p.pos;
	else if (p.stopped)
		root = p.stopped, *end = p.pos;
	p.doc->prints_longer = p.single_quotes || first_control < p.pos;
	if (p.stack != p.first_items)
		free(p.stack);
	if (p.err) {
		lv_json_doc_put(&p.doc);
		return p.err;
	}
	p.doc->root = root;
	*doc = p.doc;
	return 0;
}

/* ---- json-c's conversions ---- */

int64_t lv_json_get_int64(const struct lv_json *value)
{
	int64_t i64 = 0;
	uint64_t u64;
	bool is_u64;

	switch (value ? value->type : LV_JSON_NULL) {
	case LV_JSON_INT:
		if (value->is_uint64)
			return value->u64 >= INT64_MAX ? INT64_MAX : (int64_t)value->u64;
		return value->i64;
	case LV_JSON_DOUBLE:
		if (value->dbl.value >= (double)INT64_MAX)
			return INT64_MAX;
		if (value->dbl.value <= (double)INT64_MIN || isnan(value->dbl.value))
			return INT64_MIN;	/* NaN: what the x86 conversion gives */
		return (int64_t)value->dbl.value;
	case LV_JSON_BOOL:
		return value->boolean;
	case LV_JSON_STRING:
		return parse_integer(value->str.bytes, true, &i64, &u64, &is_u64) == 0 ? i64 : 0;
	default:
		return 0;
	}
}

int32_t lv_json_get_int(const struct lv_json *value)
{
	int64_t i64;

	switch (value ? value->type : LV_JSON_NULL) {
	case LV_JSON_INT:
	case LV_JSON_STRING:
		if (value->type == LV_JSON_STRING) {
			uint64_t u64;
			bool is_u64;

			if (parse_integer(value->str.bytes, true, &i64, &u64, &is_u64) < 0)
				return 0;
		} else {
			i64 = lv_json_get_int64(value);
		}
		return i64 <= INT32_MIN ? INT32_MIN : i64 >= INT32_MAX ? INT32_MAX : (int32_t)i64;
	case LV_JSON_DOUBLE:
		if (value->dbl.value <= INT32_MIN || isnan(value->dbl.value))
			return INT32_MIN;
		if (value->dbl.value >= INT32_MAX)
			return INT32_MAX;
		return (int32_t)value->dbl.value;
	case LV_JSON_BOOL:
		return value->boolean;
	default:
		return 0;
	}
}

const char *lv_json_get_string(struct lv_json_doc *doc, const struct lv_json *value)
{
	size_t len;
	char *text, *copy;

	if (!value || value->type == LV_JSON_NULL)
		return NULL;
	if (value->type == LV_JSON_STRING)
		return value->str.bytes;
	if (!(text = lv_json_print(value, LV_JSON_SPACED, &len)))
		return NULL;
	copy = lv_arena_strndup(doc->arena, text, len);
	free(text);
	return copy;
}
