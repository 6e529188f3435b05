/* SPDX-License-Identifier: ISC */
/*
 * json_read.c: the LUKS2 JSON area, from bytes to struct lv_metadata.
 *
 * This file checks the byte rules of the area and the type of every field
 * (the per-object rules R1-R3, T1-T2, D1-D2, S1-S4, S6-S7, K1-K3, C1, C4,
 * A1 of luks2-reference.md §1.6), each as cryptsetup 2.6 checks it: which
 * strings must be non-empty, which numbers are decimal digits only, which
 * fields are read whatever their type.  Rules that relate objects to each
 * other live in validate.c.  With json_write.c, the only file that sees
 * json-c.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/metadata.h"
#include "luks2/token.h"

#define JSON(value) ((struct json_object *)(value))
#define LV_JSON(value) ((struct lv_json *)(value))

/* ---- values the metadata keeps ---- */

int lv_md_hold_json(struct lv_metadata *md, struct lv_json *value)
{
	if (!md->held && !(md->held = LV_JSON(json_object_new_array())))
		return -ENOMEM;
	if (json_object_array_add(JSON(md->held), json_object_get(JSON(value))) < 0) {
		json_object_put(JSON(value));
		return -ENOMEM;
	}
	return 0;
}

void lv_md_release_json(struct lv_metadata *md)
{
	json_object_put(JSON(md->held));
	md->held = NULL;
}

/* ---- read-only access for what the structs do not model ---- */

enum lv_json_type lv_json_type_of(const struct lv_json *value)
{
	switch (json_object_get_type(JSON(value))) {
	case json_type_boolean: return LV_JSON_BOOL;
	case json_type_int: return LV_JSON_INT;
	case json_type_double: return LV_JSON_DOUBLE;
	case json_type_string: return LV_JSON_STRING;
	case json_type_array: return LV_JSON_ARRAY;
	case json_type_object: return LV_JSON_OBJECT;
	default: return value ? LV_JSON_NULL : LV_JSON_ABSENT;
	}
}

const struct lv_json *lv_json_member(const struct lv_json *object, const char *key)
{
	struct json_object *value;

	if (!json_object_is_type(JSON(object), json_type_object) ||
	    !json_object_object_get_ex(JSON(object), key, &value))
		return NULL;
	return LV_JSON(value);
}

size_t lv_json_count(const struct lv_json *value)
{
	if (json_object_is_type(JSON(value), json_type_object))
		return (size_t)json_object_object_length(JSON(value));
	if (json_object_is_type(JSON(value), json_type_array))
		return json_object_array_length(JSON(value));
	return 0;
}

const struct lv_json *lv_json_element(const struct lv_json *array, size_t index)
{
	if (!json_object_is_type(JSON(array), json_type_array) ||
	    index >= json_object_array_length(JSON(array)))
		return NULL;
	return LV_JSON(json_object_array_get_idx(JSON(array), index));
}

const char *lv_json_text(const struct lv_json *value)
{
	return value ? json_object_get_string(JSON(value)) : NULL;
}

/* ---- the JSON area (§1.4) ---- */

static int parse_area(const uint8_t *area, size_t area_len, struct json_object **root,
		      size_t *json_end_bytes, struct lv_err *err)
{
	struct json_tokener *tok;
	size_t end;

	*root = NULL;
	if (area_len == 0 || area_len > INT_MAX)
		return lv_err_set(err, -EINVAL, "JSON area: size %zu is out of range", area_len);
	if (area[0] != '{')
		return lv_err_set(err, -EINVAL, "JSON area: does not start with '{'");
	tok = json_tokener_new();
	if (!tok)
		return lv_err_set(err, -ENOMEM, "JSON area: out of memory");
	*root = json_tokener_parse_ex(tok, (const char *)area, (int)area_len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!*root)
		return lv_err_set(err, -EINVAL, "JSON area: not valid JSON");
	if (end >= area_len) {
		json_object_put(*root);
		*root = NULL;
		return lv_err_set(err, -EINVAL, "JSON area: no terminating NUL after the JSON");
	}
	if (area[end] != '\0' || memcmp(area + end, area + end + 1, area_len - end - 1) != 0) {
		size_t i = end;

		while (area[i] == '\0')
			i++;
		json_object_put(*root);
		*root = NULL;
		return lv_err_set(err, -EINVAL,
				  "JSON area: non-NUL byte at offset %zu after the JSON", i);
	}
	if (!json_object_is_type(*root, json_type_object)) {
		json_object_put(*root);
		*root = NULL;
		return lv_err_set(err, -EINVAL, "JSON area: top level is not an object");
	}
	*json_end_bytes = end;
	return 0;
}

/* ---- field accessors: each names the object and field it rejects ---- */

struct reader {
	struct lv_metadata *md;
	struct lv_err *err;
	char where[48];		/* "keyslot 3": the object being read */
};

