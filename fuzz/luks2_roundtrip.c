/* SPDX-License-Identifier: ISC */
/*
 * luks2_roundtrip.c: the writer.  Load writable from memory (which also
 * recovers a damaged or stale copy), import a fixed token, set the label
 * and subsystem, then load the same bytes again, read-only.
 *
 * The input is a device image as for luks2_load (control byte included).
 * The memory storage is writable and takes no lock.
 *
 * Invariants (abort on violation), whatever the writes returned:
 *   - the reload succeeds;
 *   - in memory after the writes and after the reload: the same UUID,
 *     hdr_size, json_size and keyslots_size, the same keyslots with the
 *     same areas and key sizes, the same segments, and the same volume-key
 *     digest (hash, iterations, salt, digest) as the first load;
 *   - the seqid grew by one per successful write (recovering a copy keeps
 *     it);
 *   - a write that succeeded is visible: the token with its payload, the
 *     label and subsystem; both copies are then valid with one seqid;
 *   - a write that failed left the token count alone;
 *   - no write fails because the writer found the metadata it serialized
 *     invalid: what loaded, plus an empty token or a label, is valid.
 */
#include <json-c/json.h>
#include <string.h>

#include "fuzz_common.h"
#include "luks2/device.h"

#define TOKEN_TYPE "fuzz-token"
#define TOKEN_JSON "{\"type\":\"" TOKEN_TYPE "\",\"keyslots\":[],\"fuzz-payload\":[1,\"x\"]}"
#define LABEL "fuzz-label"
#define SUBSYSTEM "fuzz-subsystem"

/* What the writes must leave alone: the layout cryptsetup relies on. */
struct facts {
	char uuid[LV_UUID_BYTES + 1];
	uint64_t hdr_size, json_size, keyslots_size, seqid;
	uint32_t keyslot_ids[LV_KEYSLOTS_MAX];
	struct lv_area keyslot_areas[LV_KEYSLOTS_MAX];
	uint32_t keyslot_key_sizes[LV_KEYSLOTS_MAX];
	unsigned keyslot_count;
	struct lv_segment segments[LV_SEGMENTS_MAX];	/* json members not compared */
	unsigned segment_count;
	unsigned token_count;
	int has_digest;
	uint32_t digest_id;
	char digest_hash[LV_NAME_MAX];
	int64_t digest_iterations;
	struct lv_blob digest_salt, digest_bytes;
};

static void facts_of(const struct lv_device *dev, struct facts *f)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_digest *digest = fz_volume_key_digest(md);

	memset(f, 0, sizeof(*f));
	memcpy(f->uuid, lv_dev_bin(dev)->uuid, sizeof(f->uuid));
	f->hdr_size = lv_dev_bin(dev)->hdr_size;
	f->seqid = lv_dev_bin(dev)->seqid;
	f->json_size = md->config.json_size;
	f->keyslots_size = md->config.keyslots_size;
	f->keyslot_count = md->keyslot_count;
	for (unsigned i = 0; i < md->keyslot_count; i++) {
		f->keyslot_ids[i] = md->keyslots[i].id;
		f->keyslot_areas[i] = md->keyslots[i].area;
		f->keyslot_key_sizes[i] = md->keyslots[i].key_size;
	}
	memcpy(f->segments, md->segments, md->segment_count * sizeof(md->segments[0]));
	f->segment_count = md->segment_count;
	f->token_count = md->token_count;
	if (digest) {
		f->has_digest = 1;
		f->digest_id = digest->id;
		memcpy(f->digest_hash, digest->hash, sizeof(f->digest_hash));
		f->digest_iterations = digest->iterations;
		f->digest_salt = digest->salt;
		f->digest_bytes = digest->digest;
	}
}

static int blob_equal(const struct lv_blob *a, const struct lv_blob *b)
{
	return a->valid == b->valid && a->len == b->len &&
	       (!a->valid || memcmp(a->bytes, b->bytes, a->len) == 0);
}

