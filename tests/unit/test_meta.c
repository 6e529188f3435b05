/* SPDX-License-Identifier: ISC */
/*
 * test_meta.c: the META partition (src/meta): every tag through both ADV
 * copies, the fallback to copy 2, a corrupt META left alone, capacity, the
 * legacy syslinux ADV, tag names, and images exchanged both ways with the
 * independent reader and writer tests/meta/adv_ref.py; and tag 9, STATE's
 * encryption config in Talos's Go JSON (src/config/state_meta.c).
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/state_meta.h"
#include "crypto/crypto.h"
#include "meta/meta.h"

#define META_BYTES (1u << 20)
#define ADV LV_META_ADV_BYTES
#define LEGACY_AT (META_BYTES - LV_META_LEGACY_BYTES)

static uint8_t image[META_BYTES];

static struct lv_meta *open_image(uint8_t *img, size_t len, unsigned flags, struct lv_err *err)
{
	struct lv_storage *st;
	struct lv_meta *meta = NULL;

	assert_int_equal(lv_storage_open_mem(&st, img, len, flags & LV_META_WRITABLE), 0);
	if (lv_meta_open_storage(st, flags, &meta, err) < 0)
		return NULL;
	return meta;
}

static struct lv_meta *must_open(unsigned flags)
{
	struct lv_err err = { 0 };
	struct lv_meta *meta = open_image(image, sizeof(image), flags, &err);

	if (!meta)
		fail_msg("lv_meta_open_storage: %s", err.msg);
	return meta;
}

static void set_text(struct lv_meta *meta, unsigned tag, const char *text)
{
	struct lv_err err = { 0 };

	if (lv_meta_set(meta, tag, text, strlen(text), &err) < 0)
		fail_msg("lv_meta_set %u: %s", tag, err.msg);
}

static void flush(struct lv_meta *meta)
{
	struct lv_err err = { 0 };

	if (lv_meta_flush(meta, &err) < 0)
		fail_msg("lv_meta_flush: %s", err.msg);
}

static void assert_tag(const struct lv_meta *meta, unsigned tag, const char *text)
{
	const struct lv_secret *v = lv_meta_get(meta, tag, NULL);

	assert_non_null(v);
	assert_int_equal(v->len, strlen(text));
	assert_memory_equal(v->bytes, text, v->len);
}

/* A value per tag that differs in length and content from tag to tag. */
static size_t tag_value(unsigned tag, uint8_t *out)
{
	size_t len = (tag * 37) % 300;

	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(tag + i * 7);
	return len;
}

static void write_every_tag(void)
{
	struct lv_meta *meta;
	uint8_t value[300];
	struct lv_err err = { 0 };

	memset(image, 0, sizeof(image));
	meta = must_open(LV_META_WRITABLE);
	assert_int_equal(lv_meta_state(meta), LV_META_BLANK);
	for (unsigned tag = 1; tag <= LV_META_TAG_MAX; tag++)
		assert_int_equal(lv_meta_set(meta, tag, value, tag_value(tag, value), &err), 0);
	flush(meta);
	lv_meta_close(&meta);
}

static void assert_every_tag(const struct lv_meta *meta)
{
	uint8_t value[300];

	for (unsigned tag = 1; tag <= LV_META_TAG_MAX; tag++) {
		const struct lv_secret *v = lv_meta_get(meta, tag, NULL);
		size_t len = tag_value(tag, value);

		assert_non_null(v);
		assert_int_equal(v->len, len);
		assert_memory_equal(v->bytes, value, len);
	}
}

static void test_every_tag_both_copies(void **state)
{
	struct lv_meta *meta;

	(void)state;
	write_every_tag();
	assert_memory_equal(image, image + ADV, ADV);
	meta = must_open(0);
	assert_int_equal(lv_meta_state(meta), LV_META_OK);
	assert_int_equal(lv_meta_copy_state(meta, 0, 0), LV_META_COPY_VALID);
	assert_int_equal(lv_meta_copy_state(meta, 0, 1), LV_META_COPY_VALID);
	assert_every_tag(meta);
	lv_meta_close(&meta);
	/* Copy 2 alone holds them too. */
	memset(image, 0xee, ADV);
	meta = must_open(0);
	assert_int_equal(lv_meta_copy_state(meta, 0, 0), LV_META_COPY_BAD_MAGIC);
	assert_every_tag(meta);
	lv_meta_close(&meta);
}

/* Damage to copy 1 of each kind sends the reader to copy 2, and the next
 * write restores copy 1. */