static void where_is(struct reader *rd, const char *kind, const char *id)
{
	snprintf(rd->where, sizeof(rd->where), "%s %.32s", kind, id);
}

static const char *json_type_label(enum json_type type)
{
	switch (type) {
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	case json_type_int: return "an integer";
	default: return "of the expected type";
	}
}

static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *value;

	return json_object_object_get_ex(obj, key, &value) ? value : NULL;
}

static int need(struct reader *rd, struct json_object *obj, const char *key, enum json_type type,
		struct json_object **out)
{
	if (!json_object_object_get_ex(obj, key, out))
		return lv_err_set(rd->err, -EINVAL, "%s: missing field \"%s\"", rd->where, key);
	if (!json_object_is_type(*out, type))
		return lv_err_set(rd->err, -EINVAL, "%s: field \"%s\" is not %s", rd->where, key,
				  json_type_label(type));
	return 0;
}

/* cryptsetup's json_contains_string: a string with at least one character
 * before any NUL. */
static int need_string(struct reader *rd, struct json_object *obj, const char *key,
		       const char **out)
{
	struct json_object *field;
	int r = need(rd, obj, key, json_type_string, &field);

	if (r < 0)
		return r;
	*out = json_object_get_string(field);
	if (**out == '\0')
		return lv_err_set(rd->err, -EINVAL, "%s: field \"%s\" is empty", rd->where, key);
	return 0;
}

static int need_int(struct reader *rd, struct json_object *obj, const char *key, int64_t *out)
{
	struct json_object *field;
	int r = need(rd, obj, key, json_type_int, &field);

	if (r == 0)
		*out = json_object_get_int64(field);
	return r;
}

static int need_uint32(struct reader *rd, struct json_object *obj, const char *key,
		       uint32_t *out)
{
	int64_t value = 0;
	int r = need_int(rd, obj, key, &value);

	if (r < 0)
		return r;
	if (value < 0 || value > UINT32_MAX)
		return lv_err_set(rd->err, -EINVAL, "%s: field \"%s\" is out of range", rd->where, key);
	*out = (uint32_t)value;
	return 0;
}

