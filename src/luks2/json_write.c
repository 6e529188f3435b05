/* SPDX-License-Identifier: ISC */
/*
 * json_write.c: struct lv_metadata back to LUKS2 JSON text, built as a
 * json_tree.h tree in one arena and printed as json-c prints it.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/json_tree.h"
#include "luks2/metadata.h"

#define ON_DISK_FLAGS (LV_JSON_PLAIN | LV_JSON_NOSLASHESCAPE)

/* What is being written: the document the new values go in. */
struct writer {
	struct lv_json_doc *doc;
};

/* object[key], json-c's JSON null (a NULL json_object) counted as absent. */
static struct lv_json *member(const struct lv_json *obj, const char *key)
{
	struct lv_json *value = (struct lv_json *)lv_json_member(obj, key);

	return value && value->type != LV_JSON_NULL ? value : NULL;
}

static bool is_type(const struct lv_json *value, enum lv_json_type type)
{
	return value && value->type == type;
}

/* Adds or replaces key; a replaced key keeps its position (as json-c). */
static int set_field(struct writer *w, struct lv_json *obj, const char *key,
		     struct lv_json *value)
{
	return lv_json_set(w->doc, obj, key, value);
}

/* The reader reads such strings with json_object_get_string() whatever
 * their JSON type: a field whose text is value stays as it is. */
static int set_string(struct writer *w, struct lv_json *obj, const char *key, const char *value)
{
	struct lv_json *old = member(obj, key);
	const char *text = old ? lv_json_get_string(w->doc, old) : NULL;

	if (text && strcmp(text, value) == 0)
		return 0;
	return set_field(w, obj, key, lv_json_new_string(w->doc, value));
}

