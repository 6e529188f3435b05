/* SPDX-License-Identifier: ISC */
/*
 * test_corruption.c: single-byte damage anywhere in the metadata.  With one
 * copy intact, luksvol must always load (from the intact copy, reporting
 * the damage), cryptsetup must accept what luksvol accepts, a writable load
 * must repair the damaged copy, and a damaged keyslot area must fail only
 * its own keyslot.
 *
 * Every byte of both binary headers is flipped; the JSON areas are sampled
 * every 13th byte, or every byte with LV_CORRUPTION_LONG=1 (make test-long).
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "luks2/device.h"
#include "rel_common.h"

#define IMAGE_BYTES REL_IMAGE_BYTES
#define HDR_SIZE 0x4000
#define CRYPTSETUP_STRIDE 97	/* cases also checked by cryptsetup */

static uint8_t *base_image;
static char tmp_path[64];
static unsigned json_stride = 13;

#define secret rel_secret

static int cryptsetup_loads(const uint8_t *image)
{
	return rel_cryptsetup_accepts(tmp_path, image, NULL);
}

static int unlock_slot(uint8_t *image, const char *text, int slot)
{
	struct lv_secret *pass = secret(text), *vk = NULL;
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r = lv_device_load_mem(&dev, image, IMAGE_BYTES, 0, &err);

	if (r == 0) {
		r = lv_unlock(dev, slot, pass, &vk, NULL, &err);
		lv_device_free(&dev);
	}
	lv_secret_free(&vk);
	lv_secret_free(&pass);
	return r;
}

/* Flips image[offset]; luksvol must load, and report the damaged copy. */
static void check_flip(uint8_t *image, size_t offset, unsigned *checked_by_cryptsetup)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };

	image[offset] ^= 0xff;
	if (lv_device_load_mem(&dev, image, IMAGE_BYTES, 0, &err) < 0)
		fail_msg("byte %#zx flipped: luksvol refuses a device with one intact copy: %s",
			 offset, err.msg);
	/* The checksum covers every byte of a copy but the unused tail of
	 * the 64-byte csum field (sha256 fills 32): the flip must show. */
	if ((offset % HDR_SIZE < 0x1c0 + 32 || offset % HDR_SIZE >= 0x200) &&
	    !strstr(lv_device_warnings(dev), offset < HDR_SIZE ? "primary header copy is damaged"
							       : "secondary header copy is damaged"))
		fail_msg("byte %#zx flipped: luksvol does not report the damaged copy (warnings: %s)",
			 offset, lv_device_warnings(dev));
	lv_device_free(&dev);
	if (offset % CRYPTSETUP_STRIDE == 0) {
		if (!cryptsetup_loads(image))
			fail_msg("byte %#zx flipped: luksvol loads it, cryptsetup does not", offset);
		(*checked_by_cryptsetup)++;
	}
	image[offset] ^= 0xff;
}

static void test_binary_headers(void **state)
{
	uint8_t *image = malloc(IMAGE_BYTES);
	unsigned flips = 0, by_cryptsetup = 0;

	(void)state;
	memcpy(image, base_image, IMAGE_BYTES);
	for (size_t copy = 0; copy < 2; copy++)
		for (size_t i = 0; i < LV_HDR_BIN_BYTES; i++, flips++)
			check_flip(image, copy * HDR_SIZE + i, &by_cryptsetup);
	print_message("binary headers: %u flips, %u also checked by cryptsetup\n", flips,
		      by_cryptsetup);
	free(image);
}

static void test_json_areas(void **state)
{
	uint8_t *image = malloc(IMAGE_BYTES);
	unsigned flips = 0, by_cryptsetup = 0;

	(void)state;
	memcpy(image, base_image, IMAGE_BYTES);
	for (size_t copy = 0; copy < 2; copy++)
		for (size_t i = LV_HDR_BIN_BYTES; i < HDR_SIZE; i += json_stride, flips++)
			check_flip(image, copy * HDR_SIZE + i, &by_cryptsetup);
	print_message("JSON areas: %u flips, %u also checked by cryptsetup\n", flips,
		      by_cryptsetup);
	free(image);
}

/* Both copies damaged: a clear error, and cryptsetup refuses as well. */
static void test_both_copies(void **state)
{
	uint8_t *image = malloc(IMAGE_BYTES);
	struct lv_device *dev;
	struct lv_err err = { 0 };
	unsigned cases = 0;

	(void)state;
	for (size_t offset = 0; offset < HDR_SIZE; offset += 509, cases++) {
		size_t other = (offset * 7 + 13) % HDR_SIZE;

		if ((offset >= 0x1c0 + 32 && offset < 0x200) || (other >= 0x1c0 + 32 && other < 0x200))
			continue;	/* the csum field's unused tail, see check_flip */
		memcpy(image, base_image, IMAGE_BYTES);
		image[offset] ^= 0x08;
		image[HDR_SIZE + other] ^= 0x80;
		if (lv_device_load_mem(&dev, image, IMAGE_BYTES, 0, &err) == 0)
			fail_msg("bytes %#zx and %#zx flipped: luksvol loads a device with no intact copy",
				 offset, HDR_SIZE + other);
		if (!strstr(err.msg, "no valid LUKS2 header"))
			fail_msg("bytes %#zx and %#zx flipped: unclear error \"%s\"", offset,
				 HDR_SIZE + other, err.msg);
		if (cases % 4 == 0 && cryptsetup_loads(image))
			fail_msg("bytes %#zx and %#zx flipped: cryptsetup loads what luksvol refuses",
				 offset, HDR_SIZE + other);
	}
	print_message("both copies damaged: %u cases\n", cases);
	free(image);
}

