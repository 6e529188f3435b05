/* SPDX-License-Identifier: ISC */
/*
 * meta_adv.c: the META partition's readers: both Talos ADV copies and the
 * legacy syslinux ADV (lv_meta_open_storage over memory), a set and a
 * flush, and the tag 9 JSON reader (lv_state_meta_decode) with its writer.
 *
 * Input: a control byte, then either JSON or a compact META image:
 *   ctl bit 0 RAW   keep the checksums and magics as given (else both
 *                   Talos copies get magic1, magic2 and their SHA-256,
 *                   and the legacy copies their magics and checksum)
 *   ctl bit 1 JSON  the rest is a tag 9 value, read directly
 *   image: len1 (u16 BE), copy 1's first len1 bytes, len2 (u16 BE),
 *          copy 2's first len2 bytes, then up to 1024 bytes of the legacy
 *          ADV; the device is 2 * 256 KiB + 1024 bytes, zero elsewhere.
 *
 * Invariants (abort on violation):
 *   - a META that opens either reads (a valid copy or blank) or is
 *     corrupt; a corrupt one refuses a flush and no byte changes;
 *   - a readable one takes a set and a flush, and reopened has the same
 *     tags plus the one set, with both copies valid and equal;
 *   - a tag 9 value that reads writes Talos's JSON, which reads to the
 *     same config and writes the same bytes (a fixpoint).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/state_meta.h"
#include "crypto/crypto.h"
#include "fuzz_common.h"
#include "meta/meta.h"

#define CTL_RAW 1u
#define CTL_JSON 2u
#define ADV LV_META_ADV_BYTES
#define DEVICE_BYTES (2 * ADV + LV_META_LEGACY_BYTES)
#define FUZZ_TAG 200u

static uint8_t device[DEVICE_BYTES], before[DEVICE_BYTES];

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Sealed from the layout, not by src/meta, so a bug there is not masked. */
static void seal_talos(uint8_t *copy)
{
	const void *parts[] = { copy };
	const size_t lens[] = { ADV };

	put_be32(copy, 0x5a4b3c2du);
	put_be32(copy + ADV - 4, 0xa5b4c3d2u);
	memset(copy + ADV - 36, 0, 32);
	if (lv_hash("sha256", parts, lens, 1, copy + ADV - 36, 32) < 0)
		fz_fail("sha256 failed");
}

static void seal_legacy(uint8_t *copy)
{
	uint32_t sum = 0xa3041767u;

	for (size_t i = 8; i < 508; i += 4)
		sum -= (uint32_t)copy[i] | (uint32_t)copy[i + 1] << 8 | (uint32_t)copy[i + 2] << 16 |
		       (uint32_t)copy[i + 3] << 24;
	put_le32(copy, 0x5a2d2fa5u);
	put_le32(copy + 4, sum);
	put_le32(copy + 508, 0xdd28bf64u);
}

/* Copies one length-prefixed part into dst (at most max bytes). */
static size_t take_part(const uint8_t **data, size_t *size, uint8_t *dst, size_t max)
{
	size_t len;

	if (*size < 2)
		return 0;
	len = (size_t)(*data)[0] << 8 | (*data)[1];
	*data += 2;
	*size -= 2;
	if (len > *size)
		len = *size;
	if (len > max)
		len = max;
	memcpy(dst, *data, len);
	*data += len;
	*size -= len;
	return len;
}

static void build_device(const uint8_t *data, size_t size, uint8_t ctl)
{
	size_t legacy_len;

	memset(device, 0, sizeof(device));
	take_part(&data, &size, device, ADV);
	take_part(&data, &size, device + ADV, ADV);
	legacy_len = size < LV_META_LEGACY_BYTES ? size : LV_META_LEGACY_BYTES;
	memcpy(device + 2 * ADV, data, legacy_len);
	if (ctl & CTL_RAW)
		return;
	seal_talos(device);
	seal_talos(device + ADV);
	seal_legacy(device + 2 * ADV);
	seal_legacy(device + 2 * ADV + LV_META_LEGACY_COPY_BYTES);
}

static struct lv_meta *open_device(unsigned flags)
{
	struct lv_storage *st;
	struct lv_meta *meta = NULL;

	if (lv_storage_open_mem(&st, device, sizeof(device), flags & LV_META_WRITABLE) < 0)
		fz_fail("lv_storage_open_mem failed");
	if (lv_meta_open_storage(st, flags, &meta, NULL) < 0)
		return NULL;
	return meta;
}

