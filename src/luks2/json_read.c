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
 * the JSON tree (json_tree.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/json_tree.h"
#include "luks2/metadata.h"
#include "luks2/token.h"

/* ---- read-only access for what the structs do not model ---- */

enum lv_json_type lv_json_type_of(const struct lv_json *value)
{
	return value ? value->type : LV_JSON_ABSENT;
}

static struct lv_json *member(const struct lv_json *object, const char *key)
{
	if (!object || object->type != LV_JSON_OBJECT)
		return NULL;
	/* The first byte first: most keys differ there, and it saves a call. */
	for (size_t i = 0; i < object->obj.count; i++)
		if (object->obj.members[i].key[0] == key[0] &&
		    strcmp(object->obj.members[i].key, key) == 0)
			return object->obj.members[i].value;
	return NULL;
}

const struct lv_json *lv_json_member(const struct lv_json *object, const char *key)
{
	return member(object, key);
}

size_t lv_json_count(const struct lv_json *value)
{
	if (!value)
		return 0;
	if (value->type == LV_JSON_OBJECT)
		return value->obj.count;
	if (value->type == LV_JSON_ARRAY)
		return value->arr.count;
	return 0;
}

const char *lv_json_text(const struct lv_json *value)
{
	return value && value->type == LV_JSON_STRING ? value->str.bytes : NULL;
}

void lv_json_fprint(FILE *out, const struct lv_json *value)
{
	char *text;

	if (!value || value->type == LV_JSON_NULL) {
		fputs("(null)", out);
	} else if (value->type == LV_JSON_STRING) {
		fputs(value->str.bytes, out);
	} else if ((text = lv_json_print(value, LV_JSON_SPACED, NULL))) {
		fputs(text, out);
		free(text);
	}
}

/* ---- the JSON area (§1.4) ---- */

static int parse_area(const uint8_t *area, size_t area_len, struct lv_json_doc **doc,
		      size_t *json_end_bytes, struct lv_err *err)
{
	size_t end;
	int r;

	*doc = NULL;
	if (area_len == 0 || area_len > INT_MAX)
		return lv_err_set(err, -EINVAL, "JSON area: size %zu is out of range", area_len);
	if (area[0] != '{')
		return lv_err_set(err, -EINVAL, "JSON area: does not start with '{'");
	r = lv_json_parse((const char *)area, area_len, doc, &end);
	if (r == -ENOMEM)
		return lv_err_set(err, r, "JSON area: out of memory");
	if (r < 0)
		return lv_err_set(err, -EINVAL, "JSON area: not valid JSON");
	if (end >= area_len) {
		lv_json_doc_put(doc);
		return lv_err_set(err, -EINVAL, "JSON area: no terminating NUL after the JSON");
	}
	if (area[end] != '\0' || memcmp(area + end, area + end + 1, area_len - end - 1) != 0) {
		size_t i = end;

		while (area[i] == '\0')
			i++;
		lv_json_doc_put(doc);
		return lv_err_set(err, -EINVAL,
				  "JSON area: non-NUL byte at offset %zu after the JSON", i);
	}
	if ((*doc)->root->type != LV_JSON_OBJECT) {
		lv_json_doc_put(doc);
		return lv_err_set(err, -EINVAL, "JSON area: top level is not an object");
	}
	*json_end_bytes = end;
	return 0;
}

/* ---- field accessors: each names the object and field it rejects ---- */

struct reader {
	struct lv_metadata *md;
	struct lv_json_doc *doc;	/* where converted texts go */
	struct lv_err *err;
	/* The object being read ("keyslot" and "3"; id NULL for "config"),
	 * put in words only for a message (where()). */
	const char *kind, *id;
	char where[48];
};

static void where_is(struct reader *rd, const char *kind, const char *id)
{
	rd->kind = kind;
	rd->id = id;
}

static const char *where(struct reader *rd)
{
	if (rd->id)
		snprintf(rd->where, sizeof(rd->where), "%s %.32s", rd->kind, rd->id);
	else
		snprintf(rd->where, sizeof(rd->where), "%s", rd->kind);
	return rd->where;
}

static const char *json_type_label(enum lv_json_type type)
{
	switch (type) {
	case LV_JSON_OBJECT: return "an object";
	case LV_JSON_ARRAY: return "an array";
	case LV_JSON_STRING: return "a string";
	case LV_JSON_INT: return "an integer";
	default: return "of the expected type";
	}
}

static bool is_type(const struct lv_json *value, enum lv_json_type type)
{
	return value && value->type == type;
}

static int need(struct reader *rd, const struct lv_json *obj, const char *key,
		enum lv_json_type type, struct lv_json **out)
{
	if (!(*out = member(obj, key)))
		return lv_err_set(rd->err, -EINVAL, "%s: missing field \"%s\"", where(rd), key);
	if ((*out)->type != type)
		return lv_err_set(rd->err, -EINVAL, "%s: field \"%s\" is not %s", where(rd), key,
				  json_type_label(type));
	return 0;
}

/* cryptsetup's json_contains_string: a string with at least one character
 * before any NUL. */
static int need_string(struct reader *rd, struct lv_json *obj, const char *key,
		       const char **out)
{
	struct lv_json *field;
	int r = need(rd, obj, key, LV_JSON_STRING, &field);

	if (r < 0)
		return r;
	*out = field->str.bytes;
	if (**out == '\0')
		return lv_err_set(rd->err, -EINVAL, "%s: field \"%s\" is empty", where(rd), key);
	return 0;
}

static int need_int(struct reader *rd, struct lv_json *obj, const char *key, int64_t *out)
{
	struct lv_json *field;
	int r = need(rd, obj, key, LV_JSON_INT, &field);

	if (r == 0)
		*out = lv_json_get_int64(field);
	return r;
}

static int need_uint32(struct reader *rd, struct lv_json *obj, const char *key,
		       uint32_t *out)
{
	int64_t value = 0;
	int r = need_int(rd, obj, key, &value);

	if (r < 0)
		return r;
	if (value < 0 || value > UINT32_MAX)
		return lv_err_set(rd->err, -EINVAL, "%s: field \"%s\" is out of range", where(rd), key);
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
static int need_u64_digits(struct reader *rd, struct lv_json *obj, const char *key,
			   uint64_t *out)
{
	const char *text;
	int r = need_string(rd, obj, key, &text);

	if (r < 0)
		return r;
	if (!numbered(text) || !str_to_uint64(text, out))
		return lv_err_set(rd->err, -EINVAL, "%s: field \"%s\" is not a decimal uint64",
				  where(rd), key);
	return 0;
}

/* A field read only when present, as json-c converts any type. */
static void get_any_int64(struct lv_json *obj, const char *key, int64_t *out)
{
	struct lv_json *field = member(obj, key);

	if (field)
		*out = lv_json_get_int64(field);
}

static const char *get_any_string(struct reader *rd, struct lv_json *obj, const char *key)
{
	struct lv_json *field = member(obj, key);

	return field ? lv_json_get_string(rd->doc, field) : NULL;
}

static void get_blob(struct lv_json *obj, const char *key, struct lv_blob *blob)
{
	struct lv_json *field = member(obj, key);

	memset(blob, 0, sizeof(*blob));
	if (!is_type(field, LV_JSON_STRING))
		return;
	blob->text = field->str.bytes;
	blob->valid = lv_base64_decode(blob->text, blob->bytes, sizeof(blob->bytes),
				       &blob->len) == 0;
}

/* An object key inside keyslots, tokens, digests and segments (T1, D1,
 * S1, K1): digits only, any number of them. */
static int object_id(struct reader *rd, const char *section, const char *key,
		     struct lv_json *value, struct lv_id *id)
{
	if (!numbered(key))
		return lv_err_set(rd->err, -EINVAL, "%s: key \"%.32s\" is not a number", section, key);
	lv_id_set(id, key);
	where_is(rd, section, key);
	if (!is_type(value, LV_JSON_OBJECT))
		return lv_err_set(rd->err, -EINVAL, "%s: is not an object", where(rd));
	return 0;
}

/* An array of id strings: "keyslots": ["0", "3"]; what they name is
 * checked in validate.c. */
static int need_id_list(struct reader *rd, struct lv_json *obj, const char *key,
			struct lv_id_list *list)
{
	struct lv_json *array;
	int r = need(rd, obj, key, LV_JSON_ARRAY, &array);
	size_t len;

	if (r < 0)
		return r;
	len = array->arr.count;
	if (len > UINT_MAX)
		return lv_err_set(rd->err, -EINVAL, "%s: \"%s\" is too long", where(rd), key);
	list->count = (unsigned)len;
	list->items = len ? lv_md_alloc(rd->md, len * sizeof(list->items[0])) : NULL;
	if (len && !list->items)
		return lv_err_set(rd->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		struct lv_json *item = array->arr.items[i];

		if (!is_type(item, LV_JSON_STRING))
			return lv_err_set(rd->err, -EINVAL, "%s: \"%s\"[%zu] is not a string",
					  where(rd), key, i);
		lv_id_set(&list->items[i], item->str.bytes);
	}
	return 0;
}

/* An optional array of strings; name names its object in messages (NULL:
 * the object being read). */
static int get_string_list(struct reader *rd, struct lv_json *obj, const char *key,
			   const char *name, struct lv_string_list *list)
{
	struct lv_json *array;
	size_t len;

	if (!(array = member(obj, key)))
		return 0;
	if (!is_type(array, LV_JSON_ARRAY))
		return lv_err_set(rd->err, -EINVAL, "%s: \"%s\" is not an array",
				  name ? name : where(rd), key);
	len = array->arr.count;
	if (len > UINT_MAX)
		return lv_err_set(rd->err, -EINVAL, "%s: \"%s\" is too long",
				  name ? name : where(rd), key);
	list->present = true;
	list->count = (unsigned)len;
	list->items = len ? lv_md_alloc(rd->md, len * sizeof(list->items[0])) : NULL;
	if (len && !list->items)
		return lv_err_set(rd->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		struct lv_json *item = array->arr.items[i];

		if (!is_type(item, LV_JSON_STRING))
			return lv_err_set(rd->err, -EINVAL, "%s: %s[%zu] is not a string",
					  name ? name : where(rd), key, i);
		list->items[i] = item->str.bytes;
	}
	return 0;
}

/* The array for the objects of a section, counted once. */
static int alloc_section(struct reader *rd, struct lv_json *section, size_t size,
			 void **items)
{
	size_t len = section->obj.count;

	*items = NULL;
	if (len == 0)
		return 0;
	if (len > UINT_MAX || len > SIZE_MAX / size)
		return lv_err_set(rd->err, -EINVAL, "metadata: a section is too large");
	*items = lv_md_alloc(rd->md, len * size);
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

static int read_requirements(struct reader *rd, struct lv_json *config)
{
	struct lv_config *cfg = &rd->md->config;
	struct lv_json *reqs;
	int r;

	if (!(reqs = member(config, "requirements")))
		return 0;
	cfg->has_requirements = true;
	if (!is_type(reqs, LV_JSON_OBJECT))
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
static int need_config_size(struct reader *rd, struct lv_json *config, const char *key,
			    uint64_t *out)
{
	const char *text;
	int r = need_string(rd, config, key, &text);

	if (r == 0 && !str_to_uint64(text, out))
		return lv_err_set(rd->err, -EINVAL, "config: field \"%s\" is not a decimal uint64",
				  key);
	return r;
}

static int read_config(struct reader *rd, struct lv_json *config)
{
	struct lv_config *cfg = &rd->md->config;
	int r;

	where_is(rd, "config", NULL);
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

static int read_token(struct reader *rd, const char *key, struct lv_json *obj,
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

static int read_tokens(struct reader *rd, struct lv_json *tokens)
{
	struct lv_metadata *md = rd->md;
	int r;

	if ((r = alloc_section(rd, tokens, sizeof(md->tokens[0]), (void **)&md->tokens)) < 0)
		return r;
	for (size_t i = 0; i < tokens->obj.count; i++) {
		const char *key = tokens->obj.members[i].key;
		struct lv_json *value = tokens->obj.members[i].value;

		if ((r = read_token(rd, key, value, &md->tokens[md->token_count])) < 0)
			return r;
		md->token_count++;
	}
	return 0;
}

/* ---- digests (D1, D2) ---- */

static int read_digest(struct reader *rd, const char *key, struct lv_json *obj,
		       struct lv_digest *digest)
{
	struct lv_json *iterations;
	int r = object_id(rd, "digest", key, obj, &digest->id);

	if (r < 0)
		return r;
	digest->json = (const struct lv_json *)obj;
	if ((r = need_string(rd, obj, "type", &digest->type)) < 0 ||
	    (r = need_id_list(rd, obj, "keyslots", &digest->keyslots)) < 0 ||
	    (r = need_id_list(rd, obj, "segments", &digest->segments)) < 0)
		return r;
	/* The pbkdf2 parameters are checked where the digest is used (§1.7). */
	digest->hash = get_any_string(rd, obj, "hash");
	iterations = member(obj, "iterations");
	if (is_type(iterations, LV_JSON_INT))
		digest->iterations = lv_json_get_int64(iterations);
	get_blob(obj, "salt", &digest->salt);
	get_blob(obj, "digest", &digest->digest);
	return 0;
}

static int read_digests(struct reader *rd, struct lv_json *digests)
{
	struct lv_metadata *md = rd->md;
	int r;

	if ((r = alloc_section(rd, digests, sizeof(md->digests[0]), (void **)&md->digests)) < 0)
		return r;
	for (size_t i = 0; i < digests->obj.count; i++) {
		const char *key = digests->obj.members[i].key;
		struct lv_json *value = digests->obj.members[i].value;

		if ((r = read_digest(rd, key, value, &md->digests[md->digest_count])) < 0)
			return r;
		md->digest_count++;
	}
	return 0;
}

/* ---- segments (S2-S4, S6, S7) ---- */

static int read_segment_flags(struct reader *rd, struct lv_json *obj,
			      struct lv_segment *seg)
{
	int r = get_string_list(rd, obj, "flags", NULL, &seg->flags);

	for (unsigned i = 0; r == 0 && i < seg->flags.count; i++) {
		if (strncmp(seg->flags.items[i], "backup-", 7) == 0)
			seg->is_backup = true;
		if (strcmp(seg->flags.items[i], "in-reencryption") == 0)
			seg->in_reencryption = true;
	}
	return r;
}

static int read_segment_size(struct reader *rd, struct lv_json *obj,
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
		return lv_err_set(rd->err, -EINVAL, "%s: size is zero", where(rd));
	if (seg->size_bytes % 512)
		return lv_err_set(rd->err, -EINVAL, "%s: size is not 512-byte aligned", where(rd));
	return 0;
}

static int read_integrity(struct reader *rd, struct lv_json *obj, struct lv_segment *seg)
{
	static const char *const fields[] = { "type", "journal_encryption",
					      "journal_integrity" };
	struct lv_json *integrity;
	const char *text;
	int r;

	if (!(integrity = member(obj, "integrity")))
		return 0;
	if (!is_type(integrity, LV_JSON_OBJECT))
		return lv_err_set(rd->err, -EINVAL, "%s: \"integrity\" is not an object", where(rd));
	for (size_t i = 0; i < 3; i++) {
		if ((r = need_string(rd, integrity, fields[i], &text)) < 0)
			return r;
		if (i == 0)
			seg->integrity_type = text;
	}
	return 0;
}

static int read_crypt_segment(struct reader *rd, struct lv_json *obj,
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
				  where(rd), seg->sector_size);
	if (!seg->dynamic && seg->size_bytes % seg->sector_size)
		return lv_err_set(rd->err, -EINVAL, "%s: size is not a multiple of sector_size",
				  where(rd));
	return read_integrity(rd, obj, seg);
}

static int read_opal_segment(struct reader *rd, struct lv_json *obj,
			     struct lv_segment *seg)
{
	int64_t number, key_size;
	uint64_t opal_size;
	int r;

	if (seg->dynamic)
		return lv_err_set(rd->err, -EINVAL, "%s: OPAL segment size is dynamic", where(rd));
	if ((r = need_int(rd, obj, "opal_segment_number", &number)) < 0 ||
	    (r = need_int(rd, obj, "opal_key_size", &key_size)) < 0 ||
	    (r = need_u64_digits(rd, obj, "opal_segment_size", &opal_size)) < 0)
		return r;
	if (opal_size == 0 || seg->size_bytes > opal_size)
		return lv_err_set(rd->err, -EINVAL, "%s: bad opal_segment_size", where(rd));
	return 0;
}

static int read_segment(struct reader *rd, const char *key, struct lv_json *obj,
			struct lv_segment *seg)
{
	struct lv_json *field;
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
		return lv_err_set(rd->err, -EINVAL, "%s: offset is not 512-byte aligned", where(rd));
	if ((r = read_segment_flags(rd, obj, seg)) < 0)
		return r;
	if (strcmp(seg->type, "hw-opal") == 0 || strcmp(seg->type, "hw-opal-crypt") == 0) {
		if ((r = read_opal_segment(rd, obj, seg)) < 0)
			return r;
	}
	if (strcmp(seg->type, "crypt") == 0 || strcmp(seg->type, "hw-opal-crypt") == 0)
		return read_crypt_segment(rd, obj, seg);
	/* What luksDump shows of other types when present. */
	seg->encryption = get_any_string(rd, obj, "encryption");
	if ((field = member(obj, "sector_size")))
		seg->sector_size = (uint32_t)lv_json_get_int64(field);
	return 0;
}

static int read_segments(struct reader *rd, struct lv_json *segments)
{
	struct lv_metadata *md = rd->md;
	int r;

	if ((r = alloc_section(rd, segments, sizeof(md->segments[0]), (void **)&md->segments)) < 0)
		return r;
	for (size_t i = 0; i < segments->obj.count; i++) {
		const char *key = segments->obj.members[i].key;
		struct lv_json *value = segments->obj.members[i].value;

		if ((r = read_segment(rd, key, value, &md->segments[md->segment_count])) < 0)
			return r;
		md->segment_count++;
	}
	if (md->segment_count == 0)
		return lv_err_set(rd->err, -EINVAL, "segments: no segment");
	return 0;
}

/* ---- keyslots (K1-K3, A1) ---- */

static int read_kdf(struct reader *rd, struct lv_json *obj, struct lv_kdf *kdf)
{
	const char *salt;
	int r = need_string(rd, obj, "type", &kdf->type);
	size_t fields = obj->obj.count;

	if (r < 0)
		return r;
	get_blob(obj, "salt", &kdf->salt);
	if (strcmp(kdf->type, "pbkdf2") == 0) {
		kdf->kind = LV_KDF_PBKDF2;
		if (fields != 4)
			return lv_err_set(rd->err, -EINVAL, "%s: pbkdf2 kdf has %zu fields, not 4",
					  where(rd), fields);
		if ((r = need_string(rd, obj, "hash", &kdf->hash)) < 0 ||
		    (r = need_int(rd, obj, "iterations", &kdf->iterations)) < 0)
			return r;
	} else if (strcmp(kdf->type, "argon2i") == 0 || strcmp(kdf->type, "argon2id") == 0) {
		kdf->kind = strcmp(kdf->type, "argon2id") == 0 ? LV_KDF_ARGON2ID : LV_KDF_ARGON2I;
		if (fields != 5)
			return lv_err_set(rd->err, -EINVAL, "%s: %s kdf has %zu fields, not 5",
					  where(rd), kdf->type, fields);
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
		kdf->hash = get_any_string(rd, obj, "hash");
		return 0;
	}
	return need_string(rd, obj, "salt", &salt);
}

static int read_luks2_keyslot(struct reader *rd, struct lv_json *obj, struct lv_keyslot *ks)
{
	struct lv_json *kdf, *af, *area;
	const char *text;
	int r;

	if ((r = need(rd, obj, "kdf", LV_JSON_OBJECT, &kdf)) < 0 ||
	    (r = need(rd, obj, "af", LV_JSON_OBJECT, &af)) < 0 ||
	    (r = need(rd, obj, "area", LV_JSON_OBJECT, &area)) < 0 ||
	    (r = read_kdf(rd, kdf, &ks->kdf)) < 0 ||
	    (r = need_string(rd, af, "type", &ks->af.type)) < 0)
		return r;
	if (strcmp(ks->af.type, "luks1") != 0)
		return lv_err_set(rd->err, -EINVAL, "%s: af type \"%.32s\" is not luks1", where(rd),
				  ks->af.type);
	if ((r = need_string(rd, af, "hash", &ks->af.hash)) < 0 ||
	    (r = need_int(rd, af, "stripes", &ks->af.stripes)) < 0)
		return r;
	if (strcmp(ks->area.type, "raw") != 0)
		return lv_err_set(rd->err, -EINVAL, "%s: area type \"%.32s\" is not raw", where(rd),
				  ks->area.type);
	if ((r = need_string(rd, area, "encryption", &ks->area.encryption)) < 0 ||
	    (r = need_int(rd, area, "key_size", &ks->area.key_size)) < 0 ||
	    (r = need_string(rd, area, "offset", &text)) < 0 ||
	    (r = need_string(rd, area, "size", &text)) < 0)
		return r;
	return 0;
}

/* The reencrypt keyslot records an interrupted reencryption (§1.5). */
static int read_reencrypt_keyslot(struct reader *rd, struct lv_json *obj,
				  struct lv_keyslot *ks)
{
	static const char *const modes[] = { "reencrypt", "encrypt", "decrypt", NULL };
	static const char *const directions[] = { "forward", "backward", NULL };
	static const char *const area_types[] = { "none", "journal", "checksum", "datashift",
						  "datashift-journal", "datashift-checksum",
						  NULL };
	struct lv_reencrypt *re = &ks->reencrypt;
	struct lv_json *area = member(obj, "area"), *shift;
	int r;

	if (ks->key_size != 1)
		return lv_err_set(rd->err, -EINVAL, "%s: reencrypt key_size is not 1", where(rd));
	if ((r = need_string(rd, obj, "mode", &re->mode)) < 0 ||
	    (r = need_string(rd, obj, "direction", &re->direction)) < 0)
		return r;
	if (!string_in(re->mode, modes))
		return lv_err_set(rd->err, -EINVAL, "%s: unknown reencrypt mode", where(rd));
	if (!string_in(re->direction, directions))
		return lv_err_set(rd->err, -EINVAL, "%s: unknown reencrypt direction", where(rd));
	if (!string_in(ks->area.type, area_types))
		return lv_err_set(rd->err, -EINVAL, "%s: unknown reencrypt area type", where(rd));
	re->hash = get_any_string(rd, area, "hash");
	get_any_int64(area, "sector_size", &re->sector_size);
	if ((shift = member(area, "shift_size")))
		(void)str_to_uint64(lv_json_get_string(rd->doc, shift), &re->shift_size);
	return 0;
}

/* A1: every keyslot has an area with a type, offset and size. */
static int read_area(struct reader *rd, struct lv_json *obj, struct lv_keyslot *ks)
{
	struct lv_json *area;
	int r;

	if ((r = need(rd, obj, "area", LV_JSON_OBJECT, &area)) < 0 ||
	    (r = need_string(rd, area, "type", &ks->area.type)) < 0 ||
	    (r = need_u64_digits(rd, area, "offset", &ks->area.offset_bytes)) < 0 ||
	    (r = need_u64_digits(rd, area, "size", &ks->area.size_bytes)) < 0)
		return r;
	return 0;
}

static int read_keyslot(struct reader *rd, const char *key, struct lv_json *obj,
			struct lv_keyslot *ks)
{
	struct lv_json *priority;
	int r = object_id(rd, "keyslot", key, obj, &ks->id);

	if (r < 0)
		return r;
	ks->json = (const struct lv_json *)obj;
	if ((r = need_string(rd, obj, "type", &ks->type)) < 0 ||
	    (r = need_uint32(rd, obj, "key_size", &ks->key_size)) < 0 ||
	    (r = read_area(rd, obj, ks)) < 0)
		return r;
	/* Any type: cryptsetup reads the priority with lv_json_get_int(). */
	if ((priority = member(obj, "priority"))) {
		ks->has_priority = true;
		ks->priority = lv_json_get_int(priority);
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

static int read_keyslots(struct reader *rd, struct lv_json *keyslots)
{
	struct lv_metadata *md = rd->md;
	int r;

	if ((r = alloc_section(rd, keyslots, sizeof(md->keyslots[0]), (void **)&md->keyslots)) < 0)
		return r;
	for (size_t i = 0; i < keyslots->obj.count; i++) {
		const char *key = keyslots->obj.members[i].key;
		struct lv_json *value = keyslots->obj.members[i].value;

		if ((r = read_keyslot(rd, key, value, &md->keyslots[md->keyslot_count])) < 0)
			return r;
		md->keyslot_count++;
	}
	return 0;
}

/* ---- the whole document ---- */

static int need_section(struct reader *rd, struct lv_json *root, const char *key,
			struct lv_json **section)
{
	where_is(rd, "metadata", NULL);
	return need(rd, root, key, LV_JSON_OBJECT, section);
}

/*
 * The sections in cryptsetup's validation order, so that the first error
 * reported is the one cryptsetup would meet first.
 */
static int read_sections(struct reader *rd, struct lv_json *root)
{
	struct lv_json *config, *tokens, *digests, *keyslots, *segments;
	int r;

	/* R1 runs before the object checks of the other sections. */
	if (!member(root, "config"))
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

/* Typed metadata of doc, validated against hdr_size. */
static int build(struct lv_json_doc *doc, size_t json_len, uint64_t hdr_size,
		 struct lv_metadata **out, struct lv_err *err)
{
	struct lv_metadata *md = lv_metadata_alloc_sized(json_len + 1024);
	struct reader rd = { .md = md, .doc = doc, .err = err };
	int r;

	*out = NULL;
	if (!md)
		return lv_err_set(err, -ENOMEM, "out of memory");
	if ((r = lv_md_hold_doc(md, doc)) < 0) {
		lv_metadata_free(&md);
		return lv_err_set(err, r, "out of memory");
	}
	md->root = doc->root;
	r = read_sections(&rd, doc->root);
	/* J2: cryptsetup measures json-c's compact text of what it read.  Text
	 * that cannot print longer than it reads and fits json_size needs no
	 * printing: its length bounds the compact one (json_tree.h). */
	if (r == 0 && !doc->prints_longer && json_len <= md->config.json_size)
		md->compact_json_bytes = json_len;
	else if (r == 0)
		md->compact_json_bytes = lv_json_print_length(doc->root, LV_JSON_PLAIN |
							      LV_JSON_NOSLASHESCAPE);
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
static unsigned repair_kdf(struct lv_json *kdf)
{
	static const char *const pbkdf2_fields[] = { "type", "salt", "hash", "iterations", NULL };
	static const char *const argon2_fields[] = { "type", "salt", "time", "memory", "cpus", NULL };
	struct lv_json *type = member(kdf, "type");
	const char *const *keep;
	unsigned removed = 0;
	size_t kept = 0;

	if (!is_type(type, LV_JSON_STRING))
		return 0;
	if (strcmp(type->str.bytes, "pbkdf2") == 0)
		keep = pbkdf2_fields;
	else if (strcmp(type->str.bytes, "argon2i") == 0 || strcmp(type->str.bytes, "argon2id") == 0)
		keep = argon2_fields;
	else
		return 0;
	for (size_t i = 0; i < kdf->obj.count; i++) {
		if (string_in(kdf->obj.members[i].key, keep))
			kdf->obj.members[kept++] = kdf->obj.members[i];
		else
			removed++;
	}
	kdf->obj.count = kept;
	return removed;
}

static unsigned repair_keyslots(struct lv_json *root)
{
	struct lv_json *keyslots = member(root, "keyslots"), *type, *kdf;
	unsigned removed = 0;

	if (!is_type(keyslots, LV_JSON_OBJECT))
		return 0;
	for (size_t i = 0; i < keyslots->obj.count; i++) {
		struct lv_json *ks = keyslots->obj.members[i].value;

		if (!is_type(ks, LV_JSON_OBJECT) || !is_type(type = member(ks, "type"), LV_JSON_STRING) ||
		    strcmp(type->str.bytes, "luks2") != 0 ||
		    !is_type(kdf = member(ks, "kdf"), LV_JSON_OBJECT))
			continue;
		removed += repair_kdf(kdf);
	}
	return removed;
}

int lv_metadata_parse(const uint8_t *area, size_t area_len, uint64_t hdr_size,
		      struct lv_metadata **md, size_t *json_end_bytes, struct lv_err *err)
{
	struct lv_json_doc *doc;
	unsigned repaired;
	int r = parse_area(area, area_len, &doc, json_end_bytes, err);

	*md = NULL;
	if (r < 0)
		return r;
	r = build(doc, *json_end_bytes, hdr_size, md, err);
	/* As cryptsetup: a header that fails validation is repaired once (in
	 * memory; a write persists it) and validated again. */
	if (r < 0 && r != -ENOMEM && (repaired = repair_keyslots(doc->root))) {
		r = build(doc, *json_end_bytes, hdr_size, md, err);
		if (r == 0)
			(*md)->repaired_kdf_keys = repaired;
	}
	lv_json_doc_put(&doc);
	return r;
}

int lv_metadata_parse_token(struct lv_metadata *md, const char *json_text, uint32_t id,
			    struct lv_token **token, struct lv_err *err)
{
	struct lv_json_doc *doc;
	struct reader rd = { .md = md, .err = err };
	struct lv_token *added;
	struct lv_json *obj;
	size_t end;
	char key[16];
	/* As json_tokener_parse() reads a C string: up to its NUL. */
	int r = lv_json_parse(json_text, strlen(json_text) + 1, &doc, &end);

	*token = NULL;
	if (r == -ENOMEM)
		return lv_err_set(err, r, "out of memory");
	if (r < 0 || doc->root->type != LV_JSON_OBJECT) {
		lv_json_doc_put(&doc);
		return lv_err_set(err, -EINVAL, "token JSON is not a JSON object");
	}
	r = lv_md_hold_doc(md, doc);
	obj = doc->root;
	rd.doc = doc;
	lv_json_doc_put(&doc);	/* md holds it now, or it is gone */
	if (r < 0)
		return lv_err_set(err, r, "out of memory");
	if (!(added = lv_md_add_token(md, id)))
		return lv_err_set(err, -ENOMEM, "out of memory");
	snprintf(key, sizeof(key), "%u", id);
	where_is(&rd, "token", key);
	added->json = obj;
	if ((r = need_string(&rd, obj, "type", &added->type)) < 0 ||
	    (r = need_id_list(&rd, obj, "keyslots", &added->keyslots)) < 0) {
		lv_md_remove_token(md, added);
		return r;
	}
	added->ops = lv_token_ops_find(added->type);
	*token = added;
	return 0;
}
