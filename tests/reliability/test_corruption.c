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
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "luks2/device.h"

extern char **environ;

#define IMAGE_BYTES (3u << 20)
#define HDR_SIZE 0x4000
#define CRYPTSETUP_STRIDE 97	/* cases also checked by cryptsetup */

static uint8_t *base_image;
static char tmp_path[64];
static unsigned json_stride = 13;

static const struct lv_pbkdf_params fast_pbkdf = { .type = "pbkdf2", .forced_iterations = 1000 };

static struct lv_secret *secret(const char *text)
{
	return lv_secret_dup(text, strlen(text));
}

static int run_quiet(char *const argv[])
{
	posix_spawn_file_actions_t actions;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ) != 0)
		return -1;
	posix_spawn_file_actions_destroy(&actions);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int cryptsetup_loads(const uint8_t *image)
{
	FILE *f = fopen(tmp_path, "wb");
	char *dump[] = { "cryptsetup", "luksDump", tmp_path, NULL };

	if (!f || fwrite(image, 1, IMAGE_BYTES, f) != IMAGE_BYTES)
		return 0;
	fclose(f);
	return run_quiet(dump) == 0;
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

/* Flips image[offset]; luksvol must load, and say which copy it used. */
static void check_flip(uint8_t *image, size_t offset, unsigned *checked_by_cryptsetup)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };

	image[offset] ^= 0xff;
	if (lv_device_load_mem(&dev, image, IMAGE_BYTES, 0, &err) < 0)
		fail_msg("byte %#zx flipped: luksvol refuses a device with one intact copy: %s",
			 offset, err.msg);
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
	}
	free(image);
}

static int make_base(void **state)
{
	struct lv_format_params params = {
		.keyslots_bytes = 1u << 20, .key_slot = 0, .pbkdf = fast_pbkdf,
	};
	struct lv_secret *p0 = secret("p0"), *p1 = secret("p1"), *vk = NULL;
	struct lv_storage *st;
	struct lv_device *dev;
	struct lv_err err = { 0 };
	const char *long_run = getenv("LV_CORRUPTION_LONG");

	(void)state;
	if (long_run && strcmp(long_run, "1") == 0)
		json_stride = 1;
	base_image = calloc(1, IMAGE_BYTES);
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/corruption-%d.img", (int)getpid());
	if (lv_storage_open_mem(&st, base_image, IMAGE_BYTES, 1) < 0 ||
	    lv_format_storage(st, &params, p0, &dev, &err) < 0 ||
	    lv_unlock(dev, 0, p0, &vk, NULL, &err) < 0 ||
	    lv_keyslot_add(dev, 1, vk, p1, &fast_pbkdf, NULL, &err) < 0 ||
	    lv_token_import(dev, 0, "{\"type\":\"t\",\"keyslots\":[\"1\"]}", NULL, &err) < 0) {
		fprintf(stderr, "base image: %s\n", err.msg);
		return -1;
	}
	lv_secret_free(&vk);
	lv_secret_free(&p0);
	lv_secret_free(&p1);
	lv_device_free(&dev);
	return 0;
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
		cmocka_unit_test(test_recovery_repairs),
		cmocka_unit_test(test_keyslot_area_damage),
	};

	return cmocka_run_group_tests(tests, make_base, free_base);
}
