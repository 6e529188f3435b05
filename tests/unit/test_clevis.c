/* SPDX-License-Identifier: ISC */
/*
 * test_clevis.c: the clevis engine without a tang server (tests/interop/
 * clevis.sh has the real ones): Shamir sharing, the compact form, the LUKS2
 * token codec, the passphrase, and tang/sss encryption to advertisements
 * made here with libjose, their trust checks and their refusals.  A
 * decryption here can only reach 127.0.0.1 port 1, where nothing listens.
 */
#include "unit.h"

#include <errno.h>
#include <unistd.h>

#include "clevis/compact.h"
#include "clevis/engine.h"
#include "crypto/shamir.h"

#define URL_NOBODY "http://127.0.0.1:1"

/* ---- Shamir -------------------------------------------------------------- */

static void test_shamir_roundtrip(void **state)
{
	(void)state;
	for (unsigned t = 1; t <= 4; t++) {
		struct lv_shamir *s = NULL;
		struct lv_secret *secret = NULL, *points[6] = { 0 }, *got = NULL;
		const struct lv_secret *subset[6];

		assert_int_equal(lv_shamir_new(32, t, &s), 0);
		assert_int_equal(lv_shamir_secret(s, &secret), 0);
		for (unsigned i = 0; i < t + 2; i++)
			assert_int_equal(lv_shamir_point(s, &points[i]), 0);
		/* Any t of the t + 2 shares give the secret back. */
		for (unsigned first = 0; first <= 2; first++) {
			for (unsigned i = 0; i < t; i++)
				subset[i] = points[first + i];
			assert_int_equal(lv_shamir_combine(lv_shamir_prime(s), 32, subset, t, &got), 0);
			assert_true(lv_secret_equal(got, secret));
			lv_secret_free(&got);
		}
		/* t - 1 of them do not. */
		if (t > 1) {
			assert_int_equal(lv_shamir_combine(lv_shamir_prime(s), 32, subset, t - 1, &got),
					 0);
			assert_false(lv_secret_equal(got, secret));
			lv_secret_free(&got);
		}
		for (unsigned i = 0; i < t + 2; i++)
			lv_secret_free(&points[i]);
		lv_secret_free(&secret);
		lv_shamir_free(&s);
	}
}

static void test_shamir_refusals(void **state)
{
	struct lv_shamir *s = NULL;
	struct lv_secret *a = NULL, *b = NULL, *got = NULL, *big;
	const struct lv_secret *pair[2];

	(void)state;
	assert_int_equal(lv_shamir_new(0, 1, &s), -EINVAL);
	assert_int_equal(lv_shamir_new(32, 0, &s), -EINVAL);
	assert_int_equal(lv_shamir_new(32, 2, &s), 0);
	assert_int_equal(lv_shamir_point(s, &a), 0);
	b = lv_secret_dup(a->bytes, a->len);
	/* The same x twice has no inverse. */
	pair[0] = a, pair[1] = b;
	assert_int_equal(lv_shamir_combine(lv_shamir_prime(s), 32, pair, 2, &got), -EINVAL);
	assert_null(got);
	/* A coordinate at or above p. */
	big = lv_secret_new(64);
	memset(big->bytes, 0xff, 64);
	pair[1] = big;
	assert_int_equal(lv_shamir_combine(lv_shamir_prime(s), 32, pair, 2, &got), -EINVAL);
	/* A share of the wrong length, and no share at all. */
	big->len = 63;
	assert_int_equal(lv_shamir_combine(lv_shamir_prime(s), 32, pair, 2, &got), -EINVAL);
	assert_int_equal(lv_shamir_combine(lv_shamir_prime(s), 32, pair, 0, &got), -EINVAL);
	lv_secret_free(&big);
	lv_secret_free(&a);
	lv_secret_free(&b);
	lv_shamir_free(&s);
}

/* ---- compact form and token ---------------------------------------------- */

#define JWE_OK "eyJhIjoxfQ..aXY.Y3Q.dGFn"

