/* SPDX-License-Identifier: ISC */
/*
 * test_header.c: the binary header, the checksum, the JSON-area byte rules
 * and the copy choice, on images built in memory.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "crypto/crypto.h"
#include "luks2/device.h"

#define HDR_SIZE 0x4000
#define JSON_AREA (HDR_SIZE - LV_HDR_BIN_BYTES)
#define IMAGE_BYTES (2 * HDR_SIZE + 0x10000)

/* A minimal valid document: one segment, one digest, no keyslot. */
static const char minimal_json[] =
	"{\"keyslots\":{},\"tokens\":{},"
	"\"segments\":{\"0\":{\"type\":\"crypt\",\"offset\":\"98304\",\"size\":\"dynamic\","
	"\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":512}},"
	"\"digests\":{\"0\":{\"type\":\"pbkdf2\",\"keyslots\":[],\"segments\":[\"0\"],"
	"\"hash\":\"sha256\",\"iterations\":1000,"
	"\"salt\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\","
	"\"digest\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}},"
	"\"config\":{\"json_size\":\"12288\",\"keyslots_size\":\"65536\"}}";

static struct lv_hdr_bin sample_bin(int secondary, uint64_t seqid)
{
	struct lv_hdr_bin bin = { 0 };

	bin.version = 2;
	bin.hdr_size = HDR_SIZE;
	bin.seqid = seqid;
	bin.hdr_offset = secondary ? HDR_SIZE : 0;
	snprintf(bin.checksum_alg, sizeof(bin.checksum_alg), "sha256");
	snprintf(bin.uuid, sizeof(bin.uuid), "12345678-1234-4234-8234-123456789abc");
	return bin;
}

/* Writes one copy: binary header, JSON area bytes as given, checksum. */
static void put_copy(uint8_t *image, int secondary, uint64_t seqid, const uint8_t *area,
		     const char *csum_alg)
{
	struct lv_hdr_bin bin = sample_bin(secondary, seqid);
	uint8_t *raw = image + bin.hdr_offset;

	snprintf(bin.checksum_alg, sizeof(bin.checksum_alg), "%s", csum_alg);
	lv_hdr_bin_encode(&bin, secondary, raw);
	memcpy(raw + LV_HDR_BIN_BYTES, area, JSON_AREA);
	assert_int_equal(lv_hdr_checksum(csum_alg, raw, area, JSON_AREA, bin.csum), 0);
	lv_hdr_bin_encode(&bin, secondary, raw);
}

static uint8_t *json_area(const char *text)
{
	uint8_t *area = calloc(1, JSON_AREA);

	assert_non_null(area);
	memcpy(area, text, strlen(text) < JSON_AREA ? strlen(text) : JSON_AREA);
	return area;
}

static uint8_t *valid_image(void)
{
	uint8_t *image = calloc(1, IMAGE_BYTES), *area = json_area(minimal_json);

	assert_non_null(image);
	put_copy(image, 0, 5, area, "sha256");
	put_copy(image, 1, 5, area, "sha256");
	free(area);
	return image;
}

static int load(uint8_t *image, struct lv_device **dev, struct lv_err *err)
{
	memset(err, 0, sizeof(*err));
	return lv_device_load_mem(dev, image, IMAGE_BYTES, 0, err);
}

static void test_decode_checks(void **state)
{
	struct lv_hdr_bin bin = sample_bin(0, 1), out;
	uint8_t raw[LV_HDR_BIN_BYTES];

	(void)state;
	snprintf(bin.label, sizeof(bin.label), "%s", "label");
	lv_hdr_bin_encode(&bin, 0, raw);
	assert_int_equal(lv_hdr_bin_decode(raw, 0, 0, &out, NULL), 0);
	assert_string_equal(out.label, "label");
	assert_int_equal(out.seqid, 1);
	/* The same bytes are not a secondary (magic), nor valid at 4096. */
	assert_int_equal(lv_hdr_bin_decode(raw, 1, HDR_SIZE, &out, NULL), -EINVAL);
	assert_int_equal(lv_hdr_bin_decode(raw, 0, 4096, &out, NULL), -EINVAL);
	raw[LV_OFF_VERSION + 1] = 1;
	assert_int_equal(lv_hdr_bin_decode(raw, 0, 0, &out, NULL), -EINVAL);
}

static void test_decode_size_range(void **state)
{
	static const uint64_t bad_sizes[] = { 0, 0x3fff, 0x400001, 0x80000000ULL, UINT64_MAX };
	struct lv_hdr_bin bin = sample_bin(0, 1), out;
	uint8_t raw[LV_HDR_BIN_BYTES];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		bin.hdr_size = bad_sizes[i];
		lv_hdr_bin_encode(&bin, 0, raw);
		assert_int_equal(lv_hdr_bin_decode(raw, 0, 0, &out, NULL), -EINVAL);
	}
	/* A secondary must sit at its own hdr_size. */
	bin = sample_bin(1, 1);
	bin.hdr_offset = 0x8000;
	lv_hdr_bin_encode(&bin, 1, raw);
	assert_int_equal(lv_hdr_bin_decode(raw, 1, 0x8000, &out, NULL), -EINVAL);
}

static void test_full_string_fields_are_truncated(void **state)
{
	struct lv_hdr_bin bin = sample_bin(0, 1), out;
	uint8_t raw[LV_HDR_BIN_BYTES];

	(void)state;
	lv_hdr_bin_encode(&bin, 0, raw);
	memset(raw + LV_OFF_LABEL, 'x', LV_LABEL_BYTES);
	assert_int_equal(lv_hdr_bin_decode(raw, 0, 0, &out, NULL), 0);
	assert_int_equal(strlen(out.label), LV_LABEL_BYTES - 1);
}

