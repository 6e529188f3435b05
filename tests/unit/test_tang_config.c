/* SPDX-License-Identifier: ISC */
/*
 * test_tang_config.c: the tang key kind of a volume config (luksvol's
 * extension, src/config): what a url and a thumbprint may be, and hostile
 * values refused with one diagnostic naming the slot, the field and where.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "base/constants.h"
#include "config/config.h"
#include "unit_config.h"

#define S256_THP "aGVsbG8td29ybGQtdGhpcy1pcy00My1jaGFycy1sb24"	/* 43, ends in 4 */
#define S1_THP "c2hhLTEtdGh1bWJwcmludC1ieXQ"			/* 27, ends in Q */

/* A UserVolumeConfig "data" with one tang key at slot 0; url and thp are
 * the YAML scalars of its fields as written (NULL leaves the field out),
 * url on line 8 (value at column 14), thumbprint on line 9 (column 21);
 * a missing field is placed at "tang:" (line 7, column 7). */
static char *tang_doc(const char *url, const char *thp)
{
	char *text = NULL;
	int n = asprintf(&text, "apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\n"
			 "encryption:\n  keys:\n    - slot: 0\n      tang:\n%s%s%s%s%s%s",
			 url ? "        url: " : "", url ? url : "", url ? "\n" : "",
			 thp ? "        thumbprint: " : "", thp ? thp : "", thp ? "\n" : "");

	assert_true(n > 0);
	return text;
}

static void assert_accepted(const char *url, const char *thp, const char *want_url,
			    const char *want_thp)
{
	struct lv_config_file *cfg = NULL;
	char *diagnostics = NULL, *text = tang_doc(url, thp);
	const struct lv_config_key *key;

	assert_int_equal(unit_config_parse(text, &cfg, &diagnostics), 0);
	assert_non_null(cfg);
	assert_int_equal(cfg->volume_count, 1);
	assert_int_equal(cfg->volumes[0].encryption.key_count, 1);
	key = &cfg->volumes[0].encryption.keys[0];
	assert_int_equal(key->kind, LV_KEY_TANG);
	assert_int_equal(key->slot, 0);
	assert_string_equal(key->tang.url, want_url);
	assert_string_equal(key->tang.thumbprint, want_thp);
	/* Talos refuses the kind: the config says so. */
	assert_non_null(strstr(cfg->notices, "tang (slot 0) is a luksvol extension: Talos refuses "
				       "this config"));
	lv_config_free(&cfg);
	free(diagnostics);
	free(text);
}

static void assert_refused(const char *url, const char *thp, const char *want)
{
	char *text = tang_doc(url, thp);

	unit_config_refused(text, want);
	free(text);
}

static void test_accepted(void **state)
{
	(void)state;
	assert_accepted("http://tang.example:7500", S256_THP, "http://tang.example:7500", S256_THP);
	/* clevis also takes a SHA-1 thumbprint. */
	assert_accepted("https://tang.example/", S1_THP, "https://tang.example/", S1_THP);
	/* Quoted scalars are the same strings. */
	assert_accepted("\"http://t:1\"", "'" S256_THP "'", "http://t:1", S256_THP);
}

static void test_missing_fields(void **state)
{
	(void)state;
	assert_refused("http://t:1", NULL,
		       "t.yaml:7:7: tang key at slot 0 must have a thumbprint (base64url, as "
		       "`tang-show-keys` prints it)\n");
	assert_refused(NULL, S256_THP,
		       "t.yaml:7:7: tang key at slot 0 must have a url, http:// or https://\n");
	unit_config_refused("apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\n"
			    "encryption:\n  keys:\n    - {slot: 0, tang: {}}\n",
			    "t.yaml:6:17: tang key at slot 0 must have a url, http:// or https://\n"
			    "t.yaml:6:17: tang key at slot 0 must have a thumbprint (base64url, as "
			    "`tang-show-keys` prints it)\n");
	/* A null thumbprint is no thumbprint. */
	assert_refused("http://t:1", "~",
		       "t.yaml:7:7: tang key at slot 0 must have a thumbprint (base64url, as "
		       "`tang-show-keys` prints it)\n");
}

