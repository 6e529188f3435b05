/* SPDX-License-Identifier: ISC */
/*
 * test_tpm_blob.c: src/tpm without a TPM: templates, Names, the policy
 * calculator, PEM keys, TPM2B bounds, the talos-tpm2 token and .pcrsig.
 * The expected values come from tests/tpm/tpmtest.py (Python's
 * cryptography and hashlib, written from the TPM 2.0 specification) and
 * from tokens luksvol sealed on swtpm that tpm2-tools unsealed.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "luks2/metadata.h"
#include "tpm/rsa_pubkey.h"
#include "tpm/talos_tpm2.h"
#include "tpm/tpm.h"
#include "tpm/tpm_tss2.h"

/* An RSA-1024 key (tpmtest.py keygen), its SubjectPublicKeyInfo DER. */
static const char key_der_hex[] =
	"30819f300d06092a864886f70d010101050003818d00308189028181009febe8160afa92ce93cb"
	"baa813036fe89e5dd0ebad9bd693b76ee24b1bad85b051bf78245e2e7d5cc3f520440d6d8fd2fe"
	"cbad807e5d10c3ab9c087684324e551bcbf1a52955249fe87035a58fd2315cbdd81ac6513947e7"
	"efa694a6c526e5a8f5f347ab4a251e328e32a427ccc63e391943359266ebb053cb65025ba891fc"
	"610203010001";
/* tpmtest.py: name_of(RSAPubKeyTemplate), fingerprint, PolicyAuthorize. */
static const char key_name_hex[] =
	"000bb8c478028772b69a6a08080210e8ebf286708a28b2f7dfdfdc8f912bf1829acf";
static const char key_pkfp_hex[] =
	"e06d59cc24787500c78340b10a384bba4f668ebde3c1b28501dfb0f1967c98f8";
static const char authorize_hex[] =
	"99b645f53b73494daca17e9e3cd47d54af03f3bec62676df5b511c461a160d5a";
/* PCR 7 = sha256("x"); PolicyPCR(7) from zero, PolicyPCR(0 = zero, 7), and
 * PolicyAuthorize(key) then PolicyPCR(7). */
static const char pcr7_hex[] = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
static const char policy_pcr7_hex[] =
	"600c99a2606c077be040a3a62ae9346f103b5710c96e864bfa7f6069eb447186";
static const char policy_pcr0_7_hex[] =
	"098fff913ae554e4ba3175f12d20c87eab4bf0893646e783148370650563c32d";
static const char sealing_pcr7_hex[] =
	"54f7b484801a83d13e4fde4dfb9441e2cd3b80737dc3a6a45393e4041bb25c2b";

/* Sealed on swtpm by lvtpm enrol; unsealed by tpm2-tools (tests/interop/tpm.sh). */
static const char signed_token[] =
	"{\"UserData\":{\"keyslots\":[3],\"sealed_blob_private\":\"AJ4AIETJXVFFIGfnjNxfGiaB2xJUpjmm6PNQCyn23g3RXO10ABBYcuCdxVzszccrn3+2PP6m9U7mQsCrMHswXW8CxtnwjhvKh4ydhIbwO0dABURk/aKn5jJU8nOSevoQPgJuyasQM1ilURajzHLW6TMqde8EwY6nufRtdCMSWq6beZJneQwkMYLUkUTaFTbqeBg2ymvJWPROXdpBoK75Iw==\","
	"\"sealed_blob_public\":\"AE4ACAALAAAEEgAgpXPEARAKqpVwAs0dFcWBBTXGEYqk86ECHxvp+Zi/+MIAEAAgW652OxCNbQCeaxzgnxP99etsSnRPCgoOKNu0axPxJNM=\","
	"\"pcrs\":[7],\"pubkey_pcrs\":[11],\"alg\":\"sha256\",\"encryption_version\":\"1\","
	"\"policy_hash\":\"pXPEARAKqpVwAs0dFcWBBTXGEYqk86ECHxvp+Zi/+MI=\","
	"\"key_name\":\"ACIAC4fuZ8NKosp65ZBKu5xzOU1s6/DmnE2eJbDDM+Owjcff\"},"
	"\"type\":\"talos-tpm2\",\"keyslots\":[]}";
