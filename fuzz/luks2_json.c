/* SPDX-License-Identifier: ISC */
/*
 * luks2_json.c: the JSON area alone, through lv_metadata_parse (byte
 * rules, json-c parse, typed structs, the cross-object validator, the K7
 * repair and retry), then the writer's serializer (lv_metadata_to_text).
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
 *   - the serialization needs no repair and keeps every object (digests
 *     that name neither a keyslot nor a segment are dropped, as cryptsetup
 *     drops them);
 *   - serialization is a fixpoint: serializing the re-parsed metadata gives
 *     the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "luks2/metadata.h"

/* The header size config.json_size names (json_size + 4096) when it is
 * an allowed one, else 16 KiB.  The text is searched, not parsed (the
 * reader wants the size before it parses). */
static uint64_t hdr_size_of(const uint8_t *data, size_t size)
{
	static const char key[] = "\"json_size\":\"";
	const uint8_t *p = memmem(data, size, key, sizeof(key) - 1);
	uint64_t json_size = 0;

	if (!p)
		return 0x4000;
	for (p += sizeof(key) - 1; p < data + size && *p >= '0' && *p <= '9' && json_size < 0x400000; p++)
		json_size = json_size * 10 + (uint64_t)(*p - '0');
	if (json_size <= 0x400000 && lv_metadata_size_allowed(json_size + 4096))
		return json_size + 4096;
	return 0x4000;
}

/* The writer's text for md (malloc'ed, NUL-terminated). */
static char *serialize(const struct lv_metadata *md, size_t *len)
{
	char *text;

	if (lv_metadata_to_text(md, &text, len) < 0)
		fz_fail("lv_metadata_to_text failed on valid metadata");
	return text;
}

static unsigned used_digests(const struct lv_metadata *md)
{
	unsigned n = 0;

	for (unsigned i = 0; i < md->digest_count; i++)
		n += md->digests[i].keyslots.count || md->digests[i].segments.count;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_metadata *md_in = NULL, *md_back = NULL;
	struct lv_err err = { 0 };
	uint64_t hdr_size = hdr_size_of(data, size);
	size_t len, len_back, end;
	char *text, *text_back;

	if (lv_metadata_parse(data, size, hdr_size, &md_in, &end, &err) < 0) {
		if (md_in)
			fz_fail("a refused area left metadata behind");
		return 0;
	}
	if (end >= size || data[end] != '\0')
		fz_fail("the reader accepted an area without a NUL at %zu", end);
	text = serialize(md_in, &len);
	if (len >= md_in->config.json_size) {
		/* Too large for the area: the writer refuses with ENOSPC. */
		free(text);
		lv_metadata_free(&md_in);
		return 0;
	}
	/* The area as the writer lays it out: text, then NUL. */
	if (lv_metadata_parse((const uint8_t *)text, len + 1, hdr_size, &md_back, &end, &err) < 0)
		fz_fail("serialized metadata does not load back: %s\n%s", err.msg, text);
	if (md_back->repaired_kdf_keys)
		fz_fail("serialized metadata needs a repair\n%s", text);
	if (md_back->config.json_size != md_in->config.json_size)
		fz_fail("serialized metadata changed json_size");
	if (md_back->keyslot_count != md_in->keyslot_count ||
	    md_back->digest_count != used_digests(md_in) ||
	    md_back->segment_count != md_in->segment_count ||
	    md_back->token_count != md_in->token_count)
		fz_fail("serialized metadata lost or gained objects\n%s", text);
	text_back = serialize(md_back, &len_back);
	if (len_back != len || memcmp(text, text_back, len) != 0)
		fz_fail("serialization is not a fixpoint:\n%s\n%s", text, text_back);
	free(text_back);
	free(text);
	lv_metadata_free(&md_back);
	lv_metadata_free(&md_in);
	return 0;
}
