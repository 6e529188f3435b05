/* SPDX-License-Identifier: ISC */
/*
 * test_restore_cut.c: power cuts during header-restore and repair (issue
 * 8), on the fault-injecting disk of faultdisk.h.
 *
 * header-restore may pass through one state besides the current and the
 * restored header: the current header with a keyslot that sat where the
 * backup needs space moved elsewhere (or dropped when there is no room),
 * see src/luks2/header_ops.c.  Every state's passphrases must open the
 * volume to the same volume key after every cut, and an uninterrupted
 * restore leaves the header area byte-identical to the backup, as
 * cryptsetup's does.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "faultdisk.h"
#include "luks2/device.h"
#include "luks2/hdr_disk.h"
#include "luks2/keyslot.h"
#include "rel_common.h"

#define IMAGE_BYTES REL_IMAGE_BYTES

static uint8_t *base_image;
static uint8_t base_volume_key[512];
static size_t base_volume_key_len;
static size_t header_area_bytes;	/* what a backup file of base holds */
static char tmp_path[64];

/* The backup op_restore restores. */
static const uint8_t *backup_image;
static size_t backup_len;

/* ---- images: the base volume (slot 0 "p0", slot 1 "p1", token 0),
 * changed in memory ---- */

static uint8_t *copy_of(const uint8_t *image)
{
	uint8_t *copy = malloc(IMAGE_BYTES);

	assert_non_null(copy);
	memcpy(copy, image, IMAGE_BYTES);
	return copy;
}

static struct lv_device *load_writable(uint8_t *image)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };

	if (lv_device_load_mem(&dev, image, IMAGE_BYTES, LV_LOAD_WRITABLE, &err) < 0)
		fail_msg("cannot load a test image: %s", err.msg);
	return dev;
}

static void add_key(uint8_t *image, int slot, const char *text)
{
	struct lv_device *dev = load_writable(image);
	struct lv_secret *vk = lv_secret_dup(base_volume_key, base_volume_key_len);
	struct lv_secret *pass = rel_secret(text);
	struct lv_err err = { 0 };

	if (lv_keyslot_add(dev, slot, vk, pass, &rel_fast_pbkdf, NULL, &err) < 0)
		fail_msg("add keyslot %d: %s", slot, err.msg);
	lv_secret_free(&vk);
	lv_secret_free(&pass);
	lv_device_free(&dev);
}

static void change_key(uint8_t *image, int slot, const char *text)
{
	struct lv_device *dev = load_writable(image);
	struct lv_secret *vk = lv_secret_dup(base_volume_key, base_volume_key_len);
	struct lv_secret *pass = rel_secret(text);
	struct lv_err err = { 0 };

	if (lv_keyslot_change(dev, slot, vk, pass, &rel_fast_pbkdf, &err) < 0)
		fail_msg("change keyslot %d: %s", slot, err.msg);
	lv_secret_free(&vk);
	lv_secret_free(&pass);
	lv_device_free(&dev);
}

static void kill_slot(uint8_t *image, int slot)
{
	struct lv_device *dev = load_writable(image);
	struct lv_err err = { 0 };

	if (lv_keyslot_kill(dev, slot, &err) < 0)
		fail_msg("kill keyslot %d: %s", slot, err.msg);
	lv_device_free(&dev);
}

static uint64_t area_offset(uint8_t *image, int slot)
{
	struct lv_device *dev = load_writable(image);
	uint64_t offset = lv_md_keyslot(lv_dev_md(dev), (uint32_t)slot)->area.offset_bytes;

	lv_device_free(&dev);
	return offset;
}