static void test_compact_split(void **state)
{
	static const char *const bad[] = {
		"eyJhIjoxfQ..aXY.Y3Q", "eyJhIjoxfQ..aXY.Y3Q.dGFn.eA", "eyJhIjoxfQ..aXY.Y3Q=.dGFn",
		"eyJhIjoxfQ..aXY..dGFn", ".a.aXY.Y3Q.dGFn", "eyJhIjoxfQ..aXY.Y3Q.dGFn\n", "",
	};
	struct jwe_span f[JWE_FIELDS];
	struct lv_err err = { 0 };

	(void)state;
	assert_int_equal(jwe_compact_split(JWE_OK, strlen(JWE_OK), f, &err), 0);
	assert_int_equal(f[JWE_ENCRYPTED_KEY].len, 0);
	assert_int_equal(f[JWE_TAG].len, 4);
	assert_memory_equal(f[JWE_CIPHERTEXT].text, "Y3Q", 3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(jwe_compact_split(bad[i], strlen(bad[i]), f, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "clevis JWE"));
	}
}

static void test_token_roundtrip(void **state)
{
	struct lv_clevis_token token;
	struct lv_err err = { 0 };
	char *json = NULL;

	(void)state;
	assert_int_equal(lv_clevis_token_encode(3, JWE_OK, &json, &err), 0);
	/* What `clevis luks bind` imports: jose sorts the JWE's members. */
	assert_string_equal(json, "{\"type\":\"clevis\",\"keyslots\":[\"3\"],\"jwe\":{\"ciphertext\":"
			    "\"Y3Q\",\"encrypted_key\":\"\",\"iv\":\"aXY\",\"protected\":"
			    "\"eyJhIjoxfQ\",\"tag\":\"dGFn\"}}");
	assert_int_equal(lv_clevis_token_decode(json, &token, &err), 0);
	assert_int_equal(token.keyslot, 3);
	assert_string_equal(token.jwe, JWE_OK);
	lv_clevis_token_clear(&token);
	free(json);
	assert_int_equal(lv_clevis_token_encode(32, JWE_OK, &json, &err), -EINVAL);
	assert_int_equal(lv_clevis_token_encode(1, "a.b", &json, &err), -EINVAL);
}

static void test_token_refusals(void **state)
{
#define JWE_MEMBERS "\"ciphertext\":\"Y3Q\",\"encrypted_key\":\"\",\"iv\":\"aXY\"," \
	"\"protected\":\"eyJhIjoxfQ\",\"tag\":\"dGFn\""
	static const char *const bad[] = {
		"[]", "{\"type\":\"clevis\"}", "not json",
		"{\"type\":\"systemd-tpm2\",\"keyslots\":[\"1\"],\"jwe\":{" JWE_MEMBERS "}}",
		"{\"type\":\"clevis\",\"keyslots\":[],\"jwe\":{" JWE_MEMBERS "}}",
		"{\"type\":\"clevis\",\"keyslots\":[\"1\",\"2\"],\"jwe\":{" JWE_MEMBERS "}}",
		"{\"type\":\"clevis\",\"keyslots\":[1],\"jwe\":{" JWE_MEMBERS "}}",
		"{\"type\":\"clevis\",\"keyslots\":[\"32\"],\"jwe\":{" JWE_MEMBERS "}}",
		"{\"type\":\"clevis\",\"keyslots\":[\"-1\"],\"jwe\":{" JWE_MEMBERS "}}",
		"{\"type\":\"clevis\",\"keyslots\":[\"1x\"],\"jwe\":{" JWE_MEMBERS "}}",
		"{\"type\":\"clevis\",\"keyslots\":[\"1\"],\"jwe\":\"" JWE_OK "\"}",
		"{\"type\":\"clevis\",\"keyslots\":[\"1\"],\"jwe\":{\"ciphertext\":\"Y3Q\"}}",
		"{\"type\":\"clevis\",\"keyslots\":[\"1\"],\"jwe\":{" JWE_MEMBERS ",\"header\":{}}}",
		"{\"type\":\"clevis\",\"keyslots\":[\"1\"],\"jwe\":{" JWE_MEMBERS ",\"aad\":\"eA\"}}",
		"{\"type\":\"clevis\",\"keyslots\":[\"1\"],\"jwe\":{\"ciphertext\":\"Y3Q\","
		"\"encrypted_key\":\"\",\"iv\":\"aXY\",\"protected\":\"e/A\",\"tag\":\"dGFn\"}}",
	};
	struct lv_clevis_token token;
	struct lv_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(lv_clevis_token_decode(bad[i], &token, &err), -EINVAL);
		assert_null(token.jwe);
		assert_true(err.msg[0] != '\0');
	}
}

