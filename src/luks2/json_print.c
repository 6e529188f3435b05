/* SPDX-License-Identifier: ISC */
/*
 * json_print.c: json_tree.h's printer and builders.  The printed forms are
 * json-c 0.16's (json_object_to_json_string_ext), byte for byte: what
 * cryptsetup writes and what its luksDump --dump-json-metadata prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/arena.h"
#include "luks2/json_tree.h"

/* ---- building (json_write.c) ---- */

struct lv_json *lv_json_new_string(struct lv_json_doc *doc, const char *text)
{
	struct lv_json *v = lv_json_new(doc, LV_JSON_STRING);

	if (v && !(v->str.bytes = lv_arena_strndup(doc->arena, text, strlen(text))))
		return NULL;
	if (v)
		v->str.len = strlen(text);
	return v;
}

struct lv_json *lv_json_new_int(struct lv_json_doc *doc, int64_t value)
{
	struct lv_json *v = lv_json_new(doc, LV_JSON_INT);

	if (v)
		v->i64 = value;
	return v;
}

struct lv_json *lv_json_copy(struct lv_json_doc *doc, const struct lv_json *value)
{
	struct lv_json *copy = lv_json_new(doc, value->type);
	size_t n;

	if (!copy)
		return NULL;
	*copy = *value;
	switch (value->type) {
	case LV_JSON_STRING:
		copy->str.bytes = lv_arena_strndup(doc->arena, value->str.bytes, value->str.len);
		return copy->str.bytes ? copy : NULL;
	case LV_JSON_DOUBLE:
		if (value->dbl.text &&
		    !(copy->dbl.text = lv_arena_strndup(doc->arena, value->dbl.text,
							strlen(value->dbl.text))))
			return NULL;
		return copy;
	case LV_JSON_OBJECT:
		n = value->obj.count;
		copy->obj.members = n ? lv_arena_alloc(doc->arena,
						       lv_json_capacity(n) * sizeof(*copy->obj.members)) : NULL;
		if (n && !copy->obj.members)
			return NULL;
		for (size_t i = 0; i < n; i++) {
			const struct lv_json_member *m = &value->obj.members[i];

			copy->obj.members[i].key = lv_arena_strndup(doc->arena, m->key, strlen(m->key));
			copy->obj.members[i].value = lv_json_copy(doc, m->value);
			if (!copy->obj.members[i].key || !copy->obj.members[i].value)
				return NULL;
		}
		return copy;
	case LV_JSON_ARRAY:
		n = value->arr.count;
		copy->arr.items = n ? lv_arena_alloc(doc->arena,
						     lv_json_capacity(n) * sizeof(*copy->arr.items)) : NULL;
		if (n && !copy->arr.items)
			return NULL;
		for (size_t i = 0; i < n; i++)
			if (!(copy->arr.items[i] = lv_json_copy(doc, value->arr.items[i])))
				return NULL;
		return copy;
	default:
		return copy;
	}
}

/* Room for one more member or element: arrays in the arena double. */
static void *grow(struct lv_json_doc *doc, void *items, size_t count, size_t size)
{
	void *grown;

	/* Arrays are a power of two long (lv_json_capacity): a power-of-two count
	 * is full, and the next array doubles it. */
	if (count && (count & (count - 1)))
		return items;
	if (count > SIZE_MAX / 2 / size)
		return NULL;
	grown = lv_arena_alloc(doc->arena, (count ? 2 * count : 1) * size);
	if (grown && count)
		memcpy(grown, items, count * size);
	return grown;
}

int lv_json_set(struct lv_json_doc *doc, struct lv_json *object, const char *key,
		struct lv_json *value)
{
	if (!value)
		return -ENOMEM;
	for (size_t i = 0; i < object->obj.count; i++) {
		if (strcmp(object->obj.members[i].key, key) == 0) {
			object->obj.members[i].value = value;
			return 0;
		}
	}
	return lv_json_push(doc, object, key, value);
}

