/* SPDX-License-Identifier: ISC */
/*
 * json_write.c: struct lv_metadata back to LUKS2 JSON.
 *
 * The typed members are the truth for every field they model; each object
 * starts from a copy of its parsed node so that fields luksvol does not
 * model (token payloads, unknown types, extra keys) survive.  New objects
 * get their fields in the order cryptsetup writes them, so a header luksvol
 * formats reads like one cryptsetup formats.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "luks2/metadata.h"

/* Adds or replaces key; json-c keeps the position of a replaced key. */
static int set_field(struct json_object *obj, const char *key, struct json_object *value)
{
	if (!value)
		return -ENOMEM;
	return json_object_object_add(obj, key, value) == 0 ? 0 : -ENOMEM;
}

static int set_string(struct json_object *obj, const char *key, const char *value)
{
	return set_field(obj, key, json_object_new_string(value));
}

static int set_int(struct json_object *obj, const char *key, int64_t value)
{
	return set_field(obj, key, json_object_new_int64(value));
}

static int set_u64_string(struct json_object *obj, const char *key, uint64_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRIu64, value);
	return set_string(obj, key, text);
}

/* An undecodable blob keeps its original text: nothing luksvol wrote. */
static int set_blob(struct json_object *obj, const char *key, const struct lv_blob *blob)
{
	char text[LV_BLOB_MAX * 2];

	if (!blob->valid)
		return 0;
	lv_base64_encode(blob->bytes, blob->len, text);
	return set_string(obj, key, text);
}

static int set_id_list(struct json_object *obj, const char *key, const struct lv_id_list *list)
{
	struct json_object *array = json_object_new_array();
	char text[12];

	if (!array)
		return -ENOMEM;
	for (unsigned i = 0; i < list->count; i++) {
		snprintf(text, sizeof(text), "%u", list->ids[i]);
		if (json_object_array_add(array, json_object_new_string(text)) < 0) {
			json_object_put(array);
			return -ENOMEM;
		}
	}
	return set_field(obj, key, array);
}

static int set_string_list(struct json_object *obj, const char *key,
			   const struct lv_string_list *list)
{
	struct json_object *array = json_object_new_array();

	if (!array)
		return -ENOMEM;
	for (unsigned i = 0; i < list->count; i++) {
		if (json_object_array_add(array, json_object_new_string(list->items[i])) < 0) {
			json_object_put(array);
			return -ENOMEM;
		}
	}
	return set_field(obj, key, array);
}

/* A copy of the parsed node, or a new empty object. */
static struct json_object *start_object(struct json_object *parsed)
{
	struct json_object *copy = NULL;

	if (!parsed)
		return json_object_new_object();
	if (json_object_deep_copy(parsed, &copy, NULL) < 0)
		return NULL;
	return copy;
}

static struct json_object *child_object(struct json_object *parent, const char *key)
{
	struct json_object *child;

	if (json_object_object_get_ex(parent, key, &child) &&
	    json_object_is_type(child, json_type_object))
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
	struct json_object *kdf, *type;

