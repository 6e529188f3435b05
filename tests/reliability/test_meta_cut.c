/* SPDX-License-Identifier: ISC */
/*
 * test_meta_cut.c: META writes with the power cut at every write and
 * fsync (the fault disk of faultdisk.h), whole and torn.  After every cut
 * the META must read as the old or the new tags, never neither, starting
 * from both copies equal, from copy 1 bad, from copy 2 bad, and from copy 2
 * valid but older (Talos's single write of both copies, cut); and the
 * legacy ADV's delete likewise.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "faultdisk.h"
#include "meta/meta.h"

#define META_BYTES (1u << 20)
#define ADV LV_META_ADV_BYTES
#define LEGACY_AT (META_BYTES - LV_META_LEGACY_BYTES)

static uint8_t start[META_BYTES];

/* The tags of an image as "tag=value;..." (talos then legacy), or NULL
 * when it does not open as a readable META. */
static char *tags_of(const uint8_t *img)
{
	uint8_t *copy = malloc(META_BYTES);
	struct lv_storage *st;
	struct lv_meta *meta = NULL;
	char *out = calloc(1, 8192);
	size_t used = 0;

	assert_non_null(copy);
	assert_non_null(out);
	memcpy(copy, img, META_BYTES);
	assert_int_equal(lv_storage_open_mem(&st, copy, META_BYTES, 0), 0);
	if (lv_meta_open_storage(st, 0, &meta, NULL) < 0 || lv_meta_state(meta) == LV_META_CORRUPT) {
		lv_meta_close(&meta);
		free(copy);
		free(out);
		return NULL;
	}
	for (unsigned tag = 1; tag <= LV_META_TAG_MAX; tag++) {
		const struct lv_secret *v = lv_meta_get(meta, tag, NULL);

		if (v)
			used += (size_t)snprintf(out + used, 8192 - used, "%u=%.*s;", tag,
						 (int)v->len, (const char *)v->bytes);
	}
	lv_meta_close(&meta);
	free(copy);
	return out;
}

typedef int (*meta_op)(struct lv_meta *meta, struct lv_err *err);

static int op_set(struct lv_meta *meta, struct lv_err *err)
{
	int r = lv_meta_set(meta, 9, "{\"new\":true}", 12, err);

	if (r == 0)
		r = lv_meta_delete(meta, 7, err);
	return r;
}

static int op_legacy_delete(struct lv_meta *meta, struct lv_err *err)
{
	return lv_meta_delete(meta, 6, err);
}

static int run_op(struct fault_disk *disk, meta_op op, struct lv_err *err)
{
	struct lv_meta *meta = NULL;
	int r = lv_meta_open_storage(fault_disk_storage(disk), LV_META_WRITABLE, &meta, err);

	if (r == 0)
		r = op(meta, err);
	if (r == 0)
		r = lv_meta_flush(meta, err);
	lv_meta_close(&meta);
	return r;
}

/* Runs op on start without a cut, then cut at every event, whole and
 * torn; every surviving image must read as before or after.  Returns the
 * number of events of the uncut run. */
static unsigned sweep(meta_op op, const char *name)
{
	struct fault_disk disk;
	struct lv_err err = { 0 };
	char *before = tags_of(start), *after;
	unsigned events, seen_old = 0, seen_new = 0;

	assert_non_null(before);
	assert_int_equal(fault_disk_init(&disk, start, META_BYTES), 0);
	if (run_op(&disk, op, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
	events = disk.events;
	after = tags_of(disk.durable);
	assert_non_null(after);
	assert_string_not_equal(before, after);
	fault_disk_destroy(&disk);
	for (unsigned cut = 1; cut <= events; cut++) {
		for (int tear = 0; tear < 2; tear++) {
			char *now;

			assert_int_equal(fault_disk_init(&disk, start, META_BYTES), 0);
			disk.cut_at = cut;
			disk.tear = tear;
			assert_int_not_equal(run_op(&disk, op, &err), 0);
			now = tags_of(disk.durable);
			if (!now)
				fail_msg("%s: cut at event %u%s: the META no longer reads", name, cut,
					 tear ? " (torn)" : "");
			if (strcmp(now, before) == 0)
				seen_old++;
			else if (strcmp(now, after) == 0)
				seen_new++;
			else
				fail_msg("%s: cut at event %u%s: neither old nor new: %s", name, cut,
					 tear ? " (torn)" : "", now);
			free(now);
			fault_disk_destroy(&disk);
		}
	}
	/* The cut after the last fsync is not a cut of the write. */
	assert_true(seen_old > 0);
	free(before);
	free(after);
	(void)seen_new;
	return events;
}

static void base_image(void)
{
	struct lv_storage *st;
	struct lv_meta *meta = NULL;
	struct lv_err err = { 0 };

	memset(start, 0, sizeof(start));
	assert_int_equal(lv_storage_open_mem(&st, start, sizeof(start), 1), 0);
	assert_int_equal(lv_meta_open_storage(st, LV_META_WRITABLE, &meta, &err), 0);
	assert_int_equal(lv_meta_set(meta, 7, "ref", 3, &err), 0);
	assert_int_equal(lv_meta_set(meta, 9, "{\"old\":1}", 9, &err), 0);
	assert_int_equal(lv_meta_set(meta, 15, "uuid", 4, &err), 0);
	assert_int_equal(lv_meta_flush(meta, &err), 0);
	lv_meta_close(&meta);
}

static void test_cut_both_valid(void **state)
{
	(void)state;
	base_image();
	/* write, fsync, write, fsync */
	assert_int_equal(sweep(op_set, "both copies valid"), 4);
}

static void test_cut_copy1_bad(void **state)
{
	(void)state;
	base_image();
	start[100] ^= 1;
	sweep(op_set, "copy 1 bad");
}

static void test_cut_copy2_bad(void **state)
{
	(void)state;
	base_image();
	start[ADV + 100] ^= 1;
	sweep(op_set, "copy 2 bad");
}

/* Copy 2 valid but older than copy 1: were copy 1 written first and
 * torn, the reader would find copy 2's older tags, neither old nor new. */
static void test_cut_copy2_stale(void **state)
{
	struct lv_secret *values[LV_META_TAG_MAX + 1] = { 0 };

	(void)state;
	base_image();
	values[7] = lv_secret_dup("older", 5);
	assert_int_equal(lv_meta_adv_encode(values, start + ADV), 0);
	lv_secret_free(&values[7]);
	sweep(op_set, "copy 2 older");
}

static void test_cut_legacy_delete(void **state)
{
	uint8_t *legacy;

	(void)state;
	base_image();
	legacy = start + LEGACY_AT;
	legacy[8] = 6;
	legacy[9] = 4;
	memcpy(legacy + 10, "v1.3", 4);
	legacy[14] = 10;
	legacy[15] = 1;
	legacy[16] = 'x';
	lv_meta_legacy_seal(legacy);
	memcpy(legacy + LV_META_LEGACY_COPY_BYTES, legacy, LV_META_LEGACY_COPY_BYTES);
	assert_int_equal(sweep(op_legacy_delete, "legacy delete"), 4);
	/* And with legacy copy 2 bad. */
	legacy[LV_META_LEGACY_COPY_BYTES + 40] ^= 1;
	sweep(op_legacy_delete, "legacy delete, legacy copy 2 bad");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_both_valid),
		cmocka_unit_test(test_cut_copy1_bad),
		cmocka_unit_test(test_cut_copy2_bad),
		cmocka_unit_test(test_cut_copy2_stale),
		cmocka_unit_test(test_cut_legacy_delete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
