/* SPDX-License-Identifier: ISC */
/*
 * tpm_token.c: the talos-tpm2 token (lv_talos_tpm2_token_parse, its
 * formatter and dump) and the TPM2B blobs it carries
 * (lv_tpm2b_{public,private,name}_from_bytes, over tpm2-tss's unmarshallers).
 *
 * The input is a token's JSON text when it starts with '{'; otherwise its
 * first byte picks a blob type (0 TPM2B_PUBLIC, 1 TPM2B_PRIVATE, 2
 * TPM2B_NAME, modulo 3) and the rest is the blob, so mutations reach the
 * bounds checks without going through base64.
 *
 * Invariants (abort on violation):
 *   - a token that parses formats, the text parses again, and formatting
 *     that gives the same text (the writer is a fixpoint);
 *   - a refused token or blob says why;
 *   - an accepted blob is exactly its size prefix plus two bytes, and
 *     marshals back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tpm/talos_tpm2.h"
#include "tpm/tpm_blob.h"

static void check_token(const uint8_t *data, size_t size)
{
	struct lv_talos_tpm2_token token, again;
	struct lv_err err = { 0 };
	char *first = NULL, *second = NULL;
	FILE *out;

	if (lv_talos_tpm2_token_parse((const char *)data, size, &token, &err) < 0) {
		if (!err.msg[0])
			fz_fail("token refused without a message");
		return;
	}
	out = fz_discard_file();
	if (out)
		lv_talos_tpm2_token_dump(&token, "\t", out);
	fz_format_accepts_token(data, size);
	if (lv_talos_tpm2_token_format(&token, &first, &err) < 0)
		fz_fail("a parsed token does not format: %s", err.msg);
	if (lv_talos_tpm2_token_parse(first, strlen(first), &again, &err) < 0)
		fz_fail("a formatted token does not parse: %s\n%s", err.msg, first);
	if (lv_talos_tpm2_token_format(&again, &second, &err) < 0 || strcmp(first, second) != 0)
		fz_fail("formatting is not a fixpoint:\n%s\n%s", first, second ? second : "");
	free(first);
	free(second);
}

/* Marshalled again (marshal's result r), an accepted blob must give back
 * its bytes. */
static void check_same(int r, const uint8_t *blob, size_t len, const uint8_t *again,
		       size_t again_len)
{
	if (r < 0 || again_len != len || memcmp(blob, again, len) != 0)
		fz_fail("an accepted blob (%zu bytes) marshals to %zu other bytes", len, again_len);
}

static void check_blob(uint8_t type, const uint8_t *blob, size_t len)
{
	static uint8_t again[LV_TPM2B_PRIVATE_MAX + LV_TPM2B_PUBLIC_MAX];
	struct lv_err err = { 0 };
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	TPM2B_NAME name;
	size_t again_len = 0;
	int r, m;

	switch (type % 3) {
	case 0:
		r = lv_tpm2b_public_from_bytes(blob, len, &pub, "blob", &err);
		if (r == 0) {
			m = lv_tpm2b_public_to_bytes(&pub, again, sizeof(again), &again_len);
			check_same(m, blob, len, again, again_len);
		}
		break;
	case 1:
		r = lv_tpm2b_private_from_bytes(blob, len, &priv, "blob", &err);
		if (r == 0) {
			m = lv_tpm2b_private_to_bytes(&priv, again, sizeof(again), &again_len);
			check_same(m, blob, len, again, again_len);
		}
		break;
	default:
		r = lv_tpm2b_name_from_bytes(blob, len, &name, "blob", &err);
		if (r == 0) {
			m = lv_tpm2b_name_to_bytes(&name, again, sizeof(again), &again_len);
			check_same(m, blob, len, again, again_len);
		}
		break;
	}
	if (r == 0 && (len < 2 || ((size_t)blob[0] << 8 | blob[1]) != len - 2))
		fz_fail("a %zu-byte blob accepted with size prefix %02x%02x", len,
			len ? blob[0] : 0, len > 1 ? blob[1] : 0);
	if (r < 0 && !err.msg[0])
		fz_fail("blob refused without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == '{')
		check_token(data, size);
	else if (size > 0)
		check_blob(data[0], data + 1, size - 1);
	return 0;
}