/* cryptsetup's numbered(): digits only; the empty string passes. */
static bool numbered(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* strtoull(text, &end, 10) with cryptsetup's json_str_to_uint64 test
 * (*end or errno refuse): leading blanks and a sign are accepted, a
 * negative value wraps. */
static bool str_to_uint64(const char *text, uint64_t *out)
{
	const char *p = text;
	uint64_t value = 0;
	bool negative = false, digits = false;

	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '+' || *p == '-')
		negative = *p++ == '-';
	for (; *p >= '0' && *p <= '9'; p++, digits = true) {
		if (value > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;	/* ERANGE */
		value = value * 10 + (uint64_t)(*p - '0');
	}
	if (!digits || *p != '\0')
		return false;
	*out = negative ? (uint64_t)0 - value : value;
	return true;
}

/* A non-empty string of decimal digits that fits in 64 bits. */
static int need_u64_digits(struct reader *rd, struct json_object *obj, const char *key,
			   uint64_t *out)
{
	const char *text;
	int r = need_string(rd, obj, key, &text);

	if (r < 0)
		return r;
	if (!numbered(text) || !str_to_uint64(text, out))
		return lv_err_set(rd->err, -EINVAL, "%s: field \"%s\" is not a decimal uint64",
				  rd->where, key);
	return 0;
}

/* A field read only when present, as json-c converts any type. */
static void get_any_int64(struct json_object *obj, const char *key, int64_t *out)
{
	struct json_object *field = member(obj, key);

	if (field)
		*out = json_object_get_int64(field);
}

static const char *get_any_string(struct json_object *obj, const char *key)
{
	struct json_object *field = member(obj, key);

	return field ? json_object_get_string(field) : NULL;
}

static void get_blob(struct json_object *obj, const char *key, struct lv_blob *blob)
{
	struct json_object *field = member(obj, key);

	memset(blob, 0, sizeof(*blob));
	if (!json_object_is_type(field, json_type_string))
		return;
	blob->text = json_object_get_string(field);
	blob->valid = lv_base64_decode(blob->text, blob->bytes, sizeof(blob->bytes),
				       &blob->len) == 0;
}

/* An object key inside keyslots, tokens, digests and segments (T1, D1,
 * S1, K1): digits only, any number of them. */
static int object_id(struct reader *rd, const char *section, const char *key,
		     struct json_object *value, struct lv_id *id)
{
	if (!numbered(key))
		return lv_err_set(rd->err, -EINVAL, "%s: key \"%.32s\" is not a number", section, key);
	lv_id_set(id, key);
	where_is(rd, section, key);
	if (!json_object_is_type(value, json_type_object))
		return lv_err_set(rd->err, -EINVAL, "%s: is not an object", rd->where);
	return 0;
}

/* An array of id strings: "keyslots": ["0", "3"]; what they name is
 * checked in validate.c. */
static int need_id_list(struct reader *rd, struct json_object *obj, const char *key,
			struct lv_id_list *list)
{
	struct json_object *array;
	int r = need(rd, obj, key, json_type_array, &array);
	size_t len;

	if (r < 0)
		return r;
	len = json_object_array_length(array);
	if (len > UINT_MAX)
		return lv_err_set(rd->err, -EINVAL, "%s: \"%s\" is too long", rd->where, key);
	list->count = (unsigned)len;
	list->items = len ? lv_md_alloc(rd->md, len * sizeof(list->items[0])) : NULL;
	if (len && !list->items)
		return lv_err_set(rd->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		struct json_object *item = json_object_array_get_idx(array, i);

		if (!json_object_is_type(item, json_type_string))
			return lv_err_set(rd->err, -EINVAL, "%s: \"%s\"[%zu] is not a string",
					  rd->where, key, i);
		lv_id_set(&list->items[i], json_object_get_string(item));
	}
	return 0;
}

/* An optional array of strings; where names it in messages. */
static int get_string_list(struct reader *rd, struct json_object *obj, const char *key,
			   const char *where, struct lv_string_list *list)
{
	struct json_object *array;
	size_t len;

	if (!json_object_object_get_ex(obj, key, &array))
		return 0;
	if (!json_object_is_type(array, json_type_array))
		return lv_err_set(rd->err, -EINVAL, "%s: \"%s\" is not an array", where, key);
	len = json_object_array_length(array);
	if (len > UINT_MAX)
		return lv_err_set(rd->err, -EINVAL, "%s: \"%s\" is too long", where, key);
	list->present = true;
	list->count = (unsigned)len;
	list->items = len ? lv_md_alloc(rd->md, len * sizeof(list->items[0])) : NULL;
	if (len && !list->items)
		return lv_err_set(rd->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		struct json_object *item = json_object_array_get_idx(array, i);

		if (!json_object_is_type(item, json_type_string))
			return lv_err_set(rd->err, -EINVAL, "%s: %s[%zu] is not a string", where, key, i);
		list->items[i] = json_object_get_string(item);
	}
	return 0;
}

/* The array for the objects of a section, counted once. */
static int alloc_section(struct reader *rd, struct json_object *section, size_t size,
			 void **items)
{
	int len = json_object_object_length(section);

	*items = NULL;
	if (len <= 0)
		return 0;
	*items = lv_md_alloc(rd->md, (size_t)len * size);
	return *items ? 0 : lv_err_set(rd->err, -ENOMEM, "out of memory");
}

/* ---- config.requirements (R1-R3) ---- */

static const char *const known_requirements[] = {
	"offline-reencrypt", "online-reencrypt", "online-reencrypt-v2",
	"online-reencrypt-v3", "inline-hw-tags", "opal", "opal-v2", NULL,
};

bool lv_requirement_is_online_reencrypt(const char *flag)
{
	const char *prefix = "online-reencrypt";
	size_t n = strlen(prefix);

	if (strncmp(flag, prefix, n) != 0)
		return false;
	if (flag[n] == '\0')
		return true;
	return flag[n] == '-' && flag[n + 1] == 'v' && flag[n + 2] && numbered(flag + n + 2);
}

static bool string_in(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static int read_requirements(struct reader *rd, struct json_object *config)
{
	struct lv_config *cfg = &rd->md->config;
	struct json_object *reqs;
	int r;

	if (!json_object_object_get_ex(config, "requirements", &reqs))
		return 0;
	cfg->has_requirements = true;
	if (!json_object_is_type(reqs, json_type_object))
		return lv_err_set(rd->err, -EINVAL, "config: \"requirements\" is not an object");
	r = get_string_list(rd, reqs, "mandatory", "config: requirements", &cfg->mandatory);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < cfg->mandatory.count; i++) {
		const char *flag = cfg->mandatory.items[i];

		cfg->online_reencrypt_count += lv_requirement_is_online_reencrypt(flag);
		if (!string_in(flag, known_requirements))
			cfg->unknown_requirement = true;
	}
	if (cfg->online_reencrypt_count > 1)
		return lv_err_set(rd->err, -EINVAL,
				  "config: more than one online-reencrypt requirement");
	return 0;
}

/* ---- config (C1, C4) ---- */

const struct lv_flag_name lv_persistent_flag_names[] = {
	{ LV_FLAG_ALLOW_DISCARDS, "allow-discards" },
	{ LV_FLAG_SAME_CPU_CRYPT, "same-cpu-crypt" },
	{ LV_FLAG_SUBMIT_FROM_CRYPT_CPUS, "submit-from-crypt-cpus" },
	{ LV_FLAG_NO_JOURNAL, "no-journal" },
	{ LV_FLAG_NO_READ_WORKQUEUE, "no-read-workqueue" },
	{ LV_FLAG_NO_WRITE_WORKQUEUE, "no-write-workqueue" },
	{ LV_FLAG_HIGH_PRIORITY, "high_priority" },
	{ 0, NULL },
};

/* C1: json_size and keyslots_size are non-empty strings that strtoull()
 * reads whole (cryptsetup checks no digits-only form here). */
static int need_config_size(struct reader *rd, struct json_object *config, const char *key,
			    uint64_t *out)
{
	const char *text;
	int r = need_string(rd, config, key, &text);

	if (r == 0 && !str_to_uint64(text, out))
		return lv_err_set(rd->err, -EINVAL, "config: field \"%s\" is not a decimal uint64",
				  key);
	return r;
}

static int read_config(struct reader *rd, struct json_object *config)
{
	struct lv_config *cfg = &rd->md->config;
	int r;

	snprintf(rd->where, sizeof(rd->where), "config");
	cfg->json = (const struct lv_json *)config;
	if ((r = need_config_size(rd, config, "json_size", &cfg->json_size)) < 0 ||
	    (r = need_config_size(rd, config, "keyslots_size", &cfg->keyslots_size)) < 0 ||
	    (r = get_string_list(rd, config, "flags", "config", &cfg->flags)) < 0)
		return r;
	for (unsigned i = 0; i < cfg->flags.count; i++)
		for (const struct lv_flag_name *f = lv_persistent_flag_names; f->name; f++)
			if (strcmp(cfg->flags.items[i], f->name) == 0)
				cfg->persistent_flags |= f->flag;
	return 0;
}

/* ---- tokens (T1, T2) ---- */

static int read_token(struct reader *rd, const char *key, struct json_object *obj,
		      struct lv_token *token)
{
	int r = object_id(rd, "token", key, obj, &token->id);

	if (r < 0)
		return r;
	token->json = (const struct lv_json *)obj;
	if ((r = need_string(rd, obj, "type", &token->type)) < 0 ||
	    (r = need_id_list(rd, obj, "keyslots", &token->keyslots)) < 0)
		return r;
	token->ops = lv_token_ops_find(token->type);
	return 0;
}

static int read_tokens(struct reader *rd, struct json_object *tokens)
{
	struct lv_metadata *md = rd->md;
	int r;

	if ((r = alloc_section(rd, tokens, sizeof(md->tokens[0]), (void **)&md->tokens)) < 0)
		return r;
	json_object_object_foreach(tokens, key, value) {
		if ((r = read_token(rd, key, value, &md->tokens[md->token_count])) < 0)
			return r;
		md->token_count++;
	}
	return 0;
}

/* ---- digests (D1, D2) ---- */

static int read_digest(struct reader *rd, const char *key, struct json_object *obj,
		       struct lv_digest *digest)
{
	struct json_object *iterations;
	int r = object_id(rd, "digest", key, obj, &digest->id);

	if (r < 0)
		return r;
	digest->json = (const struct lv_json *)obj;
	if ((r = need_string(rd, obj, "type", &digest->type)) < 0 ||
	    (r = need_id_list(rd, obj, "keyslots", &digest->keyslots)) < 0 ||
	    (r = need_id_list(rd, obj, "segments", &digest->segments)) < 0)
		return r;
	/* The pbkdf2 parameters are checked where the digest is used (§1.7). */
	digest->hash = get_any_string(obj, "hash");
	iterations = member(obj, "iterations");
	if (json_object_is_type(iterations, json_type_int))
		digest->iterations = json_object_get_int64(iterations);
	get_blob(obj, "salt", &digest->salt);
	get_blob(obj, "digest", &digest->digest);
	return 0;
}

static int read_digests(struct reader *rd, struct json_object *digests)
{
	struct lv_metadata *md = rd->md;
	int r;

	if ((r = alloc_section(rd, digests, sizeof(md->digests[0]), (void **)&md->digests)) < 0)
		return r;
	json_object_object_foreach(digests, key, value) {
		if ((r = read_digest(rd, key, value, &md->digests[md->digest_count])) < 0)
			return r;
		md->digest_count++;
	}
	return 0;
}

/* ---- segments (S2-S4, S6, S7) ---- */

static int read_segment_flags(struct reader *rd, struct json_object *obj,
			      struct lv_segment *seg)
{
	int r = get_string_list(rd, obj, "flags", rd->where, &seg->flags);

	for (unsigned i = 0; r == 0 && i < seg->flags.count; i++) {
		if (strncmp(seg->flags.items[i], "backup-", 7) == 0)
			seg->is_backup = true;
		if (strcmp(seg->flags.items[i], "in-reencryption") == 0)
			seg->in_reencryption = true;
	}
	return r;
}

static int read_segment_size(struct reader *rd, struct json_object *obj,
			     struct lv_segment *seg)
{
	const char *text;
	int r = need_string(rd, obj, "size", &text);

	if (r < 0)
		return r;
	if (strcmp(text, "dynamic") == 0) {
		seg->dynamic = true;
		return 0;
	}
	if ((r = need_u64_digits(rd, obj, "size", &seg->size_bytes)) < 0)
		return r;
	if (seg->size_bytes == 0)
		return lv_err_set(rd->err, -EINVAL, "%s: size is zero", rd->where);
	if (seg->size_bytes % 512)
		return lv_err_set(rd->err, -EINVAL, "%s: size is not 512-byte aligned", rd->where);
	return 0;
}

static int read_integrity(struct reader *rd, struct json_object *obj, struct lv_segment *seg)
{
	static const char *const fields[] = { "type", "journal_encryption",
					      "journal_integrity" };
	struct json_object *integrity;
	const char *text;
	int r;

	if (!json_object_object_get_ex(obj, "integrity", &integrity))
		return 0;
	if (!json_object_is_type(integrity, json_type_object))
		return lv_err_set(rd->err, -EINVAL, "%s: \"integrity\" is not an object", rd->where);
	for (size_t i = 0; i < 3; i++) {
		if ((r = need_string(rd, integrity, fields[i], &text)) < 0)
			return r;
		if (i == 0)
			seg->integrity_type = text;
	}
	return 0;
}

static int read_crypt_segment(struct reader *rd, struct json_object *obj,
			      struct lv_segment *seg)
{
	int r;

	seg->is_crypt = true;
	if ((r = need_u64_digits(rd, obj, "iv_tweak", &seg->iv_tweak)) < 0 ||
	    (r = need_string(rd, obj, "encryption", &seg->encryption)) < 0 ||
	    (r = need_uint32(rd, obj, "sector_size", &seg->sector_size)) < 0)
		return r;
	if (seg->sector_size == 0 || seg->sector_size % 512)
		return lv_err_set(rd->err, -EINVAL, "%s: sector_size %u is not a multiple of 512",
				  rd->where, seg->sector_size);
	if (!seg->dynamic && seg->size_bytes % seg->sector_size)
		return lv_err_set(rd->err, -EINVAL, "%s: size is not a multiple of sector_size",
				  rd->where);
	return read_integrity(rd, obj, seg);
}

static int read_opal_segment(struct reader *rd, struct json_object *obj,
			     struct lv_segment *seg)
{
	int64_t number, key_size;
	uint64_t opal_size;
	int r;

	if (seg->dynamic)
		return lv_err_set(rd->err, -EINVAL, "%s: OPAL segment size is dynamic", rd->where);
	if ((r = need_int(rd, obj, "opal_segment_number", &number)) < 0 ||
	    (r = need_int(rd, obj, "opal_key_size", &key_size)) < 0 ||
	    (r = need_u64_digits(rd, obj, "opal_segment_size", &opal_size)) < 0)
		return r;
	if (opal_size == 0 || seg->size_bytes > opal_size)
		return lv_err_set(rd->err, -EINVAL, "%s: bad opal_segment_size", rd->where);
	return 0;
}

static int read_segment(struct reader *rd, const char *key, struct json_object *obj,
			struct lv_segment *seg)
{
	struct json_object *field;
	const char *text;
	int r = object_id(rd, "segment", key, obj, &seg->id);

	if (r < 0)
		return r;
	seg->json = (const struct lv_json *)obj;
	if ((r = need_string(rd, obj, "type", &seg->type)) < 0 ||
	    (r = need_string(rd, obj, "offset", &text)) < 0 ||
	    (r = need_u64_digits(rd, obj, "offset", &seg->offset_bytes)) < 0 ||
	    (r = read_segment_size(rd, obj, seg)) < 0)
		return r;
	if (seg->offset_bytes % 512)
		return lv_err_set(rd->err, -EINVAL, "%s: offset is not 512-byte aligned", rd->where);
	if ((r = read_segment_flags(rd, obj, seg)) < 0)
		return r;
	if (strcmp(seg->type, "hw-opal") == 0 || strcmp(seg->type, "hw-opal-crypt") == 0) {
		if ((r = read_opal_segment(rd, obj, seg)) < 0)
			return r;
	}
	if (strcmp(seg->type, "crypt") == 0 || strcmp(seg->type, "hw-opal-crypt") == 0)
		return read_crypt_segment(rd, obj, seg);
	/* What luksDump shows of other types when present. */
	seg->encryption = get_any_string(obj, "encryption");
	if ((field = member(obj, "sector_size")))
		seg->sector_size = (uint32_t)json_object_get_int64(field);
	return 0;
}

static int read_segments(struct reader *rd, struct json_object *segments)
{
	struct lv_metadata *md = rd->md;
	int r;

	if ((r = alloc_section(rd, segments, sizeof(md->segments[0]), (void **)&md->segments)) < 0)
		return r;
	json_object_object_foreach(segments, key, value) {
		if ((r = read_segment(rd, key, value, &md->segments[md->segment_count])) < 0)
			return r;
		md->segment_count++;
	}
	if (md->segment_count == 0)
		return lv_err_set(rd->err, -EINVAL, "segments: no segment");
	return 0;
}

/* ---- keyslots (K1-K3, A1) ---- */

static int read_kdf(struct reader *rd, struct json_object *obj, struct lv_kdf *kdf)
{
	const char *salt;
	int r = need_string(rd, obj, "type", &kdf->type);
	size_t fields = (size_t)json_object_object_length(obj);

	if (r < 0)
		return r;
	get_blob(obj, "salt", &kdf->salt);
	if (strcmp(kdf->type, "pbkdf2") == 0) {
		kdf->kind = LV_KDF_PBKDF2;
		if (fields != 4)
			return lv_err_set(rd->err, -EINVAL, "%s: pbkdf2 kdf has %zu fields, not 4",
					  rd->where, fields);
		if ((r = need_string(rd, obj, "hash", &kdf->hash)) < 0 ||
		    (r = need_int(rd, obj, "iterations", &kdf->iterations)) < 0)
			return r;
	} else if (strcmp(kdf->type, "argon2i") == 0 || strcmp(kdf->type, "argon2id") == 0) {
		kdf->kind = strcmp(kdf->type, "argon2id") == 0 ? LV_KDF_ARGON2ID : LV_KDF_ARGON2I;
		if (fields != 5)
			return lv_err_set(rd->err, -EINVAL, "%s: %s kdf has %zu fields, not 5",
					  rd->where, kdf->type, fields);
		if ((r = need_int(rd, obj, "time", &kdf->time_cost)) < 0 ||
		    (r = need_int(rd, obj, "memory", &kdf->memory_kib)) < 0 ||
		    (r = need_int(rd, obj, "cpus", &kdf->cpus)) < 0)
			return r;
	} else {
		/* Unknown kdf types load (cryptsetup accepts the pre-release
		 * "argon2"); luksDump shows these fields, and unlock refuses. */
		kdf->kind = LV_KDF_OTHER;
		get_any_int64(obj, "time", &kdf->time_cost);
		get_any_int64(obj, "memory", &kdf->memory_kib);
		get_any_int64(obj, "cpus", &kdf->cpus);
		get_any_int64(obj, "iterations", &kdf->iterations);
		kdf->hash = get_any_string(obj, "hash");
		return 0;
	}
	return need_string(rd, obj, "salt", &salt);
}

static int read_luks2_keyslot(struct reader *rd, struct json_object *obj, struct lv_keyslot *ks)
{
	struct json_object *kdf, *af, *area;
	const char *text;
	int r;

	if ((r = need(rd, obj, "kdf", json_type_object, &kdf)) < 0 ||
	    (r = need(rd, obj, "af", json_type_object, &af)) < 0 ||
	    (r = need(rd, obj, "area", json_type_object, &area)) < 0 ||
	    (r = read_kdf(rd, kdf, &ks->kdf)) < 0 ||
	    (r = need_string(rd, af, "type", &ks->af.type)) < 0)
		return r;
	if (strcmp(ks->af.type, "luks1") != 0)
		return lv_err_set(rd->err, -EINVAL, "%s: af type \"%.32s\" is not luks1", rd->where,
				  ks->af.type);
	if ((r = need_string(rd, af, "hash", &ks->af.hash)) < 0 ||
	    (r = need_int(rd, af, "stripes", &ks->af.stripes)) < 0)
		return r;
	if (strcmp(ks->area.type, "raw") != 0)
		return lv_err_set(rd->err, -EINVAL, "%s: area type \"%.32s\" is not raw", rd->where,
				  ks->area.type);
	if ((r = need_string(rd, area, "encryption", &ks->area.encryption)) < 0 ||
	    (r = need_int(rd, area, "key_size", &ks->area.key_size)) < 0 ||
	    (r = need_string(rd, area, "offset", &text)) < 0 ||
	    (r = need_string(rd, area, "size", &text)) < 0)
		return r;
	return 0;
}

/* The reencrypt keyslot records an interrupted reencryption (§1.5). */
static int read_reencrypt_keyslot(struct reader *rd, struct json_object *obj,
				  struct lv_keyslot *ks)
{
	static const char *const modes[] = { "reencrypt", "encrypt", "decrypt", NULL };
	static const char *const directions[] = { "forward", "backward", NULL };
	static const char *const area_types[] = { "none", "journal", "checksum", "datashift",
						  "datashift-journal", "datashift-checksum",
						  NULL };
	struct lv_reencrypt *re = &ks->reencrypt;
	struct json_object *area = member(obj, "area"), *shift;
	int r;

	if (ks->key_size != 1)
		return lv_err_set(rd->err, -EINVAL, "%s: reencrypt key_size is not 1", rd->where);
	if ((r = need_string(rd, obj, "mode", &re->mode)) < 0 ||
	    (r = need_string(rd, obj, "direction", &re->direction)) < 0)
		return r;
	if (!string_in(re->mode, modes))
		return lv_err_set(rd->err, -EINVAL, "%s: unknown reencrypt mode", rd->where);
	if (!string_in(re->direction, directions))
		return lv_err_set(rd->err, -EINVAL, "%s: unknown reencrypt direction", rd->where);
	if (!string_in(ks->area.type, area_types))
		return lv_err_set(rd->err, -EINVAL, "%s: unknown reencrypt area type", rd->where);
	re->hash = get_any_string(area, "hash");
	get_any_int64(area, "sector_size", &re->sector_size);
	if ((shift = member(area, "shift_size")))
		(void)str_to_uint64(json_object_get_string(shift), &re->shift_size);
	return 0;
}

/* A1: every keyslot has an area with a type, offset and size. */
static int read_area(struct reader *rd, struct json_object *obj, struct lv_keyslot *ks)
{
	struct json_object *area;
	int r;

	if ((r = need(rd, obj, "area", json_type_object, &area)) < 0 ||
	    (r = need_string(rd, area, "type", &ks->area.type)) < 0 ||
	    (r = need_u64_digits(rd, area, "offset", &ks->area.offset_bytes)) < 0 ||
	    (r = need_u64_digits(rd, area, "size", &ks->area.size_bytes)) < 0)
		return r;
	return 0;
}

static int read_keyslot(struct reader *rd, const char *key, struct json_object *obj,
			struct lv_keyslot *ks)
{
	struct json_object *priority;
	int r = object_id(rd, "keyslot", key, obj, &ks->id);

	if (r < 0)
		return r;
	ks->json = (const struct lv_json *)obj;
	if ((r = need_string(rd, obj, "type", &ks->type)) < 0 ||
	    (r = need_uint32(rd, obj, "key_size", &ks->key_size)) < 0 ||
	    (r = read_area(rd, obj, ks)) < 0)
		return r;
	/* Any type: cryptsetup reads the priority with json_object_get_int(). */
	if (json_object_object_get_ex(obj, "priority", &priority)) {
		ks->has_priority = true;
		ks->priority = json_object_get_int(priority);
	}
	if (strcmp(ks->type, "luks2") == 0) {
		ks->kind = LV_KEYSLOT_LUKS2;
		return read_luks2_keyslot(rd, obj, ks);
	}
	if (strcmp(ks->type, "reencrypt") == 0) {
		ks->kind = LV_KEYSLOT_REENCRYPT;
		return read_reencrypt_keyslot(rd, obj, ks);
	}
	ks->kind = LV_KEYSLOT_OTHER;	/* K6: unknown types are skipped */
	return 0;
}

static int read_keyslots(struct reader *rd, struct json_object *keyslots)
{
	struct lv_metadata *md = rd->md;
	int r;

	if ((r = alloc_section(rd, keyslots, sizeof(md->keyslots[0]), (void **)&md->keyslots)) < 0)
		return r;
	json_object_object_foreach(keyslots, key, value) {
		if ((r = read_keyslot(rd, key, value, &md->keyslots[md->keyslot_count])) < 0)
			return r;
		md->keyslot_count++;
	}
	return 0;
}

/* ---- the whole document ---- */

static int need_section(struct reader *rd, struct json_object *root, const char *key,
			struct json_object **section)
{
	snprintf(rd->where, sizeof(rd->where), "metadata");
	return need(rd, root, key, json_type_object, section);
}

/*
 * The sections in cryptsetup's validation order, so that the first error
 * reported is the one cryptsetup would meet first.
 */
static int read_sections(struct reader *rd, struct json_object *root)
{
	struct json_object *config, *tokens, *digests, *keyslots, *segments;
	int r;

	/* R1 runs before the object checks of the other sections. */
	if (!json_object_object_get_ex(root, "config", &config))
		return lv_err_set(rd->err, -EINVAL, "metadata: missing object \"config\"");
	if ((r = need_section(rd, root, "config", &config)) < 0 ||
	    (r = read_requirements(rd, config)) < 0 ||
	    (r = need_section(rd, root, "tokens", &tokens)) < 0 ||
	    (r = need_section(rd, root, "digests", &digests)) < 0 ||
	    (r = need_section(rd, root, "keyslots", &keyslots)) < 0 ||
	    (r = need_section(rd, root, "segments", &segments)) < 0 ||
	    (r = read_tokens(rd, tokens)) < 0 ||
	    (r = read_digests(rd, digests)) < 0 ||
	    (r = read_segments(rd, segments)) < 0 ||
	    (r = read_keyslots(rd, keyslots)) < 0 ||
	    (r = read_config(rd, config)) < 0)
		return r;
	return 0;
}

/* Typed metadata of root, validated against hdr_size. */
static int build(struct json_object *root, size_t json_len, uint64_t hdr_size,
		 struct lv_metadata **out, struct lv_err *err)
{
	struct lv_metadata *md = lv_metadata_alloc_sized(json_len + 1024);
	struct reader rd = { .md = md, .err = err };
	int r;

	*out = NULL;
	if (!md)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = lv_md_hold_json(md, LV_JSON(root));
	if (r < 0) {
		lv_metadata_free(&md);
		return lv_err_set(err, r, "out of memory");
	}
	md->root = LV_JSON(root);
	r = read_sections(&rd, root);
	if (r == 0)
		json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE,
						  &md->compact_json_bytes);
	if (r == 0)
		r = lv_metadata_validate(md, hdr_size, err);
	if (r < 0) {
		lv_metadata_free(&md);
		return r;
	}
	*out = md;
	return 0;
}

