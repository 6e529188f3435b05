/* SPDX-License-Identifier: ISC */
/* tpm_object.c: primary keys from templates, persistent keys, loaded objects, public keys. */
#include <errno.h>
#include <string.h>

#include "tpm/tpm.h"

/* What the three primaries share: a restricted decryption key in the
 * owner hierarchy, AES-128-CFB for its children. */
#define PRIMARY_ATTRS                                                                              \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |        \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)

static const TPMT_SYM_DEF_OBJECT primary_symmetric = {
	.algorithm = TPM2_ALG_AES,
	.keyBits.aes = 128,
	.mode.aes = TPM2_ALG_CFB,
};

static void ecc_template(TPMT_PUBLIC *area, TPMA_OBJECT attrs, UINT16 unique_len)
{
	area->type = TPM2_ALG_ECC;
	area->nameAlg = TPM2_ALG_SHA256;
	area->objectAttributes = attrs;
	area->parameters.eccDetail.symmetric = primary_symmetric;
	area->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	area->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	area->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	/* Zero bytes, present or not: another unique is another key. */
	area->unique.ecc.x.size = unique_len;
	area->unique.ecc.y.size = unique_len;
}

int lv_tpm_primary_template(enum lv_tpm_primary which, TPM2B_PUBLIC *template)
{
	TPMT_PUBLIC *area = &template->publicArea;

	memset(template, 0, sizeof(*template));
	switch (which) {
	case LV_TPM_PRIMARY_SRK_ECC:
		ecc_template(area, PRIMARY_ATTRS | TPMA_OBJECT_NODA, 32);
		return 0;
	case LV_TPM_PRIMARY_TOOLS_ECC:
		ecc_template(area, PRIMARY_ATTRS, 0);
		return 0;
	case LV_TPM_PRIMARY_TOOLS_RSA:
		area->type = TPM2_ALG_RSA;
		area->nameAlg = TPM2_ALG_SHA256;
		area->objectAttributes = PRIMARY_ATTRS;
		area->parameters.rsaDetail.symmetric = primary_symmetric;
		area->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		area->parameters.rsaDetail.keyBits = 2048;
		return 0;
	}
	return -EINVAL;
}

/* Tracks a new handle and reads its Name; flushes it on failure. */
static int object_adopt(struct lv_tpm *tpm, ESYS_TR handle, const char *step,
			struct lv_tpm_object *object, struct lv_err *err)
{
	TPM2B_NAME *name = NULL;
	TSS2_RC rc;
	int r = lv_tpm_track(tpm, handle, err);

	if (r < 0)
		return r;
	rc = Esys_TR_GetName(lv_tpm_esys(tpm), handle, &name);
	if (rc != TSS2_RC_SUCCESS) {
		lv_tpm_flush(tpm, &handle);
		return lv_tpm_fail(tpm, rc, step, err);
	}
	object->handle = handle;
	object->name = *name;
	Esys_Free(name);
	return 0;
}

int lv_tpm_create_primary(struct lv_tpm *tpm, enum lv_tpm_primary which,
			  struct lv_tpm_object *primary, struct lv_err *err)
{
	TPM2B_SENSITIVE_CREATE no_auth = { 0 };
	TPM2B_DATA no_outside_info = { 0 };
	TPML_PCR_SELECTION no_creation_pcrs = { 0 };
	TPM2B_PUBLIC template, *out_public = NULL;
	TPM2B_CREATION_DATA *creation_data = NULL;
	TPM2B_DIGEST *creation_hash = NULL;
	TPMT_TK_CREATION *creation_ticket = NULL;
	ESYS_TR handle = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	primary->handle = ESYS_TR_NONE;
	if (lv_tpm_primary_template(which, &template) < 0)
		return lv_tpm_err(tpm, err, -EINVAL, "unknown primary key template %d", (int)which);
	rc = Esys_CreatePrimary(lv_tpm_esys(tpm), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &no_auth, &template, &no_outside_info,
				&no_creation_pcrs, &handle, &out_public, &creation_data,
				&creation_hash, &creation_ticket);
	Esys_Free(creation_data);
	Esys_Free(creation_hash);
	Esys_Free(creation_ticket);
	if (rc != TSS2_RC_SUCCESS)
		return lv_tpm_fail(tpm, rc, "CreatePrimary (storage root key)", err);
	primary->public = *out_public;
	Esys_Free(out_public);
	r = object_adopt(tpm, handle, "CreatePrimary (storage root key)", primary, err);
	return r;
}

int lv_tpm_load(struct lv_tpm *tpm, const struct lv_tpm_object *parent,
		const TPM2B_PRIVATE *private_blob, const TPM2B_PUBLIC *public_blob,
		struct lv_tpm_object *object, struct lv_err *err)
{
	ESYS_TR handle = ESYS_TR_NONE;
	TSS2_RC rc;

	object->handle = ESYS_TR_NONE;
	rc = Esys_Load(lv_tpm_esys(tpm), parent->handle, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		       ESYS_TR_NONE, private_blob, public_blob, &handle);
	if (rc != TSS2_RC_SUCCESS)
		return lv_tpm_fail(tpm, rc, "Load (sealed object)", err);
	object->public = *public_blob;
	return object_adopt(tpm, handle, "Load (sealed object)", object, err);
}

int lv_tpm_load_external(struct lv_tpm *tpm, const TPM2B_PUBLIC *public_key, ESYS_TR hierarchy,
			 struct lv_tpm_object *key, struct lv_err *err)
{
	ESYS_TR handle = ESYS_TR_NONE;
	TSS2_RC rc;

	key->handle = ESYS_TR_NONE;
	rc = Esys_LoadExternal(lv_tpm_esys(tpm), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
			       public_key, hierarchy, &handle);
	if (rc != TSS2_RC_SUCCESS)
		return lv_tpm_fail(tpm, rc, "LoadExternal (public key)", err);
	key->public = *public_key;
	return object_adopt(tpm, handle, "LoadExternal (public key)", key, err);
}

int lv_tpm_persistent(struct lv_tpm *tpm, TPM2_HANDLE handle, struct lv_tpm_object *object,
		      struct lv_err *err)
{
	ESYS_TR tr = ESYS_TR_NONE;
	TPM2B_PUBLIC *public = NULL;
	TPM2B_NAME *name = NULL, *qualified = NULL;
	TSS2_RC rc;

	object->handle = ESYS_TR_NONE;
	if ((handle & 0xff000000) != TPM2_HR_PERSISTENT)
		return lv_tpm_err(tpm, err, -EINVAL, "0x%08x is not a persistent handle", handle);
	rc = Esys_TR_FromTPMPublic(lv_tpm_esys(tpm), handle, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, &tr);
	if ((rc & ~TPM2_RC_N_MASK) == TPM2_RC_HANDLE)
		return lv_tpm_err(tpm, err, -ENOENT, "no persistent key at 0x%08x", handle);
	if (rc != TSS2_RC_SUCCESS)
		return lv_tpm_fail(tpm, rc, "ReadPublic (persistent key)", err);
	rc = Esys_ReadPublic(lv_tpm_esys(tpm), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			     &public, &name, &qualified);
	if (rc == TSS2_RC_SUCCESS) {
		object->handle = tr;
		object->name = *name;
		object->public = *public;
	} else {
		Esys_TR_Close(lv_tpm_esys(tpm), &tr);
	}
	Esys_Free(public);
	Esys_Free(name);
	Esys_Free(qualified);
	return rc == TSS2_RC_SUCCESS ? 0 : lv_tpm_fail(tpm, rc, "ReadPublic (persistent key)", err);
}
