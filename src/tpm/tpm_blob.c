/* SPDX-License-Identifier: ISC */
/* tpm_blob.c: TPM2B blobs, Names, the RSA template and the policy calculator. */
#include <errno.h>
#include <string.h>

#include "crypto/crypto.h"
#include "luks2/metadata.h"
#include "tpm/tpm_blob.h"
#include "tpm/tpm_log.h"
#include "tpm/tpm_tss2.h"

enum blob_type { BLOB_PUBLIC, BLOB_PRIVATE, BLOB_NAME };

static const char *const blob_type_names[] = { "TPM2B_PUBLIC", "TPM2B_PRIVATE", "TPM2B_NAME" };

static TSS2_RC blob_unmarshal(enum blob_type type, const uint8_t *buf, size_t len, size_t *used,
			      void *out)
{
	switch (type) {
	case BLOB_PUBLIC:
		return Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, used, out);
	case BLOB_PRIVATE:
		return Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf, len, used, out);
	default:
		return Tss2_MU_TPM2B_NAME_Unmarshal(buf, len, used, out);
	}
}

/* The 2-byte size must name exactly the bytes after it, and tpm2-tss's
 * unmarshaller must use them all.  An empty public area is refused: no
 * token has a use for one. */
static int from_bytes(enum blob_type type, const uint8_t *buf, size_t len, void *out,
		      size_t out_size, const char *what, struct lv_err *err)
{
	const char *name = blob_type_names[type];
	size_t declared, used = 0;
	TSS2_RC rc;
	int r;

	memset(out, 0, out_size);
	if (len < 2)
		return lv_err_set(err, -EINVAL, "%s: %zu bytes, too short for a %s", what, len,
				  name);
	declared = (size_t)buf[0] << 8 | buf[1];
	if (declared != len - 2)
		return lv_err_set(err, -EINVAL, "%s: %s says %zu bytes, %zu follow", what, name,
				  declared, len - 2);
	if (type == BLOB_PUBLIC && declared == 0)
		return lv_err_set(err, -EINVAL, "%s: an empty TPM2B_PUBLIC", what);
	r = lv_tss2_load(err);
	if (r < 0)
		return r;
	rc = blob_unmarshal(type, buf, len, &used, out);
	if (rc != TSS2_RC_SUCCESS)
		return lv_err_set(err, -EINVAL, "%s: not a valid %s (%s)", what, name,
				  lv_tpm_rc_text(rc));
	if (used != len)
		return lv_err_set(err, -EINVAL, "%s: %zu bytes left after the %s", what, len - used,
				  name);
	return 0;
}

int lv_tpm2b_public_from_bytes(const uint8_t *buf, size_t len, TPM2B_PUBLIC *out, const char *what,
			       struct lv_err *err)
{
	return from_bytes(BLOB_PUBLIC, buf, len, out, sizeof(*out), what, err);
}

int lv_tpm2b_private_from_bytes(const uint8_t *buf, size_t len, TPM2B_PRIVATE *out,
				const char *what, struct lv_err *err)
{
	return from_bytes(BLOB_PRIVATE, buf, len, out, sizeof(*out), what, err);
}

int lv_tpm2b_name_from_bytes(const uint8_t *buf, size_t len, TPM2B_NAME *out, const char *what,
			     struct lv_err *err)
{
	return from_bytes(BLOB_NAME, buf, len, out, sizeof(*out), what, err);
}

static int marshal_result(TSS2_RC rc)
{
	return rc == TSS2_RC_SUCCESS ? 0 : -EINVAL;
}

int lv_tpm2b_public_to_bytes(const TPM2B_PUBLIC *in, uint8_t *buf, size_t max, size_t *len)
{
	*len = 0;
	if (lv_tss2_load(NULL) < 0)
		return -ENOTSUP;
	return marshal_result(Tss2_MU_TPM2B_PUBLIC_Marshal(in, buf, max, len));
}

int lv_tpm2b_private_to_bytes(const TPM2B_PRIVATE *in, uint8_t *buf, size_t max, size_t *len)
{
	*len = 0;
	if (lv_tss2_load(NULL) < 0)
		return -ENOTSUP;
	return marshal_result(Tss2_MU_TPM2B_PRIVATE_Marshal(in, buf, max, len));
}

int lv_tpm2b_name_to_bytes(const TPM2B_NAME *in, uint8_t *buf, size_t max, size_t *len)
{
	*len = 0;
	if (lv_tss2_load(NULL) < 0)
		return -ENOTSUP;
	return marshal_result(Tss2_MU_TPM2B_NAME_Marshal(in, buf, max, len));
}

int lv_tpm_object_name(const TPMT_PUBLIC *public_area, TPM2B_NAME *name)
{
	uint8_t area[sizeof(TPMT_PUBLIC)];
	size_t area_len = 0;
	const void *parts[1] = { area };
	size_t lens[1];
	int r;

	memset(name, 0, sizeof(*name));
	if (public_area->nameAlg != TPM2_ALG_SHA256)
		return -ENOTSUP;
	if (lv_tss2_load(NULL) < 0)
		return -ENOTSUP;
	if (Tss2_MU_TPMT_PUBLIC_Marshal(public_area, area, sizeof(area), &area_len) !=
	    TSS2_RC_SUCCESS)
		return -EINVAL;
	lens[0] = area_len;
	name->name[0] = TPM2_ALG_SHA256 >> 8;
	name->name[1] = TPM2_ALG_SHA256 & 0xff;
	r = lv_hash("sha256", parts, lens, 1, name->name + 2, TPM2_SHA256_DIGEST_SIZE);
	if (r == 0)
		name->size = LV_TPM_NAME_BYTES;
	return r;
}

