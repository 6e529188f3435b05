/* SPDX-License-Identifier: ISC */
/*
 * luks2_load.c: the whole read path from raw device bytes: both binary
 * headers, checksums, the secondary scan, JSON parsing, validation, the
 * choice between the copies and the device size check; then the segment
 * accessors activation uses, and lv_probe's verdict on the same bytes.
 * What `dump` and `dump --json` print of a loaded header is luks2_dump's.
 *
 * The input is a device image: the header part of a LUKS2 device (seeds are
 * 2 * hdr_size bytes).  See fuzz_common.h for the control byte: by default
 * both copies get a correct checksum and the device is zero-extended to the
 * size the header claims.
 *
 * With FUZZ_EXPECT_LOAD=1 in the environment a refused header is a failure
 * too: fuzz/regressions/luks2_load/must-load/ holds headers cryptsetup
 * accepts that luksvol once refused, and replay.sh runs them so.  With
 * FUZZ_EXPECT_REJECT=1 a header that loads is one: must-reject/ holds
 * headers cryptsetup refuses that luksvol once loaded.
 */
#include <string.h>

#include "dm/crypt_table.h"
#include "fuzz_common.h"
#include "luks2/device.h"

static void after_load(struct lv_device *dev)
{
	struct lv_header_info header;
	struct lv_keyslot_info keyslot;
	struct lv_token_info token;
	struct lv_segment_info seg;
	struct lv_err err;
	unsigned keyslots = 0, tokens = 0;

	if (strlen(lv_device_warnings(dev)) >= LV_WARNINGS_MAX)
		fz_fail("warnings overflow their buffer");
	(void)lv_volume_key_bytes(dev);
	lv_header_info(dev, &header);
	if (lv_segment_info(dev, &seg, &err) == 0)
		(void)lv_crypt_cipher_parsable(seg.cipher);
	for (int i = 0; i < LV_KEYSLOT_COUNT; i++)
		keyslots += lv_keyslot_info(dev, i, &keyslot) == 0;
	for (int i = 0; i < LV_TOKEN_COUNT; i++)
		tokens += lv_token_info(dev, i, &token) == 0;
	if (keyslots > header.keyslot_count || tokens > header.token_count)
		fz_fail("%u keyslots and %u tokens enumerated, the header holds %u and %u",
			keyslots, tokens, header.keyslot_count, header.token_count);
}

/* What lv_probe (isLuks, `apply`'s test for an empty device, wipe) says
 * about the image. */
static int probe(struct fz_image *img, enum lv_luks_version *version)
{
	struct lv_storage *st;
	int r = lv_storage_open_mem(&st, img->bytes, img->len, 0);

	if (r < 0)
		return r;
	r = lv_probe_storage(st, version);
	lv_storage_close(&st);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	enum lv_luks_version version;
	struct fz_image img;
	int probed;

	if (fz_image_prepare(&img, data, size, 0) < 0)
		return 0;
	probed = probe(&img, &version);
	if (lv_device_load_mem(&dev, img.bytes, img.len, 0, &err) == 0) {
		const struct lv_hdr_copy *active = &dev->copies[dev->active];

		if (fz_expect_reject())
			fz_fail("loaded a header that must be refused (%s copy)",
				dev->active == LV_PRIMARY ? "primary" : "secondary");
		if (active->state != LV_COPY_OK)
			fz_fail("loaded from a copy in state %d", (int)active->state);
		if (probed == 0 && version == LV_NOT_LUKS)
			fz_fail("lv_probe finds no LUKS header on a device that loads (%s copy)",
				dev->active == LV_PRIMARY ? "primary" : "secondary");
		after_load(dev);
		lv_device_free(&dev);
	} else if (fz_expect_load()) {
		fz_fail("refused a header that must load: %s", err.msg);
	} else if (dev) {
		fz_fail("failed load left a device behind: %s", err.msg);
	} else if (err.msg[0] == '\0') {
		fz_fail("failed load without an error message (code %d)", err.code);
	}
	fz_image_release(&img);
	return 0;
}
