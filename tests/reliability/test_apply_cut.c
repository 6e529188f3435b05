/* SPDX-License-Identifier: ISC */
/*
 * test_apply_cut.c: power cuts during `apply`'s key sync (issue 8).  The
 * volume has keyslot 0 (opens it), keyslot 1 with a passphrase the config
 * has since changed (replaced), no keyslot 2 (added) and keyslot 5 the
 * config does not name (removed).  After a cut at every write and fsync,
 * torn or not: luksvol and cryptsetup load the header, keyslot 0 still
 * opens it to the same volume key, the added keyslot is absent or
 * complete, nothing else appears, and a second apply finishes the sync.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "faultdisk.h"
#include "talos/apply.h"
#include "luks2/device.h"
#include "rel_common.h"

#define IMAGE_BYTES REL_IMAGE_BYTES

static const struct lv_pbkdf_params argon_fast = {
	.type = "argon2id", .forced_iterations = 4, .memory_kib = 32, .parallel = 1,
};
static const struct lv_apply_params params = { .pbkdf = argon_fast };

static uint8_t base_image[IMAGE_BYTES];
static uint8_t base_volume_key[64];
static size_t base_volume_key_len;
static struct lv_config_key config_keys[3];
static struct lv_config_volume volume = {
	.kind = LV_VOLUME_USER, .name = "data", .volume_id = "u-data",
	.encryption = { .enabled = 1, .keys = config_keys, .key_count = 3,
			.cipher = "aes-xts-plain64", .key_bits = 512 },
};
static char tmp_path[64];

/* Which passphrases a keyslot may hold after a cut; NULL: absent. */
struct slot_states {
	int slot;
	const char *allowed[3];
	int allowed_count;
};

static void add_slot(struct lv_device *dev, const struct lv_secret *vk, int slot, const char *text)
{
	struct lv_secret *pass = rel_secret(text);
	struct lv_err err = { 0 };

	assert_int_equal(lv_keyslot_add(dev, slot, vk, pass, &argon_fast, NULL, &err), 0);
	lv_secret_free(&pass);
}

static int make_base(void **state)
{
	struct lv_format_params format = { .cipher = "aes-xts-plain64", .key_bits = 512,
		.key_slot = 0, .pbkdf = argon_fast, .keyslots_bytes = 1u << 20 };
	struct lv_secret *pass = rel_secret("alpha"), *vk = NULL;
	struct lv_device *dev;
	struct lv_err err = { 0 };

	struct lv_storage *storage;

	(void)state;
	assert_int_equal(lv_storage_open_mem(&storage, base_image, IMAGE_BYTES, 1), 0);
	assert_int_equal(lv_format_storage(storage, &format, pass, &dev, &err), 0);
	assert_int_equal(lv_unlock(dev, 0, pass, &vk, NULL, &err), 0);
	add_slot(dev, vk, 1, "beta");
	add_slot(dev, vk, 5, "stale");
	memcpy(base_volume_key, vk->bytes, vk->len);
	base_volume_key_len = vk->len;
	lv_secret_free(&vk);
	lv_secret_free(&pass);
	lv_device_free(&dev);
	config_keys[0] = (struct lv_config_key){ .slot = 0, .kind = LV_KEY_STATIC,
		.static_key.passphrase = rel_secret("alpha") };
	config_keys[1] = (struct lv_config_key){ .slot = 1, .kind = LV_KEY_STATIC,
		.static_key.passphrase = rel_secret("beta changed") };
	config_keys[2] = (struct lv_config_key){ .slot = 2, .kind = LV_KEY_STATIC,
		.static_key.passphrase = rel_secret("gamma") };
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/lv-apply-cut-%d.img", (int)getpid());
	return 0;
}

static int free_base(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		lv_secret_free(&config_keys[i].static_key.passphrase);
	unlink(tmp_path);
	return 0;
}

/* 0 when text opens slot to the base volume key, -ENOENT when the slot
 * is absent, another negative errno otherwise. */
static int slot_opens(uint8_t *image, int slot, const char *text)
{
	struct lv_secret *pass = rel_secret(text), *vk = NULL;
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r = lv_device_load_mem(&dev, image, IMAGE_BYTES, 0, &err);

	if (r == 0) {
		r = lv_keyslot_exists(dev, slot) ? lv_unlock(dev, slot, pass, &vk, NULL, &err) : -ENOENT;
		if (r == 0 && (vk->len != base_volume_key_len ||
			       memcmp(vk->bytes, base_volume_key, vk->len) != 0))
			r = -EILSEQ;
		lv_secret_free(&vk);
		lv_device_free(&dev);
	}
	lv_secret_free(&pass);
	return r;
}