static size_t bit_length(const uint8_t *be, size_t len)
{
	size_t bits = len * 8;

	for (size_t i = 0; i < len; i++, bits -= 8) {
		if (be[i] == 0)
			continue;
		for (int bit = 7; bit >= 0; bit--, bits--)
			if (be[i] >> bit & 1)
				return bits;
	}
	return 0;
}

int lv_tpm_rsa_public(const uint8_t *modulus, size_t modulus_len, uint32_t exponent,
		      TPM2B_PUBLIC *out)
{
	TPMT_PUBLIC *area = &out->publicArea;
	size_t bits;

	memset(out, 0, sizeof(*out));
	while (modulus_len > 0 && modulus[0] == 0) {
		modulus++;
		modulus_len--;
	}
	bits = bit_length(modulus, modulus_len);
	if (bits == 0 || modulus_len > sizeof(area->unique.rsa.buffer))
		return -EINVAL;
	area->type = TPM2_ALG_RSA;
	area->nameAlg = TPM2_ALG_SHA256;
	area->objectAttributes =
		TPMA_OBJECT_DECRYPT | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH;
	area->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	area->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	area->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)bits;
	area->parameters.rsaDetail.exponent = exponent;
	area->unique.rsa.size = (UINT16)modulus_len;
	memcpy(area->unique.rsa.buffer, modulus, modulus_len);
	return 0;
}

void lv_tpm_calc_start(struct lv_tpm_calc *calc)
{
	memset(calc->digest, 0, sizeof(calc->digest));
}

static void put_be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

/* digest = H(digest || parts...): lv_hash clears its output first, so
 * the result goes through a copy. */
static int calc_hash(struct lv_tpm_calc *calc, const void *const parts[], const size_t lens[],
		     size_t n)
{
	uint8_t next[TPM2_SHA256_DIGEST_SIZE];
	int r = lv_hash("sha256", parts, lens, n, next, sizeof(next));

	if (r == 0)
		memcpy(calc->digest, next, sizeof(next));
	return r;
}

/* digest = H(digest || cc || arg) */
static int calc_extend(struct lv_tpm_calc *calc, TPM2_CC cc, const void *arg, size_t arg_len)
{
	uint8_t cc_be[4];
	const void *parts[3] = { calc->digest, cc_be, arg };
	size_t lens[3] = { sizeof(calc->digest), sizeof(cc_be), arg_len };

	put_be32(cc_be, cc);
	return calc_hash(calc, parts, lens, arg_len ? 3 : 2);
}

int lv_tpm_calc_pcr(struct lv_tpm_calc *calc, const TPML_PCR_SELECTION *selection,
		    const uint8_t pcr_composite[TPM2_SHA256_DIGEST_SIZE])
{
	uint8_t arg[sizeof(TPML_PCR_SELECTION) + TPM2_SHA256_DIGEST_SIZE];
	size_t len = 0;

	if (lv_tss2_load(NULL) < 0)
		return -ENOTSUP;
	if (Tss2_MU_TPML_PCR_SELECTION_Marshal(selection, arg, sizeof(arg), &len) !=
	    TSS2_RC_SUCCESS)
		return -EINVAL;
	memcpy(arg + len, pcr_composite, TPM2_SHA256_DIGEST_SIZE);
	return calc_extend(calc, TPM2_CC_PolicyPCR, arg, len + TPM2_SHA256_DIGEST_SIZE);
}

int lv_tpm_calc_authorize(struct lv_tpm_calc *calc, const TPM2B_NAME *key_sign,
			  const uint8_t *policy_ref, size_t policy_ref_len)
{
	const void *parts[2] = { calc->digest, policy_ref };
	size_t lens[2] = { sizeof(calc->digest), policy_ref_len };
	int r;

	if (key_sign->size > sizeof(key_sign->name))
		return -EINVAL;
	lv_tpm_calc_start(calc);
	r = calc_extend(calc, TPM2_CC_PolicyAuthorize, key_sign->name, key_sign->size);
	if (r == 0)
		r = calc_hash(calc, parts, lens, policy_ref_len ? 2 : 1);
	return r;
}

int lv_tpm_calc_auth_value(struct lv_tpm_calc *calc)
{
	return calc_extend(calc, TPM2_CC_PolicyAuthValue, NULL, 0);
}

int lv_tpm_sealed_passphrase(const struct lv_secret *key, struct lv_secret **passphrase,
			     struct lv_err *err)
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

int lv_tpm_rsa_public_from_pem(const char *pem, size_t len, const char *what,
			       struct lv_rsa_pubkey *key, TPM2B_PUBLIC *public_key,
			       struct lv_err *err)
{
	int r = lv_rsa_pubkey_from_pem(pem, len, key, what, err);

	if (r == 0 &&
	    lv_tpm_rsa_public(key->modulus, key->modulus_len, key->exponent, public_key) < 0)
		r = lv_err_set(err, -EINVAL, "%s: RSA modulus unusable", what);
	return r;
}