int lv_json_push(struct lv_json_doc *doc, struct lv_json *object, const char *key,
		 struct lv_json *value)
{
	struct lv_json_member *members;

	if (!value)
		return -ENOMEM;
	members = grow(doc, object->obj.members, object->obj.count, sizeof(*members));
	if (!members || !(key = lv_arena_strndup(doc->arena, key, strlen(key))))
		return -ENOMEM;
	members[object->obj.count++] = (struct lv_json_member){ key, value };
	object->obj.members = members;
	return 0;
}

void lv_json_del(struct lv_json *object, const char *key)
{
	struct lv_json_member *m = object->obj.members;
	size_t kept = 0;

	for (size_t i = 0; i < object->obj.count; i++)
		if (strcmp(m[i].key, key) != 0)
			m[kept++] = m[i];
	object->obj.count = kept;
}

int lv_json_append(struct lv_json_doc *doc, struct lv_json *array, struct lv_json *value)
{
	struct lv_json **items = grow(doc, array->arr.items, array->arr.count, sizeof(*items));

	if (!items)
		return -ENOMEM;
	items[array->arr.count++] = value;
	array->arr.items = items;
	return 0;
}

/* ---- printing (json_object_to_json_string_ext) ---- */

struct out {
	char *buf;		/* NULL: only count */
	size_t len, cap;
	int failed;
};

static void emit(struct out *o, const char *bytes, size_t n)
{
	if (o->failed)
		return;
	if (o->buf || o->cap) {
		if (o->cap - o->len <= n) {
			size_t cap = o->cap;
			char *grown;

			while (cap - o->len <= n)
				cap *= 2;
			if (!(grown = realloc(o->buf, cap))) {
				o->failed = 1;
				return;
			}
			o->buf = grown;
			o->cap = cap;
		}
		memcpy(o->buf + o->len, bytes, n);
		o->buf[o->len + n] = '\0';
	}
	o->len += n;
}

static void emit_str(struct out *o, const char *s)
{
	emit(o, s, strlen(s));
}

/* json_escape_str: the escapes json-c writes. */
/* s[len] is a NUL (s may hold more). */
static void emit_escaped(struct out *o, const char *s, size_t len, int flags)
{
	static const char hex[] = "0123456789abcdef";
	static const char specials[] = "\"\\/" LV_JSON_CONTROLS, no_slash[] = "\"\\" LV_JSON_CONTROLS;
	const char *set = flags & LV_JSON_NOSLASHESCAPE ? no_slash : specials;
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c;
		const char *esc = NULL;
		char u[7];

		i += strcspn(s + i, set);	/* stops at a NUL too */
		if (i >= len)
			break;
		c = (unsigned char)s[i];

		switch (c) {
		case '\b': esc = "\\b"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\f': esc = "\\f"; break;
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '/': esc = flags & LV_JSON_NOSLASHESCAPE ? NULL : "\\/"; break;
		default:
			if (c < ' ') {
				memcpy(u, "\\u00", 4);
				u[4] = hex[c >> 4];
				u[5] = hex[c & 0xf];
				u[6] = '\0';
				esc = u;
			}
		}
		if (!esc)
			continue;
		emit(o, s + start, i - start);
		emit_str(o, esc);
		start = i + 1;
	}
	emit(o, s + start, len - start);
}

static void emit_indent(struct out *o, int level, int flags)
{
	if (!(flags & LV_JSON_PRETTY))
		return;
	for (int i = 0; i < level; i++)
		emit(o, "  ", 2);
}

/* A double without its source text, as json-c formats one ("%.17g",
 * ".0" added to what looks like an integer). */
