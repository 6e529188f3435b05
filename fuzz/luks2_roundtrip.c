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
 *   - the metadata after the reload, without the imported token, is what
 *     the writer makes of the first load, byte for byte;
 *   - no write fails because the writer found the metadata it serialized
 *     invalid: what loaded, plus an empty token or a label, is valid.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "luks2/device.h"

#define TOKEN_TYPE "fuzz-token"
#define TOKEN_JSON "{\"type\":\"" TOKEN_TYPE "\",\"keyslots\":[],\"fuzz-payload\":[1,\"x\"]}"
#define LABEL "fuzz-label"
#define SUBSYSTEM "fuzz-subsystem"

/* What the writes must leave alone: the layout cryptsetup relies on, in
 * a copy of the metadata (which keeps its strings alive). */
struct facts {
	char uuid[LV_UUID_BYTES + 1];
	uint64_t hdr_size, seqid;
	struct lv_metadata *md;
};

static void facts_of(const struct lv_device *dev, struct facts *f)
{
	memcpy(f->uuid, lv_dev_bin(dev)->uuid, sizeof(f->uuid));
	f->hdr_size = lv_dev_bin(dev)->hdr_size;
	f->seqid = lv_dev_bin(dev)->seqid;
	if (lv_metadata_clone(lv_dev_md(dev), &f->md) < 0)
		fz_fail("out of memory cloning the metadata");
}

static void facts_free(struct facts *f)
{
	lv_metadata_free(&f->md);
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int blob_equal(const struct lv_blob *a, const struct lv_blob *b)
{
	return a->valid == b->valid && a->len == b->len &&
	       (!a->valid || memcmp(a->bytes, b->bytes, a->len) == 0);
}

static int area_equal(const struct lv_area *a, const struct lv_area *b)
{
	return same_text(a->type, b->type) && a->offset_bytes == b->offset_bytes &&
	       a->size_bytes == b->size_bytes && same_text(a->encryption, b->encryption) &&
	       a->key_size == b->key_size;
}

static int segment_equal(const struct lv_segment *a, const struct lv_segment *b)
{
	return strcmp(a->id.text, b->id.text) == 0 && strcmp(a->type, b->type) == 0 &&
	       a->offset_bytes == b->offset_bytes && a->size_bytes == b->size_bytes &&
	       a->dynamic == b->dynamic && a->is_crypt == b->is_crypt &&
	       a->iv_tweak == b->iv_tweak && same_text(a->encryption, b->encryption) &&
	       a->sector_size == b->sector_size &&
	       same_text(a->integrity_type, b->integrity_type) &&
	       a->flags.count == b->flags.count &&
	       a->is_backup == b->is_backup && a->in_reencryption == b->in_reencryption;
}

static int digest_equal(const struct lv_digest *a, const struct lv_digest *b)
{
	if (!a || !b)
		return !a && !b;
	return strcmp(a->id.text, b->id.text) == 0 && same_text(a->hash, b->hash) &&
	       a->iterations == b->iterations && blob_equal(&a->salt, &b->salt) &&
	       blob_equal(&a->digest, &b->digest);
}

static void compare(const struct facts *a, const struct facts *b, const char *what)
{
	const struct lv_metadata *x = a->md, *y = b->md;

	if (strcmp(a->uuid, b->uuid) != 0)
		fz_fail("%s: UUID changed from \"%s\" to \"%s\"", what, a->uuid, b->uuid);
	if (a->hdr_size != b->hdr_size || x->config.json_size != y->config.json_size ||
	    x->config.keyslots_size != y->config.keyslots_size)
		fz_fail("%s: hdr_size/json_size/keyslots_size changed: %llu/%llu/%llu -> %llu/%llu/%llu",
			what, (unsigned long long)a->hdr_size, (unsigned long long)x->config.json_size,
			(unsigned long long)x->config.keyslots_size, (unsigned long long)b->hdr_size,
			(unsigned long long)y->config.json_size, (unsigned long long)y->config.keyslots_size);
	if (x->keyslot_count != y->keyslot_count)
		fz_fail("%s: %u keyslots became %u", what, x->keyslot_count, y->keyslot_count);
	for (unsigned i = 0; i < x->keyslot_count; i++) {
		const struct lv_keyslot *k = lv_md_keyslot_named(y, x->keyslots[i].id.text);

		if (!k)
			fz_fail("%s: keyslot %s disappeared", what, x->keyslots[i].id.text);
		if (!area_equal(&x->keyslots[i].area, &k->area) ||
		    x->keyslots[i].key_size != k->key_size)
			fz_fail("%s: keyslot %s changed its area or key size", what, k->id.text);
	}
	if (x->segment_count != y->segment_count)
		fz_fail("%s: %u segments became %u", what, x->segment_count, y->segment_count);
	for (unsigned i = 0; i < x->segment_count; i++)
		if (!segment_equal(&x->segments[i], &y->segments[i]))
			fz_fail("%s: segment %s changed", what, x->segments[i].id.text);
	if (!digest_equal(fz_volume_key_digest(x), fz_volume_key_digest(y)))
		fz_fail("%s: the volume-key digest changed", what);
}

/* After the reload: the token is there with its payload, and the metadata
 * without it is, byte for byte, what the writer makes of the first load:
 * a write changes nothing it was not asked to. */
static void check_token(const struct facts *before, const struct lv_metadata *md, int token_id)
{
	const struct lv_token *token = lv_md_token(md, (uint32_t)token_id);
	struct lv_metadata *without;
	char *text_before, *text_after;
	size_t len;

	if (!token)
		fz_fail("imported token %d is missing after the reload", token_id);
	if (strcmp(token->type, TOKEN_TYPE) != 0 ||
	    lv_json_count(lv_json_member(token->json, "fuzz-payload")) != 2)
		fz_fail("token %d came back as type \"%s\" without its payload", token_id,
			token->type);
	if (lv_metadata_clone(md, &without) < 0)
		fz_fail("out of memory cloning the metadata");
	lv_md_remove_token(without, &without->tokens[token - md->tokens]);
	if (lv_metadata_to_text(without, &text_after, &len) < 0 ||
	    lv_metadata_to_text(before->md, &text_before, &len) < 0)
		fz_fail("out of memory serializing the metadata");
	if (strcmp(text_before, text_after) != 0)
		fz_fail("the token import changed other metadata:\n%s\n%s", text_before, text_after);
	free(text_before);
	free(text_after);
	lv_metadata_free(&without);
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
	struct facts before = { .md = NULL }, after = { .md = NULL };
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
	facts_free(&after);
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
	if (after.md->token_count != before.md->token_count + (r_token == 0))
		fz_fail("%u tokens became %u (token import returned %d)", before.md->token_count,
			after.md->token_count, r_token);
	if (r_token == 0)
		check_token(&before, lv_dev_md(dev), token_id);
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
	facts_free(&before);
	facts_free(&after);
	lv_device_free(&dev);
	fz_image_release(&img);
	return 0;
}
