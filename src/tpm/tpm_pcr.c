/* SPDX-License-Identifier: ISC */
/* tpm_pcr.c: PCR banks, selections, reads, and the checks before sealing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tpm/tpm.h"

#define SIZEOF_SELECT 3

static const struct {
	const char *name;
	TPMI_ALG_HASH alg;
	size_t digest_bytes;
} bank_table[] = {
	{ "sha1", TPM2_ALG_SHA1, TPM2_SHA1_DIGEST_SIZE },
	{ "sha256", TPM2_ALG_SHA256, TPM2_SHA256_DIGEST_SIZE },
	{ "sha384", TPM2_ALG_SHA384, TPM2_SHA384_DIGEST_SIZE },
	{ "sha512", TPM2_ALG_SHA512, TPM2_SHA512_DIGEST_SIZE },
};

int lv_tpm_bank_from_name(const char *name, TPMI_ALG_HASH *bank)
{
	for (size_t i = 0; name && i < sizeof(bank_table) / sizeof(bank_table[0]); i++) {
		if (strcmp(bank_table[i].name, name) == 0) {
			*bank = bank_table[i].alg;
			return 0;
		}
	}
	return -EINVAL;
}

const char *lv_tpm_bank_name(TPMI_ALG_HASH bank)
{
	for (size_t i = 0; i < sizeof(bank_table) / sizeof(bank_table[0]); i++)
		if (bank_table[i].alg == bank)
			return bank_table[i].name;
	return NULL;
}

size_t lv_tpm_bank_digest_bytes(TPMI_ALG_HASH bank)
{
	for (size_t i = 0; i < sizeof(bank_table) / sizeof(bank_table[0]); i++)
		if (bank_table[i].alg == bank)
			return bank_table[i].digest_bytes;
	return 0;
}

void lv_tpm_pcr_selection_bank(TPMI_ALG_HASH bank, uint32_t mask, TPML_PCR_SELECTION *selection)
{
	memset(selection, 0, sizeof(*selection));
	selection->count = 1;
	selection->pcrSelections[0].hash = bank;
	selection->pcrSelections[0].sizeofSelect = SIZEOF_SELECT;
	for (int i = 0; i < SIZEOF_SELECT; i++)
		selection->pcrSelections[0].pcrSelect[i] = (BYTE)(mask >> (8 * i));
}

void lv_tpm_pcr_selection(uint32_t mask, TPML_PCR_SELECTION *selection)
{
	lv_tpm_pcr_selection_bank(TPM2_ALG_SHA256, mask, selection);
}

const char *lv_tpm_pcr_list(uint32_t mask, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int pcr = 0; pcr < LV_TPM_PCR_COUNT && at < size; pcr++)
		if (mask & 1u << pcr)
			at += (size_t)snprintf(buf + at, size - at, "%s%d", at ? "," : "", pcr);
	return buf;
}

int lv_tpm_pcr_mask(const int *pcrs, size_t count, uint32_t *mask, struct lv_err *err)
{
	*mask = 0;
	for (size_t i = 0; i < count; i++) {
		if (pcrs[i] < 0 || pcrs[i] >= LV_TPM_PCR_COUNT)
			return lv_err_set(err, -EINVAL, "PCR %d: out of range 0-%d", pcrs[i],
					  LV_TPM_PCR_COUNT - 1);
		if (*mask & 1u << pcrs[i])
			return lv_err_set(err, -EINVAL, "PCR %d: listed twice", pcrs[i]);
		*mask |= 1u << pcrs[i];
	}
	return 0;
}

/* Copies the digests of one PCR_Read reply into values; returns the mask
 * of the PCRs it held, or 0 when the reply does not add up. */
static uint32_t take_values(const TPML_PCR_SELECTION *selected, const TPML_DIGEST *digests,
			    struct lv_tpm_pcr_values *values)
{
	size_t digest_bytes = lv_tpm_bank_digest_bytes(values->bank);
	uint32_t got = 0;
	UINT32 next = 0;