static void emit_double(struct out *o, double value)
{
	char text[64];
	char digit;
	int n;

	if (isnan(value)) {
		emit_str(o, "NaN");
		return;
	}
	if (isinf(value)) {
		emit_str(o, value > 0 ? "Infinity" : "-Infinity");
		return;
	}
	n = snprintf(text, sizeof(text) - 2, "%.17g", value);
	if (n < 0 || (size_t)n >= sizeof(text) - 2) {
		o->failed = 1;
		return;
	}
	for (char *c = text; *c; c++)
		if (*c == ',')
			*c = '.';
	digit = text[0] == '-' ? text[1] : text[0];
	if (digit >= '0' && digit <= '9' && !strchr(text, '.') && !strchr(text, 'e'))
		strcat(text, ".0");
	emit_str(o, text);
}

static void emit_value(struct out *o, const struct lv_json *v, int level, int flags);

static void emit_container(struct out *o, const struct lv_json *v, int level, int flags)
{
	int object = v->type == LV_JSON_OBJECT;
	size_t count = object ? v->obj.count : v->arr.count;

	emit_str(o, object ? "{" : "[");
	if (flags & LV_JSON_PRETTY)
		emit_str(o, "\n");
	for (size_t i = 0; i < count; i++) {
		if (i) {
			emit_str(o, ",");
			if (flags & LV_JSON_PRETTY)
				emit_str(o, "\n");
		}
		if ((flags & LV_JSON_SPACED) && !(flags & LV_JSON_PRETTY))
			emit_str(o, " ");
		emit_indent(o, level + 1, flags);
		if (object) {
			emit_str(o, "\"");
			emit_escaped(o, v->obj.members[i].key, strlen(v->obj.members[i].key), flags);
			emit_str(o, flags & LV_JSON_SPACED ? "\": " : "\":");
		}
		emit_value(o, object ? v->obj.members[i].value : v->arr.items[i], level + 1, flags);
	}
	if (flags & LV_JSON_PRETTY) {
		if (count)
			emit_str(o, "\n");
		emit_indent(o, level, flags);
	}
	if ((flags & LV_JSON_SPACED) && !(flags & LV_JSON_PRETTY))
		emit_str(o, " ");
	emit_str(o, object ? "}" : "]");
}

/* "%" PRIu64 of value, or with a '-' first; no call per integer. */
static void emit_integer(struct out *o, uint64_t magnitude, bool negative)
{
	char text[24], *p = text + sizeof(text);

	do
		*--p = (char)('0' + magnitude % 10);
	while (magnitude /= 10);
	if (negative)
		*--p = '-';
	emit(o, p, (size_t)(text + sizeof(text) - p));
}

static void emit_value(struct out *o, const struct lv_json *v, int level, int flags)
{
	switch (v ? v->type : LV_JSON_NULL) {
	case LV_JSON_BOOL:
		emit_str(o, v->boolean ? "true" : "false");
		break;
	case LV_JSON_INT:
		if (v->is_uint64)
			emit_integer(o, v->u64, false);
		else if (v->i64 < 0)
			emit_integer(o, 0 - (uint64_t)v->i64, true);
		else
			emit_integer(o, (uint64_t)v->i64, false);
		break;
	case LV_JSON_DOUBLE:
		if (v->dbl.text)
			emit_str(o, v->dbl.text);
		else
			emit_double(o, v->dbl.value);
		break;
	case LV_JSON_STRING:
		emit_str(o, "\"");
		emit_escaped(o, v->str.bytes, v->str.len, flags);
		emit_str(o, "\"");
		break;
	case LV_JSON_OBJECT:
	case LV_JSON_ARRAY:
		emit_container(o, v, level, flags);
		break;
	default:
		emit_str(o, "null");
	}
}

size_t lv_json_print_length(const struct lv_json *value, int flags)
{
	struct out o = { 0 };

	emit_value(&o, value, 0, flags);
	return o.len;
}

char *lv_json_print(const struct lv_json *value, int flags, size_t *len)
{
	struct out o = { .buf = malloc(256), .cap = 256 };

	if (!o.buf)
		return NULL;
	o.buf[0] = '\0';
	emit_value(&o, value, 0, flags);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	if (len)
		*len = o.len;
	return o.buf;
}