/* The state step 2 of a restore leaves: keyslot slot moved to offset. */
static void move_area(uint8_t *image, int slot, uint64_t offset)
{
	struct lv_device *dev = load_writable(image);
	struct lv_metadata *work;
	struct lv_err err = { 0 };

	assert_int_equal(lv_metadata_clone(lv_dev_md(dev), &work), 0);
	for (unsigned i = 0; i < work->keyslot_count; i++)
		if (work->keyslots[i].id.canonical && work->keyslots[i].id.number == slot)
			work->keyslots[i].area.offset_bytes = offset;
	if (lv_device_commit(dev, work, 0, &err) < 0)
		fail_msg("move keyslot %d: %s", slot, err.msg);
	lv_metadata_free(&work);
	lv_device_free(&dev);
}

/* ---- the operations ---- */

/* What `luksvol header-restore` does, on the faulty disk. */
static int op_restore(struct lv_storage *st, struct lv_err *err)
{
	struct fault_disk *disk = st->priv;
	struct lv_device *current = NULL;
	struct lv_err ignored = { 0 };
	int r;

	if (lv_device_load_storage(&current, st, LV_LOAD_WRITABLE | LV_LOAD_REPAIR, &ignored) == 0) {
		r = lv_header_restore_image(current, current->storage, backup_image, backup_len, err);
		lv_device_free(&current);
		return r;
	}
	st = fault_disk_storage(disk);
	assert_non_null(st);
	r = lv_header_restore_image(NULL, st, backup_image, backup_len, err);
	lv_storage_close(&st);
	return r;
}

static int op_repair(struct lv_storage *st, struct lv_err *err)
{
	return lv_repair_storage(st, err);
}

/* ---- the sweeps ---- */

/* Sweeps a restore of backup over current; returns the uninterrupted
 * result (the caller frees it). */
static uint8_t *sweep_restore(const char *name, uint8_t *current, const uint8_t *backup,
			      const struct rel_state *states, unsigned count, int byte_identical)
{
	const struct rel_sweep sw = {
		.name = name, .run = op_restore, .states = states, .state_count = count,
		.volume_key = base_volume_key, .volume_key_len = base_volume_key_len,
		.tmp_path = tmp_path,
	};
	uint8_t *final = malloc(IMAGE_BYTES);

	assert_non_null(final);
	backup_image = backup;
	backup_len = header_area_bytes;
	rel_sweep_run(&sw, current, final);
	if (byte_identical && memcmp(final, backup, header_area_bytes) != 0)
		fail_msg("%s: the restored header area differs from the backup", name);
	return final;
}

/* Rolling back keyslot changes: slot 2 added and slot 1 killed since the
 * backup.  No space conflicts: the backup's slot 1 area is free now. */
static void test_restore_rollback(void **state)
{
	uint8_t *current = copy_of(base_image);
	const struct rel_state states[] = {
		{ "current", REL_FROM_START, NULL, 1, { { "p0", 0 }, { "p2", 2 } } },
		{ "restored", REL_FROM_FINAL, NULL, 1, { { "p0", 0 }, { "p1", 1 } } },
	};

	(void)state;
	add_key(current, 2, "p2");
	kill_slot(current, 1);
	free(sweep_restore("header-restore, rollback", current, base_image, states, 2, 1));
	free(current);
}

/* Keyslot 1 re-created in place since the backup (changed twice: it
 * moves, then moves back), so the backup's slot 1 area is where the
 * current slot 1 lives.  The restore first moves the current slot 1 out
 * of the way; "p1" opens keyslot 1 throughout. */
static void test_restore_in_place(void **state)
{
	uint8_t *current = copy_of(base_image), *moved;
	uint64_t slot1 = area_offset(base_image, 1);

	(void)state;
	change_key(current, 1, "p1 between");
	change_key(current, 1, "p1");
	assert_true(area_offset(current, 1) == slot1);
	assert_true(memcmp(current + slot1, base_image + slot1, 4096) != 0);
	/* Step 2 takes the first space neither header uses: right after slot 1. */
	moved = copy_of(current);
	move_area(moved, 1, slot1 + lv_keyslot_area_bytes((uint32_t)base_volume_key_len));
	const struct rel_state states[] = {
		{ "current", REL_FROM_START, NULL, 1, { { "p0", 0 }, { "p1", 1 } } },
		{ "slot 1 moved", REL_FROM_IMAGE, moved, 1, { { "p0", 0 }, { "p1", 1 } } },
		{ "restored", REL_FROM_FINAL, NULL, 1, { { "p0", 0 }, { "p1", 1 } } },
	};
	free(sweep_restore("header-restore, keyslot re-created in place", current, base_image,
			   states, 3, 1));
	free(moved);
	free(current);
}