	if (json_object_object_get_ex(keyslot, "kdf", &kdf) &&
	    json_object_is_type(kdf, json_type_object) &&
	    json_object_object_get_ex(kdf, "type", &type) &&
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
	struct json_object *af = child_object(obj, "af");

	if (!af || set_string(af, "type", ks->af.type) < 0 ||
	    set_int(af, "stripes", ks->af.stripes) < 0 || set_string(af, "hash", ks->af.hash) < 0)
		return -ENOMEM;
	struct json_object *area = child_object(obj, "area");
	if (!area || area_to_json(area, ks) < 0)
		return -ENOMEM;
	struct json_object *kdf = kdf_child(obj, ks->kdf.type);
	if (!kdf || kdf_to_json(kdf, &ks->kdf) < 0)
		return -ENOMEM;
	return 0;
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
	if (r == 0 && ks->has_priority)
		r = set_int(obj, "priority", ks->priority);
	else if (r == 0)
		json_object_object_del(obj, "priority");
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
	    (digest->hash[0] && set_string(obj, "hash", digest->hash) < 0) ||
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
	if ((r = set_u64_string(obj, "json_size", cfg->json_size)) == 0)
		r = set_u64_string(obj, "keyslots_size", cfg->keyslots_size);
	if (r == 0 && cfg->flags.count)
		r = set_string_list(obj, "flags", &cfg->flags);
	else if (r == 0)
		json_object_object_del(obj, "flags");
	if (r == 0 && cfg->has_mandatory) {
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
static int add_entry(struct json_object *section, uint32_t id, struct json_object *value)
{
	char key[12];

	if (!value)
		return -ENOMEM;
	snprintf(key, sizeof(key), "%u", id);
	if (json_object_object_add(section, key, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

static int add_sections(struct json_object *root, const struct lv_metadata *md)
{
	struct json_object *keyslots = json_object_new_object();
	struct json_object *tokens = json_object_new_object();
	struct json_object *segments = json_object_new_object();
	struct json_object *digests = json_object_new_object();
	int r = 0;

	/* Ownership of each section passes to root as soon as it is added. */
	if (set_field(root, "keyslots", keyslots) < 0 || set_field(root, "tokens", tokens) < 0 ||
	    set_field(root, "segments", segments) < 0 || set_field(root, "digests", digests) < 0)
		return -ENOMEM;
	for (uint32_t id = 0; r == 0 && id < LV_KEYSLOTS_MAX; id++) {
		const struct lv_keyslot *ks = lv_md_keyslot(md, id);
		if (ks)
			r = add_entry(keyslots, id, keyslot_to_json(ks));
	}
	for (unsigned i = 0; r == 0 && i < md->token_count; i++)
		r = add_entry(tokens, md->tokens[i].id, token_to_json(&md->tokens[i]));
	for (uint32_t id = 0; r == 0 && id < LV_SEGMENTS_MAX; id++) {
		const struct lv_segment *seg = lv_md_segment(md, id);
		if (seg)
			r = add_entry(segments, id, segment_to_json(seg));
	}
	for (unsigned i = 0; r == 0 && i < md->digest_count; i++)
		r = add_entry(digests, md->digests[i].id, digest_to_json(&md->digests[i]));
	if (r == 0)
		r = set_field(root, "config", config_to_json(&md->config));
	return r;
}

/* Top-level keys beyond the five sections pass through unchanged. */
static int copy_extra_keys(struct json_object *root, struct json_object *parsed)
{
	static const char *const sections[] = { "keyslots", "tokens", "segments",
						"digests", "config", NULL };

	if (!parsed)
		return 0;
	json_object_object_foreach(parsed, key, value) {
		int known = 0;
		struct json_object *copy = NULL;

		for (const char *const *s = sections; *s; s++)
			known |= strcmp(key, *s) == 0;
		if (known)
			continue;
		if (json_object_deep_copy(value, &copy, NULL) < 0 ||
		    set_field(root, key, copy) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * json-c prints a number it parsed as a double with the text it was read
 * from, even text that is not JSON ("0999e" prints as "0999", which reads
 * back as the integer 999).  Written headers print every double from its
 * value, so that what is written is JSON that reads back to itself.
 */
static void canonical_doubles(struct json_object *node)
{
	size_t count;

	switch (json_object_get_type(node)) {
	case json_type_double:
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

int lv_metadata_to_json(const struct lv_metadata *md, struct json_object **root)
{
	int r;

	*root = json_object_new_object();
	if (!*root)
		return -ENOMEM;
	if ((r = add_sections(*root, md)) < 0 || (r = copy_extra_keys(*root, md->root)) < 0) {
		json_object_put(*root);
		*root = NULL;
		return r;
	}
	canonical_doubles(*root);
	return 0;
}
