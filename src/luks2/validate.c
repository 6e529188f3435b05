/* SPDX-License-Identifier: ISC */
/*
 * validate.c: the rules of luks2-reference.md §1.6 that relate objects to
 * each other (T3, D3, S5, S6, S8, S9, K4, K5, C2, C3, A2-A4, J1, J2), over
 * the typed metadata that json_read.c produced, with cryptsetup 2.6's
 * verdicts: ids are compared as strings, and where cryptsetup reads a
 * number out of an id (atoi) so does this file.
 *
 * Nothing here is quadratic in the header: references are looked up in
 * sorted indexes and intervals are checked in offset order, so a 4 MiB JSON
 * area of small objects validates in O(n log n).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- sorted indexes of id texts ---- */

struct name_ref {
	const char *text;
	unsigned index;		/* of the object (or list) it belongs to */
};

static int cmp_name(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int r = strcmp(x->text, y->text);

	return r ? r : (x->index > y->index) - (x->index < y->index);
}

/* The ids of count objects of size bytes each, the first at first_id. */
static struct name_ref *index_ids(const struct lv_id *first_id, size_t stride, unsigned count)
{
	struct name_ref *names = calloc(count ? count : 1, sizeof(*names));

	if (!names)
		return NULL;
	for (unsigned i = 0; i < count; i++) {
		names[i].text = ((const struct lv_id *)((const char *)first_id + i * stride))->text;
		names[i].index = i;
	}
	qsort(names, count, sizeof(*names), cmp_name);
	return names;
}