static void test_valid_image_loads(void **state)
{
	uint8_t *image = valid_image();
	struct lv_device *dev;
	struct lv_err err;

	(void)state;
	assert_int_equal(load(image, &dev, &err), 0);
	assert_int_equal(dev->active, LV_PRIMARY);
	assert_int_equal(dev->copies[LV_SECONDARY].state, LV_COPY_OK);
	assert_string_equal(lv_device_warnings(dev), "");
	lv_device_free(&dev);
	free(image);
}

static void test_checksum_algorithms(void **state)
{
	static const char *const algs[] = { "sha1", "sha256", "sha512" };
	uint8_t *area = json_area(minimal_json);
	struct lv_device *dev;
	struct lv_err err;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		uint8_t *image = calloc(1, IMAGE_BYTES);

		put_copy(image, 0, 1, area, algs[i]);
		put_copy(image, 1, 1, area, algs[i]);
		assert_int_equal(load(image, &dev, &err), 0);
		lv_device_free(&dev);
		free(image);
	}
	free(area);
}

/* A flipped JSON byte breaks the primary's checksum: the secondary is used. */
static void test_bad_checksum_uses_other_copy(void **state)
{
	uint8_t *image = valid_image();
	struct lv_device *dev;
	struct lv_err err;

	(void)state;
	image[LV_HDR_BIN_BYTES + 3] ^= 1;
	assert_int_equal(load(image, &dev, &err), 0);
	assert_int_equal(dev->active, LV_SECONDARY);
	assert_int_equal(dev->copies[LV_PRIMARY].state, LV_COPY_BAD);
	assert_non_null(strstr(lv_device_warnings(dev), "checksum mismatch"));
	lv_device_free(&dev);
	image[HDR_SIZE + LV_HDR_BIN_BYTES + 3] ^= 1;
	assert_int_equal(load(image, &dev, &err), -EBADMSG);
	assert_null(dev);
	free(image);
}

static void test_higher_seqid_wins(void **state)
{
	uint8_t *image = valid_image(), *area = json_area(minimal_json);
	struct lv_device *dev;
	struct lv_err err;

	(void)state;
	put_copy(image, 1, 6, area, "sha256");
	assert_int_equal(load(image, &dev, &err), 0);
	assert_int_equal(dev->active, LV_SECONDARY);
	assert_int_equal(lv_dev_bin(dev)->seqid, 6);
	lv_device_free(&dev);
	free(area);
	free(image);
}

/* A wiped primary: the secondary is found by the offset scan. */
static void test_secondary_found_by_scan(void **state)
{
	uint8_t *image = valid_image();
	struct lv_device *dev;
	struct lv_err err;

	(void)state;
	memset(image, 0, LV_HDR_BIN_BYTES);
	assert_int_equal(load(image, &dev, &err), 0);
	assert_int_equal(dev->active, LV_SECONDARY);
	lv_device_free(&dev);
	free(image);
}

/* Each JSON area that §1.4 refuses, with a valid checksum on both copies. */
static void assert_area_refused(const uint8_t *area, const char *why)
{
	uint8_t *image = calloc(1, IMAGE_BYTES);
	struct lv_device *dev;
	struct lv_err err;

	assert_non_null(image);
	put_copy(image, 0, 1, area, "sha256");
	put_copy(image, 1, 1, area, "sha256");
	assert_int_equal(load(image, &dev, &err), -EBADMSG);
	if (!strstr(err.msg, why))
		fail_msg("error \"%s\" does not mention \"%s\"", err.msg, why);
	free(image);
}

static void test_json_area_rules(void **state)
{
	uint8_t *area;
	size_t len = strlen(minimal_json);

	(void)state;
	area = json_area(minimal_json);
	memmove(area + 1, area, len);
	area[0] = ' ';
	assert_area_refused(area, "does not start with '{'");
	free(area);

	area = json_area(minimal_json);
	area[len] = 'X';
	assert_area_refused(area, "non-NUL byte");
	free(area);

	area = json_area(minimal_json);
	area[len + 20] = 'y';
	assert_area_refused(area, "non-NUL byte");
	free(area);

	/* JSON padded with spaces to fill the whole area: no NUL after it. */
	area = json_area(minimal_json);
	memset(area + len - 1, ' ', JSON_AREA - len);
	area[JSON_AREA - 1] = '}';
	assert_area_refused(area, "no terminating NUL");
	free(area);

	area = calloc(1, JSON_AREA);
	area[0] = '[';
	memcpy(area + 1, minimal_json, len);
	area[len + 1] = ']';
	assert_area_refused(area, "does not start with '{'");
	free(area);
}

static void test_validation_names_object_and_field(void **state)
{
	char text[2048];
	uint8_t *area;

	(void)state;
	snprintf(text, sizeof(text), "%s", minimal_json);
	char *p = strstr(text, "\"sector_size\":512");
	memcpy(p, "\"sector_size\":511", 17);
	area = json_area(text);
	assert_area_refused(area, "segment 0: sector_size 511");
	free(area);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_checks),
		cmocka_unit_test(test_decode_size_range),
		cmocka_unit_test(test_full_string_fields_are_truncated),
		cmocka_unit_test(test_valid_image_loads),
		cmocka_unit_test(test_checksum_algorithms),
		cmocka_unit_test(test_bad_checksum_uses_other_copy),
		cmocka_unit_test(test_higher_seqid_wins),
		cmocka_unit_test(test_secondary_found_by_scan),
		cmocka_unit_test(test_json_area_rules),
		cmocka_unit_test(test_validation_names_object_and_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
