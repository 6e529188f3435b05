/* SPDX-License-Identifier: ISC */
/* talos_common.c: the PCR-signing key file, the checks before sealing and unsealing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpm/small_file.h"
#include "tpm/talos_internal.h"

int talos_pubkey_load(const char *path, struct lv_rsa_pubkey *key, TPM2B_PUBLIC *public_key,
		      struct lv_err *err)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	int r = lv_small_file_read(path, TALOS_PEM_MAX, "PCR public key", &pem, &len, err);

	if (r == 0)
		r = lv_tpm_rsa_public_from_pem((const char *)pem, len, path, key, public_key, err);
	free(pem);
	return r;
}

int talos_pcr_checks(struct lv_tpm *tpm, enum lv_talos_policy policy, uint32_t mask,
		     struct lv_err *err)
{
	int r = lv_tpm_pcr_bank_check(tpm, err);

	/* A machine without a UKI never extends PCR 11: PCR-only mode does
	 * not depend on it. */
	if (r == 0 && policy == LV_TALOS_POLICY_SIGNED)
		r = lv_tpm_pcr_values_check(tpm, 1u << LV_TALOS_UKI_PCR, err);
	if (r == 0)
		r = lv_tpm_pcr_values_check(tpm, mask, err);
	return r;
}
