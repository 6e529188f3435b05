/* SPDX-License-Identifier: ISC */
/*
 * test_api.c: the contract of include/luksvol.h, through that header only:
 * the errno table, the non-blocking lock, the getters and enumeration, and
 * what goes stale after a write.  Images are files under $TMPDIR (the lock
 * needs a file); KDFs are forced cheap.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luksvol.h"

#define IMAGE_BYTES (20u << 20)

static char dir[] = "/tmp/lv-test-api-XXXXXX";
static char image[64], missing[64];
static struct lv_secret *pass;

static const struct lv_format_params fast = {
	.key_slot = LV_ANY_SLOT,
	.pbkdf = { .type = "pbkdf2", .forced_iterations = 1000 },
	.label = "api-label",
};

static int setup(void **state)
{
	struct lv_err err = { 0 };
	int fd;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(image, sizeof(image), "%s/image", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	fd = open(image, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, IMAGE_BYTES) < 0)
		return -1;
	close(fd);
	pass = lv_secret_dup("api passphrase", 14);
	if (!pass || lv_format(image, &fast, pass, NULL, &err) < 0) {
		fprintf(stderr, "format: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lv_secret_free(&pass);
	unlink(image);
	rmdir(dir);
	return 0;
}

static void test_version(void **state)
{
	const char *v = lv_version();
	unsigned major, minor, patch;

	(void)state;
	assert_int_equal(sscanf(v, "%u.%u.%u", &major, &minor, &patch), 3);
}

static void test_errno_table(void **state)
{
	struct lv_device *dev = NULL;
	struct lv_secret *wrong = lv_secret_dup("wrong", 5), *key = NULL;
	struct lv_err err = { 0 };
	char *json = NULL, copy[80];
	int fd;

	(void)state;
	assert_int_equal(lv_device_load(&dev, missing, 0, &err), -ENODEV);
	assert_null(dev);
	/* Only zeros: no LUKS2 header. */
	fd = open(missing, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0 && ftruncate(fd, IMAGE_BYTES) == 0);
	close(fd);
	assert_int_equal(lv_device_load(&dev, missing, 0, &err), -EBADMSG);
	unlink(missing);
	/* The header of a device cut short of its keyslots area. */
	snprintf(copy, sizeof(copy), "%s/short", dir);
	fd = open(copy, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	{
		int in = open(image, O_RDONLY);
		uint8_t buf[65536];
		ssize_t n = read(in, buf, sizeof(buf));

		assert_true(n == (ssize_t)sizeof(buf) && write(fd, buf, sizeof(buf)) == n);
		close(in);
	}
	close(fd);
	assert_int_equal(lv_device_load(&dev, copy, 0, &err), -ENODATA);
	unlink(copy);

	assert_int_equal(lv_device_load(&dev, image, 0, &err), 0);
	assert_int_equal(lv_unlock(dev, LV_ANY_SLOT, wrong, &key, NULL, &err), -EPERM);
	assert_null(key);
	assert_int_equal(lv_unlock(dev, 7, pass, &key, NULL, &err), -ENOENT);
	assert_int_equal(lv_token_export(dev, 5, &json, &err), -ENOENT);
	assert_null(json);
	lv_device_free(&dev);

	assert_int_equal(lv_device_load(&dev, image, LV_LOAD_WRITABLE, &err), 0);
	assert_int_equal(lv_keyslot_kill(dev, 9, &err), -ENOENT);
	assert_int_equal(lv_token_remove(dev, 9, &err), -ENOENT);
	assert_int_equal(lv_token_import(dev, 40, "{\"type\":\"t\",\"keyslots\":[]}", NULL, &err),
			 -EINVAL);
	assert_int_equal(lv_token_import(dev, 1, "{\"type\":\"t\",\"keyslots\":[]}", NULL, &err), 0);
	assert_int_equal(lv_token_import(dev, 1, "{\"type\":\"t\",\"keyslots\":[]}", NULL, &err),
			 -EEXIST);
	for (int id = 0; id < LV_TOKEN_COUNT; id++)
		if (id != 1)
			assert_int_equal(lv_token_import(dev, id, "{\"type\":\"t\",\"keyslots\":[]}",
							 NULL, &err), 0);
	assert_int_equal(lv_token_import(dev, LV_ANY_SLOT, "{\"type\":\"t\",\"keyslots\":[]}",
					 NULL, &err), -ENOSPC);
	for (int id = 0; id < LV_TOKEN_COUNT; id++)
		assert_int_equal(lv_token_remove(dev, id, &err), 0);
	lv_device_free(&dev);
	lv_secret_free(&wrong);
}

