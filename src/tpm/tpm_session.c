/* SPDX-License-Identifier: ISC */
/* tpm_session.c: salted sessions, policy commands, auth values, signature tickets. */
#include <errno.h>
#include <string.h>

#include "base/secret.h"
#include "tpm/tpm.h"

static const TPMT_SYM_DEF session_symmetric = {
	.algorithm = TPM2_ALG_AES,
	.keyBits.aes = 128,
	.mode.aes = TPM2_ALG_CFB,
};

static int start_session(struct lv_tpm *tpm, ESYS_TR salt_key, TPM2_SE type, TPMA_SESSION attrs,
			 const char *step, ESYS_TR *session, struct lv_err *err)
{
	ESYS_CONTEXT *esys = lv_tpm_esys(tpm);
	ESYS_TR handle = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	*session = ESYS_TR_NONE;
	/* ESAPI makes nonceCaller (NULL here) as long as the session hash. */
	rc = Esys_StartAuthSession(esys, salt_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, type, &session_symmetric, TPM2_ALG_SHA256,
				   &handle);
	if (rc != TSS2_RC_SUCCESS)
		return lv_tpm_fail(tpm, rc, step, err);
	r = lv_tpm_track(tpm, handle, err);
	if (r < 0)
		return r;
	/* continueSession always: the session ends by lv_tpm_flush, never
	 * behind ESAPI's back. */
	rc = Esys_TRSess_SetAttributes(esys, handle, attrs | TPMA_SESSION_CONTINUESESSION, 0xff);
	if (rc != TSS2_RC_SUCCESS) {
		lv_tpm_flush(tpm, &handle);
		return lv_tpm_fail(tpm, rc, step, err);
	}
	*session = handle;
	return 0;
}

int lv_tpm_hmac_session(struct lv_tpm *tpm, ESYS_TR salt_key, unsigned param_crypt,
			ESYS_TR *session, struct lv_err *err)
{
	TPMA_SESSION attrs = 0;

	if (param_crypt & LV_TPM_ENCRYPT_COMMAND)
		attrs |= TPMA_SESSION_DECRYPT;
	if (param_crypt & LV_TPM_ENCRYPT_RESPONSE)
		attrs |= TPMA_SESSION_ENCRYPT;
	return start_session(tpm, salt_key, TPM2_SE_HMAC, attrs,
			     "StartAuthSession (salted HMAC session)", session, err);
}

int lv_tpm_policy_session(struct lv_tpm *tpm, ESYS_TR salt_key, ESYS_TR *session,
			  struct lv_err *err)
{
	return start_session(tpm, salt_key, TPM2_SE_POLICY, 0,
			     "StartAuthSession (salted policy session)", session, err);
}

int lv_tpm_policy_pcr(struct lv_tpm *tpm, ESYS_TR session, const TPML_PCR_SELECTION *pcrs,
		      struct lv_err *err)
{
	TPM2B_DIGEST current_values = { 0 };
	TSS2_RC rc = Esys_PolicyPCR(lv_tpm_esys(tpm), session, ESYS_TR_NONE, ESYS_TR_NONE,
				    ESYS_TR_NONE, &current_values, pcrs);

	return rc == TSS2_RC_SUCCESS ? 0 : lv_tpm_fail(tpm, rc, "PolicyPCR", err);
}

int lv_tpm_policy_get_digest(struct lv_tpm *tpm, ESYS_TR session, TPM2B_DIGEST *digest,
			     struct lv_err *err)
{
	TPM2B_DIGEST *out = NULL;
	TSS2_RC rc = Esys_PolicyGetDigest(lv_tpm_esys(tpm), session, ESYS_TR_NONE, ESYS_TR_NONE,
					  ESYS_TR_NONE, &out);

	if (rc != TSS2_RC_SUCCESS)
		return lv_tpm_fail(tpm, rc, "PolicyGetDigest", err);
	*digest = *out;
	Esys_Free(out);
	return 0;
}

int lv_tpm_verify_rsassa(struct lv_tpm *tpm, const struct lv_tpm_object *key,
			 const TPM2B_DIGEST *digest, const uint8_t *signature, size_t signature_len,
			 TPMT_TK_VERIFIED *ticket, struct lv_err *err)
{
	TPMT_SIGNATURE sig = { .sigAlg = TPM2_ALG_RSASSA };
	TPMT_TK_VERIFIED *validation = NULL;
	TSS2_RC rc;

	if (signature_len > sizeof(sig.signature.rsassa.sig.buffer))
		return lv_tpm_err(tpm, err, -EINVAL, "VerifySignature: a %zu-byte signature",
				  signature_len);
	sig.signature.rsassa.hash = TPM2_ALG_SHA256;
	sig.signature.rsassa.sig.size = (UINT16)signature_len;
	memcpy(sig.signature.rsassa.sig.buffer, signature, signature_len);
	rc = Esys_VerifySignature(lv_tpm_esys(tpm), key->handle, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, digest, &sig, &validation);
	if (rc != TSS2_RC_SUCCESS)
		return lv_tpm_fail(tpm, rc, "VerifySignature", err);
	*ticket = *validation;
	Esys_Free(validation);
	return 0;
}

int lv_tpm_policy_authorize(struct lv_tpm *tpm, ESYS_TR session, const TPM2B_DIGEST *approved,
			    const TPM2B_NAME *key_sign, const TPMT_TK_VERIFIED *ticket,
			    struct lv_err *err)
{
	TPM2B_NONCE no_policy_ref = { 0 };
	TSS2_RC rc = Esys_PolicyAuthorize(lv_tpm_esys(tpm), session, ESYS_TR_NONE, ESYS_TR_NONE,
					  ESYS_TR_NONE, approved, &no_policy_ref, key_sign, ticket);

	return rc == TSS2_RC_SUCCESS ? 0 : lv_tpm_fail(tpm, rc, "PolicyAuthorize", err);
}

int lv_tpm_policy_auth_value(struct lv_tpm *tpm, ESYS_TR session, struct lv_err *err)
{
	TSS2_RC rc = Esys_PolicyAuthValue(lv_tpm_esys(tpm), session, ESYS_TR_NONE, ESYS_TR_NONE,
					  ESYS_TR_NONE);

	return rc == TSS2_RC_SUCCESS ? 0 : lv_tpm_fail(tpm, rc, "PolicyAuthValue", err);
}

int lv_tpm_set_auth(struct lv_tpm *tpm, ESYS_TR handle, const uint8_t *auth, size_t len,
		    struct lv_err *err)
{
	TPM2B_AUTH value = { .size = (UINT16)len };
	TSS2_RC rc;

	if (len > sizeof(value.buffer))
		return lv_tpm_err(tpm, err, -EINVAL, "an authValue of %zu bytes", len);
	memcpy(value.buffer, auth, len);
	rc = Esys_TR_SetAuth(lv_tpm_esys(tpm), handle, &value);
	lv_wipe(&value, sizeof(value));
	return rc == TSS2_RC_SUCCESS ? 0 : lv_tpm_fail(tpm, rc, "SetAuth", err);
}