/* The index of keyslot id in f, or -1. */
static int keyslot_index(const struct facts *f, uint32_t id)
{
	for (unsigned i = 0; i < f->keyslot_count; i++)
		if (f->keyslot_ids[i] == id)
			return (int)i;
	return -1;
}

static int area_equal(const struct lv_area *a, const struct lv_area *b)
{
	return strcmp(a->type, b->type) == 0 && a->offset_bytes == b->offset_bytes &&
	       a->size_bytes == b->size_bytes && strcmp(a->encryption, b->encryption) == 0 &&
	       a->key_size == b->key_size;
}

static int segment_equal(const struct lv_segment *a, const struct lv_segment *b)
{
	return a->id == b->id && strcmp(a->type, b->type) == 0 &&
	       a->offset_bytes == b->offset_bytes && a->size_bytes == b->size_bytes &&
	       a->dynamic == b->dynamic && a->is_crypt == b->is_crypt &&
	       a->iv_tweak == b->iv_tweak && strcmp(a->encryption, b->encryption) == 0 &&
	       a->sector_size == b->sector_size && a->has_integrity == b->has_integrity &&
	       a->is_backup == b->is_backup && a->in_reencryption == b->in_reencryption;
}

static void compare(const struct facts *a, const struct facts *b, const char *what)
{
	if (strcmp(a->uuid, b->uuid) != 0)
		fz_fail("%s: UUID changed from \"%s\" to \"%s\"", what, a->uuid, b->uuid);
	if (a->hdr_size != b->hdr_size || a->json_size != b->json_size ||
	    a->keyslots_size != b->keyslots_size)
		fz_fail("%s: hdr_size/json_size/keyslots_size changed: %llu/%llu/%llu -> %llu/%llu/%llu",
			what, (unsigned long long)a->hdr_size, (unsigned long long)a->json_size,
			(unsigned long long)a->keyslots_size, (unsigned long long)b->hdr_size,
			(unsigned long long)b->json_size, (unsigned long long)b->keyslots_size);
	if (a->keyslot_count != b->keyslot_count)
		fz_fail("%s: %u keyslots became %u", what, a->keyslot_count, b->keyslot_count);
	for (unsigned i = 0; i < a->keyslot_count; i++) {
		int k = keyslot_index(b, a->keyslot_ids[i]);

		if (k < 0)
			fz_fail("%s: keyslot %u disappeared", what, a->keyslot_ids[i]);
		if (!area_equal(&a->keyslot_areas[i], &b->keyslot_areas[k]) ||
		    a->keyslot_key_sizes[i] != b->keyslot_key_sizes[k])
			fz_fail("%s: keyslot %u changed its area or key size", what, a->keyslot_ids[i]);
	}
	if (a->segment_count != b->segment_count)
		fz_fail("%s: %u segments became %u", what, a->segment_count, b->segment_count);
	for (unsigned i = 0; i < a->segment_count; i++)
		if (!segment_equal(&a->segments[i], &b->segments[i]))
			fz_fail("%s: segment %u changed", what, a->segments[i].id);
	if (a->has_digest != b->has_digest || a->digest_id != b->digest_id ||
	    strcmp(a->digest_hash, b->digest_hash) != 0 ||
	    a->digest_iterations != b->digest_iterations ||
	    !blob_equal(&a->digest_salt, &b->digest_salt) ||
	    !blob_equal(&a->digest_bytes, &b->digest_bytes))
		fz_fail("%s: the volume-key digest changed", what);
}

static void check_token(const struct lv_metadata *md, int token_id)
{
	struct json_object *payload;

	for (unsigned i = 0; i < md->token_count; i++) {
		const struct lv_token *token = &md->tokens[i];

		if (token->id != (uint32_t)token_id)
			continue;
		if (strcmp(token->type, TOKEN_TYPE) != 0 ||
		    !json_object_object_get_ex(token->json, "fuzz-payload", &payload) ||
		    json_object_array_length(payload) != 2)
			fz_fail("token %d came back as type \"%s\" without its payload", token_id,
				token->type);
		return;
	}
	fz_fail("imported token %d is missing after the reload", token_id);
}

