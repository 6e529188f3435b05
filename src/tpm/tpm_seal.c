/* SPDX-License-Identifier: ISC */
/* tpm_seal.c: sealed data objects, created and unsealed over encrypted sessions. */
#include <errno.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tpm/tpm.h"

/* The largest sealed data a KEYEDHASH object holds (MAX_SYM_DATA). */
#define SEALED_DATA_MAX 128

static void sealed_template(TPMA_OBJECT attrs, const TPM2B_DIGEST *policy, TPM2B_PUBLIC *out)
{
	TPMT_PUBLIC *area = &out->publicArea;

	memset(out, 0, sizeof(*out));
	area->type = TPM2_ALG_KEYEDHASH;
	area->nameAlg = TPM2_ALG_SHA256;
	area->objectAttributes = attrs;
	area->authPolicy = *policy;
	area->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
}

/* Create under parent; the sensitive part lives in a locked secret. */
static int create_sealed(struct lv_tpm *tpm, const struct lv_tpm_object *parent, ESYS_TR session,
			 const TPM2B_PUBLIC *template, const struct lv_secret *data,
			 TPM2B_PRIVATE *private_blob, TPM2B_PUBLIC *public_blob, struct lv_err *err)
{
	struct lv_secret *sensitive_buf = lv_secret_new(sizeof(TPM2B_SENSITIVE_CREATE));
	TPM2B_SENSITIVE_CREATE *sensitive;
	TPM2B_DATA no_outside_info = { 0 };
	TPML_PCR_SELECTION no_creation_pcrs = { 0 };
	TPM2B_PRIVATE *out_private = NULL;
	TPM2B_PUBLIC *out_public = NULL;
	TPM2B_CREATION_DATA *creation_data = NULL;
	TPM2B_DIGEST *creation_hash = NULL;
	TPMT_TK_CREATION *creation_ticket = NULL;
	TSS2_RC rc;

	if (!sensitive_buf)
		return lv_err_set(err, -ENOMEM, "TPM: out of memory");
	sensitive = (TPM2B_SENSITIVE_CREATE *)(void *)sensitive_buf->bytes;
	sensitive->sensitive.data.size = (UINT16)data->len;
	memcpy(sensitive->sensitive.data.buffer, data->bytes, data->len);
	rc = Esys_Create(lv_tpm_esys(tpm), parent->handle, session, ESYS_TR_NONE, ESYS_TR_NONE,
			 sensitive, template, &no_outside_info, &no_creation_pcrs, &out_private,
			 &out_public, &creation_data, &creation_hash, &creation_ticket);
	lv_secret_free(&sensitive_buf);
	Esys_Free(creation_data);
	Esys_Free(creation_hash);
	Esys_Free(creation_ticket);
	if (rc != TSS2_RC_SUCCESS)
		return lv_tpm_fail(tpm, rc, "Create (sealed object)", err);
	*private_blob = *out_private;
	*public_blob = *out_public;
	Esys_Free(out_private);
	Esys_Free(out_public);
	return 0;
}

int lv_tpm_seal(struct lv_tpm *tpm, const struct lv_tpm_object *parent, TPMA_OBJECT attrs,
		const TPM2B_DIGEST *policy, const struct lv_secret *data,
		TPM2B_PRIVATE *private_blob, TPM2B_PUBLIC *public_blob, struct lv_err *err)
{
	ESYS_TR session = ESYS_TR_NONE;
	TPM2B_PUBLIC template;
	int r;

	memset(private_blob, 0, sizeof(*private_blob));
	memset(public_blob, 0, sizeof(*public_blob));
	if (data->len == 0 || data->len > SEALED_DATA_MAX)
		return lv_tpm_err(tpm, err, -EINVAL,
				  "Create (sealed object): %zu bytes to seal, "
				  "1 to %d fit",
				  data->len, SEALED_DATA_MAX);
	sealed_template(attrs, policy, &template);
	r = lv_tpm_hmac_session(tpm, parent->handle,
				LV_TPM_ENCRYPT_COMMAND | LV_TPM_ENCRYPT_RESPONSE, &session, err);
	if (r == 0)
		r = create_sealed(tpm, parent, session, &template, data, private_blob, public_blob,
				  err);
	lv_tpm_flush(tpm, &session);
	return r;
}

int lv_tpm_unseal(struct lv_tpm *tpm, const struct lv_tpm_object *object, ESYS_TR policy_session,
		  ESYS_TR salt_key, struct lv_secret **data, struct lv_err *err)
{
	ESYS_TR encrypt_session = ESYS_TR_NONE;
	TPM2B_SENSITIVE_DATA *out = NULL;
	TSS2_RC rc;
	int r;

	*data = NULL;
	r = lv_tpm_hmac_session(tpm, salt_key, LV_TPM_ENCRYPT_RESPONSE, &encrypt_session, err);
	if (r < 0)
		return r;
	rc = Esys_Unseal(lv_tpm_esys(tpm), object->handle, policy_session, encrypt_session,
			 ESYS_TR_NONE, &out);
	if (rc != TSS2_RC_SUCCESS) {
		r = lv_tpm_fail(tpm, rc, "Unseal", err);
	} else {
		*data = lv_secret_dup(out->buffer, out->size);
		if (!*data)
			r = lv_err_set(err, -ENOMEM, "TPM: out of memory");
		lv_wipe(out, sizeof(*out));
	}
	Esys_Free(out);
	lv_tpm_wipe_response(tpm);
	lv_tpm_flush(tpm, &encrypt_session);
	return r;
}
