/* SPDX-License-Identifier: ISC */
/*
 * test_powercut.c: every header-changing operation, with the power cut
 * after each of its writes and syncs (and with the cut write torn).  After
 * every cut, luksvol and cryptsetup must load the surviving image, the
 * metadata must be the old or the new one, every passphrase meant to
 * survive must open the volume, and the volume key must not change.
 * (header-restore and repair: test_restore_cut.c; apply: test_apply_cut.c.)
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "faultdisk.h"
#include "luks2/device.h"
#include "rel_common.h"

#define IMAGE_BYTES REL_IMAGE_BYTES

static uint8_t *base_image;
static uint8_t base_volume_key[512];
static size_t base_volume_key_len;
static char tmp_path[64];

#define fast_pbkdf rel_fast_pbkdf
#define secret rel_secret

/* ---- the operations, each on a device loaded from st ---- */

static int with_device(struct lv_storage *st, unsigned flags, struct lv_device **dev,
		       struct lv_err *err)
{
	return lv_device_load_storage(dev, st, LV_LOAD_WRITABLE | flags, err);
}

static int unlock_p0(struct lv_device *dev, struct lv_secret **vk, struct lv_err *err)
{
	struct lv_secret *pass = secret("p0");
	int r = lv_unlock(dev, LV_ANY_SLOT, pass, vk, NULL, err);

	lv_secret_free(&pass);
	return r;
}

static int op_add_key(struct lv_storage *st, struct lv_err *err)
{
	struct lv_device *dev;
	struct lv_secret *vk = NULL, *pass = secret("p2");
	int r = with_device(st, 0, &dev, err);

	if (r == 0 && (r = unlock_p0(dev, &vk, err)) == 0)
		r = lv_keyslot_add(dev, 2, vk, pass, &fast_pbkdf, NULL, err);
	lv_secret_free(&vk);
	lv_secret_free(&pass);
	lv_device_free(&dev);
	return r;
}

static int op_kill_slot(struct lv_storage *st, struct lv_err *err)
{
	struct lv_device *dev;
	int r = with_device(st, 0, &dev, err);

	if (r == 0)
		r = lv_keyslot_kill(dev, 1, err);
	lv_device_free(&dev);
	return r;
}

static int op_change_key(struct lv_storage *st, struct lv_err *err)
{
	struct lv_device *dev;
	struct lv_secret *vk = NULL, *pass = secret("p1-new");
	int r = with_device(st, 0, &dev, err);

	if (r == 0 && (r = unlock_p0(dev, &vk, err)) == 0)
		r = lv_keyslot_change(dev, 1, vk, pass, &fast_pbkdf, err);
	lv_secret_free(&vk);
	lv_secret_free(&pass);
	lv_device_free(&dev);
	return r;
}

static int op_token_import(struct lv_storage *st, struct lv_err *err)
{
	struct lv_device *dev;
	int r = with_device(st, 0, &dev, err);

	if (r == 0)
		r = lv_token_import(dev, 3, "{\"type\":\"cut\",\"keyslots\":[\"1\"]}", NULL, err);
	lv_device_free(&dev);
	return r;
}

static int op_token_remove(struct lv_storage *st, struct lv_err *err)
{
	struct lv_device *dev;
	int r = with_device(st, 0, &dev, err);

	if (r == 0)
		r = lv_token_remove(dev, 0, err);
	lv_device_free(&dev);
	return r;
}

static int op_label(struct lv_storage *st, struct lv_err *err)
{
	struct lv_device *dev;
	int r = with_device(st, 0, &dev, err);

	if (r == 0)
		r = lv_set_label(dev, "after the cut", "sub", err);
	lv_device_free(&dev);
	return r;
}

static int op_erase(struct lv_storage *st, struct lv_err *err)
{
	struct lv_device *dev;
	int r = with_device(st, 0, &dev, err);

	if (r == 0)
		r = lv_erase(dev, err);
	lv_device_free(&dev);
	return r;
}

/* Loading writable recovers a damaged copy (auto-recovery, repair). */
static int op_recover(struct lv_storage *st, struct lv_err *err)
{
	struct lv_device *dev;
	int r = with_device(st, LV_LOAD_REPAIR, &dev, err);

	lv_device_free(&dev);
	return r;
}

/* ---- the driver ---- */

/* Cuts op (on start) everywhere: the metadata must be the old state,
 * opened by old_keys, or the new one, opened by new_keys. */
static void sweep_op(const char *name, int (*run)(struct lv_storage *, struct lv_err *),
		     const uint8_t *start, const struct rel_key old_keys[REL_MAX_KEYS],
		     const struct rel_key new_keys[REL_MAX_KEYS])
{
	struct rel_state states[2] = {
		{ .name = "old", .from = REL_FROM_START },
		{ .name = "new", .from = REL_FROM_FINAL },
	};
	const struct rel_sweep sw = {
		.name = name, .run = run, .states = states, .state_count = 2,
		.volume_key = base_volume_key, .volume_key_len = base_volume_key_len,
		.tmp_path = tmp_path,
	};

	memcpy(states[0].keys, old_keys, sizeof(states[0].keys));
	memcpy(states[1].keys, new_keys, sizeof(states[1].keys));
	rel_sweep_run(&sw, start, NULL);
}

/* The base volume: slot 0 "p0", slot 1 "p1", token 0; 3 MiB. */
static int make_base(void **state)
{
	(void)state;
	base_image = calloc(1, IMAGE_BYTES);
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/powercut-%d.img", (int)getpid());
	return base_image ? rel_make_base(base_image, "0", base_volume_key, &base_volume_key_len)
			  : -1;
}

