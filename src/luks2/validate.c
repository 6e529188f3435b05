/* SPDX-License-Identifier: ISC */
/*
 * validate.c: the rules of luks2-reference.md §1.6 that relate objects to
 * each other (T3, D3, S5, S6, S8, S9, K4, K5, C2, C3, A2-A4, J1, J2), over
 * the typed metadata that json_read.c produced.
 */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "luks2/metadata.h"

#define KEYSLOTS_AREA_MAX_BYTES (128ULL << 20)

int lv_metadata_size_allowed(uint64_t metadata_bytes)
{
	for (uint64_t size = 0x4000; size <= 0x400000; size <<= 1)
		if (metadata_bytes == size)
			return 1;
	return 0;
}

static int check_unique_ids(const struct lv_metadata *md, struct lv_err *err)
{
	for (unsigned i = 0; i < md->keyslot_count; i++)
		for (unsigned k = i + 1; k < md->keyslot_count; k++)
			if (md->keyslots[i].id == md->keyslots[k].id)
				return lv_err_set(err, -EINVAL, "keyslots: id %u appears twice",
						  md->keyslots[i].id);
	for (unsigned i = 0; i < md->segment_count; i++)
		for (unsigned k = i + 1; k < md->segment_count; k++)
			if (md->segments[i].id == md->segments[k].id)
				return lv_err_set(err, -EINVAL, "segments: id %u appears twice",
						  md->segments[i].id);
	for (unsigned i = 0; i < md->digest_count; i++)
		for (unsigned k = i + 1; k < md->digest_count; k++)
			if (md->digests[i].id == md->digests[k].id)
				return lv_err_set(err, -EINVAL, "digests: id %u appears twice",
						  md->digests[i].id);
	for (unsigned i = 0; i < md->token_count; i++)
		for (unsigned k = i + 1; k < md->token_count; k++)
			if (md->tokens[i].id == md->tokens[k].id)
				return lv_err_set(err, -EINVAL, "tokens: id %u appears twice",
						  md->tokens[i].id);
	return 0;
}

/* T3 */
static int check_token_refs(const struct lv_metadata *md, struct lv_err *err)
{
	for (unsigned i = 0; i < md->token_count; i++) {
		const struct lv_token *token = &md->tokens[i];

		for (unsigned k = 0; k < token->keyslots.count; k++)
			if (!lv_md_keyslot(md, token->keyslots.ids[k]))
				return lv_err_set(err, -EINVAL,
						  "token %u: keyslot %u does not exist",
						  token->id, token->keyslots.ids[k]);
	}
	return 0;
}

/* D3 */
static int check_digest_refs(const struct lv_metadata *md, struct lv_err *err)
{
	for (unsigned i = 0; i < md->digest_count; i++) {
		const struct lv_digest *digest = &md->digests[i];

		for (unsigned k = 0; k < digest->keyslots.count; k++)
			if (!lv_md_keyslot(md, digest->keyslots.ids[k]))
				return lv_err_set(err, -EINVAL,
						  "digest %u: keyslot %u does not exist",
						  digest->id, digest->keyslots.ids[k]);
		for (unsigned k = 0; k < digest->segments.count; k++)
			if (!lv_md_segment(md, digest->segments.ids[k]))
				return lv_err_set(err, -EINVAL,
						  "digest %u: segment %u does not exist",
						  digest->id, digest->segments.ids[k]);
	}
	return 0;
}

/* S5: regular segments first, backups after them, ids 0..count-1. */
static int check_segment_keys(const struct lv_metadata *md, struct lv_err *err)
{
	uint32_t first_backup = UINT32_MAX, last_regular = 0;
	int have_regular = 0;

	for (unsigned i = 0; i < md->segment_count; i++) {
		const struct lv_segment *seg = &md->segments[i];

		if (seg->is_backup) {
			if (seg->id < first_backup)
				first_backup = seg->id;
		} else {
			have_regular = 1;
			if (seg->id > last_regular)
				last_regular = seg->id;
		}
	}
	if (!have_regular)
		return lv_err_set(err, -EINVAL, "segments: no regular segment");
	if (first_backup != UINT32_MAX && first_backup <= last_regular)
		return lv_err_set(err, -EINVAL, "segment %u: backup segment before segment %u",
				  first_backup, last_regular);
	for (uint32_t id = 0; id < md->segment_count; id++)
		if (!lv_md_segment(md, id))
			return lv_err_set(err, -EINVAL, "segments: id %u is missing", id);
	return 0;
}

/* S6: a crypt segment needs a digest to check its key against. */
static int check_segment_digests(const struct lv_metadata *md, struct lv_err *err)
{
	for (unsigned i = 0; i < md->segment_count; i++) {
		const struct lv_segment *seg = &md->segments[i];
		int found = 0;

		if (!seg->is_crypt || seg->is_backup)
			continue;
		for (unsigned d = 0; d < md->digest_count && !found; d++)
			for (unsigned k = 0; k < md->digests[d].segments.count; k++)
				if (md->digests[d].segments.ids[k] == seg->id)
					found = 1;
		if (!found)
			return lv_err_set(err, -EINVAL, "segment %u: no digest lists it", seg->id);
	}
	return 0;
}