static void test_copy1_bad_uses_copy2(void **state)
{
	static const struct {
		size_t offset;
		enum lv_meta_copy_state want;
	} damage[] = {
		{ 0, LV_META_COPY_BAD_MAGIC },
		{ ADV - 1, LV_META_COPY_BAD_MAGIC },
		{ 100, LV_META_COPY_BAD_CHECKSUM },
		{ ADV - 36, LV_META_COPY_BAD_CHECKSUM },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		struct lv_meta *meta;

		memset(image, 0, sizeof(image));
		meta = must_open(LV_META_WRITABLE);
		set_text(meta, 9, "{}");
		set_text(meta, 15, "uuid");
		flush(meta);
		lv_meta_close(&meta);
		image[damage[i].offset] ^= 0x40;
		meta = must_open(LV_META_WRITABLE);
		assert_int_equal(lv_meta_state(meta), LV_META_OK);
		assert_int_equal(lv_meta_copy_state(meta, 0, 0), damage[i].want);
		assert_tag(meta, 15, "uuid");
		set_text(meta, 16, "token");
		flush(meta);
		lv_meta_close(&meta);
		assert_memory_equal(image, image + ADV, ADV);
		meta = must_open(0);
		assert_tag(meta, 9, "{}");
		assert_tag(meta, 16, "token");
		lv_meta_close(&meta);
	}
}

/* Seals a Talos ADV copy as the format says (magics, then the SHA-256
 * with the field zeroed), whatever its records: for records the encoder
 * never writes. */
static void seal_copy(uint8_t *copy, const uint8_t *records, size_t len)
{
	static const uint8_t magic1[4] = { 0x5a, 0x4b, 0x3c, 0x2d }, magic2[4] = { 0xa5, 0xb4, 0xc3, 0xd2 };
	const void *parts[] = { copy };
	const size_t lens[] = { ADV };

	memset(copy, 0, ADV);
	memcpy(copy, magic1, 4);
	memcpy(copy + 4, records, len);
	memcpy(copy + ADV - 4, magic2, 4);
	assert_int_equal(lv_hash("sha256", parts, lens, 1, copy + ADV - 36, 32), 0);
}

/* A copy whose checksum holds but whose record runs past the data area:
 * go-adv's Unmarshal fails it, and so the reader takes copy 2. */
static void test_bad_record_falls_back(void **state)
{
	static const uint8_t overrun[] = { 0, 0, 0, 6, 0, 4, 0, 0, 'x' };
	static const uint8_t exact[] = { 0, 0, 0, 7, 0, 0, 0, 3, 'r', 'e', 'f' };
	struct lv_meta *meta;

	(void)state;
	memset(image, 0, sizeof(image));
	seal_copy(image, overrun, sizeof(overrun));
	seal_copy(image + ADV, exact, sizeof(exact));
	meta = must_open(0);
	assert_int_equal(lv_meta_copy_state(meta, 0, 0), LV_META_COPY_BAD_RECORDS);
	assert_int_equal(lv_meta_state(meta), LV_META_OK);
	assert_null(lv_meta_get(meta, 6, NULL));
	assert_tag(meta, 7, "ref");
	lv_meta_close(&meta);
}

static void test_both_bad_refused(void **state)
{
	struct lv_err err = { 0 };
	struct lv_meta *meta;
	uint8_t *before = malloc(sizeof(image));

	(void)state;
	assert_non_null(before);
	write_every_tag();
	image[200] ^= 1;
	image[ADV + 4] ^= 1;
	memcpy(before, image, sizeof(image));
	meta = must_open(LV_META_WRITABLE);
	assert_int_equal(lv_meta_state(meta), LV_META_CORRUPT);
	assert_int_equal(lv_meta_check(meta, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "neither ADV copy is valid (copy 1: bad checksum, "
				   "copy 2: bad checksum)"));
	assert_null(lv_meta_get(meta, 9, NULL));
	set_text(meta, 9, "{}");
	assert_int_equal(lv_meta_flush(meta, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "refusing to write"));
	lv_meta_close(&meta);
	assert_memory_equal(image, before, sizeof(image));
	/* Forced, it is written over. */
	meta = must_open(LV_META_WRITABLE | LV_META_FORCE);
	set_text(meta, 9, "{}");
	flush(meta);
	lv_meta_close(&meta);
	meta = must_open(0);
	assert_int_equal(lv_meta_state(meta), LV_META_OK);
	assert_tag(meta, 9, "{}");
	assert_null(lv_meta_get(meta, 10, NULL));
	lv_meta_close(&meta);
	free(before);
}