/* A writable load rewrites the damaged copy from the intact one. */
static void test_recovery_repairs(void **state)
{
	uint8_t *image = malloc(IMAGE_BYTES);
	struct lv_device *dev;
	struct lv_err err = { 0 };

	(void)state;
	for (size_t offset = 0x10; offset < 2 * HDR_SIZE; offset += 1021) {
		memcpy(image, base_image, IMAGE_BYTES);
		image[offset] ^= 0x20;
		if (lv_device_load_mem(&dev, image, IMAGE_BYTES, LV_LOAD_WRITABLE, &err) < 0)
			fail_msg("byte %#zx flipped: writable load fails: %s", offset, err.msg);
		lv_device_free(&dev);
		if (lv_device_load_mem(&dev, image, IMAGE_BYTES, 0, &err) < 0)
			fail_msg("byte %#zx flipped: reload after recovery fails: %s", offset, err.msg);
		if (dev->copies[LV_PRIMARY].state != LV_COPY_OK ||
		    dev->copies[LV_SECONDARY].state != LV_COPY_OK)
			fail_msg("byte %#zx flipped: a copy is still damaged after recovery", offset);
		lv_device_free(&dev);
	}
	free(image);
}

/* Damage in keyslot 1's area fails keyslot 1 only. */
static void test_keyslot_area_damage(void **state)
{
	uint8_t *image = malloc(IMAGE_BYTES);
	struct lv_device *dev;
	struct lv_err err = { 0 };
	uint64_t start, size;
	unsigned cases = 0, by_cryptsetup = 0;

	(void)state;
	assert_int_equal(lv_device_load_mem(&dev, base_image, IMAGE_BYTES, 0, &err), 0);
	start = lv_md_keyslot(lv_dev_md(dev), 1)->area.offset_bytes;
	size = lv_md_keyslot(lv_dev_md(dev), 1)->area.size_bytes;
	lv_device_free(&dev);
	/* The AF material fills 256000 of the area's bytes; every stripe
	 * matters, so damage anywhere in it must be fatal for the slot. */
	for (uint64_t offset = start; offset < start + 256000 && offset < start + size;
	     offset += 16411) {
		memcpy(image, base_image, IMAGE_BYTES);
		image[offset] ^= 0x01;
		if (unlock_slot(image, "p1", 1) != -EPERM)
			fail_msg("area byte %#llx flipped: keyslot 1 still opens or fails oddly",
				 (unsigned long long)offset);
		if (unlock_slot(image, "p0", LV_ANY_SLOT) != 0)
			fail_msg("area byte %#llx of keyslot 1 flipped: keyslot 0 no longer opens",
				 (unsigned long long)offset);
		/* cryptsetup agrees, on every other case. */
		if (cases++ % 2)
			continue;
		if (rel_cryptsetup_opens_slot(tmp_path, image, "p1", 1))
			fail_msg("area byte %#llx flipped: cryptsetup still opens keyslot 1",
				 (unsigned long long)offset);
		if (!rel_cryptsetup_opens_slot(tmp_path, image, "p0", LV_ANY_SLOT))
			fail_msg("area byte %#llx of keyslot 1 flipped: cryptsetup no longer opens keyslot 0",
				 (unsigned long long)offset);
		by_cryptsetup++;
	}
	print_message("keyslot area: %u flips, %u also checked by cryptsetup\n", cases, by_cryptsetup);
	free(image);
}

static int make_base(void **state)
{
	const char *long_run = getenv("LV_CORRUPTION_LONG");
	uint8_t volume_key[512];
	size_t volume_key_len;

	(void)state;
	if (long_run && strcmp(long_run, "1") == 0)
		json_stride = 1;
	base_image = calloc(1, IMAGE_BYTES);
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/corruption-%d.img", (int)getpid());
	return base_image ? rel_make_base(base_image, "1", volume_key, &volume_key_len) : -1;
}

static int free_base(void **state)
{
	(void)state;
	free(base_image);
	unlink(tmp_path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_headers),
		cmocka_unit_test(test_json_areas),
		cmocka_unit_test(test_both_copies),
		cmocka_unit_test(test_recovery_repairs),
		cmocka_unit_test(test_keyslot_area_damage),
	};

	return cmocka_run_group_tests(tests, make_base, free_base);
}