/* The lock another process (here: another open file description) holds. */
static void test_nonblocking_lock(void **state)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int fd = open(image, O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(lv_device_load(&dev, image, LV_LOAD_NONBLOCK, &err), -EBUSY);
	assert_null(dev);
	assert_non_null(strstr(err.msg, "locked"));
	assert_int_equal(lv_device_load(&dev, image, LV_LOAD_WRITABLE | LV_LOAD_NONBLOCK, &err),
			 -EBUSY);
	assert_int_equal(flock(fd, LOCK_UN), 0);
	assert_int_equal(flock(fd, LOCK_SH), 0);
	/* Readers share the lock; a writer still waits for it. */
	assert_int_equal(lv_device_load(&dev, image, LV_LOAD_NONBLOCK, &err), 0);
	lv_device_free(&dev);
	assert_int_equal(lv_device_load(&dev, image, LV_LOAD_WRITABLE | LV_LOAD_NONBLOCK, &err),
			 -EBUSY);
	close(fd);
	assert_int_equal(lv_device_load(&dev, image, LV_LOAD_WRITABLE | LV_LOAD_NONBLOCK, &err), 0);
	lv_device_free(&dev);
}

static void test_getters(void **state)
{
	struct lv_pbkdf_params pbkdf = { .type = "pbkdf2", .forced_iterations = 1000 };
	struct lv_header_info header;
	struct lv_keyslot_info ks;
	struct lv_token_info token;
	struct lv_segment_info seg;
	struct lv_device *dev = NULL;
	struct lv_secret *key = NULL;
	struct lv_err err = { 0 };
	int slot = -1, count = 0;

	(void)state;
	assert_int_equal(lv_device_load(&dev, image, LV_LOAD_WRITABLE, &err), 0);
	lv_header_info(dev, &header);
	assert_string_equal(header.label, "api-label");
	assert_string_equal(header.subsystem, "");
	assert_int_equal(strlen(header.uuid), 36);
	assert_int_equal(header.metadata_bytes, 16384);
	assert_int_equal(header.keyslot_count, 1);
	assert_false(header.secondary_in_use);
	assert_true(header.other_copy_valid);
	assert_int_equal(lv_segment_info(dev, &seg, &err), 0);
	assert_string_equal(seg.type, "crypt");
	assert_string_equal(seg.cipher, "aes-xts-plain64");
	assert_int_equal(seg.offset_bytes, header.data_offset_bytes);
	assert_int_equal(seg.segment_count, 1);
	assert_true(seg.dynamic);

	assert_int_equal(lv_keyslot_status(dev, 0), LV_KEYSLOT_ACTIVE_LAST);
	assert_int_equal(lv_unlock(dev, LV_ANY_SLOT, pass, &key, &slot, &err), 0);
	assert_int_equal(lv_keyslot_add(dev, 5, key, pass, &pbkdf, NULL, &err), 0);
	assert_int_equal(lv_keyslot_status(dev, 0), LV_KEYSLOT_ACTIVE);
	assert_int_equal(lv_keyslot_status(dev, 5), LV_KEYSLOT_ACTIVE);
	assert_int_equal(lv_keyslot_status(dev, 1), LV_KEYSLOT_INACTIVE);
	assert_int_equal(lv_keyslot_status(dev, -1), LV_KEYSLOT_INACTIVE);
	assert_int_equal(lv_token_import(dev, 3, "{\"type\":\"luks2-keyring\",\"keyslots\":[\"5\"],"
					 "\"key_description\":\"d\"}", NULL, &err), 0);
	assert_int_equal(lv_token_import(dev, 4, "{\"type\":\"other\",\"keyslots\":[\"0\",\"5\"]}",
					 NULL, &err), 0);
	for (int i = 0; i < LV_KEYSLOT_COUNT; i++) {
		if (lv_keyslot_info(dev, i, &ks) < 0)
			continue;
		count++;
		assert_string_equal(ks.type, "luks2");
		assert_string_equal(ks.kdf, "pbkdf2");
		assert_true(ks.bound);
		assert_int_equal(ks.key_bytes, key->len);
		assert_int_equal(ks.priority, LV_PRIORITY_NORMAL);
	}
	assert_int_equal(count, 2);
	assert_int_equal(lv_keyslot_info(dev, 1, &ks), -ENOENT);
	assert_int_equal(lv_token_info(dev, 3, &token), 0);
	assert_string_equal(token.type, "luks2-keyring");
	assert_true(token.known);
	assert_int_equal(token.keyslots, 1u << 5);
	assert_int_equal(lv_token_info(dev, 4, &token), 0);
	assert_false(token.known);
	assert_int_equal(token.keyslots, 1u << 0 | 1u << 5);
	assert_int_equal(lv_token_info(dev, 0, &token), -ENOENT);
	/* After a write, what the getters return is read again. */
	lv_header_info(dev, &header);
	assert_int_equal(lv_set_label(dev, "relabelled", NULL, &err), 0);
	lv_header_info(dev, &header);
	assert_string_equal(header.label, "relabelled");
	assert_int_equal(header.token_count, 2);
	assert_int_equal(lv_keyslot_kill(dev, 5, &err), 0);
	assert_int_equal(lv_token_info(dev, 3, &token), 0);
	assert_int_equal(token.keyslots, 0);
	lv_secret_free(&key);
	lv_device_free(&dev);
}

