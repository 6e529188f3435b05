/* SPDX-License-Identifier: ISC */
/*
 * systemd_token.c: the systemd-tpm2 token (tokens-clevis-systemd.md §3.1)
 * as systemd's tpm2_make_luks2_json writes it and tpm2_parse_luks2_json
 * reads it:
 *   {"type":"systemd-tpm2","keyslots":["N"],"tpm2-blob":B64,"tpm2-pcrs":[7],
 *    "tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":HEX,
 *    "tpm2-pin":false[,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":B64(PEM)]
 *    [,"tpm2_salt":B64][,"tpm2_srk":B64][,"tpm2_pcrlock":bool]}
 * Members systemd does not write are ignored, as systemd ignores them.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "base/token_json.h"
#include "luks2/metadata.h"
#include "tpm/systemd_tpm2.h"

#define FIELD "systemd-tpm2 token: "

/* Whether root has the member, and its value.  A JSON null is there (its
 * value is json-c's NULL): systemd refuses it as a value of the wrong
 * type, so do the readers below, and so does the format's check. */
static bool member(struct json_object *root, const char *name, struct json_object **value)
{
	*value = NULL;
	return json_object_object_get_ex(root, name, value);
}

/* A string member without NUL; *text NULL when absent. */
static int read_string(struct json_object *root, const char *name, const char **text,
		       size_t *len, struct lv_err *err)
{
	struct json_object *value;

	*text = NULL;
	*len = 0;
	if (!member(root, name, &value))
		return 0;
	/* systemd v256 shards a blob and its policy into arrays. */
	if (json_object_is_type(value, json_type_array))
		return lv_err_set(err, -ENOTSUP, FIELD "%s: sharded (array) tokens are not "
				  "supported", name);
	if (!json_object_is_type(value, json_type_string))
		return lv_err_set(err, -EINVAL, FIELD "%s: not a string", name);
	*text = json_object_get_string(value);
	*len = (size_t)json_object_get_string_len(value);
	if (strlen(*text) != *len)
		return lv_err_set(err, -EINVAL, FIELD "%s: holds a NUL character", name);
	return 0;
}

/* An optional base64 member into out (at most max bytes). */
static int read_base64(struct json_object *root, const char *name, uint8_t *out, size_t max,
		       size_t *len, struct lv_err *err)
{
	const char *text;
	size_t text_len;
	int r = read_string(root, name, &text, &text_len, err);

	*len = 0;
	if (r < 0 || !text)
		return r;
	if (lv_base64_decode(text, out, max, len) < 0)
		return lv_err_set(err, -EINVAL, FIELD "%s: not base64 of at most %zu bytes", name,
				  max);
	return 0;
}

