/* SPDX-License-Identifier: ISC */
/*
 * test_config.c: the Talos-style volume config (src/config): typed values
 * and defaults, exact diagnostics, the input limits, a round trip through
 * `config show`, and a seeded mutation loop over lv_config_parse_mem.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "config/cfg_internal.h"
#include "config/config.h"
#include "unit_config.h"

static const char typed_config[] =
	"apiVersion: v1alpha1\n"
	"kind: VolumeConfig\n"
	"name: EPHEMERAL\n"
	"encryption:\n"
	"  keys:\n"
	"    - slot: 3\n"
	"      static: {passphrase: \"a\\0b\"}\n"
	"      lockToSTATE: true\n"
	"    - {slot: 1, tpm: {}}\n"
	"    - {slot: 2, tpm: {options: {pcrs: []}, checkSecurebootStatusOnEnroll: true}}\n"
	"    - {slot: 4, kms: {endpoint: grpc://k}, static: {passphrase: x}}\n"
	"  options: [no_write_workqueue, same_cpu_crypt]\n"
	"  allowDiscards: true\n"
	"  blockSize: 4096\n"
	"---\n"
	"apiVersion: v1alpha1\n"
	"kind: UserVolumeConfig\n"
	"name: data\n"
	"encryption:\n"
	"  provider: luks2\n"
	"  cipher: xchacha20,aes-adiantum-plain64\n"
	"  keys: [{nodeID: {}}]\n"
	"---\n"
	"apiVersion: v1alpha1\n"
	"kind: SwapVolumeConfig\n"
	"name: sw\n";

static void test_typed_values(void **state)
{
	struct lv_config_file *cfg = NULL;
	const struct lv_config_encryption *enc;

	(void)state;
	assert_int_equal(unit_config_parse(typed_config, &cfg, NULL), 0);
	assert_int_equal(cfg->volume_count, 3);
	assert_string_equal(cfg->volumes[0].volume_id, "EPHEMERAL");
	assert_string_equal(cfg->volumes[1].volume_id, "u-data");
	assert_string_equal(cfg->volumes[2].volume_id, "s-sw");
	assert_int_equal(cfg->volumes[1].kind, LV_VOLUME_USER);
	assert_int_equal(cfg->volumes[2].encryption.enabled, 0);

	enc = &cfg->volumes[0].encryption;
	assert_true(enc->enabled);
	assert_string_equal(enc->cipher, "aes-xts-plain64");
	assert_int_equal(enc->key_bits, 512);
	assert_int_equal(enc->block_size, 4096);
	assert_int_equal(enc->perf_flags, LV_FLAG_NO_WRITE_WORKQUEUE | LV_FLAG_SAME_CPU_CRYPT);
	assert_true(enc->allow_discards);
	assert_int_equal(enc->key_count, 4);
	assert_int_equal(enc->keys[0].slot, 3);
	assert_int_equal(enc->keys[0].kind, LV_KEY_STATIC);
	assert_true(enc->keys[0].lock_to_state);
	assert_int_equal(enc->keys[0].static_key.passphrase->len, 3);
	assert_memory_equal(enc->keys[0].static_key.passphrase->bytes, "a\0b", 3);
	assert_int_equal(enc->keys[0].line, 6);
	assert_int_equal(enc->keys[0].column, 7);
	assert_int_equal(enc->keys[1].kind, LV_KEY_TPM);
	assert_int_equal(enc->keys[1].tpm.pcr_count, 1);
	assert_int_equal(enc->keys[1].tpm.pcrs[0], 7);
	assert_int_equal(enc->keys[2].tpm.pcr_count, 0);
	assert_true(enc->keys[2].tpm.check_secureboot);
	/* static wins over kms, as in Talos. */
	assert_int_equal(enc->keys[3].kind, LV_KEY_STATIC);

	enc = &cfg->volumes[1].encryption;
	assert_int_equal(enc->key_bits, 256);
	assert_int_equal(enc->keys[0].slot, 0);
	assert_int_equal(enc->keys[0].kind, LV_KEY_NODEID);

	assert_string_equal(lv_config_notices(cfg),
		"t.yaml:4:1: notice: encryption.provider is not set; luks2 is used "
		"(Talos requires provider: luks2)\n"
		"t.yaml:8:7: notice: \"lockToSTATE\" is read as \"lockToState\", the name Talos uses\n"
		"t.yaml:11:17: notice: key at slot 4 sets both static and kms; static is used, "
		"as in Talos\n"
		"t.yaml:16:1: notice: provisioning is not set; luksvol uses the partition labelled "
		"u-data (Talos requires a disk selector and a size)\n"
		"t.yaml:24:1: notice: provisioning is not set; luksvol uses the partition labelled "
		"s-sw (Talos requires a disk selector and a size)\n");
	lv_config_free(&cfg);
	assert_null(cfg);
}

