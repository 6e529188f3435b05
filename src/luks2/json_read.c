/* SPDX-License-Identifier: ISC */
/*
 * json_read.c: the LUKS2 JSON area, from bytes to struct lv_metadata.
 *
 * This file checks the byte rules of the area and the type of every field
 * (the per-object rules R1-R2, T1-T2, D1-D2, S1-S4, S6-S7, K1-K3, C1, C4,
 * A1 of luks2-reference.md §1.6).  Rules that relate objects to each other
 * live in validate.c.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/metadata.h"

/* ---- field accessors: each names the object and field it rejects ---- */

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

static int get_typed(struct json_object *obj, const char *key, enum json_type type,
		     struct json_object **out, const char *where, struct lv_err *err)
{
	if (!json_object_object_get_ex(obj, key, out))
		return lv_err_set(err, -EINVAL, "%s: missing field \"%s\"", where, key);
	if (!json_object_is_type(*out, type))
		return lv_err_set(err, -EINVAL, "%s: field \"%s\" is not %s", where, key,
				  json_type_label(type));
	return 0;
}

static int copy_name(const char *value, char *dst, size_t dst_size, const char *where,
		     const char *key, struct lv_err *err)
{
	size_t len = strlen(value);

	if (len >= dst_size)
		return lv_err_set(err, -EINVAL, "%s: field \"%s\" is longer than %zu bytes",
				  where, key, dst_size - 1);
	memcpy(dst, value, len + 1);
	return 0;
}

/* A string field; nonempty requires at least one character. */
static int get_string(struct json_object *obj, const char *key, int nonempty, char *dst,
		      size_t dst_size, const char *where, struct lv_err *err)
{
	struct json_object *field;
	int r = get_typed(obj, key, json_type_string, &field, where, err);

	if (r < 0)
		return r;
	if (nonempty && json_object_get_string(field)[0] == '\0')
		return lv_err_set(err, -EINVAL, "%s: field \"%s\" is empty", where, key);
	return copy_name(json_object_get_string(field), dst, dst_size, where, key, err);
}

static int get_int(struct json_object *obj, const char *key, int64_t *out,
		   const char *where, struct lv_err *err)
{
	struct json_object *field;
	int r = get_typed(obj, key, json_type_int, &field, where, err);

	if (r < 0)
		return r;
	*out = json_object_get_int64(field);
	return 0;
}

static int get_uint32(struct json_object *obj, const char *key, uint32_t *out,
		      const char *where, struct lv_err *err)
{
	int64_t value;
	int r = get_int(obj, key, &value, where, err);

	if (r < 0)
		return r;
	if (value < 0 || value > UINT32_MAX)
		return lv_err_set(err, -EINVAL, "%s: field \"%s\" is out of range", where, key);
	*out = (uint32_t)value;
	return 0;
}

static int all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Decimal digits only, no sign, no junk, no overflow (json_str_to_uint64). */
static int parse_u64_text(const char *text, uint64_t *out)
{
	char *end;

	if (!all_digits(text))
		return -EINVAL;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return -EINVAL;
	*out = value;
	return 0;
}

static int get_u64_string(struct json_object *obj, const char *key, uint64_t *out,
			  const char *where, struct lv_err *err)
{
	struct json_object *field;
	int r = get_typed(obj, key, json_type_string, &field, where, err);

	if (r < 0)
		return r;
	if (parse_u64_text(json_object_get_string(field), out) < 0)
		return lv_err_set(err, -EINVAL, "%s: field \"%s\" is not a decimal uint64",
				  where, key);
	return 0;
}

/* A field read only when present with the right type. */
static void get_optional_int(struct json_object *obj, const char *key, int64_t *out)
{
	struct json_object *field;

	if (json_object_object_get_ex(obj, key, &field) &&
	    json_object_is_type(field, json_type_int))
		*out = json_object_get_int64(field);
}

static void get_blob(struct json_object *obj, const char *key, struct lv_blob *blob)
{
	struct json_object *field;

	memset(blob, 0, sizeof(*blob));
	if (!json_object_object_get_ex(obj, key, &field) ||
	    !json_object_is_type(field, json_type_string))
		return;
	blob->valid = lv_base64_decode(json_object_get_string(field), blob->bytes,
				       sizeof(blob->bytes), &blob->len) == 0;
}