/* The first entry naming text, or NULL. */
static const struct name_ref *find_name(const struct name_ref *names, unsigned count,
					const char *text)
{
	unsigned lo = 0, hi = count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (strcmp(names[mid].text, text) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < count && strcmp(names[lo].text, text) == 0 ? &names[lo] : NULL;
}

struct indexes {
	struct name_ref *keyslots;	/* keyslot ids */
	struct name_ref *segments;	/* segment ids */
	struct name_ref *digest_keyslots;	/* every digest's keyslot references */
	unsigned digest_keyslot_count;
	struct name_ref *digest_segments;	/* every digest's segment references */
	unsigned digest_segment_count;
};

/* Every reference of one kind in every digest, tagged with the digest. */
static struct name_ref *index_digest_refs(const struct lv_metadata *md, int segments,
					  unsigned *count)
{
	struct name_ref *names;
	size_t total = 0, n = 0;

	for (unsigned d = 0; d < md->digest_count; d++)
		total += segments ? md->digests[d].segments.count : md->digests[d].keyslots.count;
	if (total >= UINT32_MAX || !(names = calloc(total ? total : 1, sizeof(*names))))
		return NULL;
	for (unsigned d = 0; d < md->digest_count; d++) {
		const struct lv_id_list *list =
			segments ? &md->digests[d].segments : &md->digests[d].keyslots;

		for (unsigned k = 0; k < list->count; k++)
			names[n++] = (struct name_ref){ list->items[k].text, d };
	}
	qsort(names, total, sizeof(*names), cmp_name);
	*count = (unsigned)total;
	return names;
}

static void free_indexes(struct indexes *ix)
{
	free(ix->keyslots);
	free(ix->segments);
	free(ix->digest_keyslots);
	free(ix->digest_segments);
}

static int build_indexes(const struct lv_metadata *md, struct indexes *ix, struct lv_err *err)
{
	memset(ix, 0, sizeof(*ix));
	ix->keyslots = index_ids(md->keyslot_count ? &md->keyslots[0].id : NULL,
				 sizeof(md->keyslots[0]), md->keyslot_count);
	ix->segments = index_ids(md->segment_count ? &md->segments[0].id : NULL,
				 sizeof(md->segments[0]), md->segment_count);
	ix->digest_keyslots = index_digest_refs(md, 0, &ix->digest_keyslot_count);
	ix->digest_segments = index_digest_refs(md, 1, &ix->digest_segment_count);
	if (!ix->keyslots || !ix->segments || !ix->digest_keyslots || !ix->digest_segments) {
		free_indexes(ix);
		return lv_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static const struct lv_segment *segment_number(const struct lv_metadata *md,
					       const struct indexes *ix, uint32_t number)
{
	char text[16];
	const struct name_ref *found;

	lv_u32_text(text, number);
	found = find_name(ix->segments, md->segment_count, text);
	return found ? &md->segments[found->index] : NULL;
}

/* ---- references (T3, D3) ---- */

static int check_refs(const struct lv_id_list *list, const struct name_ref *names,
		      unsigned count, const char *owner, const struct lv_id *owner_id,
		      const char *kind, struct lv_err *err)
{
	for (unsigned k = 0; k < list->count; k++)
		if (!find_name(names, count, list->items[k].text))
			return lv_err_set(err, -EINVAL, "%s %.32s: %s %.32s does not exist", owner,
					  owner_id->text, kind, list->items[k].text);
	return 0;
}

static int check_references(const struct lv_metadata *md, const struct indexes *ix,
			    struct lv_err *err)
{
	int r;

	for (unsigned i = 0; i < md->token_count; i++)
		if ((r = check_refs(&md->tokens[i].keyslots, ix->keyslots, md->keyslot_count,
				    "token", &md->tokens[i].id, "keyslot", err)) < 0)
			return r;
	for (unsigned i = 0; i < md->digest_count; i++) {
		const struct lv_digest *d = &md->digests[i];

		if ((r = check_refs(&d->keyslots, ix->keyslots, md->keyslot_count, "digest",
				    &d->id, "keyslot", err)) < 0 ||
		    (r = check_refs(&d->segments, ix->segments, md->segment_count, "digest",
				    &d->id, "segment", err)) < 0)
			return r;
	}
	return 0;
}

/* ---- segments (S5, S6, S8, S9) ---- */

/*
 * S5 exactly as cryptsetup walks the segments object: in its order, with
 * each key read by atoi().  Returns the first backup id (the number of
 * regular segments), after checking that ids 0..count-1 all exist.
 */
static int check_segment_keys(const struct lv_metadata *md, const struct indexes *ix,
			      int32_t *regular, struct lv_err *err)
{
	int32_t first_backup = -1, count = (int32_t)md->segment_count;

	for (unsigned i = 0; i < md->segment_count; i++) {
		const struct lv_segment *seg = &md->segments[i];
		int32_t n = seg->id.number;

		if (seg->is_backup) {
			if (first_backup < 0 || n < first_backup)
				first_backup = n;
		} else if (first_backup >= 0 && n >= first_backup) {
			return lv_err_set(err, -EINVAL, "segment %.32s: behind backup segment %" PRId32,
					  seg->id.text, first_backup);
		}
	}
	if (first_backup == 0)
		return lv_err_set(err, -EINVAL, "segments: no regular segment");
	if (first_backup >= count)
		return lv_err_set(err, -EINVAL, "segments: gap before backup segment %" PRId32,
				  first_backup);
	*regular = first_backup < 0 ? count : first_backup;
	for (int32_t n = 0; n < count; n++)
		if (!segment_number(md, ix, (uint32_t)n))
			return lv_err_set(err, -EINVAL, "segments: id %" PRId32 " is missing", n);
	return 0;
}

/* S6: a crypt segment needs a digest to check its key against. */
static int check_segment_digests(const struct lv_metadata *md, const struct indexes *ix,
				 struct lv_err *err)
{
	for (unsigned i = 0; i < md->segment_count; i++) {
		const struct lv_segment *seg = &md->segments[i];

		if (seg->is_crypt && !find_name(ix->digest_segments, ix->digest_segment_count,
						 seg->id.text))
			return lv_err_set(err, -EINVAL, "segment %.32s: no digest lists it",
					  seg->id.text);
	}
	return 0;
}

struct interval {
	uint64_t start, length;		/* length UINT64_MAX: to the end */
	const char *owner;
};

static int cmp_interval(const void *a, const void *b)
{
	const struct interval *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* The first pair where one interval starts inside another, in start
 * order (no ends overflow); NULL when none. */
static const struct interval *overlap(struct interval *ix, size_t count)
{
	qsort(ix, count, sizeof(*ix), cmp_interval);
	for (size_t i = 1; i < count; i++)
		if (ix[i - 1].length == UINT64_MAX || ix[i].start - ix[i - 1].start < ix[i - 1].length)
			return &ix[i - 1];
	return NULL;
}

/* S8: segments 0..regular-1: only the last may be dynamic; no overlaps.
 * Like cryptsetup, offset + size overflow is checked only against another
 * segment; a lone overflowing segment is refused at activation instead. */
static int check_segment_intervals(const struct lv_metadata *md, const struct indexes *ix,
				   int32_t regular, struct lv_err *err)
{
	struct interval *iv = calloc((size_t)regular + 1, sizeof(*iv));
	const struct interval *clash;
	int r = 0;

	if (!iv)
		return lv_err_set(err, -ENOMEM, "out of memory");
	for (int32_t n = 0; n < regular && r == 0; n++) {
		const struct lv_segment *seg = segment_number(md, ix, (uint32_t)n);

		iv[n] = (struct interval){ seg->offset_bytes, seg->dynamic ? UINT64_MAX : seg->size_bytes,
					   seg->id.text };
		if (seg->dynamic && n != regular - 1)
			r = lv_err_set(err, -EINVAL, "segment %" PRId32 ": only the last segment may be dynamic", n);
		else if (regular > 1 && !seg->dynamic && seg->size_bytes > UINT64_MAX - seg->offset_bytes)
			r = lv_err_set(err, -EINVAL, "segment %" PRId32 ": offset + size overflows", n);
	}
	if (r == 0 && (clash = overlap(iv, (size_t)regular)))
		r = lv_err_set(err, -EINVAL, "segment %.32s: overlaps segment %.32s",
			       clash[1].owner, clash[0].owner);
	free(iv);
	return r;
}

static bool has_flag(const struct lv_segment *seg, const char *flag)
{
	for (unsigned i = 0; i < seg->flags.count; i++)
		if (strcmp(seg->flags.items[i], flag) == 0)
			return true;
	return false;
}

/* cryptsetup's json_segment_cmp: type, and for crypt segments the sector
 * size and cipher. */
static bool segments_match(const struct lv_segment *a, const struct lv_segment *b)
{
	if (strcmp(a->type, b->type) != 0)
		return false;
	if (strcmp(a->type, "crypt") != 0)
		return true;
	return a->sector_size == b->sector_size && strcmp(a->encryption, b->encryption) == 0;
}

/* S9: an online reencryption keeps both backup segments, and every
 * regular segment is one of them. */
static int check_reencrypt_segments(const struct lv_metadata *md, const struct indexes *ix,
				    int32_t regular, struct lv_err *err)
{
	const struct lv_segment *final = NULL, *previous = NULL;

	if (md->config.online_reencrypt_count == 0)
		return 0;
	for (int32_t n = regular; n < (int32_t)md->segment_count; n++) {
		const struct lv_segment *seg = segment_number(md, ix, (uint32_t)n);

		if (has_flag(seg, "backup-final"))
			final = seg;
		else if (has_flag(seg, "backup-previous"))
			previous = seg;
	}
	if (!final || !previous)
		return lv_err_set(err, -EINVAL,
				  "segments: reencryption without backup-final and backup-previous");
	for (int32_t n = 0; n < regular; n++) {
		const struct lv_segment *seg = segment_number(md, ix, (uint32_t)n);

		if (seg->in_reencryption ? !segments_match(seg, final)
					 : !segments_match(seg, final) && !segments_match(seg, previous))
			return lv_err_set(err, -EINVAL, seg->in_reencryption ?
					  "segment %" PRId32 ": in reencryption but not backup-final" :
					  "segment %" PRId32 ": matches neither backup segment", n);
	}
	return 0;
}

/* ---- keyslots (K4, K5) ---- */

/* How many digests list the keyslot by the name cryptsetup looks up:
 * "%u" of atoi(id).  A digest that lists it twice counts once. */
static unsigned digests_listing(const struct indexes *ix, const struct lv_keyslot *ks)
{
	char name[16];
	const struct name_ref *ref;
	unsigned owners = 0;
	const struct name_ref *end = ix->digest_keyslots + ix->digest_keyslot_count;

	lv_u32_text(name, (uint32_t)ks->id.number);
	ref = find_name(ix->digest_keyslots, ix->digest_keyslot_count, name);
	for (; ref && ref < end && strcmp(ref->text, name) == 0; ref++)
		owners += ref == ix->digest_keyslots || strcmp(ref[-1].text, name) != 0 ||
			  ref[-1].index != ref->index;
	return owners;
}

static int check_keyslot_digests(const struct lv_metadata *md, const struct indexes *ix,
				 struct lv_err *err)
{
	unsigned reencrypt_keyslots = 0;

	for (unsigned i = 0; i < md->keyslot_count; i++) {
		const struct lv_keyslot *ks = &md->keyslots[i];
		unsigned owners;

		if (ks->kind == LV_KEYSLOT_REENCRYPT)
			reencrypt_keyslots++;
		if (ks->kind != LV_KEYSLOT_LUKS2 || (owners = digests_listing(ix, ks)) == 1)
			continue;
		return lv_err_set(err, -EINVAL, "keyslot %.32s: listed by %u digests, not 1",
				  ks->id.text, owners);
	}
	if (reencrypt_keyslots > 1)
		return lv_err_set(err, -EINVAL, "keyslots: more than one reencrypt keyslot");
	if ((reencrypt_keyslots == 1) != (md->config.online_reencrypt_count == 1))
		return lv_err_set(err, -EINVAL,
				  "keyslots: reencrypt keyslot and online-reencrypt requirement disagree");
	return 0;
}

/* ---- config and areas (C2, C3, A2-A4, J1, J2) ---- */

static int check_config_sizes(const struct lv_metadata *md, struct lv_err *err)
{
	const struct lv_config *cfg = &md->config;
	uint64_t data_offset = lv_md_data_offset(md);

	if (cfg->json_size > UINT64_MAX - 4096 || !lv_metadata_size_allowed(cfg->json_size + 4096))
		return lv_err_set(err, -EINVAL, "config: json_size %" PRIu64 " is not an allowed size",
				  cfg->json_size);
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
				  "config: keyslots area ends past the data offset %" PRIu64, data_offset);
	return 0;
}

/* A2-A4, with offset and length compared by subtraction (no overflow). */
static int check_keyslot_areas(const struct lv_metadata *md, struct lv_err *err)
{
	uint64_t metadata_bytes = 2 * (md->config.json_size + 4096);
	uint64_t areas_end = metadata_bytes + md->config.keyslots_size;
	struct interval *iv = calloc(md->keyslot_count ? md->keyslot_count : 1, sizeof(*iv));
	const struct interval *clash;
	int r = 0;

	if (!iv)
		return lv_err_set(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < md->keyslot_count && r == 0; i++) {
		const struct lv_area *a = &md->keyslots[i].area;
		const char *id = md->keyslots[i].id.text;

		iv[i] = (struct interval){ a->offset_bytes, a->size_bytes, id };
		if (a->offset_bytes < metadata_bytes)
			r = lv_err_set(err, -EINVAL, "keyslot %.32s: area starts inside the metadata", id);
		else if (a->size_bytes == 0)
			r = lv_err_set(err, -EINVAL, "keyslot %.32s: area size is zero", id);
		else if (a->offset_bytes > areas_end || a->size_bytes > areas_end - a->offset_bytes)
			r = lv_err_set(err, -EINVAL, "keyslot %.32s: area ends past the keyslots area", id);
	}
	if (r == 0 && (clash = overlap(iv, md->keyslot_count)))
		r = lv_err_set(err, -EINVAL, "keyslot %.32s: area overlaps keyslot %.32s",
			       clash[1].owner, clash[0].owner);
	free(iv);
	return r;
}

static int check_json_size(const struct lv_metadata *md, uint64_t hdr_size, struct lv_err *err)
{
	if (md->config.json_size != hdr_size - 4096)
		return lv_err_set(err, -EINVAL,
				  "config: json_size %" PRIu64 " does not match header size %" PRIu64,
				  md->config.json_size, hdr_size);
	if (md->compact_json_bytes > md->config.json_size)
		return lv_err_set(err, -EINVAL, "metadata: JSON is larger than json_size");
	return 0;
}

int lv_metadata_validate(const struct lv_metadata *md, uint64_t hdr_size, struct lv_err *err)
{
	struct indexes ix;
	int32_t regular = 0;
	int r = build_indexes(md, &ix, err);

	if (r < 0)
		return r;
	if ((r = check_references(md, &ix, err)) < 0 ||
	    (r = check_segment_digests(md, &ix, err)) < 0 ||
	    (r = check_segment_keys(md, &ix, &regular, err)) < 0 ||
	    (r = check_segment_intervals(md, &ix, regular, err)) < 0 ||
	    (r = check_reencrypt_segments(md, &ix, regular, err)) < 0 ||
	    (r = check_keyslot_digests(md, &ix, err)) < 0 ||
	    (r = check_config_sizes(md, err)) < 0 ||
	    (r = check_keyslot_areas(md, err)) < 0 ||
	    (r = check_json_size(md, hdr_size, err)) < 0) {
		free_indexes(&ix);
		return r;
	}
	free_indexes(&ix);
	return 0;
}