static const char pcr_only_token[] =
	"{\"UserData\":{\"keyslots\":[1],\"sealed_blob_private\":\"AJ4AIGM12qo5n3vlAeCj07FJf9jTc03jksw9/ne6MykkT3tXABAOyOpDxxzcxzNckDCPzbDz374YTd/3rWqNUvr4h4uqTHcGCBDOpHN707mQ26fq0ckih5Tw0V565+W4ed7BHXJisRgo8Egu6B18YP8Xb9k8nKpMzo/8XhvupiAkB4iIqtk1ox5qdAAi+xWHaXVHGBDHJ5gFabOnYyMl8g==\","
	"\"sealed_blob_public\":\"AE4ACAALAAAEEgAgjLhOcJ8HPW8lVyTucQNn+ynJy7YQ8F32aObmADr8NRQAEAAgtJYlfPSVs8WBB2Zfd0ska36YZuBnwd5C7bWsxuvrlUs=\","
	"\"pcrs\":[7],\"pubkey_pcrs\":[],\"alg\":\"sha256\",\"encryption_version\":\"1\","
	"\"policy_hash\":\"jLhOcJ8HPW8lVyTucQNn+ynJy7YQ8F32aObmADr8NRQ=\","
	"\"key_name\":\"ACIAC9NKaA95675qFlKcW32igjlOAiwwkHVb1xFARuuy0Ohh\","
	"\"luksvol_policy\":\"pcr-only\"},\"type\":\"talos-tpm2\",\"keyslots\":[]}";
/* As Talos < 1.12 wrote it: pcrs [11], no pubkey_pcrs, no encryption_version. */
static const char legacy_token[] =
	"{\"UserData\":{\"keyslots\":[3],\"sealed_blob_private\":\"AJ4AIETJXVFFIGfnjNxfGiaB2xJUpjmm6PNQCyn23g3RXO10ABBYcuCdxVzszccrn3+2PP6m9U7mQsCrMHswXW8CxtnwjhvKh4ydhIbwO0dABURk/aKn5jJU8nOSevoQPgJuyasQM1ilURajzHLW6TMqde8EwY6nufRtdCMSWq6beZJneQwkMYLUkUTaFTbqeBg2ymvJWPROXdpBoK75Iw==\","
	"\"sealed_blob_public\":\"AE4ACAALAAAEEgAgpXPEARAKqpVwAs0dFcWBBTXGEYqk86ECHxvp+Zi/+MIAEAAgW652OxCNbQCeaxzgnxP99etsSnRPCgoOKNu0axPxJNM=\","
	"\"pcrs\":[11],\"alg\":\"sha256\","
	"\"policy_hash\":\"pXPEARAKqpVwAs0dFcWBBTXGEYqk86ECHxvp+Zi/+MI=\","
	"\"key_name\":\"ACIAC4fuZ8NKosp65ZBKu5xzOU1s6/DmnE2eJbDDM+Owjcff\"},"
	"\"type\":\"talos-tpm2\",\"keyslots\":[]}";

/* PEM of der, 64 base64 characters a line, between the given labels. */
static char *pem_of(const uint8_t *der, size_t len, const char *label)
{
	char *b64 = malloc(lv_base64_encoded_len(len) + 1), *pem = malloc(4096);
	size_t at = 0, b64_len;

	assert_non_null(b64);
	assert_non_null(pem);
	lv_base64_encode(der, len, b64);
	b64_len = strlen(b64);
	at += (size_t)snprintf(pem + at, 4096 - at, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < b64_len; i += 64)
		at += (size_t)snprintf(pem + at, 4096 - at, "%.64s\n", b64 + i);
	snprintf(pem + at, 4096 - at, "-----END %s-----\n", label);
	free(b64);
	return pem;
}

