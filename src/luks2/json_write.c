/* SPDX-License-Identifier: ISC */
/*
 * json_write.c: struct lv_metadata back to LUKS2 JSON text.
 *
 * The typed members are the truth for every field they model.  Each object
 * starts from a copy of its parsed node, so that fields luksvol does not
 * model (token payloads, unknown types, extra keys) survive, and a field is
 * replaced only when its typed value differs from what the reader read in
 * it: an object nothing changed comes out byte for byte as json-c (and so
 * cryptsetup) prints it.  Objects and sections keep their order; new
 * objects get their fields in the order cryptsetup writes them, so a header
 * luksvol formats or edits reads like one cryptsetup formats or edits.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/metadata.h"

#define JSON(value) ((struct json_object *)(value))
#define JSON_ON_DISK_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *value;

	return json_object_object_get_ex(obj, key, &value) ? value : NULL;
}

/* Adds or replaces key; json-c keeps the position of a replaced key. */
static int set_field(struct json_object *obj, const char *key, struct json_object *value)
{
	if (!value)
		return -ENOMEM;
	return json_object_object_add(obj, key, value) == 0 ? 0 : -ENOMEM;
}

/* The reader reads such strings with json_object_get_string() whatever
 * their JSON type: a field whose text is value stays as it is. */
static int set_string(struct json_object *obj, const char *key, const char *value)
{
	struct json_object *old = member(obj, key);

	if (old && strcmp(json_object_get_string(old), value) == 0)
		return 0;
	return set_field(obj, key, json_object_new_string(value));
}

static int set_int(struct json_object *obj, const char *key, int64_t value)
{
	struct json_object *old = member(obj, key);

	if (json_object_is_type(old, json_type_int) && json_object_get_int64(old) == value)
		return 0;
	return set_field(obj, key, json_object_new_int64(value));
}

/* strtoull()'s value of text, as the reader took it; 0 when it is none. */
static int u64_text_is(const char *text, uint64_t value)
{
	char *end;
	unsigned long long parsed;

	if (!text || !*text)
		return 0;
	errno = 0;
	parsed = strtoull(text, &end, 10);
	return !*end && !errno && parsed == value;
}

/* A decimal uint64 string ("16777216"); kept as written (leading zeros,
 * a sign where the reader allows one) while it says the same number. */
static int set_u64_string(struct json_object *obj, const char *key, uint64_t value)
{
	struct json_object *old = member(obj, key);
	char text[24];

	if (json_object_is_type(old, json_type_string) &&
	    u64_text_is(json_object_get_string(old), value))
		return 0;
	snprintf(text, sizeof(text), "%" PRIu64, value);
	return set_field(obj, key, json_object_new_string(text));
}

/* A blob read from the header keeps its text (even one that does not
 * decode: nothing luksvol wrote); a new one is encoded. */
static int set_blob(struct json_object *obj, const char *key, const struct lv_blob *blob)
{
	char text[LV_BLOB_MAX * 2];

	if (blob->text)
		return set_string(obj, key, blob->text);
	if (!blob->valid)
		return 0;
	lv_base64_encode(blob->bytes, blob->len, text);
	return set_string(obj, key, text);
}

/* Whether array holds exactly the strings texts[0..count). */
static int array_is(struct json_object *array, const char *const *texts, size_t stride,
		    unsigned count)
{
	if (!json_object_is_type(array, json_type_array) || json_object_array_length(array) != count)
		return 0;
	for (unsigned i = 0; i < count; i++) {
		struct json_object *item = json_object_array_get_idx(array, i);
		const char *text = *(const char *const *)((const char *)texts + i * stride);

		if (!json_object_is_type(item, json_type_string) ||
		    strcmp(json_object_get_string(item), text) != 0)
			return 0;
	}
	return 1;
}

/* key becomes an array of the count strings at texts (stride bytes apart). */
static int set_string_array(struct json_object *obj, const char *key, const char *const *texts,
			    size_t stride, unsigned count)
{
	struct json_object *array;

	if (array_is(member(obj, key), texts, stride, count))
		return 0;
	if (!(array = json_object_new_array()))
		return -ENOMEM;
	for (unsigned i = 0; i < count; i++) {
		const char *text = *(const char *const *)((const char *)texts + i * stride);

		if (json_object_array_add(array, json_object_new_string(text)) < 0) {
			json_object_put(array);
			return -ENOMEM;
		}
	}
	return set_field(obj, key, array);
}