/* A keyslot area cipher is checked as a new keyslot takes it: both or
 * neither of cipher and size, whole bytes, not null, one the backend runs. */
static void test_keyslot_cipher_check(void **state)
{
	static const struct {
		const char *cipher;
		uint32_t bits;
		int want;
	} cases[] = {
		{ NULL, 0, 0 },
		{ "aes-cbc-essiv:sha256", 256, 0 },
		{ "aes-xts-plain64", 512, 0 },
		{ "aes-xts-plain64", 0, -EINVAL },
		{ NULL, 256, -EINVAL },
		{ "aes-xts-plain64", 100, -EINVAL },
		{ "cipher_null-ecb", 256, -EINVAL },
		{ "capi:xts(aes)-plain64", 512, -EINVAL },
		{ "aes-xts-plain64", 128, -ENOTSUP },
		{ "serpent-xts-plain64", 512, -ENOTSUP },
	};
	struct lv_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lv_pbkdf_params p = { .area_cipher = cases[i].cipher,
					     .area_key_bits = cases[i].bits };

		assert_int_equal(lv_keyslot_cipher_check(&p, &err), cases[i].want);
	}
}

/* A keyslot added with an area cipher shows it; a refused one writes
 * nothing. */
static void test_keyslot_cipher_add(void **state)
{
	struct lv_pbkdf_params essiv = { .type = "pbkdf2", .forced_iterations = 1000,
					 .area_cipher = "aes-cbc-essiv:sha256", .area_key_bits = 256 };
	struct lv_pbkdf_params serpent = essiv;
	struct lv_secret *key = NULL, *other = lv_secret_dup("other", 5);
	struct lv_keyslot_info ks;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	struct lv_header_info before, after;
	int added = -1;

	(void)state;
	serpent.area_cipher = "serpent-xts-plain64";
	serpent.area_key_bits = 512;
	assert_int_equal(lv_device_load(&dev, image, LV_LOAD_WRITABLE, &err), 0);
	assert_int_equal(lv_unlock(dev, LV_ANY_SLOT, pass, &key, NULL, &err), 0);
	lv_header_info(dev, &before);
	assert_int_equal(lv_keyslot_add(dev, 9, key, other, &serpent, &added, &err), -ENOTSUP);
	lv_header_info(dev, &after);
	assert_int_equal(after.seqid, before.seqid);
	assert_int_equal(lv_keyslot_add(dev, 9, key, other, &essiv, &added, &err), 0);
	assert_int_equal(lv_keyslot_info(dev, 9, &ks), 0);
	assert_string_equal(ks.cipher, "aes-cbc-essiv:sha256");
	assert_int_equal(ks.cipher_key_bytes, 32);
	lv_secret_free(&key);
	assert_int_equal(lv_unlock(dev, 9, other, &key, NULL, &err), 0);
	assert_int_equal(lv_keyslot_kill(dev, 9, &err), 0);
	lv_secret_free(&key);
	lv_secret_free(&other);
	lv_device_free(&dev);
}

/* lv_format_fd names the device as told (not /proc/self/fd/N) and takes
 * only a regular file or a block device. */
static void test_format_fd(void **state)
{
	char fifo[80], file[80];
	struct lv_err err = { 0 };
	int fd;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(file, sizeof(file), "%s/tiny", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open(fifo, O_RDWR | O_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(lv_format_fd(fd, "named-fifo", &fast, pass, NULL, &err), -ENOTBLK);
	assert_non_null(strstr(err.msg, "named-fifo"));
	close(fd);
	unlink(fifo);
	fd = open(file, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0 && ftruncate(fd, 4096) == 0);
	assert_true(lv_format_fd(fd, "named-file", &fast, pass, NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "named-file"));
	assert_null(strstr(err.msg, "/proc/"));
	close(fd);
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test(test_nonblocking_lock),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_keyslot_cipher_check),
		cmocka_unit_test(test_keyslot_cipher_add),
		cmocka_unit_test(test_format_fd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