	for (UINT32 s = 0; s < selected->count && s < TPM2_NUM_PCR_BANKS; s++) {
		const TPMS_PCR_SELECTION *sel = &selected->pcrSelections[s];

		if (sel->hash != values->bank)
			return 0;
		for (int pcr = 0; pcr < LV_TPM_PCR_COUNT && pcr / 8 < sel->sizeofSelect; pcr++) {
			if (!(sel->pcrSelect[pcr / 8] >> (pcr % 8) & 1))
				continue;
			if (next >= digests->count || next >= 8 ||
			    digests->digests[next].size != digest_bytes)
				return 0;
			memcpy(values->value[pcr], digests->digests[next++].buffer, digest_bytes);
			got |= 1u << pcr;
		}
	}
	return next == digests->count ? got : 0;
}

int lv_tpm_pcr_read_bank(struct lv_tpm *tpm, TPMI_ALG_HASH bank, uint32_t mask,
			 struct lv_tpm_pcr_values *values, struct lv_err *err)
{
	const char *name = lv_tpm_bank_name(bank);
	uint32_t left = mask & ((1u << LV_TPM_PCR_COUNT) - 1);

	memset(values, 0, sizeof(*values));
	values->bank = bank;
	values->mask = left;
	if (!name)
		return lv_tpm_err(tpm, err, -EINVAL, "PCR_Read: unknown PCR bank 0x%04x", bank);
	/* The TPM returns at most eight digests per read. */
	while (left) {
		TPML_PCR_SELECTION want, *selected = NULL;
		TPML_DIGEST *digests = NULL;
		UINT32 update_counter;
		uint32_t got;
		TSS2_RC rc;

		lv_tpm_pcr_selection_bank(bank, left, &want);
		rc = Esys_PCR_Read(lv_tpm_esys(tpm), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   &want, &update_counter, &selected, &digests);
		if (rc != TSS2_RC_SUCCESS) {
			char step[32];

			snprintf(step, sizeof(step), "PCR_Read (%s)", name);
			return lv_tpm_fail(tpm, rc, step, err);
		}
		got = take_values(selected, digests, values);
		Esys_Free(selected);
		Esys_Free(digests);
		if (got == 0 || (got & ~left))
			return lv_tpm_err(tpm, err, -EIO,
					  "PCR_Read (%s): the TPM returned no values for PCR mask "
					  "0x%06x: is the %s bank allocated?",
					  name, left, name);
		left &= ~got;
	}
	return 0;
}

int lv_tpm_pcr_read(struct lv_tpm *tpm, uint32_t mask,
		    uint8_t values[LV_TPM_PCR_COUNT][LV_TPM_DIGEST_BYTES], struct lv_err *err)
{
	struct lv_tpm_pcr_values read;
	int r = lv_tpm_pcr_read_bank(tpm, TPM2_ALG_SHA256, mask, &read, err);

	for (int pcr = 0; r == 0 && pcr < LV_TPM_PCR_COUNT; pcr++)
		memcpy(values[pcr], read.value[pcr], LV_TPM_DIGEST_BYTES);
	return r;
}

/* The SHA-256 entry of a TPML_PCR_SELECTION, or NULL. */
static const TPMS_PCR_SELECTION *sha256_bank(const TPML_PCR_SELECTION *banks)
{
	for (UINT32 i = 0; i < banks->count && i < TPM2_NUM_PCR_BANKS; i++)
		if (banks->pcrSelections[i].hash == TPM2_ALG_SHA256)
			return &banks->pcrSelections[i];
	return NULL;
}