static void test_diagnostics_sorted(void **state)
{
	(void)state;
	unit_config_refused("apiVersion: v1alpha1\nkind: VolumeConfig\nname: STATE\n"
			   "encryption:\n  provider: luks2\n  keys:\n"
			   "    - {slot: 1, nodeID: {}, lockToState: true}\n"
			   "    - {slot: 1, bogus: 1}\n",
			   "t.yaml:7:42: state-locked key is not allowed for the \"STATE\" volume\n"
			   "t.yaml:8:17: unknown key \"encryption.keys[1].bogus\"\n");
}

static void test_empty_inputs(void **state)
{
	struct lv_config_file *cfg = NULL;
	struct lv_err err = { 0 };

	(void)state;
	assert_int_equal(lv_config_parse_mem("e", NULL, 0, &cfg, NULL, &err), 0);
	assert_int_equal(cfg->volume_count, 0);
	assert_string_equal(lv_config_notices(cfg), "");
	lv_config_free(&cfg);
	assert_int_equal(unit_config_parse("---\n...\n---\n# nothing\n", &cfg, NULL), 0);
	lv_config_free(&cfg);
}

static void test_deep_nesting(void **state)
{
	size_t depth = 100000;
	char *text = malloc(2 * depth + 1);

	(void)state;
	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	text[2 * depth] = '\0';
	unit_config_refused(text, "t.yaml:1:65: nesting is deeper than 64 levels\n");
	free(text);
}

/* Nine levels of ten aliases each: 10^9 nodes if expanded. */
static void test_alias_bomb(void **state)
{
	char text[4096];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "apiVersion: v1alpha1\nkind: VolumeConfig\nname: STATE\n"
			      "a0: &a0 [{slot: 0, nodeID: {}}]\n");
	for (int level = 1; level < 9; level++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "a%d: &a%d [", level, level);
		for (int i = 0; i < 10; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "*a%d%s", level - 1,
					      i < 9 ? ", " : "]\n");
	}
	snprintf(text + n, sizeof(text) - n, "encryption: {provider: luks2, keys: *a8}\n");

	struct lv_config_file *cfg = NULL;
	char *diagnostics = NULL;

	assert_int_equal(unit_config_parse(text, &cfg, &diagnostics), -EINVAL);
	/* The unknown a0..a8 keys are reported; walking keys: *a8 does not
	 * expand 10^8 mappings. */
	assert_non_null(strstr(diagnostics, "unknown key \"a8\""));
	assert_non_null(strstr(diagnostics, "encryption.keys[0]: cannot unmarshal !!seq into map"));
	free(diagnostics);
}

static void test_alias_budget(void **state)
{
	/* keys: a list of 2000 aliases of a key whose pcrs list holds 1000
	 * entries: two million visits, over the budget. */
	size_t size = 64 << 10;
	char *text = malloc(size);
	size_t n = 0;
	struct lv_config_file *cfg = NULL;
	char *diagnostics = NULL;

	(void)state;
	n += (size_t)snprintf(text + n, size - n, "apiVersion: v1alpha1\nkind: VolumeConfig\n"
			      "name: STATE\nencryption:\n  provider: luks2\n  keys:\n"
			      "    - &k {tpm: {options: {pcrs: [");
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(text + n, size - n, "%s7", i ? "," : "");
	n += (size_t)snprintf(text + n, size - n, "]}}}\n");
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(text + n, size - n, "    - *k\n");
	assert_int_equal(unit_config_parse(text, &cfg, &diagnostics), -EINVAL);
	assert_non_null(strstr(diagnostics, "aliases expand the document to more than 1000000 nodes"));
	free(diagnostics);
	free(text);
}