/* Object keys inside keyslots, tokens, digests and segments are ids. */
static int parse_id(const char *key, uint32_t max_id, uint32_t *id, const char *section,
		    struct lv_err *err)
{
	uint64_t value;

	if (parse_u64_text(key, &value) < 0)
		return lv_err_set(err, -EINVAL, "%s: key \"%.32s\" is not a number", section, key);
	if (value > max_id)
		return lv_err_set(err, -EINVAL, "%s: id %.32s is out of range (max %u)",
				  section, key, max_id);
	*id = (uint32_t)value;
	return 0;
}

/* An array of id strings: "keyslots": ["0", "3"]. */
static int get_id_list(struct json_object *obj, const char *key, struct lv_id_list *list,
		       const char *where, struct lv_err *err)
{
	struct json_object *array;
	int r = get_typed(obj, key, json_type_array, &array, where, err);

	if (r < 0)
		return r;
	size_t len = json_object_array_length(array);
	if (len > LV_REFS_MAX)
		return lv_err_set(err, -EINVAL, "%s: \"%s\" lists more than %d ids", where,
				  key, LV_REFS_MAX);
	list->count = 0;
	for (size_t i = 0; i < len; i++) {
		struct json_object *item = json_object_array_get_idx(array, i);
		uint64_t value;

		if (!json_object_is_type(item, json_type_string))
			return lv_err_set(err, -EINVAL, "%s: \"%s\"[%zu] is not a string",
					  where, key, i);
		if (parse_u64_text(json_object_get_string(item), &value) < 0 ||
		    value > UINT32_MAX)
			return lv_err_set(err, -EINVAL, "%s: \"%s\"[%zu] names no object",
					  where, key, i);
		list->ids[list->count++] = (uint32_t)value;
	}
	return 0;
}

static int get_string_list(struct json_object *array, struct lv_string_list *list,
			   const char *where, struct lv_err *err)
{
	size_t len = json_object_array_length(array);

	if (len > LV_FLAGS_MAX)
		return lv_err_set(err, -EINVAL, "%s: more than %d entries", where, LV_FLAGS_MAX);
	list->count = 0;
	for (size_t i = 0; i < len; i++) {
		struct json_object *item = json_object_array_get_idx(array, i);

		if (!json_object_is_type(item, json_type_string))
			return lv_err_set(err, -EINVAL, "%s: entry %zu is not a string", where, i);
		int r = copy_name(json_object_get_string(item), list->items[list->count],
				  LV_NAME_MAX, where, "entry", err);
		if (r < 0)
			return r;
		list->count++;
	}
	return 0;
}

/* ---- the JSON area (§1.4) ---- */