static int free_base(void **state)
{
	(void)state;
	free(base_image);
	unlink(tmp_path);
	return 0;
}

#define BOTH_KEYS ((const struct rel_key[REL_MAX_KEYS]){ { "p0", 0 }, { "p1", 1 } })
#define KEYS(...) ((const struct rel_key[REL_MAX_KEYS]){ __VA_ARGS__ })
#define NO_KEYS KEYS({ NULL, 0 })

static void test_add_key(void **state)
{
	(void)state;
	sweep_op("add-key", op_add_key, base_image, BOTH_KEYS,
		 KEYS({ "p0", 0 }, { "p1", 1 }, { "p2", 2 }));
}

static void test_kill_slot(void **state)
{
	(void)state;
	sweep_op("kill-slot", op_kill_slot, base_image, KEYS({ "p0", 0 }), KEYS({ "p0", 0 }));
}

static void test_change_key(void **state)
{
	(void)state;
	sweep_op("change-key", op_change_key, base_image, BOTH_KEYS,
		 KEYS({ "p0", 0 }, { "p1-new", 1 }));
}

static void test_token_import(void **state)
{
	(void)state;
	sweep_op("token-import", op_token_import, base_image, BOTH_KEYS, BOTH_KEYS);
}

static void test_token_remove(void **state)
{
	(void)state;
	sweep_op("token-remove", op_token_remove, base_image, BOTH_KEYS, BOTH_KEYS);
}

static void test_label(void **state)
{
	(void)state;
	sweep_op("config-label", op_label, base_image, BOTH_KEYS, BOTH_KEYS);
}

/* An erase wipes areas before the metadata forgets them: no passphrase
 * is promised to survive any cut. */
static void test_erase(void **state)
{
	(void)state;
	sweep_op("erase", op_erase, base_image, NO_KEYS, NO_KEYS);
}

static int op_format(struct lv_storage *st, struct lv_err *err)
{
	struct lv_format_params params = {
		.keyslots_bytes = 1u << 20, .key_slot = 0, .pbkdf = fast_pbkdf,
	};
	struct lv_secret *p0 = secret("p0");
	int r = lv_format_storage(st, &params, p0, NULL, err);

	lv_secret_free(&p0);
	return r;
}

/* Formats a copy of blank with the power cut at event cut (0: never);
 * returns the event count, the durable image in after. */
static unsigned format_with_cut(const uint8_t *blank, unsigned cut, int tear, uint8_t *after)
{
	struct fault_disk disk;
	struct lv_err err = { 0 };
	unsigned events;
	int r;

	assert_int_equal(fault_disk_init(&disk, blank, IMAGE_BYTES), 0);
	disk.cut_at = cut;
	disk.tear = tear;
	r = op_format(fault_disk_storage(&disk), &err);
	if (r < 0 && !disk.dead)
		fail_msg("format failed without a power cut: %s", err.msg);
	memcpy(after, disk.durable, IMAGE_BYTES);
	events = disk.events;
	fault_disk_destroy(&disk);
	return events;
}

/* Format of a blank device: after any cut the device holds no LUKS2
 * header for either tool (the old state) or the complete new one, which
 * "p0" opens; never a header without a working keyslot.  (The volume key
 * is fresh in every run, so it is checked by the digest, not compared.) */
static void test_format(void **state)
{
	uint8_t *blank = calloc(1, IMAGE_BYTES), *after = malloc(IMAGE_BYTES);
	unsigned total, points = 0;

	(void)state;
	assert_non_null(blank);
	assert_non_null(after);
	total = format_with_cut(blank, 0, 0, after);
	for (unsigned cut = 1; cut <= total; cut++) {
		for (int tear = 0; tear < 2; tear++, points++) {
			struct lv_secret *pass = secret("p0"), *vk = NULL;
			struct lv_device *dev;
			struct lv_err err = { 0 };

			format_with_cut(blank, cut, tear, after);
			if (lv_device_load_mem(&dev, after, IMAGE_BYTES, 0, &err) < 0) {
				lv_secret_free(&pass);
				if (rel_cryptsetup_accepts(tmp_path, after, NULL))
					fail_msg("format, cut at event %u%s: cryptsetup loads a header luksvol refuses: %s",
						 cut, tear ? " (torn)" : "", err.msg);
				continue;	/* the old state: nothing there */
			}
			if (lv_unlock(dev, 0, pass, &vk, NULL, &err) < 0)
				fail_msg("format, cut at event %u%s: a header whose keyslot does not open: %s",
					 cut, tear ? " (torn)" : "", err.msg);
			lv_secret_free(&vk);
			lv_secret_free(&pass);
			lv_device_free(&dev);
			if (!rel_cryptsetup_accepts(tmp_path, after, "p0"))
				fail_msg("format, cut at event %u%s: cryptsetup does not open it", cut,
					 tear ? " (torn)" : "");
		}
	}
	print_message("format: %u events, %u cut points checked\n", total, points);
	free(blank);
	free(after);
}

/* A damaged secondary copy, recovered by a writable load. */
static void test_recovery(void **state)
{
	uint8_t *damaged = malloc(IMAGE_BYTES);

	(void)state;
	assert_non_null(damaged);
	memcpy(damaged, base_image, IMAGE_BYTES);
	damaged[0x4000 + 4096 + 7] ^= 0x55;
	sweep_op("auto-recovery", op_recover, damaged, BOTH_KEYS, BOTH_KEYS);
	free(damaged);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_key),
		cmocka_unit_test(test_kill_slot),
		cmocka_unit_test(test_change_key),
		cmocka_unit_test(test_token_import),
		cmocka_unit_test(test_token_remove),
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_erase),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, make_base, free_base);
}