static void test_capacity(void **state)
{
	struct lv_err err = { 0 };
	struct lv_meta *meta;
	uint8_t *big = calloc(1, LV_META_DATA_BYTES);

	(void)state;
	assert_non_null(big);
	memset(image, 0, sizeof(image));
	meta = must_open(LV_META_WRITABLE);
	assert_int_equal(lv_meta_set(meta, 9, big, LV_META_DATA_BYTES - 7, &err), -ENOSPC);
	assert_int_equal(lv_meta_set(meta, 9, big, LV_META_DATA_BYTES - 8, &err), 0);
	assert_int_equal(lv_meta_used_bytes(meta), LV_META_DATA_BYTES);
	assert_int_equal(lv_meta_set(meta, 10, "", 0, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "does not fit"));
	/* Replacing a value counts the old one out. */
	assert_int_equal(lv_meta_set(meta, 9, big, 100, &err), 0);
	assert_int_equal(lv_meta_set(meta, 10, big, LV_META_DATA_BYTES - 8 - 108, &err), 0);
	assert_int_equal(lv_meta_set(meta, 11, "", 0, &err), -ENOSPC);
	flush(meta);
	lv_meta_close(&meta);
	meta = must_open(0);
	assert_int_equal(lv_meta_get(meta, 10, NULL)->len, LV_META_DATA_BYTES - 116);
	assert_int_equal(lv_meta_get(meta, 9, NULL)->len, 100);
	lv_meta_close(&meta);
	free(big);
}

static void test_small_device(void **state)
{
	struct lv_err err = { 0 };

	(void)state;
	assert_null(open_image(image, 2 * ADV - 1, 0, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "two 262144-byte ADV copies"));
}

/* A legacy ADV copy holding the given (tag, text) pairs, sealed. */
static void legacy_copy(uint8_t *copy, const unsigned *tags, const char *const *texts, size_t n)
{
	size_t pos = 8;

	memset(copy, 0, LV_META_LEGACY_COPY_BYTES);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(texts[i]);

		copy[pos] = (uint8_t)tags[i];
		copy[pos + 1] = (uint8_t)len;
		memcpy(copy + pos + 2, texts[i], len);
		pos += 2 + len;
	}
	lv_meta_legacy_seal(copy);
}

static void test_legacy_fallback(void **state)
{
	static const unsigned tags[] = { 6, 9, 6 };
	static const char *const texts[] = { "v1.3", "legacy-json", "second" };
	struct lv_err err = { 0 };
	struct lv_meta *meta;
	int legacy = 0;

	(void)state;
	memset(image, 0, sizeof(image));
	legacy_copy(image + LEGACY_AT, tags, texts, 3);
	memcpy(image + LEGACY_AT + 512, image + LEGACY_AT, 512);
	meta = must_open(LV_META_WRITABLE);
	assert_int_equal(lv_meta_state(meta), LV_META_BLANK);
	assert_int_equal(lv_meta_copy_state(meta, 1, 0), LV_META_COPY_VALID);
	/* The first record of a tag is the one read (go-adv ReadTagBytes). */
	assert_tag(meta, 6, "v1.3");
	assert_tag(meta, 9, "legacy-json");
	assert_non_null(lv_meta_get(meta, 9, &legacy));
	assert_true(legacy);
	/* The Talos ADV wins once it has the tag. */
	set_text(meta, 9, "modern");
	assert_tag(meta, 9, "modern");
	assert_non_null(lv_meta_get(meta, 9, &legacy));
	assert_false(legacy);
	/* Deleting a tag only the legacy ADV has edits it; then the next
	 * record of the same tag shows. */
	assert_int_equal(lv_meta_delete(meta, 6, &err), 0);
	assert_tag(meta, 6, "second");
	flush(meta);
	lv_meta_close(&meta);
	assert_memory_equal(image + LEGACY_AT, image + LEGACY_AT + 512, 512);
	meta = must_open(LV_META_WRITABLE);
	assert_int_equal(lv_meta_copy_state(meta, 1, 0), LV_META_COPY_VALID);
	assert_tag(meta, 6, "second");
	assert_tag(meta, 9, "modern");
	assert_int_equal(lv_meta_delete(meta, 9, &err), 0);	/* the Talos one */
	assert_tag(meta, 9, "legacy-json");
	assert_int_equal(lv_meta_delete(meta, 9, &err), 0);	/* then the legacy one */
	assert_null(lv_meta_get(meta, 9, NULL));
	assert_int_equal(lv_meta_delete(meta, 9, &err), -ENOENT);
	lv_meta_close(&meta);
	/* A legacy copy 1 with a bad checksum: copy 2 is read (syslinux). */
	image[LEGACY_AT + 20] ^= 1;
	meta = must_open(0);
	assert_int_equal(lv_meta_copy_state(meta, 1, 0), LV_META_COPY_BAD_CHECKSUM);
	assert_tag(meta, 6, "second");
	lv_meta_close(&meta);
	/* Bytes without the magics are no legacy ADV. */
	memset(image + LEGACY_AT, 0x09, LV_META_LEGACY_BYTES);
	meta = must_open(0);
	assert_int_equal(lv_meta_copy_state(meta, 1, 1), LV_META_COPY_BAD_MAGIC);
	assert_false(lv_meta_has(meta, 9, 1));
	assert_false(lv_meta_has(meta, 6, 1));
	lv_meta_close(&meta);
}

/* Records Talos's go-adv reads but never writes: a tag above 255 is its
 * low byte, the later of two records wins; a record may end exactly at
 * the data area's end; fewer than 8 bytes left end the records. */
