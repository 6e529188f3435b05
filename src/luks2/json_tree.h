/* SPDX-License-Identifier: ISC */
/*
 * json_tree.h: the JSON of a LUKS2 header as a tree in one arena, read and
 * printed exactly as json-c 0.16 (cryptsetup's parser) reads and prints it.
 *
 * cryptsetup parses the JSON area with json-c's lenient tokener and writes
 * it with json-c's printer; luksvol must accept the same texts, read the
 * same values out of them and print them back byte for byte.  json-c
 * allocates every value, key and table on its own, hundreds of allocations
 * per header; this tree costs a few: its values, strings and arrays live in
 * one arena (arena.h), freed with the document.  fuzz/json_tree.c runs both
 * parsers and printers on the same bytes and fails on any difference.
 *
 * The grammar json-c accepts, beyond RFC 8259 (json_tokener.c, flags 0):
 *  - comments, slash-star and slash-slash, wherever whitespace may be;
 *  - strings in single quotes too, raw control characters in strings, and
 *    escapes \" \\ \/ \b \f \n \r \t \uXXXX only; lone or mispaired
 *    surrogates become U+FFFD; \u0000 is kept in a value, ends a key;
 *  - true, false, null, NaN and Infinity (with or without '-') in any case;
 *  - a trailing comma in an object or an array;
 *  - numbers: an optional '-', digits and, once each, '.' and e/E with a
 *    sign after either; leading zeros; a trailing e, E, + or - dropped;
 *    integers saturate at the int64 (negative) or uint64 range; inside a
 *    container a number must end at , ] } / I i or whitespace;
 *  - a NUL byte ends the input; at most 32 levels of values;
 *  - duplicate keys: the first position, the last value.
 */
#ifndef LV_JSON_TREE_H
#define LV_JSON_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "luks2/metadata.h"

struct lv_json_member {
	const char *key;		/* NUL-terminated (a key ends at its first NUL) */
	struct lv_json *value;
};

struct lv_json {
	enum lv_json_type type;
	bool is_uint64;			/* an integer above INT64_MAX, in u64 */
	union {
		bool boolean;
		int64_t i64;
		uint64_t u64;
		struct {
			double value;
			const char *text;	/* as read, printed as is; NULL: from value */
		} dbl;
		struct {
			const char *bytes;	/* NUL-terminated; len counts NULs inside */
			size_t len;
		} str;
		struct {
			struct lv_json_member *members;
			size_t count;
		} obj;
		struct {
			struct lv_json **items;
			size_t count;
		} arr;
	};
};

/* A document: its values and the arena they live in, reference counted so
 * that metadata and its clones can share it. */
struct lv_json_doc {
	unsigned refs;
	struct lv_arena *arena;
	struct lv_json *root;
	/* From lv_json_parse: false when the text has neither a control byte
	 * (whitespace included) nor a string in single quotes, so no string
	 * holds a byte json-c prints longer than it reads (a raw control, a
	 * '"' in single quotes).  Nothing else prints longer (escapes,
	 * numbers, words, separators print as long or shorter), so the
	 * compact print (LV_JSON_PLAIN) of such a tree is at most as long as
	 * the text parsed. */
	bool prints_longer;
};

/*
 * Parses len bytes as json-c's tokener does (json_tokener_parse_ex) and
 * sets *end to where it stopped, as json_tokener_get_parse_end.  0, or
 * -EINVAL (not JSON), -ENOMEM.  Text passed with its terminating NUL in
 * len reads as json_tokener_parse() reads a C string.
 */
int lv_json_parse(const char *text, size_t len, struct lv_json_doc **doc, size_t *end);
/* An empty document to build values in (json_write.c). */
struct lv_json_doc *lv_json_doc_new(void);
struct lv_json_doc *lv_json_doc_get(struct lv_json_doc *doc);
void lv_json_doc_put(struct lv_json_doc **doc);

/* New values in doc; NULL when out of memory. */
struct lv_json *lv_json_new(struct lv_json_doc *doc, enum lv_json_type type);
struct lv_json *lv_json_new_string(struct lv_json_doc *doc, const char *text);
struct lv_json *lv_json_new_int(struct lv_json_doc *doc, int64_t value);
/* A deep copy of value in doc. */
struct lv_json *lv_json_copy(struct lv_json_doc *doc, const struct lv_json *value);
/* object[key] = value: a member already there keeps its position, a new
 * one goes last (json_object_object_add).  -ENOMEM, also for a NULL
 * value, so that a failed lv_json_new*() can be passed straight in. */
int lv_json_set(struct lv_json_doc *doc, struct lv_json *object, const char *key,
		struct lv_json *value);
/* Appends object[key] = value for a key object does not hold (the
 * caller knows: no lookup).  -ENOMEM. */
int lv_json_push(struct lv_json_doc *doc, struct lv_json *object, const char *key,
		 struct lv_json *value);
/* Removes object[key], if any. */
void lv_json_del(struct lv_json *object, const char *key);
int lv_json_append(struct lv_json_doc *doc, struct lv_json *array, struct lv_json *value);

/* json-c's printing flags (json_object_to_json_string_ext). */
enum lv_json_print_flags {
	LV_JSON_PLAIN = 0,
	LV_JSON_SPACED = 1 << 0,
	LV_JSON_PRETTY = 1 << 1,
	LV_JSON_NOSLASHESCAPE = 1 << 4,
};
/* What json-c prints for value with flags: its length, and the text
 * (malloc'ed, NUL-terminated; NULL when out of memory). */
size_t lv_json_print_length(const struct lv_json *value, int flags);
char *lv_json_print(const struct lv_json *value, int flags, size_t *len);

/* For json_tree.c and json_print.c: member and element arrays are
 * allocated a power of two long (lv_json_capacity(count) entries), so that
 * the builders know when one is full; the control bytes, which json-c
 * prints escaped (with '"', '\\' and, unless LV_JSON_NOSLASHESCAPE, '/'). */
size_t lv_json_capacity(size_t count);
#define LV_JSON_CONTROLS "\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017" \
	"\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037"

/* json_object_get_int() and json_object_get_int64() of any value. */
int32_t lv_json_get_int(const struct lv_json *value);
int64_t lv_json_get_int64(const struct lv_json *value);
/* What json_object_get_string() returns: a string's bytes, else the
 * value printed with LV_JSON_SPACED, in doc (NULL: out of memory or an
 * absent value). */
const char *lv_json_get_string(struct lv_json_doc *doc, const struct lv_json *value);

#endif