int lv_tpm_pcr_bank_check(struct lv_tpm *tpm, struct lv_err *err)
{
	TPMS_CAPABILITY_DATA *caps = NULL;
	const TPMS_PCR_SELECTION *bank;
	TPMI_YES_NO more = 0;
	uint8_t select[SIZEOF_SELECT] = { 0 };
	int r = 0;
	TSS2_RC rc = Esys_GetCapability(lv_tpm_esys(tpm), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					TPM2_CAP_PCRS, 0, 1, &more, &caps);

	if (rc != TSS2_RC_SUCCESS)
		return lv_tpm_fail(tpm, rc, "GetCapability (PCR banks)", err);
	bank = sha256_bank(&caps->data.assignedPCR);
	if (bank)
		memcpy(select, bank->pcrSelect,
		       bank->sizeofSelect < SIZEOF_SELECT ? bank->sizeofSelect : SIZEOF_SELECT);
	if (!bank || (select[0] | select[1] | select[2]) == 0) {
		r = lv_tpm_err(tpm, err, -EIO, "the TPM has no SHA-256 PCR bank allocated");
	} else if (select[0] != 0xff || select[1] != 0xff || select[2] != 0xff) {
		r = lv_tpm_err(tpm, err, -EIO,
			       "the SHA-256 PCR bank does not have all 24 PCRs allocated "
			       "(select %02x %02x %02x)",
			       select[0], select[1], select[2]);
	}
	Esys_Free(caps);
	return r;
}

static int all_bytes(const uint8_t *value, uint8_t byte)
{
	for (size_t i = 0; i < LV_TPM_DIGEST_BYTES; i++)
		if (value[i] != byte)
			return 0;
	return 1;
}

int lv_tpm_pcr_values_check(struct lv_tpm *tpm, uint32_t mask, struct lv_err *err)
{
	uint8_t values[LV_TPM_PCR_COUNT][LV_TPM_DIGEST_BYTES];
	int r = lv_tpm_pcr_read(tpm, mask, values, err);

	for (int pcr = 0; r == 0 && pcr < LV_TPM_PCR_COUNT; pcr++) {
		if (!(mask & 1u << pcr))
			continue;
		if (all_bytes(values[pcr], 0x00))
			r = lv_tpm_err(
				tpm, err, -EPERM,
				"PCR %d (sha256) is all zeroes: nothing was measured into it", pcr);
		else if (all_bytes(values[pcr], 0xff))
			r = lv_tpm_err(tpm, err, -EPERM, "PCR %d (sha256) is all 0xFF", pcr);
	}
	return r;
}

/* SHA-256 over the mask's values, each digest_bytes long, stride apart. */
static int composite(uint32_t mask, const uint8_t *first, size_t stride, size_t digest_bytes,
		     TPM2B_DIGEST *digest)
{
	struct lv_hash_ctx *ctx = NULL;
	int r = lv_hash_init(&ctx, "sha256");

	memset(digest, 0, sizeof(*digest));
	for (int pcr = 0; r == 0 && pcr < LV_TPM_PCR_COUNT; pcr++)
		if (mask & 1u << pcr)
			r = lv_hash_update(ctx, first + (size_t)pcr * stride, digest_bytes);
	if (r == 0)
		r = lv_hash_final(ctx, digest->buffer, LV_TPM_DIGEST_BYTES);
	if (r == 0)
		digest->size = LV_TPM_DIGEST_BYTES;
	lv_hash_free(ctx);
	return r;
}

int lv_tpm_pcr_composite(uint32_t mask, const uint8_t values[LV_TPM_PCR_COUNT][LV_TPM_DIGEST_BYTES],
			 TPM2B_DIGEST *digest)
{
	return composite(mask, values[0], LV_TPM_DIGEST_BYTES, LV_TPM_DIGEST_BYTES, digest);
}

int lv_tpm_pcr_values_composite(const struct lv_tpm_pcr_values *values, TPM2B_DIGEST *digest)
{
	size_t digest_bytes = lv_tpm_bank_digest_bytes(values->bank);

	if (digest_bytes == 0)
		return -EINVAL;
	return composite(values->mask, values->value[0], LV_TPM_BANK_DIGEST_MAX, digest_bytes,
			 digest);
}