static void test_talos_quirks(void **state)
{
	static const uint8_t records[] = {
		0, 0, 1, 9, 0, 0, 0, 1, 'a',	/* tag 0x109: read as 9 */
		0, 0, 0, 9, 0, 0, 0, 1, 'b',	/* tag 9 again: wins */
		0, 0, 0, 8, 0, 0, 0, 1, 'c',
	};
	uint8_t *full = calloc(1, LV_META_DATA_BYTES);
	struct lv_meta *meta;

	(void)state;
	assert_non_null(full);
	memset(image, 0, sizeof(image));
	seal_copy(image, records, sizeof(records));
	meta = must_open(0);
	assert_tag(meta, 9, "b");
	assert_tag(meta, 8, "c");
	lv_meta_close(&meta);
	/* One record filling the whole data area. */
	full[3] = 5;
	full[4] = (LV_META_DATA_BYTES - 8) >> 24;
	full[5] = (uint8_t)((LV_META_DATA_BYTES - 8) >> 16);
	full[6] = (uint8_t)((LV_META_DATA_BYTES - 8) >> 8);
	full[7] = (uint8_t)(LV_META_DATA_BYTES - 8);
	seal_copy(image, full, LV_META_DATA_BYTES);
	meta = must_open(0);
	assert_int_equal(lv_meta_copy_state(meta, 0, 0), LV_META_COPY_VALID);
	assert_int_equal(lv_meta_get(meta, 5, NULL)->len, LV_META_DATA_BYTES - 8);
	lv_meta_close(&meta);
	free(full);
}

static void test_tag_names(void **state)
{
	unsigned tag = 0;

	(void)state;
	assert_int_equal(lv_meta_tag_parse("StateEncryptionConfig", &tag), 0);
	assert_int_equal(tag, 9);
	assert_int_equal(lv_meta_tag_parse("uuidoverride", &tag), 0);
	assert_int_equal(tag, 15);
	assert_int_equal(lv_meta_tag_parse("0x0f", &tag), 0);
	assert_int_equal(tag, 15);
	assert_int_equal(lv_meta_tag_parse("010", &tag), 0);
	assert_int_equal(tag, 10);
	assert_int_equal(lv_meta_tag_parse("255", &tag), 0);
	assert_int_equal(lv_meta_tag_parse("0", &tag), -EINVAL);
	assert_int_equal(lv_meta_tag_parse("256", &tag), -EINVAL);
	assert_int_equal(lv_meta_tag_parse("0x", &tag), -EINVAL);
	assert_int_equal(lv_meta_tag_parse("9 ", &tag), -EINVAL);
	assert_int_equal(lv_meta_tag_parse("-1", &tag), -EINVAL);
	assert_int_equal(lv_meta_tag_parse("Nope", &tag), -EINVAL);
	assert_string_equal(lv_meta_tag_name(6), "Upgrade");
	assert_string_equal(lv_meta_tag_name(17), "DiskImageBootloader");
	assert_null(lv_meta_tag_name(200));
	assert_true(lv_meta_tag_sensitive(9));
	assert_false(lv_meta_tag_sensitive(15));
}

/* ---- against the independent implementation ---- */

static char work_dir[256];

static const char *ref_script(void)
{
	static char path[512];
	const char *top = getenv("LV_TOP");

	snprintf(path, sizeof(path), "%s/tests/meta/adv_ref.py", top ? top : ".");
	return path;
}

static void make_work_dir(void)
{
	const char *base = getenv("LV_WORK");

	snprintf(work_dir, sizeof(work_dir), "%s/meta-XXXXXX", base ? base : "/tmp");
	assert_non_null(mkdtemp(work_dir));
}

/* Runs the reference script with args; its stdout (NULL: none kept). */
static char *run_ref(const char *args)
{
	char cmd[2048], *out = calloc(1, 65536);
	size_t len = 0;
	FILE *p;

	assert_non_null(out);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s", ref_script(), args);
	p = popen(cmd, "r");
	assert_non_null(p);
	len = fread(out, 1, 65535, p);
	out[len] = '\0';
	assert_int_equal(pclose(p), 0);
	return out;
}

static void load_file(const char *path, uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
}

