/* SPDX-License-Identifier: ISC */
/* talos_common.c: the PCR-signing key, the passphrase, PCR lists in messages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "luks2/metadata.h"
#include "tpm/small_file.h"
#include "tpm/talos_internal.h"

int talos_pubkey_load(const char *path, struct lv_rsa_pubkey *key, TPM2B_PUBLIC *public_key,
		      struct lv_err *err)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	int r = lv_small_file_read(path, TALOS_PEM_MAX, "PCR public key", &pem, &len, err);

	if (r == 0)
		r = lv_rsa_pubkey_from_pem((const char *)pem, len, key, path, err);
	if (r == 0 &&
	    lv_tpm_rsa_public(key->modulus, key->modulus_len, key->exponent, public_key) < 0)
		r = lv_err_set(err, -EINVAL, "%s: RSA modulus unusable", path);
	free(pem);
	return r;
}

int talos_passphrase(const struct lv_secret *key, struct lv_secret **passphrase, struct lv_err *err)
{
	size_t len = lv_base64_encoded_len(key->len);

	/* One more byte for the encoder's NUL, then the length without it. */
	*passphrase = lv_secret_new(len + 1);
	if (!*passphrase)
		return lv_err_set(err, -ENOMEM, "tpm key: out of memory");
	lv_base64_encode(key->bytes, key->len, (char *)(*passphrase)->bytes);
	(*passphrase)->len = len;
	return 0;
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

const char *talos_pcr_list(uint32_t mask, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int pcr = 0; pcr < LV_TPM_PCR_COUNT && at < size; pcr++)
		if (mask & 1u << pcr)
			at += (size_t)snprintf(buf + at, size - at, "%s%d", at ? "," : "", pcr);
	return buf;
}
