/* SPDX-License-Identifier: ISC */
/*
 * token_import.c: `luksvol token import` on untrusted token text.  The
 * input is the JSON text itself (as the command reads it from a file or
 * stdin: a C string, so it ends at the first NUL), imported with
 * lv_token_import into a device formatted once in memory (one keyslot and
 * one luks2-keyring token naming it), then exported again.
 *
 * Invariants (abort on violation):
 *   - a refused import names its reason and leaves every byte of the
 *     header as it was;
 *   - an accepted one: the device reloads from its bytes, both copies
 *     valid with the seqid one higher; there is one more token, of the id
 *     returned, and nothing but the tokens changed (the keyslots, segments,
 *     digests and config serialize as before);
 *   - the token exported from the reloaded device imports again into the
 *     base device and exports to the same text (what luksvol wrote, it
 *     reads and writes back unchanged).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "luks2/device.h"

#define METADATA_BYTES (16 << 10)
#define KEYSLOTS_BYTES ((1 << 20) - 2 * METADATA_BYTES)
#define DEVICE_BYTES (2 << 20)
#define HEADER_BYTES (2 * METADATA_BYTES)
#define BASE_TOKEN "{\"type\":\"luks2-keyring\",\"keyslots\":[\"0\"],\"key_description\":\"fuzz\"}"

static uint8_t *base_image;	/* the formatted device */
static uint8_t *work_image;	/* a copy each run writes to */
static uint64_t base_seqid;
static char *base_without_tokens;	/* the base metadata without its tokens, as text */

static struct lv_device *load(uint8_t *image, unsigned flags, const char *what)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };

	if (lv_device_load_mem(&dev, image, DEVICE_BYTES, flags, &err) < 0)
		fz_fail("%s does not load: %s", what, err.msg);
	return dev;
}

/* The metadata without its tokens, serialized: what an import must leave. */
static char *without_tokens(const struct lv_device *dev)
{
	struct lv_metadata *md;
	char *text;
	size_t len;

	if (lv_metadata_clone(lv_dev_md(dev), &md) < 0)
		fz_fail("out of memory cloning the metadata");
	while (md->token_count)
		lv_md_remove_token(md, &md->tokens[0]);
	if (lv_metadata_to_text(md, &text, &len) < 0)
		fz_fail("out of memory serializing the metadata");
	lv_metadata_free(&md);
	return text;
}

static void format_base(void)
{
	const struct lv_format_params params = {
		.metadata_bytes = METADATA_BYTES,
		.keyslots_bytes = KEYSLOTS_BYTES,
		.data_offset_bytes = 1 << 20,
		.uuid = "8f5bd2e4-4a4e-4d31-9c0e-3e2f8c7d6a10",
		.key_slot = 0,
		.pbkdf = { .type = "pbkdf2", .hash = "sha256", .forced_iterations = 1000 },
	};
	struct lv_secret *passphrase = lv_secret_dup("fuzz-passphrase", 15);
	struct lv_device *dev = NULL;
	struct lv_storage *st;
	struct lv_err err = { 0 };

	base_image = calloc(1, DEVICE_BYTES);
	work_image = calloc(1, DEVICE_BYTES);
	if (!passphrase || !base_image || !work_image ||
	    lv_storage_open_mem(&st, base_image, DEVICE_BYTES, 1) < 0)
		fz_fail("out of memory making the base device");
	if (lv_format_storage(st, &params, passphrase, &dev, &err) < 0)
		fz_fail("cannot format the base device: %s", err.msg);
	if (lv_token_import(dev, LV_ANY_SLOT, BASE_TOKEN, NULL, &err) < 0)
		fz_fail("cannot import the base token: %s", err.msg);
	lv_device_free(&dev);
	lv_secret_free(&passphrase);
	dev = load(base_image, 0, "the base device");
	base_seqid = lv_dev_bin(dev)->seqid;
	base_without_tokens = without_tokens(dev);
	lv_device_free(&dev);
	memcpy(work_image, base_image, DEVICE_BYTES);
}

/* Imports text into a fresh copy of the base device; the device is
 * reloaded read-only from the bytes written when the import succeeded. */
static int import_fresh(const char *text, int *token_id, struct lv_device **reloaded,
			struct lv_err *err)
{
	struct lv_device *dev;
	int r;

	memcpy(work_image, base_image, HEADER_BYTES);
	dev = load(work_image, LV_LOAD_WRITABLE, "the base device");
	r = lv_token_import(dev, LV_ANY_SLOT, text, token_id, err);
	lv_device_free(&dev);
	*reloaded = r == 0 ? load(work_image, 0, "the device after an accepted import") : NULL;
	return r;
}

static void check_accepted(struct lv_device *dev, int token_id)
{
	const struct lv_hdr_copy *c = dev->copies;
	struct lv_header_info header;
	struct lv_token_info info;
	char *text;

	if (c[0].state != LV_COPY_OK || c[1].state != LV_COPY_OK ||
	    c[0].bin.seqid != base_seqid + 1 || c[1].bin.seqid != base_seqid + 1)
		fz_fail("after an import: copies in states %d/%d with seqids %llu/%llu (base %llu)",
			(int)c[0].state, (int)c[1].state, (unsigned long long)c[0].bin.seqid,
			(unsigned long long)c[1].bin.seqid, (unsigned long long)base_seqid);
	lv_header_info(dev, &header);
	if (header.token_count != 2)
		fz_fail("%u tokens after importing one into a device holding one",
			header.token_count);
	if (token_id < 0 || lv_token_info(dev, token_id, &info) < 0)
		fz_fail("the import returned token id %d, which does not exist", token_id);
	text = without_tokens(dev);
	if (strcmp(text, base_without_tokens) != 0)
		fz_fail("the import changed more than the tokens:\n%s\n%s", base_without_tokens, text);
	free(text);
}

/* What luksvol exported imports again and exports to the same text. */
static void check_export(struct lv_device *dev, int token_id)
{
	struct lv_device *again = NULL;
	struct lv_err err = { 0 };
	char *exported, *exported_again;
	int again_id = -1;

	if (lv_token_export(dev, token_id, &exported, &err) < 0)
		fz_fail("cannot export the imported token %d: %s", token_id, err.msg);
	if (import_fresh(exported, &again_id, &again, &err) < 0)
		fz_fail("the exported token is refused at import: %s\n%s", err.msg, exported);
	if (lv_token_export(again, again_id, &exported_again, &err) < 0)
		fz_fail("cannot export the reimported token %d: %s", again_id, err.msg);
	if (strcmp(exported, exported_again) != 0)
		fz_fail("an exported token reimported exports differently:\n%s\n%s", exported,
			exported_again);
	free(exported);
	free(exported_again);
	lv_device_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int token_id = -1;
	char *text;

	if (!base_image)
		format_base();
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (import_fresh(text, &token_id, &dev, &err) < 0) {
		if (err.msg[0] == '\0')
			fz_fail("a refused import without an error message (code %d)", err.code);
		if (memcmp(work_image, base_image, HEADER_BYTES) != 0)
			fz_fail("a refused import changed the header: %s", err.msg);
	} else {
		check_accepted(dev, token_id);
		check_export(dev, token_id);
		lv_device_free(&dev);
	}
	free(text);
	return 0;
}