static void save_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_reads_reference_image(void **state)
{
	char args[1024], path[300];
	struct lv_meta *meta;
	char *out;

	(void)state;
	make_work_dir();
	snprintf(path, sizeof(path), "%s/ref.img", work_dir);
	/* 0x7b22... = {"EncryptionProvider":"luks2"} cut short: bytes only. */
	snprintf(args, sizeof(args), "write %s %u 9=7b2245 15=31323334 255=00ff 200= "
		 "legacy:6=76312e33 legacy:9=6f6c64 --break-copy1", path, META_BYTES);
	free(run_ref(args));
	load_file(path, image, sizeof(image));
	meta = must_open(0);
	assert_int_equal(lv_meta_copy_state(meta, 0, 0), LV_META_COPY_BAD_CHECKSUM);
	assert_int_equal(lv_meta_copy_state(meta, 0, 1), LV_META_COPY_VALID);
	assert_int_equal(lv_meta_copy_state(meta, 1, 0), LV_META_COPY_VALID);
	assert_tag(meta, 9, "{\"E");
	assert_tag(meta, 15, "1234");
	assert_tag(meta, 6, "v1.3");
	assert_int_equal(lv_meta_get(meta, 200, NULL)->len, 0);
	assert_int_equal(lv_meta_get(meta, 255, NULL)->len, 2);
	assert_true(lv_meta_has(meta, 9, 1));
	lv_meta_close(&meta);
	/* And the reference reads it as luksvol does. */
	snprintf(args, sizeof(args), "read %s", path);
	out = run_ref(args);
	assert_string_equal(out, "copy1 bad\ncopy2 valid\ntalos 9 7b2245\ntalos 15 31323334\n"
			    "talos 200 \ntalos 255 00ff\nlegacy 6 76312e33\nlegacy 9 6f6c64\n");
	free(out);
}

static void test_reference_reads_luksvol_image(void **state)
{
	char args[512], path[300];
	struct lv_meta *meta;
	char *out;

	(void)state;
	make_work_dir();
	snprintf(path, sizeof(path), "%s/luksvol.img", work_dir);
	memset(image, 0, sizeof(image));
	meta = must_open(LV_META_WRITABLE);
	set_text(meta, 9, "{\"EncryptionProvider\":\"luks2\"}");
	set_text(meta, 15, "12345678-1234-5678-1234-567812345678");
	set_text(meta, 1, "");
	set_text(meta, 255, "last");
	flush(meta);
	lv_meta_close(&meta);
	save_file(path, image, sizeof(image));
	snprintf(args, sizeof(args), "read %s", path);
	out = run_ref(args);
	assert_string_equal(out,
			    "copy1 valid\ncopy2 valid\ntalos 1 \n"
			    "talos 9 7b22456e6372797074696f6e50726f7669646572223a226c756b733222"
			    "7d\ntalos 15 31323334353637382d313233342d353637382d313233342d3536"
			    "37383132333435363738\ntalos 255 6c617374\n");
	free(out);
}

/* ---- tag 9: STATE's encryption config (src/config/state_meta.c) ---- */

static struct lv_config_file *load_yaml(const char *yaml)
{
	struct lv_config_file *cfg = NULL;
	struct lv_err err = { 0 };
	char *diag = NULL;

	if (lv_config_parse_mem("test.yaml", (const uint8_t *)yaml, strlen(yaml), &cfg, &diag,
				&err) < 0)
		fail_msg("%s\n%s", err.msg, diag ? diag : "");
	free(diag);
	return cfg;
}

static void assert_encodes(const struct lv_config_volume *vol, const char *want)
{
	struct lv_secret *json = NULL;
	struct lv_err err = { 0 };

	assert_int_equal(lv_state_meta_encode(vol, &json, &err), 0);
	if (json->len != strlen(want) || memcmp(json->bytes, want, json->len) != 0)
		fail_msg("got  %.*s\nwant %s", (int)json->len, (const char *)json->bytes, want);
	lv_secret_free(&json);
}

static struct lv_config_file *decode_ok(const char *json, enum lv_state_meta_shape want_shape)
{
	struct lv_config_file *cfg = NULL;
	enum lv_state_meta_shape shape = LV_STATE_META_MODERN;
	struct lv_err err = { 0 };
	char *diag = NULL;

	if (lv_state_meta_decode("META tag 9", (const uint8_t *)json, strlen(json), &cfg, &shape,
				 &diag, &err) < 0)
		fail_msg("%s\n%s", err.msg, diag ? diag : "");
	free(diag);
	assert_int_equal(shape, want_shape);
	assert_int_equal(cfg->volume_count, 1);
	assert_string_equal(cfg->volumes[0].volume_id, "STATE");
	return cfg;
}

/* The error message (and diagnostics) of a refused value. */
static void decode_fails(const char *json, const char *want)
{
	struct lv_config_file *cfg = NULL;
	struct lv_err err = { 0 };
	char *diag = NULL, both[2048];

	assert_int_equal(lv_state_meta_decode("META tag 9", (const uint8_t *)json, strlen(json), &cfg,
					      NULL, &diag, &err), -EINVAL);
	assert_null(cfg);
	snprintf(both, sizeof(both), "%s\n%s", err.msg, diag ? diag : "");
	if (!strstr(both, want))
		fail_msg("%s: want \"%s\" in:\n%s", json, want, both);
	free(diag);
}

#define STATE_DOC "apiVersion: v1alpha1\nkind: VolumeConfig\nname: STATE\n"

