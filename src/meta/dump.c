/* SPDX-License-Identifier: ISC */
/*
 * dump.c: `luksvol meta dump`: both ADVs' state and every tag, as text or
 * JSON.  The values of the tags that may hold secrets (STATE's static
 * passphrases in tag 9, the machine token in tag 16) are printed only when
 * asked for.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "base/utf8.h"
#include "meta/meta.h"

static const char *state_name(enum lv_meta_state state)
{
	return state == LV_META_OK ? "ok" : state == LV_META_BLANK ? "blank" : "corrupt";
}

/* A value as a C-like quoted string: printable ASCII as is, the rest
 * escaped, so no byte of it can drive the terminal. */
static void print_quoted(FILE *out, const uint8_t *bytes, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = bytes[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_tag_text(FILE *out, unsigned tag, const struct lv_secret *value, int legacy,
			   int show)
{
	const char *name = lv_meta_tag_name(tag);

	fprintf(out, "  %u (0x%02x)%s%s%s: %zu bytes", tag, tag, name ? " " : "", name ? name : "",
		legacy ? " [legacy ADV]" : "", value->len);
	if (!show) {
		fputs(", sensitive (--show-secrets prints it)\n", out);
		return;
	}
	fputs(": ", out);
	print_quoted(out, value->bytes, value->len);
	fputc('\n', out);
}

static void dump_text(const struct lv_meta *meta, FILE *out, int show_secrets)
{
	fprintf(out, "META:       %s\n", lv_meta_name(meta));
	fprintf(out, "State:      %s\n", state_name(lv_meta_state(meta)));
	fprintf(out, "ADV:        copy 1 %s, copy 2 %s\n",
		lv_meta_copy_state_name(lv_meta_copy_state(meta, 0, 0)),
		lv_meta_copy_state_name(lv_meta_copy_state(meta, 0, 1)));
	fprintf(out, "Legacy ADV: copy 1 %s, copy 2 %s\n",
		lv_meta_copy_state_name(lv_meta_copy_state(meta, 1, 0)),
		lv_meta_copy_state_name(lv_meta_copy_state(meta, 1, 1)));
	fprintf(out, "Used:       %zu of %u bytes\n", lv_meta_used_bytes(meta), LV_META_DATA_BYTES);
	fputs("Tags:\n", out);
	for (unsigned tag = 1; tag <= LV_META_TAG_MAX; tag++) {
		int legacy;
		const struct lv_secret *value = lv_meta_get(meta, tag, &legacy);

		if (value)
			print_tag_text(out, tag, value, legacy,
				       show_secrets || !lv_meta_tag_sensitive(tag));
	}
}

static struct json_object *hex_of(const uint8_t *bytes, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	struct json_object *obj;
	char *hex = malloc(2 * len + 1);

	if (!hex)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 15];
	}
	hex[2 * len] = '\0';
	obj = json_object_new_string_len(hex, (int)(2 * len));
	lv_wipe(hex, 2 * len);
	free(hex);
	return obj;
}

static struct json_object *tag_json(unsigned tag, const struct lv_secret *value, int legacy,
				    int show)
{
	struct json_object *obj = json_object_new_object();
	const char *name = lv_meta_tag_name(tag);

	json_object_object_add(obj, "tag", json_object_new_int((int)tag));
	if (name)
		json_object_object_add(obj, "name", json_object_new_string(name));
	json_object_object_add(obj, "size", json_object_new_int64((int64_t)value->len));
	json_object_object_add(obj, "adv", json_object_new_string(legacy ? "legacy" : "talos"));
	json_object_object_add(obj, "sensitive", json_object_new_boolean(lv_meta_tag_sensitive(tag)));
	if (!show)
		return obj;
	if (lv_utf8_valid(value->bytes, value->len) && !memchr(value->bytes, 0, value->len))
		json_object_object_add(obj, "text", json_object_new_string_len(
			(const char *)value->bytes, (int)value->len));
	json_object_object_add(obj, "hex", hex_of(value->bytes, value->len));
	return obj;
}

static struct json_object *copies_json(const struct lv_meta *meta, int legacy)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "copy1", json_object_new_string(
		lv_meta_copy_state_name(lv_meta_copy_state(meta, legacy, 0))));
	json_object_object_add(obj, "copy2", json_object_new_string(
		lv_meta_copy_state_name(lv_meta_copy_state(meta, legacy, 1))));
	return obj;
}

static int dump_json(const struct lv_meta *meta, FILE *out, int show_secrets,
		     struct lv_err *err)
{
	struct json_object *root = json_object_new_object(), *tags = json_object_new_array();
	const char *text;

	if (!root || !tags) {
		json_object_put(root);
		json_object_put(tags);
		return lv_err_set(err, -ENOMEM, "META %s: out of memory", lv_meta_name(meta));
	}
	json_object_object_add(root, "device", json_object_new_string(lv_meta_name(meta)));
	json_object_object_add(root, "state", json_object_new_string(state_name(lv_meta_state(meta))));
	json_object_object_add(root, "adv", copies_json(meta, 0));
	json_object_object_add(root, "legacy", copies_json(meta, 1));
	json_object_object_add(root, "used", json_object_new_int64((int64_t)lv_meta_used_bytes(meta)));
	json_object_object_add(root, "capacity", json_object_new_int(LV_META_DATA_BYTES));
	for (unsigned tag = 1; tag <= LV_META_TAG_MAX; tag++) {
		int legacy;
		const struct lv_secret *value = lv_meta_get(meta, tag, &legacy);

		if (value)
			json_object_array_add(tags, tag_json(tag, value, legacy,
				show_secrets || !lv_meta_tag_sensitive(tag)));
	}
	json_object_object_add(root, "tags", tags);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	fprintf(out, "%s\n", text);
	/* A value printed on request may be a secret: not left in the heap. */
	if (show_secrets)
		lv_wipe((void *)text, strlen(text));
	json_object_put(root);
	return 0;
}

int lv_meta_dump(const struct lv_meta *meta, FILE *out, int json, int show_secrets,
		 struct lv_err *err)
{
	if (json)
		return dump_json(meta, out, show_secrets, err);
	dump_text(meta, out, show_secrets);
	return 0;
}
