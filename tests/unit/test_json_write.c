/* SPDX-License-Identifier: ISC */
/*
 * test_json_write.c: the reader and the writer of the metadata together.
 * What was read comes back byte for byte (cryptsetup's order and text kept),
 * what the serializer does not model survives (both kdf cases were found by
 * the luks2_json fuzzer, fuzz/regressions/luks2_json), and the mutators
 * change only what they are asked to, where cryptsetup would.
 */
#include "unit.h"

#include <string.h>

#include "luks2/metadata.h"

#define SALT "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""
#define KEYSLOT(kdf, offset) \
	"{\"type\":\"luks2\",\"key_size\":32,\"kdf\":" kdf "," \
	"\"af\":{\"type\":\"luks1\",\"stripes\":4000,\"hash\":\"sha256\"}," \
	"\"area\":{\"type\":\"raw\",\"offset\":\"" offset "\",\"size\":\"131072\"," \
	"\"encryption\":\"aes-xts-plain64\",\"key_size\":32}}"
#define PBKDF2 "{\"type\":\"pbkdf2\",\"hash\":\"sha256\",\"iterations\":1000,\"salt\":" SALT "}"

/* One document: keyslots (object members), digest keyslots (array
 * members), tokens and the config object's members are filled in. */
static char *document(const char *keyslots, const char *digest_keyslots, const char *tokens,
		      const char *config_extra)
{
	char *text;

	assert_true(asprintf(&text,
		"{\"keyslots\":{%s},\"tokens\":{%s},"
		"\"segments\":{\"0\":{\"type\":\"crypt\",\"offset\":\"4194304\",\"size\":\"dynamic\","
		"\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":512}},"
		"\"digests\":{\"0\":{\"type\":\"pbkdf2\",\"keyslots\":[%s],\"segments\":[\"0\"],"
		"\"hash\":\"sha256\",\"iterations\":1000,\"salt\":" SALT ",\"digest\":" SALT "}},"
		"\"config\":{\"json_size\":\"12288\",\"keyslots_size\":\"4161536\"%s}}",
		keyslots, tokens, digest_keyslots, config_extra) > 0);
	return text;
}

static struct lv_metadata *parse(const char *text)
{
	struct lv_metadata *md = NULL;
	struct lv_err err = { 0 };
	size_t end;
	int r = lv_metadata_parse((const uint8_t *)text, strlen(text) + 1, 0x4000, &md, &end, &err);

	if (r < 0)
		fail_msg("parse: %s", err.msg);
	return md;
}

