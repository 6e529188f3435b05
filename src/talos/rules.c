/* SPDX-License-Identifier: ISC */
/*
 * rules.c: the header rules Talos applies before it unlocks a volume
 * (talos-encryption.md §5 "Validation rules").  A header that passes
 * luksvol's own validation can still be one Talos refuses to open, e.g.
 * with a pbkdf2 keyslot; apply refuses it the same way, so luksvol never
 * opens a volume on a node that Talos then could not.  Like Talos, the
 * rules read the header's JSON metadata, here through the format's public
 * API (lv_dump_json).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/constants.h"
#include "talos/rules.h"

/* The string at key in obj, "" when there is none. */
static const char *string_at(struct json_object *obj, const char *key)
{
	struct json_object *value;

	if (!json_object_object_get_ex(obj, key, &value) || !json_object_is_type(value, json_type_string))
		return "";
	return json_object_get_string(value);
}

static struct json_object *object_at(struct json_object *obj, const char *key)
{
	struct json_object *value;

	return json_object_object_get_ex(obj, key, &value) &&
	       json_object_is_type(value, json_type_object) ? value : NULL;
}

static int check_keyslot(const char *id, struct json_object *ks, const char *path,
			 struct lv_err *err)
{
	const char *type = string_at(ks, "type");
	const char *encryption = string_at(object_at(ks, "area"), "encryption");
	const char *kdf = string_at(object_at(ks, "kdf"), "type");

	if (strcmp(type, "luks2") != 0)
		return lv_err_set(err, -EINVAL, "%s: keyslot %s: type %s (Talos opens luks2 keyslots only)",
				  path, id, type);
	if (!lv_talos_cipher(encryption))
		return lv_err_set(err, -EINVAL, "%s: keyslot %s: area.encryption %s is not a Talos cipher",
				  path, id, encryption);
	if (strcmp(kdf, "argon2id") != 0 && strcmp(kdf, "argon2i") != 0)
		return lv_err_set(err, -EINVAL, "%s: keyslot %s: kdf %s (Talos accepts argon2id and argon2i only)",
				  path, id, kdf);
	return 0;
}

static int check_keyslots(struct json_object *keyslots, const char *path, struct lv_err *err)
{
	int r = 0;

	if (!keyslots || json_object_object_length(keyslots) == 0)
		return lv_err_set(err, -EINVAL, "%s: keyslots: none (Talos needs at least one)", path);
	json_object_object_foreach(keyslots, id, ks) {
		r = json_object_is_type(ks, json_type_object) ? check_keyslot(id, ks, path, err) :
		    lv_err_set(err, -EINVAL, "%s: keyslot %s: not an object", path, id);
		if (r < 0)
			break;
	}
	return r;
}

/* A decimal string other than "0": a data segment after the header. */
static int nonzero_offset(const char *text)
{
	char *end;
	unsigned long long value;

	if (text[0] < '0' || text[0] > '9')
		return 0;
	value = strtoull(text, &end, 10);
	return !*end && value != 0;
}

static int check_segments(struct json_object *segments, const char *path, struct lv_err *err)
{
	struct json_object *seg = segments ? object_at(segments, "0") : NULL, *flags;

	if (!seg || json_object_object_length(segments) != 1)
		return lv_err_set(err, -EINVAL, "%s: segments: Talos needs exactly one segment, \"0\"",
				  path);
	if (strcmp(string_at(seg, "type"), "crypt") != 0)
		return lv_err_set(err, -EINVAL, "%s: segment 0: type %s, not crypt", path,
				  string_at(seg, "type"));
	if (!lv_talos_cipher(string_at(seg, "encryption")))
		return lv_err_set(err, -EINVAL, "%s: segment 0: encryption %s is not a Talos cipher",
				  path, string_at(seg, "encryption"));
	if (json_object_object_get_ex(seg, "flags", &flags))
		return lv_err_set(err, -EINVAL, "%s: segment 0: has flags (Talos refuses them)", path);
	if (!nonzero_offset(string_at(seg, "offset")))
		return lv_err_set(err, -EINVAL, "%s: segment 0: offset 0 (a detached header)", path);
	return 0;
}

/* The header's metadata JSON, parsed, in *root. */
static int metadata_json(struct lv_device *dev, struct json_object **root, struct lv_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int r = out ? lv_dump_json(dev, out, err) : lv_err_set(err, -ENOMEM, "out of memory");

	*root = NULL;
	if (out && fclose(out) != 0 && r == 0)
		r = lv_err_set(err, -ENOMEM, "out of memory");
	if (r == 0 && !(*root = json_tokener_parse(text)))
		r = lv_err_set(err, -EINVAL, "%s: cannot read the metadata JSON", lv_device_path(dev));
	free(text);
	return r;
}

int lv_talos_header_check(struct lv_device *dev, struct lv_err *err)
{
	const char *path = lv_device_path(dev);
	struct json_object *root;
	int r = metadata_json(dev, &root, err);

	if (r == 0)
		r = check_keyslots(object_at(root, "keyslots"), path, err);
	if (r == 0)
		r = check_segments(object_at(root, "segments"), path, err);
	json_object_put(root);
	return r;
}