static void test_input_limits(void **state)
{
	size_t big = (8u << 20) + 1;
	char *text = malloc(big + 1);
	struct lv_config_file *cfg = NULL;
	char *diagnostics = NULL;
	struct lv_err err = { 0 };

	(void)state;
	memset(text, '#', big);
	text[big] = '\0';
	unit_config_refused(text, "t.yaml:1:1: the file is larger than 8 MiB\n");
	free(text);

	text = malloc(5000 * 4 + 1);
	for (int i = 0; i < 5000; i++)
		memcpy(text + 4 * i, "---\n", 4);
	text[5000 * 4] = '\0';
	assert_int_equal(unit_config_parse(text, &cfg, &diagnostics), -EINVAL);
	assert_non_null(strstr(diagnostics, "the file has more than 4096 documents"));
	free(diagnostics);
	free(text);

	assert_int_equal(lv_config_load("/nonexistent/volumes.yaml", &cfg, &diagnostics, &err),
			 -ENOENT);
	assert_null(diagnostics);
	assert_string_equal(err.msg, "/nonexistent/volumes.yaml: cannot open: No such file or directory");
}

static void test_bad_bytes(void **state)
{
	static const uint8_t nul[] = "name: a\0b\n";
	static const uint8_t utf8[] = "name: \xff\xfe\n";
	struct lv_config_file *cfg = NULL;
	char *diagnostics = NULL;
	struct lv_err err = { 0 };

	(void)state;
	assert_int_equal(lv_config_parse_mem("b", nul, sizeof(nul) - 1, &cfg, &diagnostics, &err),
			 -EINVAL);
	assert_string_equal(diagnostics, "b:1:8: invalid YAML: control characters are not allowed\n");
	free(diagnostics);
	assert_int_equal(lv_config_parse_mem("b", utf8, sizeof(utf8) - 1, &cfg, &diagnostics, &err),
			 -EINVAL);
	assert_string_equal(diagnostics, "b:1:7: invalid YAML: invalid leading UTF-8 octet\n");
	free(diagnostics);
	assert_string_equal(err.msg, "b: 1 error in the volume config");
}

static char *show(const struct lv_config_file *cfg, int json)
{
	struct lv_err err = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(lv_config_print(cfg, out, json, &err), 0);
	fclose(out);
	return text;
}

static void test_show_round_trip(void **state)
{
	struct lv_config_file *cfg = NULL, *again = NULL;
	char *first, *second, *json;

	(void)state;
	assert_int_equal(unit_config_parse(typed_config, &cfg, NULL), 0);
	first = show(cfg, 0);
	assert_null(strstr(first, "a\\0b"));
	assert_non_null(strstr(first, "passphrase: REDACTED"));
	assert_int_equal(unit_config_parse(first, &again, NULL), 0);
	second = show(again, 0);
	assert_string_equal(first, second);
	json = show(cfg, 1);
	assert_non_null(strstr(json, "\"volumeType\": \"partition\""));
	assert_non_null(strstr(json, "\"pcrs\": [\n"));
	free(first);
	free(second);
	free(json);
	lv_config_free(&cfg);
	lv_config_free(&again);
}

typedef int (*size_parser)(const char *, struct cfg_size *, char *, size_t);

static void assert_size(const char *text, size_parser parse_size, uint64_t value, int negative,
			int relative)
{
	struct cfg_size size = { 0 };
	char msg[200] = "";

	assert_int_equal(parse_size(text, &size, msg, sizeof(msg)), 0);
	assert_true(size.set);
	assert_true(size.value == value);
	assert_int_equal(size.negative, negative);
	assert_int_equal(size.relative, relative);
	assert_string_equal(size.raw, text);
	free(size.raw);
}

static void assert_size_error(const char *text, const char *expected)
{
	struct cfg_size size = { 0 };
	char msg[200] = "";

	assert_int_equal(cfg_parse_size(text, &size, msg, sizeof(msg)), -1);
	assert_string_equal(msg, expected);
	assert_null(size.raw);
}

/* humanize.ParseBytes (v1.0.1) and PercentageSize, as Talos reads them. */
static void test_sizes(void **state)
{
	(void)state;
	assert_size("10GiB", cfg_parse_byte_size, 10737418240ull, 0, 0);
	assert_size("1.5GiB", cfg_parse_byte_size, 1610612736ull, 0, 0);
	assert_size("2,048 mib", cfg_parse_byte_size, 2147483648ull, 0, 0);
	assert_size("10GB", cfg_parse_size, 10000000000ull, 0, 0);
	assert_size("-10GiB", cfg_parse_size, 10737418240ull, 1, 0);
	assert_size("512", cfg_parse_size, 512, 0, 0);
	assert_size("80%", cfg_parse_size, 80, 0, 1);
	assert_size("12.9%", cfg_parse_size, 12, 0, 1);
	assert_size("-5%", cfg_parse_size, 5, 1, 1);
	assert_size_error("10 XB", "unhandled size name: xb");
	assert_size_error("GiB", "strconv.ParseFloat: parsing \"\": invalid syntax");
	assert_size_error("16EiB", "too large: 16EiB");
	assert_size_error("%5", "percentage must end with '%'");
	assert_size_error("100.5%", "percentage must be between 0 and 100, got 100.5");
	assert_size_error("1e30%", "percentage must be between 0 and 100, got 1e+30");
	assert_size_error("x%", "invalid percentage value: strconv.ParseFloat: parsing \"x\": "
			  "invalid syntax");
}

