/* SPDX-License-Identifier: ISC */
/*
 * json_tree.c: luksvol's JSON reader and printer (src/luks2/json_tree.c)
 * against json-c 0.16, the parser and printer cryptsetup reads and writes
 * LUKS2 metadata with, on the same bytes.
 *
 * The first byte picks how the rest is read: bit 0 clear, as the JSON area
 * is (json_tokener_parse_ex over the exact length); set, as a C string, as
 * token import reads one (json_tokener_parse, up to the first NUL).
 *
 * Invariants (abort on violation): both accept or both refuse; then the
 * same parse end, the same tree (types, values, strings byte for byte,
 * keys in the same order), the same text from every printing mode cryptsetup
 * and luksvol use (plain, spaced, pretty, with and without slash escapes),
 * and the same json_object_get_int/_int64/_string of every value; and a
 * tree not marked prints_longer prints (compact) no longer than its text.
 */
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "luks2/json_tree.h"

static const int print_modes[] = {
	JSON_C_TO_STRING_PLAIN,
	JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	JSON_C_TO_STRING_SPACED,
	JSON_C_TO_STRING_PRETTY,
	JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE,
};

static const char *type_name(const struct lv_json *v)
{
	static const char *const names[] = { "absent", "null", "boolean", "int", "double",
					     "string", "array", "object" };

	return names[v ? v->type : LV_JSON_NULL];
}

static void same_conversions(struct json_object *a, const struct lv_json *b,
			     struct lv_json_doc *doc, const char *where)
{
	const char *sa, *sb;

	if (json_object_get_int(a) != lv_json_get_int(b))
		fz_fail("%s: get_int %d, luksvol %d", where, json_object_get_int(a), lv_json_get_int(b));
	if (json_object_get_int64(a) != lv_json_get_int64(b))
		fz_fail("%s: get_int64 %lld, luksvol %lld", where,
			(long long)json_object_get_int64(a), (long long)lv_json_get_int64(b));
	sa = json_object_get_string(a);
	sb = lv_json_get_string(doc, b);
	if ((sa == NULL) != (sb == NULL) || (sa && strcmp(sa, sb) != 0))
		fz_fail("%s: get_string \"%s\", luksvol \"%s\"", where, sa ? sa : "(null)",
			sb ? sb : "(null)");
}

static void same_tree(struct json_object *a, const struct lv_json *b, struct lv_json_doc *doc,
		      int depth)
{
	enum json_type ta = json_object_get_type(a);
	static const enum lv_json_type map[] = {
		[json_type_null] = LV_JSON_NULL, [json_type_boolean] = LV_JSON_BOOL,
		[json_type_double] = LV_JSON_DOUBLE, [json_type_int] = LV_JSON_INT,
		[json_type_object] = LV_JSON_OBJECT, [json_type_array] = LV_JSON_ARRAY,
		[json_type_string] = LV_JSON_STRING,
	};
	char where[32];

	snprintf(where, sizeof(where), "depth %d", depth);
	if (!b || map[ta] != b->type)
		fz_fail("%s: json-c has a %s, luksvol a %s", where, json_type_to_name(ta),
			type_name(b));
	same_conversions(a, b, doc, where);
	switch (ta) {
	case json_type_double: {
		double x = json_object_get_double(a), y = b->dbl.value;

		if (!(x == y || (isnan(x) && isnan(y))) || signbit(x) != signbit(y))
			fz_fail("%s: double %.17g, luksvol %.17g", where, x, y);
		break;
	}
	case json_type_string:
		if ((size_t)json_object_get_string_len(a) != b->str.len ||
		    memcmp(json_object_get_string(a), b->str.bytes, b->str.len) != 0)
			fz_fail("%s: strings differ", where);
		break;
	case json_type_array:
		if (json_object_array_length(a) != b->arr.count)
			fz_fail("%s: %zu elements, luksvol %zu", where, json_object_array_length(a),
				b->arr.count);
		for (size_t i = 0; i < b->arr.count; i++)
			same_tree(json_object_array_get_idx(a, i), b->arr.items[i], doc, depth + 1);
		break;
	case json_type_object: {
		size_t i = 0;

		if ((size_t)json_object_object_length(a) != b->obj.count)
			fz_fail("%s: %d members, luksvol %zu", where, json_object_object_length(a),
				b->obj.count);
		json_object_object_foreach(a, key, value) {
			if (strcmp(key, b->obj.members[i].key) != 0)
				fz_fail("%s: member %zu is \"%s\", luksvol \"%s\"", where, i, key,
					b->obj.members[i].key);
			same_tree(value, b->obj.members[i].value, doc, depth + 1);
			i++;
		}
		break;
	}
	default:
		break;
	}
}