/* Talos's own test value (encryption_meta_test.go modernMarshalled), with
 * the second key on slot 1: the same key on slot 0 twice is a config
 * both Talos's Validate and luksvol refuse. */
static const char talos_modern[] =
	"{\"EncryptionProvider\":\"luks2\",\"EncryptionKeys\":[{\"KeySlot\":0,\"KeyStatic\":"
	"{\"KeyData\":\"secret\"},\"KeyNodeID\":null,\"KeyKMS\":null,\"KeyTPM\":null,"
	"\"KeyLockToSTATE\":null},{\"KeySlot\":1,\"KeyStatic\":null,\"KeyNodeID\":{},\"KeyKMS\":null,"
	"\"KeyTPM\":null,\"KeyLockToSTATE\":null}],\"EncryptionCipher\":\"aes-xts-plain64\","
	"\"EncryptionKeySize\":0,\"EncryptionBlockSize\":0,\"EncryptionPerfOptions\":null,"
	"\"EncryptionAllowDiscards\":null}";

static void test_tag9_talos_vector(void **state)
{
	struct lv_config_file *cfg;

	(void)state;
	cfg = load_yaml(STATE_DOC "encryption:\n  provider: luks2\n  cipher: aes-xts-plain64\n"
			"  keys:\n    - slot: 0\n      static:\n        passphrase: secret\n"
			"    - slot: 1\n      nodeID: {}\n");
	assert_encodes(&cfg->volumes[0], talos_modern);
	lv_config_free(&cfg);
	cfg = decode_ok(talos_modern, LV_STATE_META_MODERN);
	assert_encodes(&cfg->volumes[0], talos_modern);
	assert_int_equal(cfg->volumes[0].encryption.keys[0].kind, LV_KEY_STATIC);
	assert_int_equal(cfg->volumes[0].encryption.keys[1].kind, LV_KEY_NODEID);
	lv_config_free(&cfg);
}

/* static, nodeID, kms and tpm keys; Go's escapes in strings (<, >, & and
 * U+2028 as \u, control bytes, quotes); null against [] and false. */
static void test_tag9_every_kind(void **state)
{
	static const char want[] =
		"{\"EncryptionProvider\":\"luks2\",\"EncryptionKeys\":["
		"{\"KeySlot\":0,\"KeyStatic\":{\"KeyData\":\"p\\u003ca\\u003e\\u0026s\\\"\\\\\\u2028"
		"\\u0001\\t\\b\\f\\u001f\xc3\xa9/\x7f\"},\"KeyNodeID\":null,\"KeyKMS\":null,"
		"\"KeyTPM\":null,\"KeyLockToSTATE\":null},"
		"{\"KeySlot\":1,\"KeyStatic\":null,\"KeyNodeID\":{},\"KeyKMS\":null,\"KeyTPM\":null,"
		"\"KeyLockToSTATE\":null},"
		"{\"KeySlot\":2,\"KeyStatic\":null,\"KeyNodeID\":null,\"KeyKMS\":{\"KMSEndpoint\":"
		"\"https://kms.example:4050\"},\"KeyTPM\":null,\"KeyLockToSTATE\":false},"
		"{\"KeySlot\":3,\"KeyStatic\":null,\"KeyNodeID\":null,\"KeyKMS\":null,\"KeyTPM\":"
		"{\"TPMOptions\":{\"PCRs\":[7,11]},\"TPMCheckSecurebootStatusOnEnroll\":true},"
		"\"KeyLockToSTATE\":null},"
		"{\"KeySlot\":4,\"KeyStatic\":null,\"KeyNodeID\":null,\"KeyKMS\":null,\"KeyTPM\":"
		"{\"TPMOptions\":null,\"TPMCheckSecurebootStatusOnEnroll\":null},"
		"\"KeyLockToSTATE\":null},"
		"{\"KeySlot\":5,\"KeyStatic\":null,\"KeyNodeID\":null,\"KeyKMS\":null,\"KeyTPM\":"
		"{\"TPMOptions\":{\"PCRs\":[]},\"TPMCheckSecurebootStatusOnEnroll\":false},"
		"\"KeyLockToSTATE\":null},"
		"{\"KeySlot\":6,\"KeyStatic\":null,\"KeyNodeID\":null,\"KeyKMS\":null,\"KeyTPM\":"
		"{\"TPMOptions\":{\"PCRs\":null},\"TPMCheckSecurebootStatusOnEnroll\":null},"
		"\"KeyLockToSTATE\":null}],"
		"\"EncryptionCipher\":\"\",\"EncryptionKeySize\":512,\"EncryptionBlockSize\":4096,"
		"\"EncryptionPerfOptions\":[\"no_read_workqueue\",\"same_cpu_crypt\"],"
		"\"EncryptionAllowDiscards\":false}";
	struct lv_config_file *cfg, *back;
	const struct lv_config_encryption *enc;

	(void)state;
	cfg = load_yaml(STATE_DOC "encryption:\n  provider: luks2\n  keys:\n"
			"    - slot: 0\n      static:\n"
			"        passphrase: \"p<a>&s\\\"\\\\\\u2028\\x01\\t\\b\\f\\x1f\xc3\xa9/\\x7f\"\n"
			"    - slot: 1\n      nodeID: {}\n"
			"    - slot: 2\n      kms:\n        endpoint: https://kms.example:4050\n"
			"      lockToState: false\n"
			"    - slot: 3\n      tpm:\n        options:\n          pcrs: [7, 11]\n"
			"        checkSecurebootStatusOnEnroll: true\n"
			"    - slot: 4\n      tpm: {}\n"
			"    - slot: 5\n      tpm:\n        options: {pcrs: []}\n"
			"        checkSecurebootStatusOnEnroll: false\n"
			"    - slot: 6\n      tpm:\n        options: {pcrs: null}\n"
			"  keySize: 512\n  blockSize: 4096\n"
			"  options: [no_read_workqueue, same_cpu_crypt]\n  allowDiscards: false\n");
	assert_encodes(&cfg->volumes[0], want);
	/* Read back, the same config, and the same bytes again. */
	back = decode_ok(want, LV_STATE_META_MODERN);
	enc = &back->volumes[0].encryption;
	assert_int_equal(enc->key_count, 7);
	assert_int_equal(enc->keys[0].static_key.passphrase->len, 20);
	assert_memory_equal(enc->keys[0].static_key.passphrase->bytes,
			    "p<a>&s\"\\\xe2\x80\xa8\x01\t\b\f\x1f\xc3\xa9/\x7f", 20);
	assert_string_equal(enc->keys[2].kms.endpoint, "https://kms.example:4050");
	assert_int_equal(enc->keys[3].tpm.pcr_count, 2);
	assert_int_equal(enc->keys[3].tpm.pcrs[1], 11);
	assert_true(enc->keys[3].tpm.check_secureboot);
	assert_int_equal(enc->keys[4].tpm.pcr_count, 1);	/* options absent: [7] */
	assert_int_equal(enc->keys[4].tpm.pcrs[0], 7);
	assert_int_equal(enc->keys[5].tpm.pcr_count, 0);
	assert_string_equal(enc->cipher, "aes-xts-plain64");
	assert_int_equal(enc->key_bits, 512);
	assert_int_equal(enc->block_size, 4096);
	assert_int_equal(enc->perf_flags, LV_FLAG_NO_READ_WORKQUEUE | LV_FLAG_SAME_CPU_CRYPT);
	assert_encodes(&back->volumes[0], want);
	lv_config_free(&back);
	lv_config_free(&cfg);
}