static char *write_text(const struct lv_metadata *md)
{
	char *text;
	size_t len;

	assert_int_equal(lv_metadata_to_text(md, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	return text;
}

static void assert_round_trips(char *text)
{
	struct lv_metadata *md = parse(text);
	char *out = write_text(md);

	if (strcmp(out, text) != 0)
		fail_msg("read\n%s\nwritten as\n%s", text, out);
	free(out);
	lv_metadata_free(&md);
	free(text);
}

static void assert_kdf_round_trips(const char *kdf)
{
	char *keyslot, *text;

	assert_true(asprintf(&keyslot, "\"0\":{\"type\":\"luks2\",\"key_size\":32,\"kdf\":%s,"
			     "\"af\":{\"type\":\"luks1\",\"stripes\":4000,\"hash\":\"sha256\"},"
			     "\"area\":{\"type\":\"raw\",\"offset\":\"32768\",\"size\":\"131072\","
			     "\"encryption\":\"aes-xts-plain64\",\"key_size\":32}}", kdf) > 0);
	text = document(keyslot, "\"0\"", "", "");
	free(keyslot);
	assert_round_trips(text);
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

/* cryptsetup's order of ids and flags, and number texts it accepts,
 * come back as they were. */
static void test_order_and_text_kept(void **state)
{
	(void)state;
	assert_round_trips(document("\"2\":" KEYSLOT(PBKDF2, "294912") ",\"0\":" KEYSLOT(PBKDF2, "32768"),
				    "\"2\",\"0\"",
				    "\"9\":{\"type\":\"b\",\"keyslots\":[]},\"3\":{\"type\":\"a\",\"keyslots\":[\"0\"]}",
				    ",\"flags\":[\"no-journal\",\"zz-unknown\",\"allow-discards\"]"));
	assert_round_trips(document("", "", "", ",\"flags\":[]"));
	/* strtoull() reads config sizes: cryptsetup accepts a sign. */
	assert_round_trips(strdup("{\"keyslots\":{},\"tokens\":{},\"segments\":{\"0\":{\"type\":\"linear\","
				  "\"offset\":\"04194304\",\"size\":\"dynamic\"}},\"digests\":{},"
				  "\"config\":{\"json_size\":\"+12288\",\"keyslots_size\":\"4161536\"}}"));
}

/* A double json-c read from text that is not JSON, or from JSON that reads
 * back as an integer ("123e" keeps "123"), is written from its value, so
 * that the next read gets the same number (the second was found by the
 * luks2_json fuzzer: 118 digits and an "e" came back as 2^64 - 1); one
 * with a fraction or an exponent keeps its text, as cryptsetup writes it. */
static void test_doubles_read_back_as_written(void **state)
{
	static const char digits118[] =
		"2222222222222222222222222222222222222222222222222222222222"
		"222222222222222222222222222222222222222222222222222222221000";
	char *tokens, *first, *second;
	struct lv_metadata *md;

	(void)state;
	assert_true(asprintf(&tokens, "\"0\":{\"type\":\"x\",\"keyslots\":[],\"a\":1.50,"
			     "\"b\":2E3,\"c\":0999e,\"d\":2221000e,\"e\":%se}", digits118) > 0);
	first = document("", "", tokens, "");
	free(tokens);
	md = parse(first);
	free(first);
	first = write_text(md);
	lv_metadata_free(&md);
	md = parse(first);
	second = write_text(md);
	lv_metadata_free(&md);
	if (strcmp(first, second) != 0)
		fail_msg("written\n%s\nthen\n%s", first, second);
	assert_non_null(strstr(first, "\"a\":1.50,\"b\":2E3,\"c\":999.0,\"d\":2221000.0,\"e\":2.2"));
	assert_null(strstr(first, digits118));
	assert_null(strstr(first, "18446744073709551615"));
	free(first);
	free(second);
}

/* A new keyslot and a new token go last, as json-c adds them; removal
 * keeps the others' order; the lists that named them follow. */
static void test_mutators(void **state)
{
	struct lv_metadata *md, *work;
	struct lv_keyslot *ks;
	struct lv_token *token;
	struct lv_err err = { 0 };
	char *text;

	(void)state;
	md = parse(text = document("\"2\":" KEYSLOT(PBKDF2, "294912") ",\"0\":" KEYSLOT(PBKDF2, "32768"),
				   "\"2\",\"0\"", "\"5\":{\"type\":\"t\",\"keyslots\":[\"2\",\"0\"],\"x\":[1]}",
				   ""));
	free(text);
	assert_int_equal(lv_metadata_clone(md, &work), 0);
	lv_metadata_free(&md);	/* the clone stands alone */
	ks = lv_md_add_keyslot(work, 1);
	assert_non_null(ks);
	*ks = work->keyslots[0];
	ks->id = (struct lv_id){ .text = "1", .number = 1, .canonical = true };
	ks->json = NULL;
	ks->area.offset_bytes = 557056;
	assert_int_equal(lv_md_list_add(work, &work->digests[0].keyslots, 1), 0);
	assert_int_equal(lv_metadata_parse_token(work, "{\"type\":\"new\",\"keyslots\":[\"1\"]}", 0,
						 &token, &err), 0);
	lv_md_remove_keyslot(work, lv_md_keyslot(work, 2));
	text = write_text(work);
	assert_non_null(strstr(text, "\"keyslots\":{\"0\":"));
	assert_non_null(strstr(text, "},\"1\":{\"type\":\"luks2\",\"key_size\":32,\"af\":"));
	assert_non_null(strstr(text, "\"tokens\":{\"5\":{\"type\":\"t\",\"keyslots\":[\"0\"],\"x\":[1]},"
			       "\"0\":{\"type\":\"new\",\"keyslots\":[\"1\"]}}"));
	assert_non_null(strstr(text, "\"keyslots\":[\"0\",\"1\"],\"segments\""));
	free(text);
	lv_metadata_free(&work);
}

/* A digest that names no keyslot and no segment is not written, as
 * cryptsetup erases it at every write. */
static void test_unused_digest_dropped(void **state)
{
	struct lv_metadata *md;
	char *text;

	(void)state;
	md = parse(text = document("\"0\":" KEYSLOT(PBKDF2, "32768"), "\"0\"", "", ""));
	free(text);
	lv_md_remove_keyslot(md, &md->keyslots[0]);
	md->digests[0].segments.count = 0;
	text = write_text(md);
	assert_non_null(strstr(text, "\"digests\":{}"));
	free(text);
	lv_metadata_free(&md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_undecodable_salt_kept),
		cmocka_unit_test(test_unknown_kdf_parameters_kept),
		cmocka_unit_test(test_known_kdf_rewritten_identically),
		cmocka_unit_test(test_order_and_text_kept),
		cmocka_unit_test(test_mutators),
		cmocka_unit_test(test_unused_digest_dropped),
		cmocka_unit_test(test_doubles_read_back_as_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
