/* SPDX-License-Identifier: ISC */
/* unlock_systemd_tpm2.c: systemd-cryptenroll's systemd-tpm2 tokens unseal through src/tpm. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tpm/systemd_tpm2.h"
#include "unlock/unlock.h"

static int systemd_tpm2_passphrase(const char *token_json,
				   const struct lv_token_unlock_params *params,
				   const struct lv_secret *pin, struct lv_secret **passphrase,
				   int *keyslot, struct lv_err *err)
{
	const struct lv_systemd_tpm2_params unseal = {
		.tcti = params->tpm_tcti,
		.pin = pin,
		.pcr_signature = params->pcr_signature,
	};
	struct lv_systemd_tpm2_token *token = malloc(sizeof(*token));
	int r = token ? lv_systemd_tpm2_token_parse(token_json, strlen(token_json), token, err) :
		lv_err_set(err, -ENOMEM, "out of memory");

	if (r == 0)
		r = lv_systemd_tpm2_unseal(&unseal, token, passphrase, err);
	if (r == 0)
		*keyslot = token->keyslot;
	free(token);
	return r;
}

const struct lv_unlocker_ops lv_unlocker_systemd_tpm2 = {
	.type = LV_SYSTEMD_TPM2_TOKEN_TYPE,
	.passphrase = systemd_tpm2_passphrase,
};
