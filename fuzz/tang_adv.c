/* SPDX-License-Identifier: ISC */
/*
 * tang_adv.c: a tang advertisement as a server sends it (a JWS, flattened
 * or general, of a JWK set): tang_adv_parse (JSON, payload, the signing
 * keys, every signature checked by libjose), the trust lookups, the
 * exchange key; then, for one that is accepted, the tang pin's encryption
 * to it (the advertisement given in the config: no network) and a
 * decryption of the result, cancelled before its request.
 *
 * Invariants (abort on violation):
 *   - an accepted advertisement has signing keys, one S256 thumbprint each,
 *     and each thumbprint is found as a signer;
 *   - a JWE the pin made from it describes back to its url, and its
 *     decryption gets as far as the key recovery request (-ECANCELED): the
 *     header we write is one we read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clevis/engine.h"
#include "fuzz_common.h"

#define FUZZ_URL "http://tang.invalid"

static void check_signers(struct clevis_ctx *ctx, const struct tang_adv *adv)
{
	json_t *thumbprints = tang_adv_signing_thumbprints(ctx, adv);
	size_t n = json_array_size(thumbprints);

	if (!thumbprints || n == 0 || n != json_array_size(adv->verify_keys))
		fz_fail("an accepted advertisement has %zu thumbprints for %zu signing keys", n,
			json_array_size(adv->verify_keys));
	for (size_t i = 0; i < n; i++)
		if (!tang_adv_signed_by(ctx, adv, json_string_value(json_array_get(thumbprints, i))))
			fz_fail("signing key %zu is not found by its own thumbprint", i);
	json_decref(thumbprints);
}

static void check_roundtrip(struct clevis_ctx *ctx, const char *jwe)
{
	struct lv_secret *plaintext = NULL;
	struct lv_err err = { 0 };
	char *described = NULL;
	int r;

	if (lv_clevis_describe(jwe, strlen(jwe), &described, &err) < 0 ||
	    strcmp(described, "tang '{\"url\":\"" FUZZ_URL "\"}'") != 0)
		fz_fail("our JWE describes as %s (%s)", described ? described : "nothing", err.msg);
	free(described);
	r = clevis_decrypt_jwe(ctx, jwe, strlen(jwe), &plaintext, &err);
	if (r != -ECANCELED)
		fz_fail("our JWE stopped before the key recovery: %d %s", r, err.msg);
}

static void encrypt_to(struct clevis_ctx *ctx, const struct tang_adv *adv)
{
	struct lv_secret *plaintext = lv_secret_dup("fuzz", 4);
	json_t *config = json_pack("{s:s,s:O}", "url", FUZZ_URL, "adv", adv->jws);
	struct lv_err err = { 0 };
	char *jwe = NULL;

	if (plaintext && config && clevis_encrypt_pin(ctx, "tang", config, plaintext, &jwe, &err) == 0)
		check_roundtrip(ctx, jwe);
	free(jwe);
	json_decref(config);
	lv_secret_free(&plaintext);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_err err = { 0 };
	struct tang_adv adv;
	struct clevis_ctx ctx;

	if (clevis_ctx_init(&ctx, NULL, NULL, &err) < 0)
		return 0;
	/* Nothing may leave the process. */
	atomic_store(&ctx.cancelled, 1);
	if (tang_adv_parse(&ctx, (const char *)data, size, &adv, &err) == 0) {
		check_signers(&ctx, &adv);
		encrypt_to(&ctx, &adv);
		tang_adv_clear(&adv);
	}
	clevis_ctx_fini(&ctx);
	return 0;
}