static int parse_pem(const char *pem, struct lv_rsa_pubkey *key, struct lv_err *err)
{
	return lv_rsa_pubkey_from_pem(pem, strlen(pem), key, "key.pem", err);
}

static void load_key(struct lv_rsa_pubkey *key)
{
	uint8_t der[512];
	size_t len = unit_hex(key_der_hex, der, sizeof(der));
	char *pem = pem_of(der, len, "PUBLIC KEY");
	struct lv_err err = { 0 };

	assert_int_equal(parse_pem(pem, key, &err), 0);
	free(pem);
}

static void test_srk_template(void **state)
{
	static const char srk_hex[] =
		"0023000b0003047200000006008000430010000300100020"
		"0000000000000000000000000000000000000000000000000000000000000000"
		"0020"
		"0000000000000000000000000000000000000000000000000000000000000000";
	TPM2B_PUBLIC template;
	uint8_t bytes[sizeof(TPMT_PUBLIC)];
	size_t len = 0;

	(void)state;
	assert_int_equal(lv_tpm_primary_template(LV_TPM_PRIMARY_SRK_ECC, &template), 0);
	/* tpm2-tss's own marshaller, loaded as luksvol loads it. */
	assert_int_equal(lv_tss2_load(NULL), 0);
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&template.publicArea, bytes, sizeof(bytes),
						     &len),
			 TSS2_RC_SUCCESS);
	/* go-tpm ECCSRKTemplate: ECC, SHA-256, 0x00030472, AES-128-CFB, scheme
	 * NULL, P-256, kdf NULL, X and Y of 32 zero bytes. */
	unit_assert_hex(bytes, len, srk_hex);
}

static void test_key_name_and_policies(void **state)
{
	struct lv_rsa_pubkey key;
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;
	struct lv_tpm_calc calc;
	uint8_t fp[32], values[LV_TPM_PCR_COUNT][LV_TPM_DIGEST_BYTES] = { { 0 } };
	TPML_PCR_SELECTION sel;
	TPM2B_DIGEST composite;

	(void)state;
	load_key(&key);
	assert_int_equal(key.exponent, 65537);
	assert_int_equal(key.modulus_len, 128);
	assert_int_equal(lv_tpm_rsa_public(key.modulus, key.modulus_len, key.exponent, &pub), 0);
	assert_int_equal(pub.publicArea.parameters.rsaDetail.keyBits, 1024);
	assert_int_equal(lv_tpm_object_name(&pub.publicArea, &name), 0);
	unit_assert_hex(name.name, name.size, key_name_hex);
	assert_int_equal(lv_rsa_pubkey_fingerprint(&key, fp), 0);
	unit_assert_hex(fp, sizeof(fp), key_pkfp_hex);

	lv_tpm_calc_start(&calc);
	assert_int_equal(lv_tpm_calc_authorize(&calc, &name, NULL, 0), 0);
	unit_assert_hex(calc.digest, sizeof(calc.digest), authorize_hex);
	unit_hex(pcr7_hex, values[7], LV_TPM_DIGEST_BYTES);
	lv_tpm_pcr_selection(1u << 7, &sel);
	assert_int_equal(lv_tpm_pcr_composite(1u << 7, values, &composite), 0);
	assert_int_equal(lv_tpm_calc_pcr(&calc, &sel, composite.buffer), 0);
	unit_assert_hex(calc.digest, sizeof(calc.digest), sealing_pcr7_hex);

	lv_tpm_calc_start(&calc);
	assert_int_equal(lv_tpm_calc_pcr(&calc, &sel, composite.buffer), 0);
	unit_assert_hex(calc.digest, sizeof(calc.digest), policy_pcr7_hex);
	/* PCR 0 (zero) and 7: the composite hashes them in ascending order. */
	lv_tpm_calc_start(&calc);
	lv_tpm_pcr_selection(1u << 0 | 1u << 7, &sel);
	assert_int_equal(sel.pcrSelections[0].pcrSelect[0], 0x81);
	assert_int_equal(lv_tpm_pcr_composite(1u << 0 | 1u << 7, values, &composite), 0);
	assert_int_equal(lv_tpm_calc_pcr(&calc, &sel, composite.buffer), 0);
	unit_assert_hex(calc.digest, sizeof(calc.digest), policy_pcr0_7_hex);
	/* PolicyAuthorize forgets what came before. */
	assert_int_equal(lv_tpm_calc_authorize(&calc, &name, NULL, 0), 0);
	unit_assert_hex(calc.digest, sizeof(calc.digest), authorize_hex);
}