/* Is offset inside [start, start + length), length 0 meaning "to the end"? */
static int inside(uint64_t offset, uint64_t start, uint64_t length, int unbounded)
{
	if (offset < start)
		return 0;
	return unbounded || offset - start < length;
}

/* S8: only the last regular segment may be dynamic; no overlaps.  Like
 * cryptsetup, offset + size overflow is checked only against another
 * segment; a lone overflowing segment is refused at activation instead. */
static int check_segment_intervals(const struct lv_metadata *md, struct lv_err *err)
{
	uint32_t regular_count = 0;

	for (unsigned i = 0; i < md->segment_count; i++)
		regular_count += !md->segments[i].is_backup;
	for (unsigned i = 0; i < md->segment_count; i++) {
		const struct lv_segment *a = &md->segments[i];

		if (a->is_backup)
			continue;
		if (a->dynamic && a->id != regular_count - 1)
			return lv_err_set(err, -EINVAL, "segment %u: only the last segment may be dynamic",
					  a->id);
		for (unsigned k = 0; k < md->segment_count; k++) {
			const struct lv_segment *b = &md->segments[k];

			if (k == i || b->is_backup)
				continue;
			if (!b->dynamic && b->size_bytes > UINT64_MAX - b->offset_bytes)
				return lv_err_set(err, -EINVAL, "segment %u: offset + size overflows",
						  b->id);
			if (inside(a->offset_bytes, b->offset_bytes, b->size_bytes, b->dynamic))
				return lv_err_set(err, -EINVAL, "segment %u: overlaps segment %u",
						  a->id, b->id);
		}
	}
	return 0;
}

static const struct lv_segment *backup_segment(const struct lv_metadata *md, const char *flag)
{
	for (unsigned i = 0; i < md->segment_count; i++) {
		struct json_object *flags;

		if (!md->segments[i].is_backup ||
		    !json_object_object_get_ex(md->segments[i].json, "flags", &flags))
			continue;
		for (size_t k = 0; k < json_object_array_length(flags); k++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(flags, k)),
				   flag) == 0)
				return &md->segments[i];
	}
	return NULL;
}

static int segments_match(const struct lv_segment *a, const struct lv_segment *b)
{
	if (strcmp(a->type, b->type) != 0)
		return 0;
	if (strcmp(a->type, "crypt") != 0)
		return 1;
	return a->sector_size == b->sector_size && strcmp(a->encryption, b->encryption) == 0;
}

/* S9: an online reencryption keeps both backup segments, and every
 * regular segment is one of them. */
static int check_reencrypt_segments(const struct lv_metadata *md, struct lv_err *err)
{
	const struct lv_segment *final, *previous;

	if (md->config.online_reencrypt_count == 0)
		return 0;
	final = backup_segment(md, "backup-final");
	previous = backup_segment(md, "backup-previous");
	if (!final || !previous)
		return lv_err_set(err, -EINVAL,
				  "segments: reencryption without backup-final and backup-previous");
	for (unsigned i = 0; i < md->segment_count; i++) {
		const struct lv_segment *seg = &md->segments[i];

		if (seg->is_backup)
			continue;
		if (seg->in_reencryption && !segments_match(seg, final))
			return lv_err_set(err, -EINVAL,
					  "segment %u: in reencryption but not backup-final", seg->id);
		if (!segments_match(seg, final) && !segments_match(seg, previous))
			return lv_err_set(err, -EINVAL,
					  "segment %u: matches neither backup segment", seg->id);
	}
	return 0;
}

/* K4, K5 */
static int check_keyslot_digests(const struct lv_metadata *md, struct lv_err *err)
{
	unsigned reencrypt_keyslots = 0;

	for (unsigned i = 0; i < md->keyslot_count; i++) {
		const struct lv_keyslot *ks = &md->keyslots[i];
		unsigned owners = 0;

		if (ks->kind == LV_KEYSLOT_REENCRYPT)
			reencrypt_keyslots++;
		if (ks->kind != LV_KEYSLOT_LUKS2)
			continue;
		for (unsigned d = 0; d < md->digest_count; d++)
			for (unsigned k = 0; k < md->digests[d].keyslots.count; k++)
				owners += md->digests[d].keyslots.ids[k] == ks->id;
		if (owners != 1)
			return lv_err_set(err, -EINVAL, "keyslot %u: listed by %u digests, not 1",
					  ks->id, owners);
	}
	if (reencrypt_keyslots > 1)
		return lv_err_set(err, -EINVAL, "keyslots: more than one reencrypt keyslot");
	if ((reencrypt_keyslots == 1) != (md->config.online_reencrypt_count == 1))
		return lv_err_set(err, -EINVAL,
				  "keyslots: reencrypt keyslot and online-reencrypt requirement disagree");
	return 0;
}