static int set_int(struct writer *w, struct lv_json *obj, const char *key, int64_t value)
{
	struct lv_json *old = member(obj, key);

	if (is_type(old, LV_JSON_INT) && lv_json_get_int64(old) == value)
		return 0;
	return set_field(w, obj, key, lv_json_new_int(w->doc, value));
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
static int set_u64_string(struct writer *w, struct lv_json *obj, const char *key,
			  uint64_t value)
{
	struct lv_json *old = member(obj, key);
	char text[24];

	if (is_type(old, LV_JSON_STRING) && u64_text_is(lv_json_text(old), value))
		return 0;
	snprintf(text, sizeof(text), "%" PRIu64, value);
	return set_field(w, obj, key, lv_json_new_string(w->doc, text));
}

/* A blob read from the header keeps its text (even one that does not
 * decode: nothing luksvol wrote); a new one is encoded. */
static int set_blob(struct writer *w, struct lv_json *obj, const char *key,
		    const struct lv_blob *blob)
{
	char text[LV_BLOB_MAX * 2];

	if (blob->text)
		return set_string(w, obj, key, blob->text);
	if (!blob->valid)
		return 0;
	lv_base64_encode(blob->bytes, blob->len, text);
	return set_string(w, obj, key, text);
}

/* Whether array holds exactly the strings texts[0..count). */
static int array_is(const struct lv_json *array, const char *const *texts, size_t stride,
		    unsigned count)
{
	if (!is_type(array, LV_JSON_ARRAY) || array->arr.count != count)
		return 0;
	for (unsigned i = 0; i < count; i++) {
		const char *text = *(const char *const *)((const char *)texts + i * stride);
		const char *item = lv_json_text(array->arr.items[i]);

		if (!item || strcmp(item, text) != 0)
			return 0;
	}
	return 1;
}

/* key becomes an array of the count strings at texts (stride bytes apart). */
static int set_string_array(struct writer *w, struct lv_json *obj, const char *key,
			    const char *const *texts, size_t stride, unsigned count)
{
	struct lv_json *array;

	if (array_is(member(obj, key), texts, stride, count))
		return 0;
	if (!(array = lv_json_new(w->doc, LV_JSON_ARRAY)))
		return -ENOMEM;
	for (unsigned i = 0; i < count; i++) {
		const char *text = *(const char *const *)((const char *)texts + i * stride);

		if (lv_json_append(w->doc, array, lv_json_new_string(w->doc, text)) < 0)
			return -ENOMEM;
	}
	return set_field(w, obj, key, array);
}

static int set_id_list(struct writer *w, struct lv_json *obj, const char *key,
		       const struct lv_id_list *list)
{
	static const char *const none[1];

	return set_string_array(w, obj, key, list->count ? &list->items[0].text : none,
				sizeof(list->items[0]), list->count);
}

/* An optional list: absent unless present. */
static int set_string_list(struct writer *w, struct lv_json *obj, const char *key,
			   const struct lv_string_list *list)
{
	static const char *const none[1];

	if (!list->present) {
		lv_json_del(obj, key);
		return 0;
	}
	return set_string_array(w, obj, key, list->count ? list->items : none,
				sizeof(list->items[0]), list->count);
}

/* A copy of the parsed node, or a new empty object. */
static struct lv_json *start_object(struct writer *w, const struct lv_json *parsed)
{
	if (!parsed)
		return lv_json_new(w->doc, LV_JSON_OBJECT);
	return lv_json_copy(w->doc, parsed);
}

static struct lv_json *new_child(struct writer *w, struct lv_json *parent, const char *key)
{
	struct lv_json *child = lv_json_new(w->doc, LV_JSON_OBJECT);

	return set_field(w, parent, key, child) == 0 ? child : NULL;
}

static struct lv_json *child_object(struct writer *w, struct lv_json *parent, const char *key)
{
	struct lv_json *child = member(parent, key);

	return is_type(child, LV_JSON_OBJECT) ? child : new_child(w, parent, key);
}

static int kdf_to_json(struct writer *w, struct lv_json *kdf, const struct lv_kdf *params)
{
	int r = set_string(w, kdf, "type", params->type);

	if (r == 0 && params->kind == LV_KDF_PBKDF2) {
		if ((r = set_string(w, kdf, "hash", params->hash)) == 0)
			r = set_int(w, kdf, "iterations", params->iterations);
	} else if (r == 0 && params->kind != LV_KDF_OTHER) {
		if ((r = set_int(w, kdf, "time", params->time_cost)) == 0 &&
		    (r = set_int(w, kdf, "memory", params->memory_kib)) == 0)
			r = set_int(w, kdf, "cpus", params->cpus);
	}
	return r == 0 ? set_blob(w, kdf, "salt", &params->salt) : r;
}

static int area_to_json(struct writer *w, struct lv_json *area, const struct lv_keyslot *ks)
{
	int r;

	if ((r = set_string(w, area, "type", ks->area.type)) < 0 ||
	    (r = set_u64_string(w, area, "offset", ks->area.offset_bytes)) < 0 ||
	    (r = set_u64_string(w, area, "size", ks->area.size_bytes)) < 0)
		return r;
	if (ks->kind != LV_KEYSLOT_LUKS2)
		return 0;
	if ((r = set_string(w, area, "encryption", ks->area.encryption)) < 0)
		return r;
	return set_int(w, area, "key_size", ks->area.key_size);
}

/* A kdf object is reused only while its type stays the same: parameters of
 * a replaced kdf type must not linger (§1.6 K7). */
static struct lv_json *kdf_child(struct writer *w, struct lv_json *keyslot, const char *kdf_type)
{
	struct lv_json *kdf = member(keyslot, "kdf");
	const char *type = lv_json_text(member(kdf, "type"));

	if (is_type(kdf, LV_JSON_OBJECT) && type && strcmp(type, kdf_type) == 0)
		return kdf;
	return new_child(w, keyslot, "kdf");
}

/* af, area and kdf keep fields luksvol does not model (an unknown kdf
 * type's parameters, an undecodable salt) unless luksvol rewrote them. */
static int luks2_keyslot_fields(struct writer *w, struct lv_json *obj,
				const struct lv_keyslot *ks)
{
	struct lv_json *af = child_object(w, obj, "af"), *area, *kdf;

	if (!af || set_string(w, af, "type", ks->af.type) < 0 ||
	    set_int(w, af, "stripes", ks->af.stripes) < 0 ||
	    set_string(w, af, "hash", ks->af.hash) < 0)
		return -ENOMEM;
	area = child_object(w, obj, "area");
	if (!area || area_to_json(w, area, ks) < 0)
		return -ENOMEM;
	kdf = kdf_child(w, obj, ks->kdf.type);
	if (!kdf || kdf_to_json(w, kdf, &ks->kdf) < 0)
		return -ENOMEM;
	return 0;
}

/* The priority the reader took (json_object_get_int() of any type, a JSON
 * null reading as 0). */
static int set_priority(struct writer *w, struct lv_json *obj, const struct lv_keyslot *ks)
{
	const struct lv_json *old = lv_json_member(obj, "priority");

	if (!ks->has_priority) {
		lv_json_del(obj, "priority");
		return 0;
	}
	if (old && lv_json_get_int(old) == ks->priority)
		return 0;
	return set_field(w, obj, "priority", lv_json_new_int(w->doc, ks->priority));
}

static struct lv_json *keyslot_to_json(struct writer *w, const struct lv_keyslot *ks)
{
	struct lv_json *obj = start_object(w, ks->json), *area;
	int r;

	if (!obj)
		return NULL;
	r = set_string(w, obj, "type", ks->type);
	if (r == 0)
		r = set_int(w, obj, "key_size", ks->key_size);
	if (r == 0 && ks->kind == LV_KEYSLOT_LUKS2) {
		r = luks2_keyslot_fields(w, obj, ks);
	} else if (r == 0) {
		area = child_object(w, obj, "area");
		r = area ? area_to_json(w, area, ks) : -ENOMEM;
	}
	if (r == 0)
		r = set_priority(w, obj, ks);
	return r == 0 ? obj : NULL;
}

static struct lv_json *token_to_json(struct writer *w, const struct lv_token *token)
{
	struct lv_json *obj = start_object(w, token->json);

	if (!obj || set_string(w, obj, "type", token->type) < 0 ||
	    set_id_list(w, obj, "keyslots", &token->keyslots) < 0)
		return NULL;
	return obj;
}

static struct lv_json *digest_to_json(struct writer *w, const struct lv_digest *digest)
{
	struct lv_json *obj = start_object(w, digest->json);

	if (!obj || set_string(w, obj, "type", digest->type) < 0 ||
	    set_id_list(w, obj, "keyslots", &digest->keyslots) < 0 ||
	    set_id_list(w, obj, "segments", &digest->segments) < 0 ||
	    (digest->hash && set_string(w, obj, "hash", digest->hash) < 0) ||
	    (digest->iterations && set_int(w, obj, "iterations", digest->iterations) < 0) ||
	    set_blob(w, obj, "salt", &digest->salt) < 0 ||
	    set_blob(w, obj, "digest", &digest->digest) < 0)
		return NULL;
	return obj;
}

static struct lv_json *segment_to_json(struct writer *w, const struct lv_segment *seg)
{
	struct lv_json *obj = start_object(w, seg->json);
	int r;

	if (!obj)
		return NULL;
	if ((r = set_string(w, obj, "type", seg->type)) == 0 &&
	    (r = set_u64_string(w, obj, "offset", seg->offset_bytes)) == 0)
		r = seg->dynamic ? set_string(w, obj, "size", "dynamic")
				 : set_u64_string(w, obj, "size", seg->size_bytes);
	if (r == 0 && seg->is_crypt) {
		if ((r = set_u64_string(w, obj, "iv_tweak", seg->iv_tweak)) == 0 &&
		    (r = set_string(w, obj, "encryption", seg->encryption)) == 0)
			r = set_int(w, obj, "sector_size", seg->sector_size);
	}
	if (r == 0)
		r = set_string_list(w, obj, "flags", &seg->flags);
	return r == 0 ? obj : NULL;
}

static struct lv_json *config_to_json(struct writer *w, const struct lv_config *cfg)
{
	struct lv_json *obj = start_object(w, cfg->json), *reqs;
	int r;

	if (!obj)
		return NULL;
	if ((r = set_u64_string(w, obj, "json_size", cfg->json_size)) == 0 &&
	    (r = set_u64_string(w, obj, "keyslots_size", cfg->keyslots_size)) == 0)
		r = set_string_list(w, obj, "flags", &cfg->flags);
	if (r == 0 && cfg->mandatory.present) {
		reqs = child_object(w, obj, "requirements");
		r = reqs ? set_string_list(w, reqs, "mandatory", &cfg->mandatory) : -ENOMEM;
	}
	return r == 0 ? obj : NULL;
}

/* cryptsetup erases such digests at every write (LUKS2_digests_erase_unused). */
static int digest_unused(const struct lv_digest *digest)
{
	return digest->keyslots.count == 0 && digest->segments.count == 0;
}

/* A section's ids are distinct: entries are appended without a lookup. */
static struct lv_json *section_to_json(struct writer *w, const struct lv_metadata *md,
				       const char *name)
{
	struct lv_json *section = lv_json_new(w->doc, LV_JSON_OBJECT);
	int r = 0;

	if (!section)
		return NULL;
	if (strcmp(name, "keyslots") == 0) {
		for (unsigned i = 0; r == 0 && i < md->keyslot_count; i++)
			r = lv_json_push(w->doc, section, md->keyslots[i].id.text,
					 keyslot_to_json(w, &md->keyslots[i]));
	} else if (strcmp(name, "tokens") == 0) {
		for (unsigned i = 0; r == 0 && i < md->token_count; i++)
			r = lv_json_push(w->doc, section, md->tokens[i].id.text,
					 token_to_json(w, &md->tokens[i]));
	} else if (strcmp(name, "segments") == 0) {
		for (unsigned i = 0; r == 0 && i < md->segment_count; i++)
			r = lv_json_push(w->doc, section, md->segments[i].id.text,
					 segment_to_json(w, &md->segments[i]));
	} else {
		for (unsigned i = 0; r == 0 && i < md->digest_count; i++)
			if (!digest_unused(&md->digests[i]))
				r = lv_json_push(w->doc, section, md->digests[i].id.text,
						 digest_to_json(w, &md->digests[i]));
	}
	return r == 0 ? section : NULL;
}

static const char *const sections[] = { "keyslots", "tokens", "segments", "digests", "config",
					NULL };

static struct lv_json *top_level_value(struct writer *w, const struct lv_metadata *md,
				       const char *key, const struct lv_json *parsed)
{
	if (strcmp(key, "config") == 0)
		return config_to_json(w, &md->config);
	for (const char *const *s = sections; *s; s++)
		if (strcmp(key, *s) == 0)
			return section_to_json(w, md, key);
	/* Top-level keys beyond the five sections pass through unchanged. */
	return lv_json_copy(w->doc, parsed);
}

/* The top level in the parsed order (cryptsetup's order for new metadata). */
static int add_top_level(struct writer *w, struct lv_json *root, const struct lv_metadata *md)
{
	const struct lv_json *parsed = md->root;
	int r = 0;

	for (size_t i = 0; r == 0 && parsed && i < parsed->obj.count; i++)
		r = lv_json_push(w->doc, root, parsed->obj.members[i].key,
				 top_level_value(w, md, parsed->obj.members[i].key,
						 parsed->obj.members[i].value));
	for (const char *const *s = sections; r == 0 && *s; s++)
		if (!lv_json_member(root, *s))
			r = lv_json_push(w->doc, root, *s, top_level_value(w, md, *s, NULL));
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
 * back as the integer 999), or JSON that reads back as an integer
 * ("2221000e" keeps "2221000"; 118 digits read back saturated to
 * 18446744073709551615).  Such
 * doubles are printed from their value, so that what is written is JSON
 * that reads back to itself; a double whose text is JSON with a fraction or
 * an exponent keeps it, as cryptsetup writes it.
 */
static int double_text(const char *text)
{
	return json_number_text(text) && strpbrk(text, ".eE") != NULL;
}

static void canonical_doubles(struct lv_json *node)
{
	switch (node->type) {
	case LV_JSON_DOUBLE:
		if (!double_text(node->dbl.text))
			node->dbl.text = NULL;
		break;
	case LV_JSON_OBJECT:
		for (size_t i = 0; i < node->obj.count; i++)
			canonical_doubles(node->obj.members[i].value);
		break;
	case LV_JSON_ARRAY:
		for (size_t i = 0; i < node->arr.count; i++)
			canonical_doubles(node->arr.items[i]);
		break;
	default:
		break;
	}
}

/* The whole metadata as a tree in w->doc. */
static struct lv_json *metadata_tree(struct writer *w, const struct lv_metadata *md)
{
	struct lv_json *root;

	if (!(w->doc = lv_json_doc_new()) || !(root = lv_json_new(w->doc, LV_JSON_OBJECT)) ||
	    add_top_level(w, root, md) < 0)
		return NULL;
	canonical_doubles(root);
	return root;
}

static int to_text(const struct lv_json *value, char **text, size_t *len)
{
	*text = lv_json_print(value, ON_DISK_FLAGS, len);
	return *text ? 0 : -ENOMEM;
}

int lv_metadata_to_text(const struct lv_metadata *md, char **text, size_t *len)
{
	struct writer w = { 0 };
	struct lv_json *root = metadata_tree(&w, md);
	int r = root ? to_text(root, text, len) : -ENOMEM;

	if (!root)
		*text = NULL;
	lv_json_doc_put(&w.doc);
	return r;
}

int lv_metadata_print_json(const struct lv_metadata *md, FILE *out)
{
	struct writer w = { 0 };
	const struct lv_json *root = md->root ? md->root : metadata_tree(&w, md);
	char *text = root ? lv_json_print(root, LV_JSON_PRETTY | LV_JSON_NOSLASHESCAPE, NULL)
			  : NULL;

	lv_json_doc_put(&w.doc);
	if (!text)
		return -ENOMEM;
	/* Byte for byte as cryptsetup prints it: no newline after the JSON. */
	fputs(text, out);
	free(text);
	return 0;
}

int lv_token_to_text(const struct lv_token *token, char **text)
{
	struct writer w = { 0 };
	const struct lv_json *obj = token->json;
	int r;

	if (obj)
		return to_text(obj, text, NULL);
	w.doc = lv_json_doc_new();
	obj = w.doc ? token_to_json(&w, token) : NULL;
	r = obj ? to_text(obj, text, NULL) : -ENOMEM;
	if (!obj)
		*text = NULL;
	lv_json_doc_put(&w.doc);
	return r;
}