static int slot_in_allowed_state(uint8_t *image, const struct slot_states *states)
{
	for (int i = 0; i < states->allowed_count; i++) {
		const char *text = states->allowed[i];
		int r = slot_opens(image, states->slot, text ? text : "");

		if ((text && r == 0) || (!text && r == -ENOENT))
			return 1;
	}
	return 0;
}

static int apply_once(struct lv_storage *storage, struct lv_apply_volume *report)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r = lv_device_load_storage(&dev, storage, LV_LOAD_WRITABLE, &err);

	if (r < 0)
		return r;
	r = lv_apply_loaded(dev, &volume, &params, report);
	lv_device_free(&dev);
	return r;
}

static unsigned run_with_cut(unsigned cut, int tear, uint8_t *after, int *sync_failed)
{
	struct lv_apply_volume *report = calloc(1, sizeof(*report));
	struct fault_disk disk;
	unsigned events;

	assert_non_null(report);
	assert_int_equal(fault_disk_init(&disk, base_image, IMAGE_BYTES), 0);
	disk.cut_at = cut;
	disk.tear = tear;
	apply_once(fault_disk_storage(&disk), report);
	*sync_failed = 0;
	for (unsigned i = 0; i < report->step_count; i++)
		*sync_failed |= report->steps[i].status == LV_STEP_FAILED;
	memcpy(after, disk.durable, IMAGE_BYTES);
	events = disk.events;
	fault_disk_destroy(&disk);
	free(report);
	return events;
}

/* Keyslots 1 and 5 are not constrained after a cut: killing a keyslot
 * overwrites its area before the metadata drops it (so a crash never
 * leaves key material meant to be destroyed), and a cut in between leaves
 * a keyslot that opens with nothing.  Neither is a configured key that
 * still works, and the second apply replaces or removes them. */
static const struct slot_states cut_states[] = {
	{ 0, { "alpha" }, 1 },
	{ 2, { NULL, "gamma" }, 2 },
	{ 3, { NULL }, 1 },
	{ 4, { NULL }, 1 },
};
static const struct slot_states final_states[] = {
	{ 0, { "alpha" }, 1 },
	{ 1, { "beta changed" }, 1 },
	{ 2, { "gamma" }, 1 },
	{ 5, { NULL }, 1 },
};

static void check_states(uint8_t *image, const struct slot_states *states, size_t count,
			 const char *when, unsigned cut, int tear)
{
	for (size_t i = 0; i < count; i++)
		if (!slot_in_allowed_state(image, &states[i]))
			fail_msg("%s (cut %u%s): keyslot %d holds none of its allowed passphrases",
				 when, cut, tear ? ", torn" : "", states[i].slot);
}

/* A second apply on the damaged image converges to the configured state. */
static void check_resync(uint8_t *image, unsigned cut, int tear)
{
	struct lv_apply_volume *report = calloc(1, sizeof(*report));
	struct lv_storage *storage;

	assert_non_null(report);
	assert_int_equal(lv_storage_open_mem(&storage, image, IMAGE_BYTES, 1), 0);
	if (apply_once(storage, report) < 0)
		fail_msg("second apply after cut %u%s: %s", cut, tear ? " (torn)" : "", report->error);
	check_states(image, final_states, sizeof(final_states) / sizeof(final_states[0]),
		     "after the second apply", cut, tear);
	free(report);
}

static void test_apply_sync_power_cuts(void **state)
{
	uint8_t *after = malloc(IMAGE_BYTES);
	unsigned total, points = 0;
	int sync_failed;

	(void)state;
	assert_non_null(after);
	total = run_with_cut(0, 0, after, &sync_failed);
	assert_false(sync_failed);
	check_states(after, final_states, sizeof(final_states) / sizeof(final_states[0]),
		     "without a cut", 0, 0);
	assert_true(total > 10);
	for (unsigned cut = 1; cut <= total; cut++) {
		for (int tear = 0; tear < 2; tear++, points++) {
			run_with_cut(cut, tear, after, &sync_failed);
			if (!rel_cryptsetup_accepts(tmp_path, after, "alpha"))
				fail_msg("cut %u%s: cryptsetup refuses the header or keyslot 0", cut,
					 tear ? " (torn)" : "");
			check_states(after, cut_states, sizeof(cut_states) / sizeof(cut_states[0]),
				     "after the cut", cut, tear);
			check_resync(after, cut, tear);
		}
	}
	print_message("apply key sync: %u events, %u cut points checked\n", total, points);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_sync_power_cuts),
	};
	return cmocka_run_group_tests(tests, make_base, free_base);
}