int lv_json_area_parse(const uint8_t *area, size_t area_len, struct json_object **root,
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

/* ---- config.requirements (R1-R3) ---- */

static const char *const known_requirements[] = {
	"offline-reencrypt", "online-reencrypt", "online-reencrypt-v2",
	"online-reencrypt-v3", "inline-hw-tags", "opal", "opal-v2", NULL,
};

int lv_requirement_is_online_reencrypt(const char *flag)
{
	const char *prefix = "online-reencrypt";
	size_t n = strlen(prefix);

	if (strncmp(flag, prefix, n) != 0)
		return 0;
	if (flag[n] == '\0')
		return 1;
	return flag[n] == '-' && flag[n + 1] == 'v' && all_digits(flag + n + 2);
}

static int is_known_requirement(const char *flag)
{
	for (const char *const *p = known_requirements; *p; p++)
		if (strcmp(flag, *p) == 0)
			return 1;
	return 0;
}

static int parse_requirements(struct json_object *config, struct lv_config *cfg,
			      struct lv_err *err)
{
	struct json_object *reqs, *mandatory;

	if (!json_object_object_get_ex(config, "requirements", &reqs))
		return 0;
	cfg->has_requirements = 1;
	if (!json_object_is_type(reqs, json_type_object))
		return lv_err_set(err, -EINVAL, "config: \"requirements\" is not an object");
	if (!json_object_object_get_ex(reqs, "mandatory", &mandatory))
		return 0;
	cfg->has_mandatory = 1;
	if (!json_object_is_type(mandatory, json_type_array))
		return lv_err_set(err, -EINVAL,
				  "config: \"requirements.mandatory\" is not an array");
	int r = get_string_list(mandatory, &cfg->mandatory, "config: requirements.mandatory",
				err);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < cfg->mandatory.count; i++) {
		const char *flag = cfg->mandatory.items[i];

		cfg->online_reencrypt_count += (unsigned)lv_requirement_is_online_reencrypt(flag);
		if (!is_known_requirement(flag))
			cfg->unknown_requirement = 1;
	}
	if (cfg->online_reencrypt_count > 1)
		return lv_err_set(err, -EINVAL,
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

static int parse_config(struct json_object *root, struct lv_config *cfg, struct lv_err *err)
{
	struct json_object *config, *flags;
	char text[32];
	int r;

	r = get_typed(root, "config", json_type_object, &config, "metadata", err);
	if (r < 0)
		return r;
	cfg->json = config;
	r = parse_requirements(config, cfg, err);
	if (r < 0)
		return r;
	/* C1: both sizes are non-empty decimal strings. */
	if ((r = get_string(config, "json_size", 1, text, sizeof(text), "config", err)) < 0 ||
	    (r = get_u64_string(config, "json_size", &cfg->json_size, "config", err)) < 0 ||
	    (r = get_string(config, "keyslots_size", 1, text, sizeof(text), "config", err)) < 0 ||
	    (r = get_u64_string(config, "keyslots_size", &cfg->keyslots_size, "config", err)) < 0)
		return r;
	if (!json_object_object_get_ex(config, "flags", &flags))
		return 0;
	cfg->has_flags = 1;
	if (!json_object_is_type(flags, json_type_array))
		return lv_err_set(err, -EINVAL, "config: \"flags\" is not an array");
	r = get_string_list(flags, &cfg->flags, "config: flags", err);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < cfg->flags.count; i++)
		for (const struct lv_flag_name *f = lv_persistent_flag_names; f->name; f++)
			if (strcmp(cfg->flags.items[i], f->name) == 0)
				cfg->persistent_flags |= f->flag;
	return 0;
}

/* ---- tokens (T1, T2) ---- */

static int parse_token(const char *key, struct json_object *obj, struct lv_token *token,
		       struct lv_err *err)
{
	char where[48];
	int r = parse_id(key, LV_TOKENS_MAX - 1, &token->id, "tokens", err);

	if (r < 0)
		return r;
	snprintf(where, sizeof(where), "token %u", token->id);
	if (!json_object_is_type(obj, json_type_object))
		return lv_err_set(err, -EINVAL, "%s: is not an object", where);
	token->json = obj;
	r = get_string(obj, "type", 1, token->type, sizeof(token->type), where, err);
	if (r < 0)
		return r;
	return get_id_list(obj, "keyslots", &token->keyslots, where, err);
}

int lv_metadata_token_from_json(struct json_object *tokens, const char *key,
				struct lv_token *token, struct lv_err *err)
{
	struct json_object *obj;

	if (!json_object_object_get_ex(tokens, key, &obj))
		return lv_err_set(err, -EINVAL, "tokens: no token %s", key);
	return parse_token(key, obj, token, err);
}

static int parse_tokens(struct json_object *root, struct lv_metadata *md, struct lv_err *err)
{
	struct json_object *tokens;
	int r = get_typed(root, "tokens", json_type_object, &tokens, "metadata", err);

	if (r < 0)
		return r;
	json_object_object_foreach(tokens, key, value) {
		if (md->token_count == LV_TOKENS_MAX)
			return lv_err_set(err, -EINVAL, "tokens: more than %d", LV_TOKENS_MAX);
		r = parse_token(key, value, &md->tokens[md->token_count], err);
		if (r < 0)
			return r;
		md->token_count++;
	}
	return 0;
}

/* ---- digests (D1, D2) ---- */

static int parse_digest(const char *key, struct json_object *obj, struct lv_digest *digest,
			struct lv_err *err)
{
	struct json_object *field;
	char where[48];
	int r = parse_id(key, LV_DIGESTS_MAX - 1, &digest->id, "digests", err);

	if (r < 0)
		return r;
	snprintf(where, sizeof(where), "digest %u", digest->id);
	if (!json_object_is_type(obj, json_type_object))
		return lv_err_set(err, -EINVAL, "%s: is not an object", where);
	digest->json = obj;
	if ((r = get_string(obj, "type", 1, digest->type, sizeof(digest->type), where, err)) < 0 ||
	    (r = get_id_list(obj, "keyslots", &digest->keyslots, where, err)) < 0 ||
	    (r = get_id_list(obj, "segments", &digest->segments, where, err)) < 0)
		return r;
	/* The pbkdf2 parameters are checked where the digest is used (§1.7). */
	if (json_object_object_get_ex(obj, "hash", &field) &&
	    json_object_is_type(field, json_type_string))
		copy_name(json_object_get_string(field), digest->hash, sizeof(digest->hash),
			  where, "hash", NULL);
	if (json_object_object_get_ex(obj, "iterations", &field) &&
	    json_object_is_type(field, json_type_int))
		digest->iterations = json_object_get_int64(field);
	get_blob(obj, "salt", &digest->salt);
	get_blob(obj, "digest", &digest->digest);
	return 0;
}

static int parse_digests(struct json_object *root, struct lv_metadata *md, struct lv_err *err)
{
	struct json_object *digests;
	int r = get_typed(root, "digests", json_type_object, &digests, "metadata", err);

	if (r < 0)
		return r;
	json_object_object_foreach(digests, key, value) {
		if (md->digest_count == LV_DIGESTS_MAX)
			return lv_err_set(err, -EINVAL, "digests: more than %d", LV_DIGESTS_MAX);
		r = parse_digest(key, value, &md->digests[md->digest_count], err);
		if (r < 0)
			return r;
		md->digest_count++;
	}
	return 0;
}

/* ---- segments (S2-S4, S6, S7) ---- */

static int parse_segment_flags(struct json_object *obj, struct lv_segment *seg,
			       const char *where, struct lv_err *err)
{
	struct json_object *flags;

	if (!json_object_object_get_ex(obj, "flags", &flags))
		return 0;
	if (!json_object_is_type(flags, json_type_array))
		return lv_err_set(err, -EINVAL, "%s: \"flags\" is not an array", where);
	for (size_t i = 0; i < json_object_array_length(flags); i++) {
		struct json_object *item = json_object_array_get_idx(flags, i);

		if (!json_object_is_type(item, json_type_string))
			return lv_err_set(err, -EINVAL, "%s: flags[%zu] is not a string", where, i);
		const char *flag = json_object_get_string(item);
		if (strncmp(flag, "backup-", 7) == 0)
			seg->is_backup = 1;
		if (strcmp(flag, "in-reencryption") == 0)
			seg->in_reencryption = 1;
	}
	return 0;
}

static int parse_segment_size(struct json_object *obj, struct lv_segment *seg,
			      const char *where, struct lv_err *err)
{
	char size_text[32];
	int r = get_string(obj, "size", 1, size_text, sizeof(size_text), where, err);

	if (r < 0)
		return r;
	if (strcmp(size_text, "dynamic") == 0) {
		seg->dynamic = 1;
		return 0;
	}
	r = get_u64_string(obj, "size", &seg->size_bytes, where, err);
	if (r < 0)
		return r;
	if (seg->size_bytes == 0)
		return lv_err_set(err, -EINVAL, "%s: size is zero", where);
	if (seg->size_bytes % 512)
		return lv_err_set(err, -EINVAL, "%s: size is not 512-byte aligned", where);
	return 0;
}

static int parse_integrity(struct json_object *obj, struct lv_segment *seg,
			   const char *where, struct lv_err *err)
{
	static const char *const fields[] = { "type", "journal_encryption",
					      "journal_integrity" };
	struct json_object *integrity, *field;

	if (!json_object_object_get_ex(obj, "integrity", &integrity))
		return 0;
	if (!json_object_is_type(integrity, json_type_object))
		return lv_err_set(err, -EINVAL, "%s: \"integrity\" is not an object", where);
	for (size_t i = 0; i < 3; i++)
		if (!json_object_object_get_ex(integrity, fields[i], &field) ||
		    !json_object_is_type(field, json_type_string))
			return lv_err_set(err, -EINVAL, "%s: integrity.%s is not a string",
					  where, fields[i]);
	seg->has_integrity = 1;
	return 0;
}

static int parse_crypt_segment(struct json_object *obj, struct lv_segment *seg,
			       const char *where, struct lv_err *err)
{
	char text[32];
	int r;

	seg->is_crypt = 1;
	if ((r = get_string(obj, "iv_tweak", 1, text, sizeof(text), where, err)) < 0 ||
	    (r = get_u64_string(obj, "iv_tweak", &seg->iv_tweak, where, err)) < 0 ||
	    (r = get_string(obj, "encryption", 1, seg->encryption, sizeof(seg->encryption),
			    where, err)) < 0 ||
	    (r = get_uint32(obj, "sector_size", &seg->sector_size, where, err)) < 0)
		return r;
	if (seg->sector_size == 0 || seg->sector_size % 512)
		return lv_err_set(err, -EINVAL, "%s: sector_size %u is not a multiple of 512",
				  where, seg->sector_size);
	if (!seg->dynamic && seg->size_bytes % seg->sector_size)
		return lv_err_set(err, -EINVAL, "%s: size is not a multiple of sector_size",
				  where);
	return parse_integrity(obj, seg, where, err);
}

static int parse_opal_segment(struct json_object *obj, struct lv_segment *seg,
			      const char *where, struct lv_err *err)
{
	int64_t number, key_size;
	uint64_t opal_size;
	int r;

	if (seg->dynamic)
		return lv_err_set(err, -EINVAL, "%s: OPAL segment size is dynamic", where);
	if ((r = get_int(obj, "opal_segment_number", &number, where, err)) < 0 ||
	    (r = get_int(obj, "opal_key_size", &key_size, where, err)) < 0 ||
	    (r = get_u64_string(obj, "opal_segment_size", &opal_size, where, err)) < 0)
		return r;
	if (opal_size == 0 || seg->size_bytes > opal_size)
		return lv_err_set(err, -EINVAL, "%s: bad opal_segment_size", where);
	return 0;
}

static int parse_segment(const char *key, struct json_object *obj, struct lv_segment *seg,
			 struct lv_err *err)
{
	char where[48], text[32];
	int r = parse_id(key, LV_SEGMENTS_MAX - 1, &seg->id, "segments", err);

	if (r < 0)
		return r;
	snprintf(where, sizeof(where), "segment %u", seg->id);
	if (!json_object_is_type(obj, json_type_object))
		return lv_err_set(err, -EINVAL, "%s: is not an object", where);
	seg->json = obj;
	if ((r = get_string(obj, "type", 1, seg->type, sizeof(seg->type), where, err)) < 0 ||
	    (r = get_string(obj, "offset", 1, text, sizeof(text), where, err)) < 0 ||
	    (r = get_u64_string(obj, "offset", &seg->offset_bytes, where, err)) < 0 ||
	    (r = parse_segment_size(obj, seg, where, err)) < 0)
		return r;
	if (seg->offset_bytes % 512)
		return lv_err_set(err, -EINVAL, "%s: offset is not 512-byte aligned", where);
	r = parse_segment_flags(obj, seg, where, err);
	if (r < 0)
		return r;
	if (strcmp(seg->type, "hw-opal") == 0 || strcmp(seg->type, "hw-opal-crypt") == 0) {
		r = parse_opal_segment(obj, seg, where, err);
		if (r < 0)
			return r;
	}
	if (strcmp(seg->type, "crypt") == 0 || strcmp(seg->type, "hw-opal-crypt") == 0)
		return parse_crypt_segment(obj, seg, where, err);
	return 0;
}

static int parse_segments(struct json_object *root, struct lv_metadata *md, struct lv_err *err)
{
	struct json_object *segments;
	int r = get_typed(root, "segments", json_type_object, &segments, "metadata", err);

	if (r < 0)
		return r;
	json_object_object_foreach(segments, key, value) {
		if (md->segment_count == LV_SEGMENTS_MAX)
			return lv_err_set(err, -EINVAL, "segments: more than %d", LV_SEGMENTS_MAX);
		r = parse_segment(key, value, &md->segments[md->segment_count], err);
		if (r < 0)
			return r;
		md->segment_count++;
	}
	if (md->segment_count == 0)
		return lv_err_set(err, -EINVAL, "segments: no segment");
	return 0;
}

/* ---- keyslots (K1-K3, A1) ---- */

static int parse_kdf(struct json_object *kdf_obj, struct lv_kdf *kdf, const char *where,
		     struct lv_err *err)
{
	char salt_text[LV_NAME_MAX];
	int r = get_string(kdf_obj, "type", 1, kdf->type, sizeof(kdf->type), where, err);

	if (r < 0)
		return r;
	size_t nkeys = (size_t)json_object_object_length(kdf_obj);
	if (strcmp(kdf->type, "pbkdf2") == 0) {
		kdf->kind = LV_KDF_PBKDF2;
		if (nkeys != 4)
			return lv_err_set(err, -EINVAL, "%s: pbkdf2 kdf has %zu fields, not 4",
					  where, nkeys);
		if ((r = get_string(kdf_obj, "hash", 0, kdf->hash, sizeof(kdf->hash), where, err)) < 0 ||
		    (r = get_int(kdf_obj, "iterations", &kdf->iterations, where, err)) < 0)
			return r;
	} else if (strcmp(kdf->type, "argon2i") == 0 || strcmp(kdf->type, "argon2id") == 0) {
		kdf->kind = strcmp(kdf->type, "argon2id") == 0 ? LV_KDF_ARGON2ID : LV_KDF_ARGON2I;
		if (nkeys != 5)
			return lv_err_set(err, -EINVAL, "%s: %s kdf has %zu fields, not 5",
					  where, kdf->type, nkeys);
		if ((r = get_int(kdf_obj, "time", &kdf->time_cost, where, err)) < 0 ||
		    (r = get_int(kdf_obj, "memory", &kdf->memory_kib, where, err)) < 0 ||
		    (r = get_int(kdf_obj, "cpus", &kdf->cpus, where, err)) < 0)
			return r;
	} else {
		/* Unknown kdf types load (cryptsetup accepts the pre-release
		 * "argon2"); their fields are kept for dump, and unlock refuses. */
		kdf->kind = LV_KDF_OTHER;
		get_optional_int(kdf_obj, "time", &kdf->time_cost);
		get_optional_int(kdf_obj, "memory", &kdf->memory_kib);
		get_optional_int(kdf_obj, "cpus", &kdf->cpus);
		get_optional_int(kdf_obj, "iterations", &kdf->iterations);
		get_blob(kdf_obj, "salt", &kdf->salt);
		return 0;
	}
	r = get_string(kdf_obj, "salt", 0, salt_text, sizeof(salt_text), where, err);
	if (r < 0)
		return r;
	get_blob(kdf_obj, "salt", &kdf->salt);
	return 0;
}

static int parse_luks2_keyslot(struct json_object *obj, struct lv_keyslot *ks,
			       const char *where, struct lv_err *err)
{
	struct json_object *kdf, *af, *area;
	char text[32];
	int r;

	if ((r = get_typed(obj, "kdf", json_type_object, &kdf, where, err)) < 0 ||
	    (r = get_typed(obj, "af", json_type_object, &af, where, err)) < 0 ||
	    (r = get_typed(obj, "area", json_type_object, &area, where, err)) < 0 ||
	    (r = parse_kdf(kdf, &ks->kdf, where, err)) < 0)
		return r;
	if ((r = get_string(af, "type", 0, ks->af.type, sizeof(ks->af.type), where, err)) < 0)
		return r;
	if (strcmp(ks->af.type, "luks1") != 0)
		return lv_err_set(err, -EINVAL, "%s: af type \"%s\" is not luks1", where,
				  ks->af.type);
	if ((r = get_string(af, "hash", 0, ks->af.hash, sizeof(ks->af.hash), where, err)) < 0 ||
	    (r = get_int(af, "stripes", &ks->af.stripes, where, err)) < 0)
		return r;
	if (strcmp(ks->area.type, "raw") != 0)
		return lv_err_set(err, -EINVAL, "%s: area type \"%s\" is not raw", where,
				  ks->area.type);
	if ((r = get_string(area, "encryption", 0, ks->area.encryption,
			    sizeof(ks->area.encryption), where, err)) < 0 ||
	    (r = get_int(area, "key_size", &ks->area.key_size, where, err)) < 0 ||
	    (r = get_string(area, "offset", 0, text, sizeof(text), where, err)) < 0 ||
	    (r = get_string(area, "size", 0, text, sizeof(text), where, err)) < 0)
		return r;
	return 0;
}

static int string_in(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* The reencrypt keyslot records an interrupted reencryption (§1.5). */
static int parse_reencrypt_keyslot(struct json_object *obj, struct lv_keyslot *ks,
				   const char *where, struct lv_err *err)
{
	static const char *const modes[] = { "reencrypt", "encrypt", "decrypt", NULL };
	static const char *const directions[] = { "forward", "backward", NULL };
	static const char *const area_types[] = { "none", "journal", "checksum", "datashift",
						  "datashift-journal", "datashift-checksum",
						  NULL };
	char mode[LV_NAME_MAX], direction[LV_NAME_MAX];
	int r;

	if (ks->key_size != 1)
		return lv_err_set(err, -EINVAL, "%s: reencrypt key_size is not 1", where);
	if ((r = get_string(obj, "mode", 0, mode, sizeof(mode), where, err)) < 0 ||
	    (r = get_string(obj, "direction", 0, direction, sizeof(direction), where, err)) < 0)
		return r;
	if (!string_in(mode, modes))
		return lv_err_set(err, -EINVAL, "%s: unknown reencrypt mode", where);
	if (!string_in(direction, directions))
		return lv_err_set(err, -EINVAL, "%s: unknown reencrypt direction", where);
	if (!string_in(ks->area.type, area_types))
		return lv_err_set(err, -EINVAL, "%s: unknown reencrypt area type", where);
	return 0;
}

static int parse_area(struct json_object *obj, struct lv_keyslot *ks, const char *where,
		      struct lv_err *err)
{
	struct json_object *area;
	int r;

	if ((r = get_typed(obj, "area", json_type_object, &area, where, err)) < 0 ||
	    (r = get_string(area, "type", 1, ks->area.type, sizeof(ks->area.type), where, err)) < 0 ||
	    (r = get_u64_string(area, "offset", &ks->area.offset_bytes, where, err)) < 0 ||
	    (r = get_u64_string(area, "size", &ks->area.size_bytes, where, err)) < 0)
		return r;
	return 0;
}

static int parse_keyslot(const char *key, struct json_object *obj, struct lv_keyslot *ks,
			 struct lv_err *err)
{
	char where[48];
	int r = parse_id(key, LV_KEYSLOTS_MAX - 1, &ks->id, "keyslots", err);

	if (r < 0)
		return r;
	snprintf(where, sizeof(where), "keyslot %u", ks->id);
	if (!json_object_is_type(obj, json_type_object))
		return lv_err_set(err, -EINVAL, "%s: is not an object", where);
	ks->json = obj;
	if ((r = get_string(obj, "type", 1, ks->type, sizeof(ks->type), where, err)) < 0 ||
	    (r = get_uint32(obj, "key_size", &ks->key_size, where, err)) < 0 ||
	    (r = parse_area(obj, ks, where, err)) < 0)
		return r;
	struct json_object *priority;
	if (json_object_object_get_ex(obj, "priority", &priority)) {
		if (!json_object_is_type(priority, json_type_int))
			return lv_err_set(err, -EINVAL, "%s: \"priority\" is not an integer", where);
		ks->has_priority = 1;
		ks->priority = json_object_get_int64(priority);
	}
	if (strcmp(ks->type, "luks2") == 0) {
		ks->kind = LV_KEYSLOT_LUKS2;
		return parse_luks2_keyslot(obj, ks, where, err);
	}
	if (strcmp(ks->type, "reencrypt") == 0) {
		ks->kind = LV_KEYSLOT_REENCRYPT;
		return parse_reencrypt_keyslot(obj, ks, where, err);
	}
	ks->kind = LV_KEYSLOT_OTHER;	/* K6: unknown types are skipped */
	return 0;
}

static int parse_keyslots(struct json_object *root, struct lv_metadata *md, struct lv_err *err)
{
	struct json_object *keyslots;
	int r = get_typed(root, "keyslots", json_type_object, &keyslots, "metadata", err);

	if (r < 0)
		return r;
	json_object_object_foreach(keyslots, key, value) {
		if (md->keyslot_count == LV_KEYSLOTS_MAX)
			return lv_err_set(err, -EINVAL, "keyslots: more than %d", LV_KEYSLOTS_MAX);
		r = parse_keyslot(key, value, &md->keyslots[md->keyslot_count], err);
		if (r < 0)
			return r;
		md->keyslot_count++;
	}
	return 0;
}

/*
 * Fills md from root, which md then holds a reference to.  The section
 * order is cryptsetup's validation order, so the first error reported is
 * the one cryptsetup would meet first.
 */
int lv_metadata_from_json(struct json_object *root, struct lv_metadata *md,
			  struct lv_err *err)
{
	struct json_object *section;
	int r;

	memset(md, 0, sizeof(*md));
	md->root = json_object_get(root);
	/* R1 runs before the object checks of the other sections. */
	if (!json_object_object_get_ex(root, "config", &section))
		return lv_err_set(err, -EINVAL, "metadata: missing object \"config\"");
	if ((r = parse_tokens(root, md, err)) < 0 ||
	    (r = parse_digests(root, md, err)) < 0 ||
	    (r = parse_keyslots(root, md, err)) < 0 ||
	    (r = parse_segments(root, md, err)) < 0 ||
	    (r = parse_config(root, &md->config, err)) < 0)
		return r;
	return 0;
}

void lv_metadata_free(struct lv_metadata *md)
{
	if (md->root)
		json_object_put(md->root);
	memset(md, 0, sizeof(*md));
}

/* K7: cryptsetup < 2.0.3 left the parameters of the previous kdf type
 * behind when a keyslot's kdf changed; drop them before revalidating. */
unsigned lv_metadata_repair_kdf(struct json_object *root)
{
	static const char *const pbkdf2_foreign[] = { "time", "memory", "cpus", NULL };
	static const char *const argon2_foreign[] = { "iterations", "hash", NULL };
	struct json_object *keyslots, *type, *kdf, *kdf_type;
	unsigned removed = 0;

	if (!json_object_object_get_ex(root, "keyslots", &keyslots) ||
	    !json_object_is_type(keyslots, json_type_object))
		return 0;
	json_object_object_foreach(keyslots, key, ks) {
		(void)key;
		if (!json_object_is_type(ks, json_type_object) ||
		    !json_object_object_get_ex(ks, "type", &type) ||
		    !json_object_is_type(type, json_type_string) ||
		    strcmp(json_object_get_string(type), "luks2") != 0 ||
		    !json_object_object_get_ex(ks, "kdf", &kdf) ||
		    !json_object_is_type(kdf, json_type_object) ||
		    !json_object_object_get_ex(kdf, "type", &kdf_type) ||
		    !json_object_is_type(kdf_type, json_type_string))
			continue;
		const char *name = json_object_get_string(kdf_type);
		const char *const *foreign = NULL;
		if (strcmp(name, "pbkdf2") == 0)
			foreign = pbkdf2_foreign;
		else if (strcmp(name, "argon2i") == 0 || strcmp(name, "argon2id") == 0)
			foreign = argon2_foreign;
		for (; foreign && *foreign; foreign++) {
			if (json_object_object_get_ex(kdf, *foreign, NULL)) {
				json_object_object_del(kdf, *foreign);
				removed++;
			}
		}
	}
	return removed;
}

const struct lv_keyslot *lv_md_keyslot(const struct lv_metadata *md, uint32_t id)
{
	for (unsigned i = 0; i < md->keyslot_count; i++)
		if (md->keyslots[i].id == id)
			return &md->keyslots[i];
	return NULL;
}

const struct lv_segment *lv_md_segment(const struct lv_metadata *md, uint32_t id)
{
	for (unsigned i = 0; i < md->segment_count; i++)
		if (md->segments[i].id == id)
			return &md->segments[i];
	return NULL;
}

const struct lv_digest *lv_md_digest_of_keyslot(const struct lv_metadata *md, uint32_t id)
{
	for (unsigned i = 0; i < md->digest_count; i++)
		for (unsigned k = 0; k < md->digests[i].keyslots.count; k++)
			if (md->digests[i].keyslots.ids[k] == id)
				return &md->digests[i];
	return NULL;
}