static void check_json(const uint8_t *json, size_t len)
{
	struct lv_config_file *cfg = NULL, *back = NULL;
	struct lv_secret *text = NULL, *text_back = NULL;
	struct lv_err err = { 0 };

	if (lv_state_meta_decode("fuzz", json, len, &cfg, NULL, NULL, &err) < 0)
		return;
	if (cfg->volume_count != 1)
		fz_fail("tag 9 read to %zu volumes", cfg->volume_count);
	if (lv_state_meta_encode(&cfg->volumes[0], &text, &err) < 0)
		fz_fail("a tag 9 value that read does not write: %s", err.msg);
	if (lv_state_meta_decode("fuzz", text->bytes, text->len, &back, NULL, NULL, &err) < 0)
		fz_fail("the written tag 9 does not read: %s\n%.*s", err.msg, (int)text->len,
			(const char *)text->bytes);
	if (lv_state_meta_encode(&back->volumes[0], &text_back, &err) < 0 ||
	    text_back->len != text->len || memcmp(text_back->bytes, text->bytes, text->len) != 0)
		fz_fail("tag 9 is not a fixpoint:\n%.*s", (int)text->len, (const char *)text->bytes);
	lv_secret_free(&text);
	lv_secret_free(&text_back);
	lv_config_free(&back);
	lv_config_free(&cfg);
}

/* The values of every tag, to compare a META before and after a write. */
static int same_tags(const struct lv_meta *a, const struct lv_meta *b)
{
	for (unsigned tag = 1; tag <= LV_META_TAG_MAX; tag++) {
		const struct lv_secret *x = lv_meta_get(a, tag, NULL), *y = lv_meta_get(b, tag, NULL);

		if (!x != !y || (x && (x->len != y->len || memcmp(x->bytes, y->bytes, x->len))))
			return 0;
	}
	return 1;
}

static void check_write(struct lv_meta *meta)
{
	struct lv_meta *again;
	struct lv_err err = { 0 };
	const struct lv_secret *v;
	int corrupt = lv_meta_state(meta) == LV_META_CORRUPT;

	const struct lv_secret *old = lv_meta_has(meta, FUZZ_TAG, 0) ?
					      lv_meta_get(meta, FUZZ_TAG, NULL) : NULL;
	/* A value the tag does not hold yet, so that the flush writes. */
	const char *value = old && old->len == 4 && memcmp(old->bytes, "fuzz", 4) == 0 ? "zzuf" :
										    "fuzz";

	memcpy(before, device, sizeof(device));
	if (lv_meta_set(meta, FUZZ_TAG, value, 4, &err) < 0) {
		if (err.code != -ENOSPC)
			fz_fail("lv_meta_set failed: %s", err.msg);
		return;
	}
	if (lv_meta_flush(meta, &err) == 0) {
		if (corrupt)
			fz_fail("a corrupt META was written over");
	} else {
		if (!corrupt)
			fz_fail("a readable META refused a flush: %s", err.msg);
		if (memcmp(before, device, sizeof(device)) != 0)
			fz_fail("a refused flush changed the device");
		return;
	}
	again = open_device(0);
	if (!again || lv_meta_state(again) != LV_META_OK ||
	    lv_meta_copy_state(again, 0, 0) != LV_META_COPY_VALID ||
	    lv_meta_copy_state(again, 0, 1) != LV_META_COPY_VALID ||
	    memcmp(device, device + ADV, ADV) != 0)
		fz_fail("the written META does not read back with both copies valid");
	v = lv_meta_get(again, FUZZ_TAG, NULL);
	if (!v || v->len != 4 || memcmp(v->bytes, value, 4) != 0 || !same_tags(meta, again))
		fz_fail("the written META lost or changed tags");
	lv_meta_close(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_meta *meta;
	const struct lv_secret *tag9;
	uint8_t ctl;

	if (size == 0)
		return 0;
	ctl = data[0];
	if (ctl & CTL_JSON) {
		check_json(data + 1, size - 1);
		return 0;
	}
	build_device(data + 1, size - 1, ctl);
	meta = open_device(LV_META_WRITABLE);
	if (!meta)
		fz_fail("a META of %zu bytes did not open", sizeof(device));
	tag9 = lv_meta_get(meta, LV_META_TAG_STATE_ENCRYPTION_CONFIG, NULL);
	if (tag9)
		check_json(tag9->bytes, tag9->len);
	check_write(meta);
	lv_meta_close(&meta);
	return 0;
}