static void test_passphrase(void **state)
{
	struct lv_secret *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(lv_clevis_passphrase_new(&a, NULL), 0);
	assert_int_equal(lv_clevis_passphrase_new(&b, NULL), 0);
	assert_int_equal(a->len, 54);
	for (size_t i = 0; i < a->len; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_", a->bytes[i]));
	assert_false(lv_secret_equal(a, b));
	lv_secret_free(&a);
	lv_secret_free(&b);
}

/* ---- advertisements made here --------------------------------------------- */

struct server {
	json_t *sig, *exc;	/* private JWKs */
	json_t *jws;		/* the advertisement */
};

static json_t *public_copy(const json_t *jwk)
{
	json_t *pub = json_deep_copy(jwk);

	assert_true(jose_jwk_pub(NULL, pub));
	return pub;
}

/* A JWS of keys signed by each of signers (a NULL-terminated list). */
static json_t *sign_keys(json_t *keys, json_t *const signers[])
{
	char *payload = json_dumps(keys, JSON_SORT_KEYS);
	json_t *jws = json_pack("{s:o}", "payload", jose_b64_enc(payload, strlen(payload)));

	for (size_t i = 0; signers[i]; i++) {
		json_t *sig = json_pack("{s:{s:s}}", "protected", "cty", "jwk-set+json");

		assert_true(jose_jws_sig(NULL, jws, sig, signers[i]));
		json_decref(sig);
	}
	free(payload);
	return jws;
}

static void server_new(struct server *s)
{
	json_t *keys;

	s->sig = json_pack("{s:s}", "alg", "ES512");
	s->exc = json_pack("{s:s}", "alg", "ECMR");
	assert_true(jose_jwk_gen(NULL, s->sig));
	assert_true(jose_jwk_gen(NULL, s->exc));
	keys = json_pack("{s:[oo]}", "keys", public_copy(s->sig), public_copy(s->exc));
	s->jws = sign_keys(keys, (json_t *const[]){ s->sig, NULL });
	json_decref(keys);
}

static void server_free(struct server *s)
{
	json_decref(s->sig);
	json_decref(s->exc);
	json_decref(s->jws);
}

static char *thumbprint(const json_t *jwk)
{
	json_t *thp = jose_jwk_thp(NULL, jwk, "S256");
	char *text = strdup(json_string_value(thp));

	json_decref(thp);
	return text;
}

/* {"url":url,"adv":jws[,"thp":thp]} as text. */
static char *tang_config(const char *url, const json_t *jws, const char *thp)
{
	json_t *cfg = json_pack("{s:s,s:O}", "url", url, "adv", jws);
	char *text;

	if (thp)
		json_object_set_new(cfg, "thp", json_string(thp));
	text = json_dumps(cfg, JSON_COMPACT);
	json_decref(cfg);
	return text;
}

static struct lv_secret *plaintext(void)
{
	return lv_secret_dup("a passphrase", 12);
}

static json_t *header_of(const char *jwe)
{
	json_t *b64 = json_stringn(jwe, (size_t)(strchr(jwe, '.') - jwe));
	json_t *hdr = jose_b64_dec_load(b64);

	json_decref(b64);
	return hdr;
}

static void test_tang_encrypt_offline(void **state)
{
	struct server s;
	struct lv_secret *pt = plaintext(), *out = NULL;
	struct lv_err err = { 0 };
	char *cfg, *jwe = NULL, *text = NULL, *kid;
	json_t *hdr;

	(void)state;
	server_new(&s);
	cfg = tang_config(URL_NOBODY, s.jws, NULL);
	/* An "adv" given in the config is trusted as it is (clevis does so). */
	assert_int_equal(lv_clevis_encrypt("tang", cfg, pt, NULL, &jwe, &err), 0);
	assert_int_equal(lv_clevis_describe(jwe, strlen(jwe), &text, &err), 0);
	assert_string_equal(text, "tang '{\"url\":\"" URL_NOBODY "\"}'");
	hdr = header_of(jwe);
	kid = thumbprint(s.exc);
	assert_string_equal(json_string_value(json_object_getn(hdr, "kid", 3)), kid);
	assert_string_equal(json_string_value(json_object_getn(hdr, "alg", 3)), "ECDH-ES");
	assert_string_equal(json_string_value(json_object_getn(hdr, "enc", 3)), "A256GCM");
	assert_non_null(json_object_getn(hdr, "epk", 3));
	/* Decryption needs the server: nobody is there. */
	assert_int_equal(lv_clevis_decrypt(jwe, strlen(jwe), NULL, &out, &err), -ECONNREFUSED);
	assert_null(out);
	assert_non_null(strstr(err.msg, "tang server " URL_NOBODY " (key recovery)"));
	json_decref(hdr);
	free(kid);
	free(text);
	free(jwe);
	free(cfg);
	lv_secret_free(&pt);
	server_free(&s);
}

/* An advertisement of keys signed by signers is refused with want. */
static void refused_adv(json_t *keys, json_t *const signers[], int want, const char *says)
{
	struct lv_secret *pt = plaintext();
	json_t *jws = sign_keys(keys, signers);
	char *cfg = tang_config(URL_NOBODY, jws, NULL), *jwe = NULL;
	struct lv_err err = { 0 };

	assert_int_equal(lv_clevis_encrypt("tang", cfg, pt, NULL, &jwe, &err), want);
	assert_non_null(strstr(err.msg, says));
	assert_null(jwe);
	free(cfg);
	json_decref(jws);
	json_decref(keys);
	lv_secret_free(&pt);
}

static void test_tang_trust(void **state)
{
	struct server s, other;
	struct lv_secret *pt = plaintext();
	struct lv_err err = { 0 };
	char *sig_thp, *exc_thp, *cfg, *jwe = NULL;

	(void)state;
	server_new(&s);
	server_new(&other);
	sig_thp = thumbprint(s.sig);
	exc_thp = thumbprint(s.exc);
	/* A thumbprint given must be a signing key's. */
	cfg = tang_config(URL_NOBODY, s.jws, sig_thp);
	assert_int_equal(lv_clevis_encrypt("tang", cfg, pt, NULL, &jwe, &err), 0);
	free(jwe);
	free(cfg);
	cfg = tang_config(URL_NOBODY, s.jws, exc_thp);
	assert_int_equal(lv_clevis_encrypt("tang", cfg, pt, NULL, &jwe, &err), -EPERM);
	assert_non_null(strstr(err.msg, "names no key that signed"));
	free(cfg);
	/* Keys signed by another server's key; two signing keys listed and one
	 * signature; no signing key at all; no exchange key. */
	refused_adv(json_pack("{s:[oo]}", "keys", public_copy(s.sig), public_copy(s.exc)),
		    (json_t *const[]){ other.sig, NULL }, -EPERM, "not signed by every signing key");
	refused_adv(json_pack("{s:[ooo]}", "keys", public_copy(s.sig), public_copy(other.sig),
			      public_copy(s.exc)),
		    (json_t *const[]){ s.sig, NULL }, -EPERM, "not signed by every signing key");
	refused_adv(json_pack("{s:[o]}", "keys", public_copy(s.exc)),
		    (json_t *const[]){ s.sig, NULL }, -EPERM, "no signing key");
	refused_adv(json_pack("{s:[o]}", "keys", public_copy(s.sig)),
		    (json_t *const[]){ s.sig, NULL }, -EINVAL, "no exchange");
	/* Bad urls are refused before anything is fetched. */
	cfg = tang_config("file:///etc/passwd", s.jws, NULL);
	assert_int_equal(lv_clevis_encrypt("tang", cfg, pt, NULL, &jwe, &err), -EINVAL);
	free(cfg);
	cfg = tang_config("http://a b", s.jws, NULL);
	assert_int_equal(lv_clevis_encrypt("tang", cfg, pt, NULL, &jwe, &err), -EINVAL);
	free(cfg);
	free(sig_thp);
	free(exc_thp);
	lv_secret_free(&pt);
	server_free(&s);
	server_free(&other);
}

static int trust_calls;

static int refuse_trust(void *ctx, const char *url, const char *const thumbprints[], size_t count)
{
	(void)url;
	assert_int_equal(count, 1);
	assert_string_equal(thumbprints[0], ctx);
	trust_calls++;
	return 0;
}

/* Config errors, and a server that is not there. */
static void test_tang_no_server(void **state)
{
	struct lv_secret *pt = plaintext();
	struct lv_clevis_opts opts = { .timeout_ms = 2000 };
	struct lv_err err = { 0 };
	char *jwe = NULL;

	(void)state;
	assert_int_equal(lv_clevis_encrypt("tang", "{\"url\":\"" URL_NOBODY "\"}", pt, &opts, &jwe,
					   &err), -ECONNREFUSED);
	assert_non_null(strstr(err.msg, "tang server " URL_NOBODY " (advertisement)"));
	assert_int_equal(lv_clevis_encrypt("tang", "{\"url\":1}", pt, &opts, &jwe, &err), -EINVAL);
	assert_int_equal(lv_clevis_encrypt("tang", "{\"url\":\"" URL_NOBODY "\",\"thp\":3}", pt,
					   &opts, &jwe, &err), -EINVAL);
	assert_int_equal(lv_clevis_encrypt("tang", "{\"url\":\"" URL_NOBODY "\",\"adv\":\"/nonexistent\"}",
					   pt, &opts, &jwe, &err), -ENOENT);
	assert_int_equal(lv_clevis_encrypt("tang", "{\"url\":\"" URL_NOBODY "\",\"adv\":\"/tmp\"}",
					   pt, &opts, &jwe, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(lv_clevis_encrypt("tang", "{,}", pt, &opts, &jwe, &err), -EINVAL);
	assert_int_equal(lv_clevis_encrypt("nope", "{}", pt, &opts, &jwe, &err), -ENOTSUP);
	lv_secret_free(&pt);
}

/* An advertisement read from the file the config names is the config's:
 * trusted without asking (the callback path is in tests/interop/clevis.sh). */
static void test_tang_adv_file(void **state)
{
	struct server s;
	struct lv_secret *pt = plaintext();
	struct lv_err err = { 0 };
	char path[] = "/tmp/lv-adv-XXXXXX", *sig_thp, *cfg, *jwe = NULL;
	struct lv_clevis_opts opts = { .trust = refuse_trust };
	json_t *config;
	int fd;

	(void)state;
	server_new(&s);
	sig_thp = thumbprint(s.sig);
	opts.trust_ctx = sig_thp;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(json_dumpfd(s.jws, fd, 0), 0);
	close(fd);
	config = json_pack("{s:s,s:s}", "url", URL_NOBODY, "adv", path);
	cfg = json_dumps(config, 0);
	trust_calls = 0;
	assert_int_equal(lv_clevis_encrypt("tang", cfg, pt, &opts, &jwe, &err), 0);
	assert_int_equal(trust_calls, 0);
	unlink(path);
	free(jwe);
	free(cfg);
	json_decref(config);
	free(sig_thp);
	lv_secret_free(&pt);
	server_free(&s);
}

/* ---- sss ------------------------------------------------------------------ */

static char *sss_config(int t, const struct server *servers, size_t n)
{
	json_t *tang = json_array(), *cfg;
	char *text;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(tang, json_pack("{s:s,s:O}", "url", URL_NOBODY, "adv",
						      servers[i].jws));
	cfg = json_pack("{s:i,s:{s:o}}", "t", t, "pins", "tang", tang);
	text = json_dumps(cfg, JSON_COMPACT);
	json_decref(cfg);
	return text;
}

static void test_sss_offline(void **state)
{
	struct server s[3];
	struct lv_secret *pt = plaintext(), *out = NULL;
	struct lv_err err = { 0 };
	char *cfg, *jwe = NULL, *text = NULL;
	json_t *hdr, *sss;

	(void)state;
	for (int i = 0; i < 3; i++)
		server_new(&s[i]);
	cfg = sss_config(2, s, 3);
	assert_int_equal(lv_clevis_encrypt("sss", cfg, pt, NULL, &jwe, &err), 0);
	assert_int_equal(lv_clevis_describe(jwe, strlen(jwe), &text, &err), 0);
	assert_string_equal(text, "sss '{\"t\":2,\"pins\":{\"tang\":[{\"url\":\"" URL_NOBODY "\"},"
			    "{\"url\":\"" URL_NOBODY "\"},{\"url\":\"" URL_NOBODY "\"}]}}'");
	hdr = header_of(jwe);
	sss = json_object_getn(json_object_getn(hdr, "clevis", 6), "sss", 3);
	assert_string_equal(json_string_value(json_object_getn(hdr, "alg", 3)), "dir");
	assert_string_equal(json_string_value(json_object_getn(hdr, "enc", 3)), "A256GCM");
	assert_int_equal(json_array_size(json_object_getn(sss, "jwe", 3)), 3);
	assert_int_equal(json_string_length(json_object_getn(sss, "p", 1)), 43);
	assert_int_equal(lv_clevis_decrypt(jwe, strlen(jwe), NULL, &out, &err), -ENOKEY);
	assert_non_null(strstr(err.msg, "sss: 0 of 3 pins decrypted, 2 needed: tang server"));
	json_decref(hdr);
	free(text);
	free(jwe);
	free(cfg);
	lv_secret_free(&pt);
	for (int i = 0; i < 3; i++)
		server_free(&s[i]);
}

static void test_sss_config_refusals(void **state)
{
	static const char *const bad[] = {
		"{\"t\":0,\"pins\":{\"tang\":[{\"url\":\"" URL_NOBODY "\"}]}}",
		"{\"t\":2,\"pins\":{\"tang\":[{\"url\":\"" URL_NOBODY "\"}]}}",
		"{\"t\":\"1\",\"pins\":{\"tang\":[{\"url\":\"" URL_NOBODY "\"}]}}",
		"{\"t\":1,\"pins\":[]}", "{\"t\":1}", "{\"t\":1,\"pins\":{\"tang\":[1]}}",
	};
	struct lv_secret *pt = plaintext();
	struct lv_err err = { 0 };
	char *jwe = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lv_clevis_encrypt("sss", bad[i], pt, NULL, &jwe, &err), -EINVAL);
	assert_int_equal(lv_clevis_encrypt("sss", "{\"t\":1,\"pins\":{\"pkcs11\":{}}}", pt, NULL, &jwe,
					   &err), -ENOTSUP);
	lv_secret_free(&pt);
}

static void test_sss_depth(void **state)
{
	struct server s;
	struct lv_secret *pt = plaintext();
	struct lv_err err = { 0 };
	char *jwe = NULL, *text;
	json_t *cfg;

	(void)state;
	server_new(&s);
	cfg = json_pack("{s:s,s:O}", "url", URL_NOBODY, "adv", s.jws);
	cfg = json_pack("{s:i,s:{s:o}}", "t", 1, "pins", "tang", cfg);
	for (int level = 0; level < 9; level++)
		cfg = json_pack("{s:i,s:{s:o}}", "t", 1, "pins", "sss", cfg);
	text = json_dumps(cfg, 0);
	assert_int_equal(lv_clevis_encrypt("sss", text, pt, NULL, &jwe, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nested deeper"));
	free(text);
	json_decref(cfg);
	lv_secret_free(&pt);
	server_free(&s);
}

/* ---- JWEs no pin opens ----------------------------------------------------- */

static char *jwe_with_header(json_t *hdr)
{
	char *text = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS), *jwe;
	json_t *b64 = jose_b64_enc(text, strlen(text));

	assert_true(asprintf(&jwe, "%s..aXZpdml2aXZpdml2.Y3Q.dGFndGFndGFndGFndGFndA",
			     json_string_value(b64)) > 0);
	json_decref(hdr);
	json_decref(b64);
	free(text);
	return jwe;
}

static void test_jwe_refusals(void **state)
{
	struct server s;
	struct lv_secret *out = NULL;
	struct lv_err err = { 0 };
	struct refused {
		json_t *hdr;
		int want;
		const char *says;
	} cases[6];
	json_t *keys;
	size_t n = 0;

	(void)state;
	server_new(&s);
	keys = json_pack("{s:[oo]}", "keys", public_copy(s.sig), public_copy(s.exc));
	cases[n++] = (struct refused){ json_pack("{s:{s:s}}", "clevis", "pin", "nope"), -ENOTSUP,
					 "not supported" };
	cases[n++] = (struct refused){ json_pack("{s:s}", "alg", "dir"), -EINVAL, "clevis.pin" };
	cases[n++] = (struct refused){ json_pack("{s:s,s:{s:s}}", "zip", "DEF", "clevis", "pin",
						   "tang"), -EINVAL, "zip" };
	cases[n++] = (struct refused){ json_pack("{s:s,s:{s:s,s:{s:s,s:O}},s:O}", "kid", "x",
						   "clevis", "pin", "tang", "tang", "url",
						   "file:///etc/passwd", "adv", keys, "epk", s.exc),
					 -EINVAL, "not http" };
	cases[n++] = (struct refused){ json_pack("{s:s,s:{s:s,s:{s:s,s:O}},s:O}", "kid",
						   "no-such-kid", "clevis", "pin", "tang", "tang",
						   "url", URL_NOBODY, "adv", keys, "epk", s.exc),
					 -EINVAL, "thumbprint of no key" };
	cases[n++] = (struct refused){ json_pack("{s:s,s:{s:s,s:{s:i,s:s,s:[s]}}}", "alg", "dir",
						   "clevis", "pin", "sss", "sss", "t", 2, "p",
						   "AQ", "jwe", "a.b"), -EINVAL, "threshold" };
	for (size_t i = 0; i < n; i++) {
		char *jwe = jwe_with_header(cases[i].hdr);

		err.msg[0] = '\0';
		assert_int_equal(lv_clevis_decrypt(jwe, strlen(jwe), NULL, &out, &err), cases[i].want);
		assert_non_null(strstr(err.msg, cases[i].says));
		assert_null(out);
		free(jwe);
	}
	json_decref(keys);
	server_free(&s);
}

/* libjose leaves keys in jansson objects: the engine makes jansson's free
 * wipe. */
static void test_jansson_wipes(void **state)
{
	struct lv_secret *out = NULL;
	struct lv_err err = { 0 };
	json_malloc_t m;
	json_free_t f;

	(void)state;
	lv_clevis_decrypt("x", 1, NULL, &out, &err);
	json_get_alloc_funcs(&m, &f);
	assert_true(f != free);
}

/* The advertisements are made with libjose's calls before any of the
 * engine's entry points has loaded it. */
static int load_jose(void **state)
{
	struct lv_err err = { 0 };

	(void)state;
	if (lv_jose_load(&err) < 0) {
		print_error("%s\n", err.msg);
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shamir_roundtrip),
		cmocka_unit_test(test_shamir_refusals),
		cmocka_unit_test(test_compact_split),
		cmocka_unit_test(test_token_roundtrip),
		cmocka_unit_test(test_token_refusals),
		cmocka_unit_test(test_passphrase),
		cmocka_unit_test(test_tang_encrypt_offline),
		cmocka_unit_test(test_tang_trust),
		cmocka_unit_test(test_tang_no_server),
		cmocka_unit_test(test_tang_adv_file),
		cmocka_unit_test(test_sss_offline),
		cmocka_unit_test(test_sss_config_refusals),
		cmocka_unit_test(test_sss_depth),
		cmocka_unit_test(test_jwe_refusals),
		cmocka_unit_test(test_jansson_wipes),
	};

	return cmocka_run_group_tests(tests, load_jose, NULL);
}
