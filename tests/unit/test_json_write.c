/* SPDX-License-Identifier: ISC */
/*
 * test_json_write.c: the serializer keeps what it does not model.  Both
 * cases were found by the luks2_json fuzzer (fuzz/regressions/luks2_json).
 */
#include "unit.h"

#include <json-c/json.h>

#include "luks2/metadata.h"

/* One keyslot with the given kdf object text; valid otherwise. */
static char *document(const char *kdf)
{
	char *text;

	assert_true(asprintf(&text,
		"{\"keyslots\":{\"0\":{\"type\":\"luks2\",\"key_size\":32,\"kdf\":%s,"
		"\"af\":{\"type\":\"luks1\",\"stripes\":4000,\"hash\":\"sha256\"},"
		"\"area\":{\"type\":\"raw\",\"offset\":\"32768\",\"size\":\"131072\","
		"\"encryption\":\"aes-xts-plain64\",\"key_size\":32}}},\"tokens\":{},"
		"\"segments\":{\"0\":{\"type\":\"crypt\",\"offset\":\"4194304\",\"size\":\"dynamic\","
		"\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":512}},"
		"\"digests\":{\"0\":{\"type\":\"pbkdf2\",\"keyslots\":[\"0\"],\"segments\":[\"0\"],"
		"\"hash\":\"sha256\",\"iterations\":1000,"
		"\"salt\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\","
		"\"digest\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}},"
		"\"config\":{\"json_size\":\"12288\",\"keyslots_size\":\"4161536\"}}", kdf) > 0);
	return text;
}

/* Parses, validates, serializes, and checks the kdf object survived. */
static void assert_kdf_round_trips(const char *kdf_text)
{
	char *text = document(kdf_text);
	struct json_object *root = json_tokener_parse(text), *out = NULL, *kdf_in, *kdf_out, *ks;
	struct lv_metadata md;
	struct lv_err err = { 0 };

	assert_non_null(root);
	assert_int_equal(lv_metadata_from_json(root, &md, &err), 0);
	assert_int_equal(lv_metadata_validate(&md, 0x4000, &err), 0);
	assert_int_equal(lv_metadata_to_json(&md, &out), 0);
	json_object_object_get_ex(json_object_object_get(root, "keyslots"), "0", &ks);
	kdf_in = json_object_object_get(ks, "kdf");
	json_object_object_get_ex(json_object_object_get(out, "keyslots"), "0", &ks);
	kdf_out = json_object_object_get(ks, "kdf");
	if (!json_object_equal(kdf_in, kdf_out))
		fail_msg("kdf %s came back as %s", json_object_to_json_string(kdf_in),
			 json_object_to_json_string(kdf_out));
	json_object_put(out);
	lv_metadata_free(&md);
	json_object_put(root);
	free(text);
}

static void test_undecodable_salt_kept(void **state)
{
	(void)state;
	assert_kdf_round_trips("{\"type\":\"argon2id\",\"time\":4,\"memory\":32,\"cpus\":1,"
			       "\"salt\":\"not base64!\"}");
}

static void test_unknown_kdf_parameters_kept(void **state)
{
	(void)state;
	assert_kdf_round_trips("{\"type\":\"argon2\",\"time\":58,\"memory\":16,\"cpus\":2,"
			       "\"salt\":\"oKTtGH3AsTJfjMLK47ZvtAfahaM0wv3cJO/sAxlOTIk=\"}");
}

static void test_known_kdf_rewritten_identically(void **state)
{
	(void)state;
	assert_kdf_round_trips("{\"type\":\"pbkdf2\",\"hash\":\"sha512\",\"iterations\":1000,"
			       "\"salt\":\"oKTtGH3AsTJfjMLK47ZvtAfahaM0wv3cJO/sAxlOTIk=\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_undecodable_salt_kept),
		cmocka_unit_test(test_unknown_kdf_parameters_kept),
		cmocka_unit_test(test_known_kdf_rewritten_identically),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
