/* SPDX-License-Identifier: ISC */
/*
 * test_powercut.c: every header-changing operation, with the power cut
 * after each of its writes and syncs (and with the cut write torn).  After
 * every cut, luksvol and cryptsetup must load the surviving image, the
 * metadata must be the old or the new one, every passphrase meant to
 * survive must open the volume, and the volume key must not change.
 */
#include "unit.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <unistd.h>

#include "faultdisk.h"
#include "luks2/device.h"
#include "rel_common.h"

#define IMAGE_BYTES REL_IMAGE_BYTES
#define MAX_PASSPHRASES 4

/* A passphrase and the keyslot it must open. */
struct expected_key {
	const char *text;
	int slot;
};

/* What must open when the surviving metadata is the old state, and when
 * it is the new one.  An erase promises nothing in either. */
struct op_case {
	const char *name;
	int (*run)(struct lv_storage *st, struct lv_err *err);
	struct expected_key old_keys[MAX_PASSPHRASES];
	struct expected_key new_keys[MAX_PASSPHRASES];
};

static uint8_t *base_image;
static uint8_t base_volume_key[512];
static size_t base_volume_key_len;
static char tmp_path[64];

#define fast_pbkdf rel_fast_pbkdf
#define secret rel_secret

static int load(uint8_t *image, unsigned flags, struct lv_device **dev, struct lv_err *err)
{
	memset(err, 0, sizeof(*err));
	return lv_device_load_mem(dev, image, IMAGE_BYTES, flags, err);
}

/* 0 when text opens slot (any slot when slot < 0) to the base volume key. */
static int opens(uint8_t *image, const char *text, int slot)
{
	struct lv_device *dev;
	struct lv_secret *pass = secret(text), *vk = NULL;
	struct lv_err err;
	int r = load(image, 0, &dev, &err);

	if (r == 0) {
		r = lv_unlock(dev, slot < 0 ? LV_ANY_SLOT : slot, pass, &vk, NULL, &err);
		if (r == 0 && (vk->len != base_volume_key_len ||
			       memcmp(vk->bytes, base_volume_key, vk->len) != 0))
			r = -EILSEQ;
		lv_secret_free(&vk);
		lv_device_free(&dev);
	}
	lv_secret_free(&pass);
	return r;
}

static int cryptsetup_accepts(const uint8_t *image, const char *passphrase)
{
	return rel_cryptsetup_accepts(tmp_path, image, passphrase);
}

/* A new keyslot's salt is random in every run, so states are compared
 * without keyslot salts. */
static void drop_keyslot_salts(struct json_object *root)
{
	struct json_object *keyslots, *kdf;

	if (!json_object_object_get_ex(root, "keyslots", &keyslots))
		return;
	json_object_object_foreach(keyslots, id, keyslot) {
		(void)id;
		if (json_object_object_get_ex(keyslot, "kdf", &kdf))
			json_object_object_del(kdf, "salt");
	}
}

/* The metadata as text, plus label and subsystem, to tell states apart. */
static char *state_of(uint8_t *image)
{
	struct json_object *copy = NULL;
	struct lv_device *dev;
	struct lv_err err;
	char *text = NULL;

	if (load(image, 0, &dev, &err) < 0)
		return NULL;
	json_object_deep_copy(lv_dev_md(dev)->root, &copy, NULL);
	drop_keyslot_salts(copy);
	if (asprintf(&text, "%s|%s|%s", json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN),
		     lv_dev_bin(dev)->label, lv_dev_bin(dev)->subsystem) < 0)
		text = NULL;
	json_object_put(copy);
	lv_device_free(&dev);
	return text;
}

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

static void check_keys(const struct op_case *op, const struct expected_key *keys,
		       const char *which, uint8_t *image, unsigned cut, int tear)
{
	for (int i = 0; i < MAX_PASSPHRASES && keys[i].text; i++)
		if (opens(image, keys[i].text, keys[i].slot) != 0)
			fail_msg("%s, cut at event %u%s: %s state, but \"%s\" does not open slot %d",
				 op->name, cut, tear ? " (torn)" : "", which, keys[i].text,
				 keys[i].slot);
}

static void check_cut(const struct op_case *op, uint8_t *image, const char *old_state,
		      const char *new_state, unsigned cut, int tear)
{
	char *state = state_of(image);
	int is_new;

	if (!state)
		fail_msg("%s, cut at event %u%s: luksvol cannot load the image", op->name, cut,
			 tear ? " (torn)" : "");
	is_new = strcmp(state, new_state) == 0;
	if (!is_new && strcmp(state, old_state) != 0)
		fail_msg("%s, cut at event %u%s: metadata is neither the old nor the new state",
			 op->name, cut, tear ? " (torn)" : "");
	free(state);
	const struct expected_key *keys = is_new ? op->new_keys : op->old_keys;
	check_keys(op, keys, is_new ? "new" : "old", image, cut, tear);
	if (!cryptsetup_accepts(image, keys[0].text))
		fail_msg("%s, cut at event %u%s: cryptsetup does not load or open the image",
			 op->name, cut, tear ? " (torn)" : "");
}