static void test_thumbprint_shape(void **state)
{
	(void)state;
	assert_refused("http://t:1", "''", "t.yaml:9:21: tang key at slot 0: thumbprint is empty\n");
	assert_refused("http://t:1", S256_THP "A",
		       "t.yaml:9:21: tang key at slot 0: thumbprint has 44 characters: a SHA-256 "
		       "thumbprint has 43, a SHA-1 one 27\n");
	assert_refused("http://t:1", "7",
		       "t.yaml:9:21: tang key at slot 0: thumbprint has 1 characters: a SHA-256 "
		       "thumbprint has 43, a SHA-1 one 27\n");
	/* Padding, standard base64's alphabet, a space, a non-ASCII byte. */
	assert_refused("http://t:1", S256_THP "=",
		       "t.yaml:9:21: tang key at slot 0: thumbprint is not base64url: '=' at "
		       "offset 43\n");
	assert_refused("http://t:1", "aGVsbG8td29ybGQtdGhpcy1pcy00My1jaGFycy1sb2+",
		       "t.yaml:9:21: tang key at slot 0: thumbprint is not base64url: '+' at "
		       "offset 42\n");
	assert_refused("http://t:1", "\"aGVsbG8td29ybGQtdGhpcy1pcy00My1jaGF ycy1sb24\"",
		       "t.yaml:9:21: tang key at slot 0: thumbprint is not base64url: byte 0x20 "
		       "at offset 35\n");
	assert_refused("http://t:1", "aGVsbG8td29ybGQtdGhpcy1pcy00My1jaGFycy1sb2\xc3\xa9",
		       "t.yaml:9:21: tang key at slot 0: thumbprint is not base64url: byte 0xc3 "
		       "at offset 42\n");
	/* 43 characters whose last has bits past a 32-byte digest: no
	 * encoder writes it, no key can match it. */
	assert_refused("http://t:1", "aGVsbG8td29ybGQtdGhpcy1pcy00My1jaGFycy1sb25",
		       "t.yaml:9:21: tang key at slot 0: thumbprint cannot be a digest's base64url: "
		       "its last character has bits past the digest\n");
	assert_refused("http://t:1", "c2hhLTEtdGh1bWJwcmludC1ieXR",
		       "t.yaml:9:21: tang key at slot 0: thumbprint cannot be a digest's base64url: "
		       "its last character has bits past the digest\n");
}

static void test_hostile_values(void **state)
{
	char *long_thp = malloc(100001), *long_url = malloc(LV_TANG_URL_MAX + 20), *want = NULL;

	(void)state;
	assert_non_null(long_thp);
	assert_non_null(long_url);
	/* NUL bytes never reach the checks cut short. */
	assert_refused("http://t:1", "\"" S256_THP "\\0x\"",
		       "t.yaml:9:21: encryption.keys[0].tang.thumbprint: the string holds a NUL "
		       "byte\n");
	assert_refused("\"http://t:1\\0x\"", S256_THP,
		       "t.yaml:8:14: encryption.keys[0].tang.url: the string holds a NUL byte\n");
	/* Control characters and spaces in a url that errors and requests
	 * would carry. */
	assert_refused("\"http://t:1\\nHost: evil\"", S256_THP,
		       "t.yaml:8:14: tang key at slot 0: url has a space, a control character or a "
		       "byte outside ASCII\n");
	assert_refused("http://t\xc3\xa9:1", S256_THP,
		       "t.yaml:8:14: tang key at slot 0: url has a space, a control character or a "
		       "byte outside ASCII\n");
	assert_refused("file:///etc/passwd", S256_THP,
		       "t.yaml:8:14: tang key at slot 0: url is not http:// or https://\n");
	assert_refused("HTTP://t:1", S256_THP,
		       "t.yaml:8:14: tang key at slot 0: url is not http:// or https://\n");
	memcpy(long_url, "http://", 7);
	memset(long_url + 7, 'a', LV_TANG_URL_MAX);
	long_url[LV_TANG_URL_MAX + 7] = '\0';
	assert_true(asprintf(&want, "t.yaml:8:14: tang key at slot 0: url is %d bytes long, "
			     "more than %d\n", LV_TANG_URL_MAX + 7, LV_TANG_URL_MAX) > 0);
	assert_refused(long_url, S256_THP, want);
	free(want);
	memset(long_thp, 'A', 100000);
	long_thp[100000] = '\0';
	assert_refused("http://t:1", long_thp,
		       "t.yaml:9:21: tang key at slot 0: thumbprint has 100000 characters: a "
		       "SHA-256 thumbprint has 43, a SHA-1 one 27\n");
	/* Not strings, unknown and repeated fields. */
	assert_refused("http://t:1", "[a]",
		       "t.yaml:9:21: encryption.keys[0].tang.thumbprint: cannot unmarshal !!seq "
		       "into string\n");
	assert_refused("{a: b}", S256_THP,
		       "t.yaml:8:14: encryption.keys[0].tang.url: cannot unmarshal !!map into "
		       "string\n");
	assert_refused("http://t:1", S256_THP "\n        extra: 1",
		       "t.yaml:10:9: unknown key \"encryption.keys[0].tang.extra\"\n");
	assert_refused("http://t:1", S256_THP "\n        url: http://u:2",
		       "t.yaml:10:9: mapping key \"url\" already defined at line 8\n");
	unit_config_refused("apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\n"
			    "encryption:\n  keys:\n    - {slot: 0, tang: [1]}\n",
			    "t.yaml:6:23: encryption.keys[0].tang: cannot unmarshal !!seq into map\n");
	free(long_thp);
	free(long_url);
}

/* STATE's encryption config goes to META, read before any network. */
static void test_not_for_state(void **state)
{
	(void)state;
	unit_config_refused("apiVersion: v1alpha1\nkind: VolumeConfig\nname: STATE\n"
			    "encryption:\n  provider: luks2\n  keys:\n"
			    "    - {slot: 0, tang: {url: http://t:1, thumbprint: " S256_THP "}}\n",
			    "t.yaml:7:17: tang key is not allowed for the \"STATE\" volume\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_thumbprint_shape),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_not_for_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