static void test_tag9_legacy_shape(void **state)
{
	/* encryption_meta_test.go legacyMarshalled, second key on slot 1. */
	static const char legacy[] =
		"{\"EncryptionProvider\":\"\",\"EncryptionKeys\":[{\"KeyStatic\":{\"KeyData\":"
		"\"secret\"},\"KeyNodeID\":null,\"KeyKMS\":null,\"KeySlot\":0,\"KeyTPM\":null},"
		"{\"KeyStatic\":null,\"KeyNodeID\":{},\"KeyKMS\":null,\"KeySlot\":1,\"KeyTPM\":null}],"
		"\"EncryptionCipher\":\"aes-xts-plain64\",\"EncryptionKeySize\":0,"
		"\"EncryptionBlockSize\":0,\"EncryptionPerfOptions\":null}";
	struct lv_config_file *cfg;

	(void)state;
	cfg = decode_ok(legacy, LV_STATE_META_LEGACY);
	assert_true(cfg->volumes[0].encryption.enabled);
	assert_int_equal(cfg->volumes[0].encryption.keys[1].slot, 1);
	/* Written again, it takes the modern shape, as Talos would. */
	assert_encodes(&cfg->volumes[0], talos_modern);
	lv_config_free(&cfg);
	/* A legacy TPM key has no options: PCR 7, whatever TPMOptions says. */
	cfg = decode_ok("{\"EncryptionProvider\":\"\",\"EncryptionKeys\":[{\"KeySlot\":2,\"KeyTPM\":"
			"{\"TPMOptions\":{\"PCRs\":[1]},\"TPMCheckSecurebootStatusOnEnroll\":true}}]}",
			LV_STATE_META_LEGACY);
	assert_int_equal(cfg->volumes[0].encryption.keys[0].tpm.pcr_count, 1);
	assert_int_equal(cfg->volumes[0].encryption.keys[0].tpm.pcrs[0], 7);
	assert_true(cfg->volumes[0].encryption.keys[0].tpm.check_secureboot);
	lv_config_free(&cfg);
}