static void assert_duration(const char *text, int64_t ns)
{
	char msg[200] = "";
	int64_t got = -12345;

	assert_int_equal(cfg_parse_duration(text, &got, msg, sizeof(msg)), 0);
	assert_true(got == ns);
}

static void assert_duration_error(const char *text, const char *expected)
{
	char msg[200] = "";
	int64_t got;

	assert_int_equal(cfg_parse_duration(text, &got, msg, sizeof(msg)), -1);
	assert_string_equal(msg, expected);
}

/* time.ParseDuration. */
static void test_durations(void **state)
{
	(void)state;
	assert_duration("0", 0);
	assert_duration("1h30m", 5400000000000ll);
	assert_duration("-1.5s", -1500000000ll);
	assert_duration(".5ms", 500000);
	assert_duration("1\xc2\xb5s2ns", 1002);
	assert_duration("168h", 604800000000000ll);
	assert_duration_error("10", "time: missing unit in duration \"10\"");
	assert_duration_error("1d", "time: unknown unit \"d\" in duration \"1d\"");
	assert_duration_error(".s", "time: invalid duration \".s\"");
	assert_duration_error("", "time: invalid duration \"\"");
	assert_duration_error("-", "time: invalid duration \"-\"");
	assert_duration_error("3000000h", "time: invalid duration \"3000000h\"");
}

/* Deterministic mutations of a valid config: every result is either a
 * config or diagnostics, never both, and ASan sees no leak or overflow. */
static void test_mutations(void **state)
{
	size_t len = strlen(typed_config);
	uint8_t *buf = malloc(len);
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct lv_config_file *cfg = NULL;
		char *diagnostics = NULL;
		struct lv_err err = { 0 };
		size_t cut = len;
		int r;

		memcpy(buf, typed_config, len);
		for (int flips = 0; flips < 1 + round % 4; flips++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % len] = (uint8_t)(seed >> 20);
		}
		if (round % 5 == 0)
			cut = (seed >> 4) % len;
		r = lv_config_parse_mem("m", buf, cut, &cfg, &diagnostics, &err);
		assert_true(r == 0 || r == -EINVAL);
		assert_true(r == 0 ? cfg && !diagnostics : !cfg && diagnostics && *diagnostics);
		free(diagnostics);
		lv_config_free(&cfg);
	}
	free(buf);
}

/* cfg_escape: the one escaping of config text in diagnostics. */
static void assert_escaped(const char *text, const char *want)
{
	char *got = NULL;
	size_t got_len = 0;
	FILE *out = open_memstream(&got, &got_len);

	assert_non_null(out);
	cfg_escape(out, text);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_escape(void **state)
{
	(void)state;
	assert_escaped("plain text, \"quoted\" ok", "plain text, \"quoted\" ok");
	assert_escaped("\x1b[31mred\x07", "\\x1b[31mred\\x07");
	assert_escaped("tab\there\x7f", "tab\\x09here\\x7f");
	assert_escaped("back\\slash", "back\\\\slash");
	/* C1 controls (8-bit CSI) are escaped byte by byte; other UTF-8 stays. */
	assert_escaped("\xc2\x9b" "31m \xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91",
		       "\\xc2\\x9b31m \xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91");
	/* Not UTF-8: stray, truncated, overlong and surrogate sequences. */
	assert_escaped("\x9b\xff", "\\x9b\\xff");
	assert_escaped("end\xe2\x82", "end\\xe2\\x82");
	assert_escaped("\xc0\xaf\xed\xa0\x80", "\\xc0\\xaf\\xed\\xa0\\x80");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typed_values),
		cmocka_unit_test(test_diagnostics_sorted),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_alias_budget),
		cmocka_unit_test(test_input_limits),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_show_round_trip),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