/* The writer validates what it serialized "exactly as a reader would" and
 * refuses invalid metadata.  Metadata that loaded, plus an empty token or a
 * new label, must pass: a refusal means writer and reader disagree. */
static void check_not_refused(const char *what, const struct lv_err *err)
{
	static const char refused[] = "refusing to write invalid metadata";

	if (strncmp(err->msg, refused, sizeof(refused) - 1) != 0)
		return;
	fz_fail("%s: the writer refused metadata the reader accepted: %s", what, err->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_err err = { 0 }, token_err = { 0 }, label_err = { 0 };
	static struct facts before, after;	/* 25 KiB each */
	struct lv_device *dev = NULL;
	struct lv_storage *st;
	struct fz_image img;
	int token_id = -1, r_token, r_label;

	if (fz_image_prepare(&img, data, size, FZ_IMAGE_WRITABLE) < 0)
		return 0;
	if (lv_device_load_mem(&dev, img.bytes, img.len, LV_LOAD_WRITABLE, &err) < 0)
		goto out;
	/* Recovery and commits write both metadata copies, nothing else. */
	fz_image_expect_writes(&img, 2 * lv_dev_bin(dev)->hdr_size);
	facts_of(dev, &before);
	r_token = lv_token_import(dev, LV_ANY_SLOT, TOKEN_JSON, &token_id, &token_err);
	check_not_refused("token import", &token_err);
	r_label = lv_set_label(dev, LABEL, SUBSYSTEM, &label_err);
	check_not_refused("set label", &label_err);
	facts_of(dev, &after);
	compare(&before, &after, "in memory after the writes");
	lv_device_free(&dev);

	/* The reload goes through lv_device_load_storage, the storage-level
	 * entry point, over a new memory storage of the same bytes. */
	if (lv_storage_open_mem(&st, img.bytes, img.len, 0) < 0)
		goto out;
	if (lv_device_load_storage(&dev, st, 0, &err) < 0)
		fz_fail("reload failed (token import %d: %s; set label %d: %s): %s", r_token,
			token_err.msg, r_label, r_label ? label_err.msg : "", err.msg);
	facts_of(dev, &after);
	compare(&before, &after, "after the reload");
	if (after.seqid != before.seqid + (r_token == 0) + (r_label == 0))
		fz_fail("seqid %llu became %llu after %d successful writes",
			(unsigned long long)before.seqid, (unsigned long long)after.seqid,
			(r_token == 0) + (r_label == 0));
	if (after.token_count != before.token_count + (r_token == 0))
		fz_fail("%u tokens became %u (token import returned %d)", before.token_count,
			after.token_count, r_token);
	if (r_token == 0)
		check_token(lv_dev_md(dev), token_id);
	if (r_label == 0 && (strcmp(lv_dev_bin(dev)->label, LABEL) != 0 ||
			     strcmp(lv_dev_bin(dev)->subsystem, SUBSYSTEM) != 0))
		fz_fail("label \"%s\" / subsystem \"%s\" after a successful set",
			lv_dev_bin(dev)->label, lv_dev_bin(dev)->subsystem);
	if (r_token == 0 || r_label == 0) {
		const struct lv_hdr_copy *c = dev->copies;

		if (c[0].state != LV_COPY_OK || c[1].state != LV_COPY_OK ||
		    c[0].bin.seqid != c[1].bin.seqid)
			fz_fail("after a write: copies in states %d/%d, seqids %llu/%llu: %s%s",
				(int)c[0].state, (int)c[1].state,
				(unsigned long long)c[0].bin.seqid,
				(unsigned long long)c[1].bin.seqid, c[0].err.msg, c[1].err.msg);
	}
out:
	lv_device_free(&dev);
	fz_image_release(&img);
	return 0;
}
