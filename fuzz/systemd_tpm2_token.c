/* SPDX-License-Identifier: ISC */
/*
 * systemd_tpm2_token.c: the systemd-tpm2 token systemd-cryptenroll writes
 * (lv_systemd_tpm2_token_parse, lv_systemd_tpm2_token_dump): every field,
 * the hex and base64 in it and the TPM2B blobs through tpm2-tss's
 * unmarshallers.  The input is the token's JSON text.
 *
 * Invariants (abort on violation):
 *   - a refused token says why;
 *   - an accepted token names one keyslot in 0..31, PCR masks within the
 *     24 PCRs, lengths within their buffers, and dumps without a fault.
 */
#include <string.h>

#include "fuzz_common.h"
#include "tpm/systemd_tpm2.h"

#define PCR_MASK_ALL 0xffffffu

static void check_accepted(const struct lv_systemd_tpm2_token *token)
{
	FILE *out;

	if (token->keyslot < 0 || token->keyslot > 31)
		fz_fail("accepted keyslot %d", token->keyslot);
	if ((token->pcr_mask | token->pubkey_pcr_mask) & ~PCR_MASK_ALL)
		fz_fail("accepted PCR masks %#x %#x", token->pcr_mask, token->pubkey_pcr_mask);
	if (token->blob_len > sizeof(token->blob) || token->salt_len > sizeof(token->salt) ||
	    token->pubkey_pem_len > LV_SYSTEMD_PUBKEY_PEM_MAX)
		fz_fail("accepted lengths %zu %zu %zu", token->blob_len, token->salt_len,
			token->pubkey_pem_len);
	out = fz_discard_file();
	if (out)
		lv_systemd_tpm2_token_dump(token, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lv_systemd_tpm2_token token;
	struct lv_err err = { 0 };

	memset(&token, 0, sizeof(token));
	if (lv_systemd_tpm2_token_parse((const char *)data, size, &token, &err) < 0) {
		if (!err.msg[0])
			fz_fail("token refused without a message");
		return 0;
	}
	check_accepted(&token);
	return 0;
}