static int set_id_list(struct json_object *obj, const char *key, const struct lv_id_list *list)
{
	static const char *const none[1];

	return set_string_array(obj, key, list->count ? &list->items[0].text : none,
				sizeof(list->items[0]), list->count);
}

/* An optional list: absent unless present. */
static int set_string_list(struct json_object *obj, const char *key,
			   const struct lv_string_list *list)
{
	static const char *const none[1];

	if (!list->present) {
		json_object_object_del(obj, key);
		return 0;
	}
	return set_string_array(obj, key, list->count ? list->items : none,
				sizeof(list->items[0]), list->count);
}

/* A copy of the parsed node, or a new empty object. */
static struct json_object *start_object(const struct lv_json *parsed)
{
	struct json_object *copy = NULL;

	if (!parsed)
		return json_object_new_object();
	if (json_object_deep_copy(JSON(parsed), &copy, NULL) < 0)
		return NULL;
	return copy;
}

static struct json_object *child_object(struct json_object *parent, const char *key)
{
	struct json_object *child = member(parent, key);

	if (json_object_is_type(child, json_type_object))
		return child;
	child = json_object_new_object();
	if (child && json_object_object_add(parent, key, child) < 0) {
		json_object_put(child);
		return NULL;
	}
	return child;
}

static int kdf_to_json(struct json_object *kdf, const struct lv_kdf *params)
{
	int r = set_string(kdf, "type", params->type);

	if (r == 0 && params->kind == LV_KDF_PBKDF2) {
		if ((r = set_string(kdf, "hash", params->hash)) == 0)
			r = set_int(kdf, "iterations", params->iterations);
	} else if (r == 0 && params->kind != LV_KDF_OTHER) {
		if ((r = set_int(kdf, "time", params->time_cost)) == 0 &&
		    (r = set_int(kdf, "memory", params->memory_kib)) == 0)
			r = set_int(kdf, "cpus", params->cpus);
	}
	return r == 0 ? set_blob(kdf, "salt", &params->salt) : r;
}

static int area_to_json(struct json_object *area, const struct lv_keyslot *ks)
{
	int r;

	if ((r = set_string(area, "type", ks->area.type)) < 0 ||
	    (r = set_u64_string(area, "offset", ks->area.offset_bytes)) < 0 ||
	    (r = set_u64_string(area, "size", ks->area.size_bytes)) < 0)
		return r;
	if (ks->kind != LV_KEYSLOT_LUKS2)
		return 0;
	if ((r = set_string(area, "encryption", ks->area.encryption)) < 0)
		return r;
	return set_int(area, "key_size", ks->area.key_size);
}

/* A kdf object is reused only while its type stays the same: parameters of
 * a replaced kdf type must not linger (§1.6 K7). */
static struct json_object *kdf_child(struct json_object *keyslot, const char *kdf_type)
{
	struct json_object *kdf = member(keyslot, "kdf"), *type = member(kdf, "type");

	if (json_object_is_type(kdf, json_type_object) &&
	    json_object_is_type(type, json_type_string) &&
	    strcmp(json_object_get_string(type), kdf_type) == 0)
		return kdf;
	kdf = json_object_new_object();
	if (kdf && json_object_object_add(keyslot, "kdf", kdf) < 0) {
		json_object_put(kdf);
		return NULL;
	}
	return kdf;
}

/* af, area and kdf keep fields luksvol does not model (an unknown kdf
 * type's parameters, an undecodable salt) unless luksvol rewrote them. */
static int luks2_keyslot_fields(struct json_object *obj, const struct lv_keyslot *ks)
{
	struct json_object *af = child_object(obj, "af"), *area, *kdf;

	if (!af || set_string(af, "type", ks->af.type) < 0 ||
	    set_int(af, "stripes", ks->af.stripes) < 0 || set_string(af, "hash", ks->af.hash) < 0)
		return -ENOMEM;
	area = child_object(obj, "area");
	if (!area || area_to_json(area, ks) < 0)
		return -ENOMEM;
	kdf = kdf_child(obj, ks->kdf.type);
	if (!kdf || kdf_to_json(kdf, &ks->kdf) < 0)
		return -ENOMEM;
	return 0;
}

/* The priority the reader took (json_object_get_int() of any type). */
static int set_priority(struct json_object *obj, const struct lv_keyslot *ks)
{
	struct json_object *old;

	if (!ks->has_priority) {
		json_object_object_del(obj, "priority");
		return 0;
	}
	if (json_object_object_get_ex(obj, "priority", &old) &&
	    json_object_get_int(old) == ks->priority)
		return 0;
	return set_field(obj, "priority", json_object_new_int64(ks->priority));
}