/* Runs op on a copy of start with power cut at event cut (0: never). */
static int run_with_cut(const struct op_case *op, const uint8_t *start, unsigned cut, int tear,
			uint8_t *after, unsigned *events)
{
	struct fault_disk disk;
	struct lv_err err;
	int r;

	assert_int_equal(fault_disk_init(&disk, start, IMAGE_BYTES), 0);
	disk.cut_at = cut;
	disk.tear = tear;
	memset(&err, 0, sizeof(err));
	r = op->run(fault_disk_storage(&disk), &err);
	if (r < 0 && !disk.dead)
		fail_msg("%s failed without a power cut: %s", op->name, err.msg);
	memcpy(after, disk.durable, IMAGE_BYTES);
	*events = disk.events;
	int cut_happened = disk.dead;
	fault_disk_destroy(&disk);
	return cut_happened;
}

static void sweep(const struct op_case *op, const uint8_t *start)
{
	uint8_t *after = malloc(IMAGE_BYTES), *copy = malloc(IMAGE_BYTES);
	char *old_state, *new_state;
	unsigned total, events, points = 0;

	assert_non_null(after);
	assert_non_null(copy);
	memcpy(copy, start, IMAGE_BYTES);
	old_state = state_of(copy);
	assert_non_null(old_state);
	run_with_cut(op, start, 0, 0, after, &total);
	new_state = state_of(after);
	assert_non_null(new_state);
	for (unsigned cut = 1; cut <= total; cut++) {
		for (int tear = 0; tear < 2; tear++) {
			if (!run_with_cut(op, start, cut, tear, after, &events))
				fail_msg("%s: no power cut at event %u of %u", op->name, cut, total);
			check_cut(op, after, old_state, new_state, cut, tear);
			points++;
		}
	}
	print_message("%s: %u events, %u cut points checked\n", op->name, total, points);
	free(old_state);
	free(new_state);
	free(after);
	free(copy);
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

#define BOTH_KEYS { { "p0", 0 }, { "p1", 1 } }

static void test_add_key(void **state)
{
	static const struct op_case op = { "add-key", op_add_key, BOTH_KEYS,
		{ { "p0", 0 }, { "p1", 1 }, { "p2", 2 } } };
	(void)state;
	sweep(&op, base_image);
}

static void test_kill_slot(void **state)
{
	static const struct op_case op = { "kill-slot", op_kill_slot,
		{ { "p0", 0 } }, { { "p0", 0 } } };
	(void)state;
	sweep(&op, base_image);
}

static void test_change_key(void **state)
{
	static const struct op_case op = { "change-key", op_change_key, BOTH_KEYS,
		{ { "p0", 0 }, { "p1-new", 1 } } };
	(void)state;
	sweep(&op, base_image);
}

static void test_token_import(void **state)
{
	static const struct op_case op = { "token-import", op_token_import, BOTH_KEYS, BOTH_KEYS };
	(void)state;
	sweep(&op, base_image);
}

static void test_token_remove(void **state)
{
	static const struct op_case op = { "token-remove", op_token_remove, BOTH_KEYS, BOTH_KEYS };
	(void)state;
	sweep(&op, base_image);
}

static void test_label(void **state)
{
	static const struct op_case op = { "config-label", op_label, BOTH_KEYS, BOTH_KEYS };
	(void)state;
	sweep(&op, base_image);
}

/* An erase wipes areas before the metadata forgets them: no passphrase
 * is promised to survive any cut. */
static void test_erase(void **state)
{
	static const struct op_case op = { "erase", op_erase, { { NULL, 0 } }, { { NULL, 0 } } };
	(void)state;
	sweep(&op, base_image);
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

/* Format of a blank device: after any cut the device holds no LUKS2
 * header at all (the old state) or the complete new one, which "p0"
 * opens; never a header without a working keyslot.  (The volume key is
 * fresh in every run, so it is checked by the digest, not compared.) */
static void test_format(void **state)
{
	uint8_t *blank = calloc(1, IMAGE_BYTES), *after = malloc(IMAGE_BYTES);
	static const struct op_case op = { "format", op_format, { { NULL, 0 } }, { { NULL, 0 } } };
	unsigned total, events, points = 0;

	(void)state;
	run_with_cut(&op, blank, 0, 0, after, &total);
	for (unsigned cut = 1; cut <= total; cut++) {
		for (int tear = 0; tear < 2; tear++, points++) {
			struct lv_secret *pass = secret("p0"), *vk = NULL;
			struct lv_device *dev;
			struct lv_err err;

			run_with_cut(&op, blank, cut, tear, after, &events);
			if (load(after, 0, &dev, &err) < 0) {
				lv_secret_free(&pass);
				continue;	/* the old state: nothing there */
			}
			if (lv_unlock(dev, 0, pass, &vk, NULL, &err) < 0)
				fail_msg("format, cut at event %u%s: a header whose keyslot does not open: %s",
					 cut, tear ? " (torn)" : "", err.msg);
			lv_secret_free(&vk);
			lv_secret_free(&pass);
			lv_device_free(&dev);
			if (!cryptsetup_accepts(after, "p0"))
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
	static const struct op_case op = { "auto-recovery", op_recover, BOTH_KEYS, BOTH_KEYS };
	uint8_t *damaged = malloc(IMAGE_BYTES);

	(void)state;
	memcpy(damaged, base_image, IMAGE_BYTES);
	damaged[0x4000 + 4096 + 7] ^= 0x55;
	sweep(&op, damaged);
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