/* As above with the keyslots area full (slots 2 and 3 added): there is
 * no room to move slot 1, so the restore drops it from the current
 * header before overwriting its area; "p0" opens throughout. */
static void test_restore_no_room(void **state)
{
	uint8_t *current = copy_of(base_image), *dropped;

	(void)state;
	change_key(current, 1, "p1 between");
	change_key(current, 1, "p1");
	add_key(current, 2, "p2");
	add_key(current, 3, "p3");
	dropped = copy_of(current);
	kill_slot(dropped, 1);
	const struct rel_state states[] = {
		{ "current", REL_FROM_START, NULL, 1,
		  { { "p0", 0 }, { "p1", 1 }, { "p2", 2 }, { "p3", 3 } } },
		{ "slot 1 dropped", REL_FROM_IMAGE, dropped, 1, { { "p0", 0 }, { "p2", 2 }, { "p3", 3 } } },
		{ "restored", REL_FROM_FINAL, NULL, 1, { { "p0", 0 }, { "p1", 1 } } },
	};
	free(sweep_restore("header-restore, no room to move", current, base_image, states, 3, 1));
	free(dropped);
	free(current);
}

/* Both header copies wiped: nothing to keep; no header, or the backup. */
static void test_restore_no_header(void **state)
{
	uint8_t *current = copy_of(base_image);
	const struct rel_state states[] = {
		{ "no header", REL_NO_HEADER, NULL, 1, { { NULL, 0 } } },
		{ "restored", REL_FROM_FINAL, NULL, 1, { { "p0", 0 }, { "p1", 1 } } },
	};

	(void)state;
	memset(current, 0, 2 * LV_HDR_MIN_BYTES);
	free(sweep_restore("header-restore, no current header", current, base_image, states, 2, 1));
	free(current);
}

/* A backup whose secondary copy is damaged restores as a healthy header
 * (both copies from its primary), never as a third state. */
static void test_restore_damaged_backup(void **state)
{
	uint8_t *current = copy_of(base_image), *backup = copy_of(base_image);
	const struct rel_state states[] = {
		{ "current", REL_FROM_START, NULL, 1, { { "p0", 0 }, { "p2", 2 } } },
		{ "restored", REL_FROM_FINAL, NULL, 1, { { "p0", 0 }, { "p1", 1 } } },
	};
	struct lv_device *dev;
	struct lv_err err = { 0 };
	uint8_t *final;

	(void)state;
	backup[LV_HDR_MIN_BYTES + LV_HDR_BIN_BYTES + 3] ^= 0x40;
	add_key(current, 2, "p2");
	kill_slot(current, 1);
	final = sweep_restore("header-restore, damaged backup", current, backup, states, 2, 0);
	assert_int_equal(lv_device_load_mem(&dev, final, IMAGE_BYTES, 0, &err), 0);
	if (dev->copies[LV_PRIMARY].state != LV_COPY_OK ||
	    dev->copies[LV_SECONDARY].state != LV_COPY_OK)
		fail_msg("restoring a backup with a damaged copy left a damaged copy");
	lv_device_free(&dev);
	free(final);
	free(backup);
	free(current);
}

/* ---- repair ---- */

/* Inserts text after the first "kdf":{ of the copy at offset and
 * recomputes its checksum: a K7 leftover (luks2-reference.md §1.6). */