static void test_tag9_null_and_go_rules(void **state)
{
	struct lv_config_file *cfg;

	(void)state;
	/* "null": what Talos writes when STATE is not encrypted. */
	cfg = decode_ok(" null ", LV_STATE_META_MODERN);
	assert_false(cfg->volumes[0].encryption.enabled);
	assert_encodes(&cfg->volumes[0], "null");
	lv_config_free(&cfg);
	assert_encodes(NULL, "null");
	cfg = decode_ok("{}", LV_STATE_META_MODERN);
	assert_false(cfg->volumes[0].encryption.enabled);
	lv_config_free(&cfg);
	/* Keys match case-insensitively (also K as the Kelvin sign), unknown
	 * keys are skipped, the provider name is any case. */
	cfg = decode_ok("{\"encryptionprovider\":\"LUKS2\",\"Future\":[1,{\"a\":null}],"
			"\"EncryptionKeys\":[{\"\xe2\x84\xaa" "eySlot\":3,\"keynodeid\":{\"x\":1}}]}",
			LV_STATE_META_MODERN);
	assert_int_equal(cfg->volumes[0].encryption.keys[0].slot, 3);
	assert_int_equal(cfg->volumes[0].encryption.keys[0].kind, LV_KEY_NODEID);
	lv_config_free(&cfg);
	/* Invalid UTF-8 and lone surrogates are U+FFFD, a pair one rune. */
	cfg = decode_ok("{\"EncryptionProvider\":\"luks2\",\"EncryptionKeys\":[{\"KeyStatic\":"
			"{\"KeyData\":\"\xff\\ud800x\\ud83d\\ude00\"}}]}", LV_STATE_META_MODERN);
	assert_int_equal(cfg->volumes[0].encryption.keys[0].static_key.passphrase->len, 11);
	assert_memory_equal(cfg->volumes[0].encryption.keys[0].static_key.passphrase->bytes,
			    "\xef\xbf\xbd\xef\xbf\xbdx\xf0\x9f\x98\x80", 11);
	lv_config_free(&cfg);
}

static void test_tag9_refused(void **state)
{
	(void)state;
	decode_fails("{\"EncryptionProvider\":\"luks2\"", "not JSON: unexpected end of JSON input");
	decode_fails("{} x", "invalid character 'x' after top-level value");
	decode_fails("{\"EncryptionKeys\":[{\"KeySlot\":1.5}]}",
		     "cannot unmarshal number 1.5 into Go struct field "
		     "EncryptionSpec.EncryptionKeys[0].KeySlot of type int");
	decode_fails("{\"EncryptionKeys\":[{\"KeySlot\":0,\"keyslot\":1}]}", "given twice");
	decode_fails("{\"EncryptionKeys\":[null]}", "is null");
	decode_fails("{\"EncryptionProvider\":\"luks2\",\"EncryptionCipher\":\"aes-xts-plain64\\u0000\"}",
		     "a NUL byte");
	/* Not an enum value: the legacy shape reads it as none. */
	decode_fails("{\"EncryptionProvider\":\"lux\",\"EncryptionKeys\":[{\"KeyNodeID\":{}}]}",
		     "unsupported encryption provider: none");
	decode_fails("{\"EncryptionProvider\":\"luks2\",\"EncryptionKeys\":[{\"KeyStatic\":{}}]}",
		     "META tag 9: static key must have key data defined");
	decode_fails("{\"EncryptionProvider\":\"luks2\",\"EncryptionKeys\":[{\"KeyTPM\":"
		     "{\"TPMOptions\":{\"PCRs\":[24]}}}]}", "TPM PCR 24 is out of range (0-23)");
	decode_fails("{\"EncryptionProvider\":\"luks2\",\"EncryptionKeys\":[{\"KeyNodeID\":{},"
		     "\"KeyLockToSTATE\":true}]}", "STATE");
	decode_fails("{\"EncryptionProvider\":\"luks2\",\"EncryptionKeys\":[{\"KeyNodeID\":{}},"
		     "{\"KeyNodeID\":{}}]}", "duplicate key slot 0");
	decode_fails("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]",
		     "nested deeper");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_tag_both_copies),
		cmocka_unit_test(test_copy1_bad_uses_copy2),
		cmocka_unit_test(test_bad_record_falls_back),
		cmocka_unit_test(test_both_bad_refused),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_small_device),
		cmocka_unit_test(test_legacy_fallback),
		cmocka_unit_test(test_talos_quirks),
		cmocka_unit_test(test_tag_names),
		cmocka_unit_test(test_reads_reference_image),
		cmocka_unit_test(test_reference_reads_luksvol_image),
		cmocka_unit_test(test_tag9_talos_vector),
		cmocka_unit_test(test_tag9_every_kind),
		cmocka_unit_test(test_tag9_legacy_shape),
		cmocka_unit_test(test_tag9_null_and_go_rules),
		cmocka_unit_test(test_tag9_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
