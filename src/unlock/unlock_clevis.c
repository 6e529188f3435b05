/* SPDX-License-Identifier: ISC */
/* unlock_clevis.c: clevis tokens (tang, tpm2, sss pins) unlock through src/clevis. */
#include "clevis/clevis.h"
#include "unlock/unlock.h"

static int clevis_passphrase(const char *token_json, const struct lv_token_unlock_params *params,
			     const struct lv_secret *pin, struct lv_secret **passphrase,
			     int *keyslot, struct lv_err *err)
{
	const struct lv_clevis_opts opts = {
		.timeout_ms = params->timeout_ms,
		.tpm_tcti = params->tpm_tcti,
	};

	(void)pin;
	return lv_clevis_token_passphrase(token_json, &opts, passphrase, keyslot, err);
}

const struct lv_unlocker_ops lv_unlocker_clevis = {
	.type = "clevis",
	.passphrase = clevis_passphrase,
};