/* K7: cryptsetup < 2.0.3 left the parameters of the previous kdf type
 * behind when a keyslot's kdf changed.  Like cryptsetup's keyslot repair,
 * every field a luks2 keyslot's pbkdf2 or argon2 kdf does not have goes. */
static unsigned repair_kdf(struct json_object *kdf)
{
	static const char *const pbkdf2_fields[] = { "type", "salt", "hash", "iterations", NULL };
	static const char *const argon2_fields[] = { "type", "salt", "time", "memory", "cpus", NULL };
	struct json_object *type = member(kdf, "type");
	const char *const *keep;
	const char *name;
	unsigned removed = 0;

	if (!json_object_is_type(type, json_type_string))
		return 0;
	name = json_object_get_string(type);
	if (strcmp(name, "pbkdf2") == 0)
		keep = pbkdf2_fields;
	else if (strcmp(name, "argon2i") == 0 || strcmp(name, "argon2id") == 0)
		keep = argon2_fields;
	else
		return 0;
	for (int again = 1; again;) {
		again = 0;
		json_object_object_foreach(kdf, key, value) {
			(void)value;
			if (!string_in(key, keep)) {
				json_object_object_del(kdf, key);
				removed++;
				again = 1;
				break;
			}
		}
	}
	return removed;
}

