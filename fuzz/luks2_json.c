/* SPDX-License-Identifier: ISC */
/*
 * luks2_json.c: the JSON area alone: byte rules and json-c parse
 * (lv_json_area_parse), the typed structs (lv_metadata_from_json), the
 * cross-object validator (lv_metadata_validate) with the loader's K7 repair
 * and retry, then the writer's serializer (lv_metadata_to_json).
 *
 * The input is a JSON area: JSON text, a NUL, optionally more NULs (seeds
 * are the text and one NUL).  The header size given to the validator is
 * the one config.json_size names (json_size + 4096), 16 KiB when that is
 * not an allowed size.
 *
 * Invariants (abort on violation):
 *   - metadata that validated serializes, and the serialization, parsed
 *     back from text as a reader would, validates again -- unless it no
 *     longer fits json_size, which the writer reports as ENOSPC;
 *   - serialization is a fixpoint: serializing the re-parsed metadata gives
 *     the same text.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "luks2/metadata.h"

#define JSON_ON_DISK_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Large (about 100 KiB each): static, not on the stack. */
static struct lv_metadata md_in, md_back;

static uint64_t hdr_size_of(const struct lv_metadata *md)
{
	uint64_t json_size = md->config.json_size;

	if (json_size <= 0x400000 && lv_metadata_size_allowed(json_size + 4096))
		return json_size + 4096;
	return 0x4000;
}

/* Parse, fill, validate; on failure drop stale kdf keys once and retry,
 * as hdr_disk.c's load_metadata does.  md is filled only on success. */
static int load(const uint8_t *area, size_t len, struct lv_metadata *md, uint64_t *hdr_size,
		struct lv_err *err)
{
	struct json_object *root;
	size_t end;
	int r = lv_json_area_parse(area, len, &root, &end, err);

	if (r < 0)
		return r;
	if (end >= len || area[end] != '\0')
		fz_fail("lv_json_area_parse accepted an area without a NUL at %zu", end);
	for (int attempt = 0; attempt < 2; attempt++) {
		r = lv_metadata_from_json(root, md, err);
		if (r == 0) {
			*hdr_size = hdr_size_of(md);
			r = lv_metadata_validate(md, *hdr_size, err);
		}
		if (r == 0)
			break;
		lv_metadata_free(md);
		if (attempt == 0 && !lv_metadata_repair_kdf(root))
			break;
	}
	json_object_put(root);
	return r;
}

/* The writer's text for md (malloc'ed, NUL-terminated), or NULL. */
static char *serialize(const struct lv_metadata *md, size_t *len)
{
	struct json_object *root;
	const char *text;
	char *copy = NULL;

	if (lv_metadata_to_json(md, &root) < 0)
		fz_fail("lv_metadata_to_json failed on valid metadata");
	text = json_object_to_json_string_length(root, JSON_ON_DISK_FLAGS, len);
	if (!text)
		fz_fail("json-c could not print the serialized metadata");
	copy = malloc(*len + 1);
	if (copy)
		memcpy(copy, text, *len + 1);
	json_object_put(root);
	return copy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_err err = { 0 };
	uint64_t hdr_size, hdr_size_back;
	size_t len, len_back;
	char *text, *text_back;

	if (load(data, size, &md_in, &hdr_size, &err) < 0)
		return 0;
	text = serialize(&md_in, &len);
	if (!text || len >= md_in.config.json_size) {
		/* Too large for the area: the writer refuses with ENOSPC. */
		free(text);
		lv_metadata_free(&md_in);
		return 0;
	}
	/* The area as the writer lays it out: text, then NUL. */
	if (load((const uint8_t *)text, len + 1, &md_back, &hdr_size_back, &err) < 0)
		fz_fail("serialized metadata does not load back: %s\n%s", err.msg, text);
	if (hdr_size_back != hdr_size)
		fz_fail("serialized metadata changed json_size: %llu -> %llu",
			(unsigned long long)hdr_size, (unsigned long long)hdr_size_back);
	if (md_back.keyslot_count != md_in.keyslot_count ||
	    md_back.digest_count != md_in.digest_count ||
	    md_back.segment_count != md_in.segment_count ||
	    md_back.token_count != md_in.token_count)
		fz_fail("serialized metadata lost or gained objects\n%s", text);
	text_back = serialize(&md_back, &len_back);
	if (text_back && (len_back != len || memcmp(text, text_back, len) != 0))
		fz_fail("serialization is not a fixpoint:\n%s\n%s", text, text_back);
	free(text_back);
	free(text);
	lv_metadata_free(&md_back);
	lv_metadata_free(&md_in);
	return 0;
}