static int read_bool(struct json_object *root, const char *name, int *value, struct lv_err *err)
{
	struct json_object *v;

	*value = 0;
	if (!member(root, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return lv_err_set(err, -EINVAL, FIELD "%s: not a boolean", name);
	*value = json_object_get_boolean(v);
	return 0;
}

/* An array of PCR numbers 0..23 as a mask. */
static int read_pcrs(struct json_object *root, const char *name, int required, uint32_t *mask,
		     struct lv_err *err)
{
	struct json_object *list;

	*mask = 0;
	if (!member(root, name, &list))
		return required ? lv_err_set(err, -EINVAL, FIELD "%s: missing", name) : 0;
	if (!json_object_is_type(list, json_type_array))
		return lv_err_set(err, -EINVAL, FIELD "%s: not an array", name);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *item = json_object_array_get_idx(list, i);
		int64_t pcr = json_object_get_int64(item);

		if (!json_object_is_type(item, json_type_int) || pcr < 0 ||
		    pcr >= LV_TPM_PCR_COUNT)
			return lv_err_set(err, -EINVAL, FIELD "%s[%zu]: not a PCR number 0-%d", name,
					  i, LV_TPM_PCR_COUNT - 1);
		*mask |= 1u << pcr;
	}
	return 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* tpm2-blob: TPM2B_PRIVATE || TPM2B_PUBLIC [|| TPM2B_ENCRYPTED_SECRET]. */
static int read_blob(struct json_object *root, struct lv_systemd_tpm2_token *t, struct lv_err *err)
{
	size_t private_len, public_len;
	int r = read_base64(root, "tpm2-blob", t->blob, sizeof(t->blob), &t->blob_len, err);

	if (r < 0)
		return r;
	if (t->blob_len == 0)
		return lv_err_set(err, -EINVAL, FIELD "tpm2-blob: missing or empty");
	private_len = t->blob_len >= 2 ? 2 + (size_t)be16(t->blob) : t->blob_len + 1;
	if (private_len + 2 > t->blob_len)
		return lv_err_set(err, -EINVAL, FIELD "tpm2-blob: %zu bytes, too short for its "
				  "TPM2B_PRIVATE and TPM2B_PUBLIC", t->blob_len);
	public_len = 2 + (size_t)be16(t->blob + private_len);
	if (private_len + public_len > t->blob_len)
		return lv_err_set(err, -EINVAL, FIELD "tpm2-blob: its TPM2B_PUBLIC runs past its "
				  "end");
	if (private_len + public_len < t->blob_len)
		return lv_err_set(err, -ENOTSUP, FIELD "tpm2-blob: an object sealed offline (with "
				  "an import seed) is not supported");
	r = lv_tpm2b_private_from_bytes(t->blob, private_len, &t->private_blob,
					FIELD "tpm2-blob", err);
	if (r == 0)
		r = lv_tpm2b_public_from_bytes(t->blob + private_len, public_len, &t->public_blob,
					       FIELD "tpm2-blob", err);
	return r;
}

static int read_bank_and_primary(struct json_object *root, struct lv_systemd_tpm2_token *t,
				 struct lv_err *err)
{
	const char *text;
	size_t len;
	int r = read_string(root, "tpm2-pcr-bank", &text, &len, err);

	/* Before systemd 250 the bank was SHA-256 and the primary ECC. */
	t->bank = TPM2_ALG_SHA256;
	t->bank_given = text != NULL;
	if (r == 0 && text && lv_tpm_bank_from_name(text, &t->bank) < 0)
		r = lv_err_set(err, -EINVAL, FIELD "tpm2-pcr-bank: \"%.16s\" is not sha1, sha256, "
			       "sha384 or sha512", text);
	if (r == 0)
		r = read_string(root, "tpm2-primary-alg", &text, &len, err);
	t->primary = LV_TPM_PRIMARY_TOOLS_ECC;
	t->primary_given = text != NULL;
	if (r == 0 && text && strcmp(text, "rsa") == 0)
		t->primary = LV_TPM_PRIMARY_TOOLS_RSA;
	else if (r == 0 && text && strcmp(text, "ecc") != 0)
		r = lv_err_set(err, -EINVAL, FIELD "tpm2-primary-alg: \"%.16s\" is not ecc or rsa",
			       text);
	return r;
}

static int read_policy_hash(struct json_object *root, struct lv_systemd_tpm2_token *t,
			    struct lv_err *err)
{
	const char *text;
	size_t len, decoded = 0;
	int r = read_string(root, "tpm2-policy-hash", &text, &len, err);

	if (r == 0 && (!text || lv_hex_decode(text, len, t->policy_hash,
						  sizeof(t->policy_hash), &decoded) < 0 ||
		       decoded != sizeof(t->policy_hash)))
		r = lv_err_set(err, -EINVAL, FIELD "tpm2-policy-hash: missing, or not the hex of a "
			       "SHA-256 digest");
	return r;
}

/* tpm2_pubkey_pcrs and tpm2_pubkey come together: a signed PCR policy. */
static int read_pubkey(struct json_object *root, struct lv_systemd_tpm2_token *t,
		       struct lv_err *err)
{
	int r = read_pcrs(root, "tpm2_pubkey_pcrs", 0, &t->pubkey_pcr_mask, err);

	if (r == 0)
		r = read_base64(root, "tpm2_pubkey", (uint8_t *)t->pubkey_pem,
				LV_SYSTEMD_PUBKEY_PEM_MAX, &t->pubkey_pem_len, err);
	t->pubkey_pem[t->pubkey_pem_len] = '\0';
	if (r == 0 && t->pubkey_pcr_mask && !t->pubkey_pem_len)
		r = lv_err_set(err, -EINVAL, FIELD "tpm2_pubkey_pcrs without tpm2_pubkey");
	return r;
}

/* tpm2_srk: Esys_TR_Serialize of the SRK: TPM2_HANDLE, TPM2B_NAME, the
 * resource type (1, a key), TPM2B_PUBLIC, all big-endian. */
static int read_srk(struct json_object *root, struct lv_systemd_tpm2_token *t, struct lv_err *err)
{
	uint8_t srk[LV_SYSTEMD_SRK_MAX];
	size_t len = 0, name_len;
	int r = read_base64(root, "tpm2_srk", srk, sizeof(srk), &len, err);

	if (r < 0 || len == 0)
		return r;
	t->has_srk = 1;
	t->srk_handle = (TPM2_HANDLE)srk[0] << 24 | (TPM2_HANDLE)srk[1] << 16 |
			(TPM2_HANDLE)srk[2] << 8 | srk[3];
	name_len = len >= 6 ? 2 + (size_t)be16(srk + 4) : len;
	if (len < 4 + name_len || (t->srk_handle & 0xff000000) != TPM2_HR_PERSISTENT)
		return lv_err_set(err, -EINVAL, FIELD "tpm2_srk: not a serialized persistent key");
	return lv_tpm2b_name_from_bytes(srk + 4, name_len, &t->srk_name, FIELD "tpm2_srk", err);
}

static int read_fields(struct json_object *root, struct lv_systemd_tpm2_token *t,
		       struct lv_err *err)
{
	struct json_object *nv;
	int pcrlock = 0;
	int r = lv_token_json_keyslot(root, LV_SYSTEMD_TPM2_TOKEN_TYPE, &t->keyslot, err);

	if (r == 0)
		r = read_blob(root, t, err);
	if (r == 0)
		r = read_pcrs(root, "tpm2-pcrs", 1, &t->pcr_mask, err);
	if (r == 0)
		r = read_bank_and_primary(root, t, err);
	if (r == 0)
		r = read_policy_hash(root, t, err);
	if (r == 0)
		r = read_bool(root, "tpm2-pin", &t->pin, err);
	if (r == 0)
		r = read_pubkey(root, t, err);
	if (r == 0)
		r = read_base64(root, "tpm2_salt", t->salt, sizeof(t->salt), &t->salt_len, err);
	if (r == 0)
		r = read_srk(root, t, err);
	if (r == 0)
		r = read_bool(root, "tpm2_pcrlock", &pcrlock, err);
	if (r == 0 && (pcrlock || member(root, "tpm2_pcrlock_nv", &nv)))
		r = lv_err_set(err, -ENOTSUP, FIELD "pcrlock policies are not supported");
	return r;
}

int lv_systemd_tpm2_token_parse(const char *json, size_t len,
				struct lv_systemd_tpm2_token *token, struct lv_err *err)
{
	struct json_tokener *tok;
	struct json_object *root;
	int r;

	memset(token, 0, sizeof(*token));
	token->keyslot = -1;
	if (len > INT_MAX || !(tok = json_tokener_new()))
		return lv_err_set(err, -ENOMEM, FIELD "cannot parse");
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (root && json_tokener_get_parse_end(tok) != len) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	r = lv_token_json_type(root, LV_SYSTEMD_TPM2_TOKEN_TYPE, err);
	if (r == 0)
		r = read_fields(root, token, err);
	json_object_put(root);
	return r;
}