static unsigned repair_keyslots(struct json_object *root)
{
	struct json_object *keyslots = member(root, "keyslots"), *type, *kdf;
	unsigned removed = 0;

	if (!json_object_is_type(keyslots, json_type_object))
		return 0;
	json_object_object_foreach(keyslots, key, ks) {
		(void)key;
		if (!json_object_is_type(ks, json_type_object) || !(type = member(ks, "type")) ||
		    !json_object_is_type(type, json_type_string) ||
		    strcmp(json_object_get_string(type), "luks2") != 0 ||
		    !json_object_is_type(kdf = member(ks, "kdf"), json_type_object))
			continue;
		removed += repair_kdf(kdf);
	}
	return removed;
}

int lv_metadata_parse(const uint8_t *area, size_t area_len, uint64_t hdr_size,
		      struct lv_metadata **md, size_t *json_end_bytes, struct lv_err *err)
{
	struct json_object *root;
	unsigned repaired;
	int r = parse_area(area, area_len, &root, json_end_bytes, err);

	*md = NULL;
	if (r < 0)
		return r;
	r = build(root, *json_end_bytes, hdr_size, md, err);
	/* As cryptsetup: a header that fails validation is repaired once (in
	 * memory; a write persists it) and validated again. */
	if (r < 0 && r != -ENOMEM && (repaired = repair_keyslots(root))) {
		r = build(root, *json_end_bytes, hdr_size, md, err);
		if (r == 0)
			(*md)->repaired_kdf_keys = repaired;
	}
	json_object_put(root);
	return r;
}

int lv_metadata_parse_token(struct lv_metadata *md, const char *json_text, uint32_t id,
			    struct lv_token **token, struct lv_err *err)
{
	struct json_object *obj = json_tokener_parse(json_text);
	struct reader rd = { .md = md, .err = err };
	struct lv_token *added;
	char key[16];
	int r;

	*token = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return lv_err_set(err, -EINVAL, "token JSON is not a JSON object");
	}
	r = lv_md_hold_json(md, LV_JSON(obj));
	json_object_put(obj);	/* md holds it now, or it is gone */
	if (r < 0)
		return lv_err_set(err, r, "out of memory");
	if (!(added = lv_md_add_token(md, id)))
		return lv_err_set(err, -ENOMEM, "out of memory");
	snprintf(key, sizeof(key), "%u", id);
	where_is(&rd, "token", key);
	added->json = (const struct lv_json *)obj;
	if ((r = need_string(&rd, obj, "type", &added->type)) < 0 ||
	    (r = need_id_list(&rd, obj, "keyslots", &added->keyslots)) < 0) {
		lv_md_remove_token(md, added);
		return r;
	}
	added->ops = lv_token_ops_find(added->type);
	*token = added;
	return 0;
}