static struct json_object *keyslot_to_json(const struct lv_keyslot *ks)
{
	struct json_object *obj = start_object(ks->json), *area;
	int r;

	if (!obj)
		return NULL;
	r = set_string(obj, "type", ks->type);
	if (r == 0)
		r = set_int(obj, "key_size", ks->key_size);
	if (r == 0 && ks->kind == LV_KEYSLOT_LUKS2) {
		r = luks2_keyslot_fields(obj, ks);
	} else if (r == 0) {
		area = child_object(obj, "area");
		r = area ? area_to_json(area, ks) : -ENOMEM;
	}
	if (r == 0)
		r = set_priority(obj, ks);
	if (r < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static struct json_object *token_to_json(const struct lv_token *token)
{
	struct json_object *obj = start_object(token->json);

	if (!obj)
		return NULL;
	if (set_string(obj, "type", token->type) < 0 ||
	    set_id_list(obj, "keyslots", &token->keyslots) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static struct json_object *digest_to_json(const struct lv_digest *digest)
{
	struct json_object *obj = start_object(digest->json);

	if (!obj)
		return NULL;
	if (set_string(obj, "type", digest->type) < 0 ||
	    set_id_list(obj, "keyslots", &digest->keyslots) < 0 ||
	    set_id_list(obj, "segments", &digest->segments) < 0 ||
	    (digest->hash && set_string(obj, "hash", digest->hash) < 0) ||
	    (digest->iterations && set_int(obj, "iterations", digest->iterations) < 0) ||
	    set_blob(obj, "salt", &digest->salt) < 0 ||
	    set_blob(obj, "digest", &digest->digest) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static struct json_object *segment_to_json(const struct lv_segment *seg)
{
	struct json_object *obj = start_object(seg->json);
	int r;

	if (!obj)
		return NULL;
	if ((r = set_string(obj, "type", seg->type)) == 0 &&
	    (r = set_u64_string(obj, "offset", seg->offset_bytes)) == 0)
		r = seg->dynamic ? set_string(obj, "size", "dynamic")
				 : set_u64_string(obj, "size", seg->size_bytes);
	if (r == 0 && seg->is_crypt) {
		if ((r = set_u64_string(obj, "iv_tweak", seg->iv_tweak)) == 0 &&
		    (r = set_string(obj, "encryption", seg->encryption)) == 0)
			r = set_int(obj, "sector_size", seg->sector_size);
	}
	if (r == 0)
		r = set_string_list(obj, "flags", &seg->flags);
	if (r < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static struct json_object *config_to_json(const struct lv_config *cfg)
{
	struct json_object *obj = start_object(cfg->json), *reqs;
	int r;

	if (!obj)
		return NULL;
	if ((r = set_u64_string(obj, "json_size", cfg->json_size)) == 0 &&
	    (r = set_u64_string(obj, "keyslots_size", cfg->keyslots_size)) == 0)
		r = set_string_list(obj, "flags", &cfg->flags);
	if (r == 0 && cfg->mandatory.present) {
		reqs = child_object(obj, "requirements");
		r = reqs ? set_string_list(reqs, "mandatory", &cfg->mandatory) : -ENOMEM;
	}
	if (r < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* Adds section[id] = value, consuming value. */
static int add_entry(struct json_object *section, const struct lv_id *id,
		     struct json_object *value)
{
	if (!value)
		return -ENOMEM;
	if (json_object_object_add(section, id->text, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

/* cryptsetup erases such digests at every write (LUKS2_digests_erase_unused). */
static int digest_unused(const struct lv_digest *digest)
{
	return digest->keyslots.count == 0 && digest->segments.count == 0;
}

static struct json_object *section_to_json(const struct lv_metadata *md, const char *name)
{
	struct json_object *section = json_object_new_object();
	int r = 0;

	if (!section)
		return NULL;
	if (strcmp(name, "keyslots") == 0) {
		for (unsigned i = 0; r == 0 && i < md->keyslot_count; i++)
			r = add_entry(section, &md->keyslots[i].id, keyslot_to_json(&md->keyslots[i]));
	} else if (strcmp(name, "tokens") == 0) {
		for (unsigned i = 0; r == 0 && i < md->token_count; i++)
			r = add_entry(section, &md->tokens[i].id, token_to_json(&md->tokens[i]));
	} else if (strcmp(name, "segments") == 0) {
		for (unsigned i = 0; r == 0 && i < md->segment_count; i++)
			r = add_entry(section, &md->segments[i].id, segment_to_json(&md->segments[i]));
	} else {
		for (unsigned i = 0; r == 0 && i < md->digest_count; i++)
			if (!digest_unused(&md->digests[i]))
				r = add_entry(section, &md->digests[i].id,
					      digest_to_json(&md->digests[i]));
	}
	if (r < 0) {
		json_object_put(section);
		return NULL;
	}
	return section;
}

static const char *const sections[] = { "keyslots", "tokens", "segments", "digests", "config",
					NULL };

static struct json_object *top_level_value(const struct lv_metadata *md, const char *key,
					   struct json_object *parsed)
{
	struct json_object *copy = NULL;

	if (strcmp(key, "config") == 0)
		return config_to_json(&md->config);
	for (const char *const *s = sections; *s; s++)
		if (strcmp(key, *s) == 0)
			return section_to_json(md, key);
	/* Top-level keys beyond the five sections pass through unchanged. */
	if (json_object_deep_copy(parsed, &copy, NULL) < 0)
		return NULL;
	return copy;
}

/* The top level in the parsed order (cryptsetup's order for new metadata). */
static int add_top_level(struct json_object *root, const struct lv_metadata *md)
{
	int r = 0;

	if (md->root) {
		json_object_object_foreach(JSON(md->root), key, value) {
			if ((r = set_field(root, key, top_level_value(md, key, value))) < 0)
				return r;
		}
	}
	for (const char *const *s = sections; r == 0 && *s; s++)
		if (!member(root, *s))
			r = set_field(root, *s, top_level_value(md, *s, NULL));
	return r;
}

/* A JSON number as RFC 8259 writes it. */
static int json_number_text(const char *p)
{
	if (!p)
		return 0;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return 0;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		if (*++p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/*
 * json-c prints a number it parsed as a double with the text it was read
 * from, even text that is not JSON ("0999e" prints as "0999", which reads
 * back as the integer 999).  Such doubles are printed from their value, so
 * that what is written is JSON that reads back to itself; a double whose
 * text is JSON keeps it, as cryptsetup writes it.
 */
static void canonical_doubles(struct json_object *node)
{
	size_t count;

	switch (json_object_get_type(node)) {
	case json_type_double:
		if (!json_number_text(json_object_get_userdata(node)))
			json_object_set_serializer(node, NULL, NULL, NULL);
		break;
	case json_type_object: {
		json_object_object_foreach(node, key, child) {
			(void)key;
			canonical_doubles(child);
		}
		break;
	}
	case json_type_array:
		count = json_object_array_length(node);
		for (size_t i = 0; i < count; i++)
			canonical_doubles(json_object_array_get_idx(node, i));
		break;
	default:
		break;
	}
}

static int metadata_tree(const struct lv_metadata *md, struct json_object **root)
{
	int r;

	*root = json_object_new_object();
	if (!*root)
		return -ENOMEM;
	if ((r = add_top_level(*root, md)) < 0) {
		json_object_put(*root);
		*root = NULL;
		return r;
	}
	canonical_doubles(*root);
	return 0;
}

static int to_text(struct json_object *obj, int flags, char **text, size_t *len)
{
	size_t length;
	const char *printed = json_object_to_json_string_length(obj, flags, &length);

	*text = printed ? malloc(length + 1) : NULL;
	if (!*text)
		return -ENOMEM;
	memcpy(*text, printed, length + 1);
	if (len)
		*len = length;
	return 0;
}

int lv_metadata_to_text(const struct lv_metadata *md, char **text, size_t *len)
{
	struct json_object *root;
	int r = metadata_tree(md, &root);

	*text = NULL;
	if (r < 0)
		return r;
	r = to_text(root, JSON_ON_DISK_FLAGS, text, len);
	json_object_put(root);
	return r;
}

int lv_metadata_print_json(const struct lv_metadata *md, FILE *out)
{
	struct json_object *root = JSON(md->root);
	int r = 0;

	if (!root && (r = metadata_tree(md, &root)) < 0)
		return r;
	const char *text = json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	/* Byte for byte as cryptsetup prints it: no newline after the JSON. */
	if (!text)
		r = -ENOMEM;
	else
		fputs(text, out);
	if (!md->root)
		json_object_put(root);
	return r;
}

int lv_token_to_text(const struct lv_token *token, char **text)
{
	struct json_object *obj = JSON(token->json);
	int r;

	if (obj)
		return to_text(obj, JSON_ON_DISK_FLAGS, text, NULL);
	if (!(obj = token_to_json(token)))
		return -ENOMEM;
	r = to_text(obj, JSON_ON_DISK_FLAGS, text, NULL);
	json_object_put(obj);
	return r;
}