static void same_prints(struct json_object *a, const struct lv_json *b)
{
	for (size_t m = 0; m < sizeof(print_modes) / sizeof(print_modes[0]); m++) {
		size_t len_a, len_b;
		const char *text_a = json_object_to_json_string_length(a, print_modes[m], &len_a);
		char *text_b = lv_json_print(b, print_modes[m], &len_b);

		if (!text_a || !text_b)
			fz_fail("out of memory printing");
		if (len_a != len_b || memcmp(text_a, text_b, len_a) != 0)
			fz_fail("flags %d: json-c prints\n%s\nluksvol\n%s", print_modes[m], text_a, text_b);
		if (lv_json_print_length(b, print_modes[m]) != len_b)
			fz_fail("flags %d: length %zu, printed %zu", print_modes[m],
				lv_json_print_length(b, print_modes[m]), len_b);
		free(text_b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *a;
	struct lv_json_doc *doc = NULL;
	enum json_tokener_error jerr;
	size_t end = 0, len;
	char *text, *exact;
	int r;

	if (size < 1 || size - 1 > INT_MAX / 2)
		return 0;
	len = size - 1;
	if (!(text = malloc(len + 1)))
		return 0;
	memcpy(text, data + 1, len);
	text[len] = '\0';
	if (data[0] & 1) {
		/* token import: a C string, json_tokener_parse() */
		a = json_tokener_parse_verbose(text, &jerr);
		r = lv_json_parse(text, strlen(text) + 1, &doc, &end);
	} else {
		tok = json_tokener_new();
		if (!tok) {
			free(text);
			return 0;
		}
		a = json_tokener_parse_ex(tok, text, (int)len);
		jerr = json_tokener_get_error(tok);
		/* Exactly len bytes, no NUL after them: a read past is caught. */
		exact = malloc(len ? len : 1);
		if (!exact) {
			json_tokener_free(tok);
			json_object_put(a);
			free(text);
			return 0;
		}
		memcpy(exact, text, len);
		r = lv_json_parse(exact, len, &doc, &end);
		free(exact);
		if (jerr == json_tokener_success && r == 0 && end != json_tokener_get_parse_end(tok))
			fz_fail("parse end %zu, luksvol %zu", json_tokener_get_parse_end(tok), end);
		json_tokener_free(tok);
	}
	if ((jerr == json_tokener_success) != (r == 0))
		fz_fail("json-c %s, luksvol %s", json_tokener_error_desc(jerr),
			r == 0 ? "accepts" : "refuses");
	if (r == 0) {
		same_tree(a, doc->root, doc, 0);
		same_prints(a, doc->root);
		/* The bound json_read.c takes for rule J2 without printing. */
		if (!doc->prints_longer &&
		    lv_json_print_length(doc->root, LV_JSON_PLAIN | LV_JSON_NOSLASHESCAPE) > end)
			fz_fail("compact print of %zu bytes from %zu bytes of text, none marked longer",
				lv_json_print_length(doc->root,
						     LV_JSON_PLAIN | LV_JSON_NOSLASHESCAPE), end);
	}
	json_object_put(a);
	lv_json_doc_put(&doc);
	free(text);
	return 0;
}
