/* SPDX-License-Identifier: ISC */
/*
 * clevis_token.c: the LUKS2 clevis token and the JWE it holds, offline:
 * lv_clevis_token_decode (json-c, the five JWE members, the keyslot), the
 * compact form, lv_clevis_describe (the protected header of each pin,
 * recursively for sss), and a decryption whose context is cancelled before
 * it starts, so it goes as far as the first request and no further: header
 * checks, kid lookup in the advertisement, EC points through libjose,
 * sss's thresholds, primes and children (in threads).
 *
 * The input is token JSON text, as `cryptsetup token export` prints it.
 *
 * Invariants (abort on violation):
 *   - a token that decodes names one keyslot 0..31 and a JWE;
 *   - it encodes again, and that decodes to the same keyslot and JWE;
 *   - a decryption that cannot reach any server never succeeds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clevis/engine.h"
#include "fuzz_common.h"

static void check_reencode(const struct lv_clevis_token *token)
{
	struct lv_clevis_token again;
	struct lv_err err = { 0 };
	char *json = NULL;

	if (lv_clevis_token_encode(token->keyslot, token->jwe, &json, &err) < 0)
		fz_fail("a decoded token does not encode: %s", err.msg);
	if (lv_clevis_token_decode(json, &again, &err) < 0)
		fz_fail("an encoded token does not decode: %s\n%s", err.msg, json);
	if (again.keyslot != token->keyslot || strcmp(again.jwe, token->jwe) != 0)
		fz_fail("token round trip changed it:\n%s", json);
	lv_clevis_token_clear(&again);
	free(json);
}

static void decrypt_offline(const char *jwe)
{
	struct lv_secret *plaintext = NULL;
	struct lv_err err = { 0 };
	struct clevis_ctx ctx;

	if (clevis_ctx_init(&ctx, NULL, NULL, &err) == 0) {
		atomic_store(&ctx.cancelled, 1);
		if (clevis_decrypt_jwe(&ctx, jwe, strlen(jwe), &plaintext, &err) == 0)
			fz_fail("a JWE decrypted without any server");
	}
	lv_secret_free(&plaintext);
	clevis_ctx_fini(&ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_clevis_token token;
	struct lv_err err = { 0 };
	char *text = strndup((const char *)data, size), *described = NULL;

	if (!text)
		return 0;
	if (lv_clevis_token_decode(text, &token, &err) == 0) {
		if (token.keyslot < 0 || token.keyslot > 31 || !token.jwe)
			fz_fail("a decoded token has keyslot %d, jwe %p", token.keyslot,
				(void *)token.jwe);
		check_reencode(&token);
		fz_format_accepts_token(data, size);
		if (lv_clevis_describe(token.jwe, strlen(token.jwe), &described, &err) == 0 &&
		    !described)
			fz_fail("describe succeeded without a text");
		decrypt_offline(token.jwe);
		lv_clevis_token_clear(&token);
	}
	free(described);
	free(text);
	return 0;
}