uint64_t lv_md_data_offset(const struct lv_metadata *md)
{
	uint64_t min = UINT64_MAX;

	for (unsigned i = 0; i < md->segment_count; i++)
		if (!md->segments[i].is_backup && md->segments[i].offset_bytes < min)
			min = md->segments[i].offset_bytes;
	return min == UINT64_MAX ? 0 : min;
}

/* C2, C3 */
static int check_config_sizes(const struct lv_metadata *md, struct lv_err *err)
{
	const struct lv_config *cfg = &md->config;
	uint64_t data_offset = lv_md_data_offset(md);

	if (cfg->json_size > UINT64_MAX - 4096 || !lv_metadata_size_allowed(cfg->json_size + 4096))
		return lv_err_set(err, -EINVAL, "config: json_size %llu is not an allowed size",
				  (unsigned long long)cfg->json_size);
	if (cfg->keyslots_size % 4096)
		return lv_err_set(err, -EINVAL, "config: keyslots_size is not 4096-byte aligned");
	if (cfg->keyslots_size > KEYSLOTS_AREA_MAX_BYTES)
		return lv_err_set(err, -EINVAL, "config: keyslots_size exceeds 128 MiB");
	/* A detached header (data offset 0) has no layout to check. */
	if (data_offset == 0)
		return 0;
	if (data_offset < cfg->keyslots_size ||
	    data_offset - cfg->keyslots_size < 2 * (cfg->json_size + 4096))
		return lv_err_set(err, -EINVAL,
				  "config: keyslots area ends past the data offset %llu",
				  (unsigned long long)data_offset);
	return 0;
}

/* A2-A4, with offset and length compared by subtraction (no overflow). */
static int check_keyslot_areas(const struct lv_metadata *md, struct lv_err *err)
{
	uint64_t metadata_bytes = 2 * (md->config.json_size + 4096);
	uint64_t areas_end = metadata_bytes + md->config.keyslots_size;

	for (unsigned i = 0; i < md->keyslot_count; i++) {
		const struct lv_area *a = &md->keyslots[i].area;
		uint32_t id = md->keyslots[i].id;

		if (a->offset_bytes < metadata_bytes)
			return lv_err_set(err, -EINVAL, "keyslot %u: area starts inside the metadata",
					  id);
		if (a->size_bytes == 0)
			return lv_err_set(err, -EINVAL, "keyslot %u: area size is zero", id);
		if (a->offset_bytes > areas_end || a->size_bytes > areas_end - a->offset_bytes)
			return lv_err_set(err, -EINVAL,
					  "keyslot %u: area ends past the keyslots area", id);
		for (unsigned k = 0; k < i; k++) {
			const struct lv_area *b = &md->keyslots[k].area;

			if (inside(a->offset_bytes, b->offset_bytes, b->size_bytes, 0) ||
			    inside(b->offset_bytes, a->offset_bytes, a->size_bytes, 0))
				return lv_err_set(err, -EINVAL, "keyslot %u: area overlaps keyslot %u",
						  id, md->keyslots[k].id);
		}
	}
	return 0;
}

/* J1, J2 */
static int check_json_size(const struct lv_metadata *md, uint64_t hdr_size, struct lv_err *err)
{
	size_t compact_len;

	if (md->config.json_size != hdr_size - 4096)
		return lv_err_set(err, -EINVAL,
				  "config: json_size %llu does not match header size %llu",
				  (unsigned long long)md->config.json_size,
				  (unsigned long long)hdr_size);
	json_object_to_json_string_length(md->root,
					  JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
					  &compact_len);
	if (compact_len > md->config.json_size)
		return lv_err_set(err, -EINVAL, "metadata: JSON is larger than json_size");
	return 0;
}

int lv_metadata_validate(const struct lv_metadata *md, uint64_t hdr_size, struct lv_err *err)
{
	int r;

	if ((r = check_unique_ids(md, err)) < 0 ||
	    (r = check_token_refs(md, err)) < 0 ||
	    (r = check_digest_refs(md, err)) < 0 ||
	    (r = check_segment_keys(md, err)) < 0 ||
	    (r = check_segment_intervals(md, err)) < 0 ||
	    (r = check_segment_digests(md, err)) < 0 ||
	    (r = check_reencrypt_segments(md, err)) < 0 ||
	    (r = check_keyslot_digests(md, err)) < 0 ||
	    (r = check_config_sizes(md, err)) < 0 ||
	    (r = check_keyslot_areas(md, err)) < 0 ||
	    (r = check_json_size(md, hdr_size, err)) < 0)
		return r;
	return 0;
}