static void insert_into_kdf(uint8_t *image, size_t offset, const char *text)
{
	uint8_t *json = image + offset + LV_HDR_BIN_BYTES, raw[LV_HDR_BIN_BYTES];
	size_t json_bytes = LV_HDR_MIN_BYTES - LV_HDR_BIN_BYTES, len = strlen(text);
	char *kdf = memmem(json, json_bytes, "\"kdf\":{", 7);
	uint8_t csum[LV_CSUM_BYTES];

	assert_non_null(kdf);
	kdf += 7;
	memmove(kdf + len, kdf, json_bytes - (size_t)((uint8_t *)kdf - json) - len);
	memcpy(kdf, text, len);
	memcpy(raw, image + offset, sizeof(raw));
	memset(raw + LV_OFF_CSUM, 0, LV_CSUM_BYTES);
	assert_int_equal(lv_hdr_checksum("sha256", raw, json, json_bytes, csum), 0);
	memcpy(image + offset + LV_OFF_CSUM, csum, LV_CSUM_BYTES);
}

/* `repair` of a damaged secondary copy and a primary with a stale kdf
 * parameter: it recovers the secondary, then commits the cleaned JSON. */
static void test_repair(void **state)
{
	uint8_t *damaged = copy_of(base_image), *final = malloc(IMAGE_BYTES);
	struct rel_state states[] = {
		{ "before", REL_FROM_START, NULL, 0, { { "p0", 0 }, { "p1", 1 } } },
		{ "repaired", REL_FROM_FINAL, NULL, 0, { { "p0", 0 }, { "p1", 1 } } },
	};
	const struct rel_sweep sw = {
		.name = "repair", .run = op_repair, .states = states, .state_count = 2,
		.volume_key = base_volume_key, .volume_key_len = base_volume_key_len,
		.tmp_path = tmp_path,
	};
	struct lv_device *dev;
	struct lv_err err = { 0 };

	(void)state;
	assert_non_null(final);
	insert_into_kdf(damaged, 0, "\"cpus\":1,");
	assert_int_equal(lv_device_load_mem(&dev, damaged, IMAGE_BYTES, 0, &err), 0);
	assert_int_equal(lv_dev_md(dev)->repaired_kdf_keys, 1);
	lv_device_free(&dev);
	damaged[LV_HDR_MIN_BYTES + 0x300] ^= 0x01;
	rel_sweep_run(&sw, damaged, final);
	assert_int_equal(lv_device_load_mem(&dev, final, IMAGE_BYTES, 0, &err), 0);
	/* Both copies valid, and one JSON in both: the repaired one. */
	if (dev->copies[LV_PRIMARY].state != LV_COPY_OK ||
	    dev->copies[LV_SECONDARY].state != LV_COPY_OK || lv_dev_md(dev)->repaired_kdf_keys ||
	    memcmp(final + LV_HDR_BIN_BYTES, final + LV_HDR_MIN_BYTES + LV_HDR_BIN_BYTES,
		   LV_HDR_MIN_BYTES - LV_HDR_BIN_BYTES) != 0)
		fail_msg("repair left a damaged copy or the stale kdf parameter");
	lv_device_free(&dev);
	free(final);
	free(damaged);
}

static int make_base(void **state)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };

	(void)state;
	base_image = calloc(1, IMAGE_BYTES);
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/restorecut-%d.img", (int)getpid());
	if (!base_image || rel_make_base(base_image, "0", base_volume_key, &base_volume_key_len) < 0)
		return -1;
	if (lv_device_load_mem(&dev, base_image, IMAGE_BYTES, 0, &err) < 0)
		return -1;
	header_area_bytes = (size_t)(2 * lv_dev_bin(dev)->hdr_size +
				     lv_dev_md(dev)->config.keyslots_size);
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
		cmocka_unit_test(test_restore_rollback),
		cmocka_unit_test(test_restore_in_place),
		cmocka_unit_test(test_restore_no_room),
		cmocka_unit_test(test_restore_no_header),
		cmocka_unit_test(test_restore_damaged_backup),
		cmocka_unit_test(test_repair),
	};

	return cmocka_run_group_tests(tests, make_base, free_base);
}