/* der_hex with the bytes at offset replaced by patch (same length), or
 * extra appended, as PEM; refused. */
static void refuse_der(const char *patch, size_t offset, const char *extra, const char *label,
		       const char *want)
{
	uint8_t der[600];
	size_t len = unit_hex(key_der_hex, der, sizeof(der));
	struct lv_rsa_pubkey key;
	struct lv_err err = { 0 };
	char *pem;

	if (patch)
		unit_hex(patch, der + offset, sizeof(der) - offset);
	if (extra)
		len += unit_hex(extra, der + len, sizeof(der) - len);
	pem = pem_of(der, len, label);
	assert_int_equal(parse_pem(pem, &key, &err), -EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	free(pem);
}

static void test_pem_refusals(void **state)
{
	struct lv_rsa_pubkey key;
	struct lv_err err = { 0 };
	uint8_t der[512];
	size_t len = unit_hex(key_der_hex, der, sizeof(der));
	char *pem = pem_of(der, len, "PUBLIC KEY"), text[4096];

	(void)state;
	/* Text around the block is ignored, as by Go's pem.Decode. */
	snprintf(text, sizeof(text), "a comment\n%sand after\n", pem);
	assert_int_equal(parse_pem(text, &key, &err), 0);
	refuse_der(NULL, 0, "00", "PUBLIC KEY", "not a DER SubjectPublicKeyInfo");
	refuse_der(NULL, 0, NULL, "RSA PUBLIC KEY", "not a PUBLIC KEY");
	/* id-ecPublicKey 1.2.840.10045.2.1 in place of rsaEncryption */
	refuse_der("06072a8648ce3d0201", 5, NULL, "PUBLIC KEY", "not an RSA public key");
	refuse_der("2a8648ce3d02010000", 7, NULL, "PUBLIC KEY", "not an RSA public key");
	/* parameters not NULL */
	refuse_der("0401", 16, NULL, "PUBLIC KEY", "not a DER SubjectPublicKeyInfo");
	/* unused bits in the BIT STRING */
	refuse_der("01", 21, NULL, "PUBLIC KEY", "not a DER SubjectPublicKeyInfo");
	/* the modulus's leading zero dropped: a negative INTEGER */
	refuse_der("0281809f", 25, NULL, "PUBLIC KEY", "");
	snprintf(text, sizeof(text), "-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\n%s",
		 pem + strlen("-----BEGIN PUBLIC KEY-----\n"));
	assert_int_equal(parse_pem(text, &key, &err), -EINVAL);
	snprintf(text, sizeof(text), "%.*s", (int)(strlen(pem) - 26), pem);
	assert_int_equal(parse_pem(text, &key, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not terminated"));
	assert_int_equal(parse_pem("", &key, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no PEM block"));
	free(pem);
}

static void test_tpm2b_bounds(void **state)
{
	struct lv_talos_tpm2_token t;
	struct lv_err err = { 0 };
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;
	uint8_t buf[LV_TPM2B_PUBLIC_MAX + 1];

	(void)state;
	assert_int_equal(lv_talos_tpm2_token_parse(signed_token, strlen(signed_token), &t, &err), 0);
	assert_int_equal(t.sealed_public_len, 80);
	assert_int_equal(lv_tpm2b_public_from_bytes(t.sealed_public, 80, &pub, "p", &err), 0);
	assert_int_equal(pub.size, 78);
	assert_int_equal(lv_tpm2b_public_from_bytes(t.sealed_public, 79, &pub, "p", &err), -EINVAL);
	assert_string_equal(err.msg, "p: TPM2B_PUBLIC says 78 bytes, 77 follow");
	assert_int_equal(lv_tpm2b_public_from_bytes(t.sealed_public, 1, &pub, "p", &err), -EINVAL);
	/* A size that agrees with the length, but the area ends early. */
	memcpy(buf, t.sealed_public, 80);
	buf[80] = 0;
	buf[1] = 79;
	assert_int_equal(lv_tpm2b_public_from_bytes(buf, 81, &pub, "p", &err), -EINVAL);
	/* A name longer than a TPMU_NAME. */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x01;
	buf[1] = 0x00;
	assert_int_equal(lv_tpm2b_name_from_bytes(buf, 258, &name, "n", &err), -EINVAL);
}

static void roundtrip(const char *json)
{
	struct lv_talos_tpm2_token t;
	struct lv_err err = { 0 };
	char *again = NULL;

	assert_int_equal(lv_talos_tpm2_token_parse(json, strlen(json), &t, &err), 0);
	assert_int_equal(lv_talos_tpm2_token_format(&t, &again, &err), 0);
	assert_string_equal(again, json);
	free(again);
}

static void test_token_roundtrip(void **state)
{
	struct lv_talos_tpm2_token t;
	struct lv_err err = { 0 };

	(void)state;
	roundtrip(signed_token);
	roundtrip(pcr_only_token);
	assert_int_equal(lv_talos_tpm2_token_parse(pcr_only_token, strlen(pcr_only_token), &t,
						   &err),
			 0);
	assert_int_equal(t.policy, LV_TALOS_POLICY_PCR_ONLY);
	assert_int_equal(lv_talos_tpm2_token_parse(legacy_token, strlen(legacy_token), &t, &err), 0);
	assert_int_equal(t.policy, LV_TALOS_POLICY_SIGNED);
	assert_string_equal(t.encryption_version, "");
	assert_int_equal(t.pubkey_pcr_count, 0);
	assert_int_equal(t.pcr_count, 1);
	assert_int_equal(t.pcrs[0], 11);
	assert_int_equal(t.keyslots[0], 3);
}

/* signed_token with from replaced by to, refused with want in the message. */
static void refuse_token(const char *from, const char *to, const char *want)
{
	char json[sizeof(signed_token) + 256];
	const char *at = strstr(signed_token, from);
	struct lv_talos_tpm2_token t;
	struct lv_err err = { 0 };

	assert_non_null(at);
	snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - signed_token), signed_token, to,
		 at + strlen(from));
	assert_int_equal(lv_talos_tpm2_token_parse(json, strlen(json), &t, &err), -EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_token_refusals(void **state)
{
	struct lv_talos_tpm2_token t;
	struct lv_err err = { 0 };

	(void)state;
	refuse_token("[]}", "[]} x", "not one JSON object");
	refuse_token("\"keyslots\":[3]", "\"keyslots\":[\"3\"]", "keyslots[0]: not an integer");
	refuse_token("\"pcrs\":[7]", "\"pcrs\":[7,7]", "pcrs: 7 is listed twice");
	refuse_token("\"pcrs\":[7]", "\"pcrs\":7", "pcrs: not an array");
	refuse_token("\"alg\":\"sha256\"", "\"alg\":1", "alg: not a string");
	refuse_token("\"key_name\":\"ACIA", "\"key_name\":\"\\u0000ACIA", "holds a NUL");
	refuse_token("\"UserData\":{", "\"UserData\":[],\"x\":{", "UserData: missing or not an object");
	refuse_token("\"type\":\"talos-tpm2\"", "\"type\":\"talos-tpm2\\u0000\"", "type is not");
	refuse_token("AE4ACAAL", "AE4ACAAB", "not a SHA-256 sealed data object");
	assert_int_equal(lv_talos_tpm2_token_parse("[]", 2, &t, &err), -EINVAL);
	assert_int_equal(lv_talos_tpm2_token_parse("", 0, &t, &err), -EINVAL);
}

static void test_pcrsig(void **state)
{
	uint8_t policy[32];
	struct lv_pcrsig_entry e;
	struct lv_err err = { 0 };
	char json[1024];

	(void)state;
	unit_hex(policy_pcr7_hex, policy, sizeof(policy));
	snprintf(json, sizeof(json),
		 "{\"sha1\":[{\"pcrs\":[11],\"pkfp\":\"00\",\"pol\":\"%s\",\"sig\":\"AAAA\"}],"
		 "\"sha256\":[{\"pcrs\":[11],\"pkfp\":\"aa\",\"pol\":\"%s\",\"sig\":\"AQID\"},"
		 "{\"pcrs\":[11],\"pkfp\":\"%s\",\"pol\":\"%s\",\"sig\":\"BAUG\"},"
		 "{\"pkfp\":\"bb\",\"pol\":\"%s\",\"sig\":\"BwgJ\"}]}",
		 policy_pcr7_hex, authorize_hex, key_pkfp_hex, policy_pcr7_hex, policy_pcr7_hex);
	assert_int_equal(lv_pcrsig_find(json, strlen(json), policy, &e, "sig.json", &err), 0);
	assert_string_equal(e.pkfp, key_pkfp_hex);
	unit_assert_hex(e.sig, e.sig_len, "040506");
	policy[0] ^= 1;
	assert_int_equal(lv_pcrsig_find(json, strlen(json), policy, &e, "sig.json", &err), -ENOENT);
	snprintf(json, sizeof(json), "{\"sha256\":[{\"pol\":\"xyz\",\"pkfp\":\"\",\"sig\":\"\"}]}");
	assert_int_equal(lv_pcrsig_find(json, strlen(json), policy, &e, "sig.json", &err), -EINVAL);
	assert_string_equal(err.msg, "sig.json: sha256[0].pol: missing or not hex");
	snprintf(json, sizeof(json), "{\"sha256\":{}}");
	assert_int_equal(lv_pcrsig_find(json, strlen(json), policy, &e, "sig.json", &err), -EINVAL);
	assert_int_equal(lv_pcrsig_find("{}", 2, policy, &e, "sig.json", &err), -ENOENT);
	assert_int_equal(lv_pcrsig_find("{", 1, policy, &e, "sig.json", &err), -EINVAL);
}

static void test_pcr_mask(void **state)
{
	static const int ok[] = { 8, 7, 23, 0 }, twice[] = { 7, 1, 7 }, range[] = { 24 };
	struct lv_err err = { 0 };
	uint32_t mask;

	(void)state;
	assert_int_equal(lv_tpm_pcr_mask(ok, 4, &mask, &err), 0);
	assert_int_equal(mask, 1u << 0 | 1u << 7 | 1u << 8 | 1u << 23);
	assert_int_equal(lv_tpm_pcr_mask(twice, 3, &mask, &err), -EINVAL);
	assert_string_equal(err.msg, "PCR 7: listed twice");
	assert_int_equal(lv_tpm_pcr_mask(range, 1, &mask, &err), -EINVAL);
	assert_string_equal(err.msg, "PCR 24: out of range 0-23");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srk_template),
		cmocka_unit_test(test_key_name_and_policies),
		cmocka_unit_test(test_pem_refusals),
		cmocka_unit_test(test_tpm2b_bounds),
		cmocka_unit_test(test_token_roundtrip),
		cmocka_unit_test(test_token_refusals),
		cmocka_unit_test(test_pcrsig),
		cmocka_unit_test(test_pcr_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
