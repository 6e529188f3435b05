/* SPDX-License-Identifier: ISC */
/*
 * talos_token.c: the talos-tpm2 token, read and written byte for byte as
 * Talos does (talos:internal/pkg/encryption/keys/tpm2.go TPMToken, through
 * go-blockdevice's luks.Token and encoding/json).
 *
 * {"UserData":{"keyslots":[N],"sealed_blob_private":B64,"sealed_blob_public":B64,
 *   ["pcrs":[P,...],]"pubkey_pcrs":[11],"alg":"sha256",["encryption_version":"1",]
 *   "policy_hash":B64,"key_name":B64[,"luksvol_policy":"pcr-only"]},
 *  "type":"talos-tpm2","keyslots":[]}
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/metadata.h"
#include "tpm/talos_tpm2.h"

#define FIELD_PREFIX "talos-tpm2 token: UserData."

/* ---- reading ---- */

/* An array of ints in [0, limit), at most max entries, none twice. */
static int read_int_list(struct json_object *user, const char *name, int *out, size_t max,
			 int limit, size_t *count, struct lv_err *err)
{
	struct json_object *list;
	uint64_t seen = 0;
	size_t n;

	*count = 0;
	if (!json_object_object_get_ex(user, name, &list) ||
	    json_object_is_type(list, json_type_null))
		return 0;
	if (!json_object_is_type(list, json_type_array))
		return lv_err_set(err, -EINVAL, FIELD_PREFIX "%s: not an array", name);
	n = json_object_array_length(list);
	if (n > max)
		return lv_err_set(err, -EINVAL, FIELD_PREFIX "%s: %zu entries, at most %zu", name,
				  n, max);
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(list, i);
		int64_t v;

		if (!json_object_is_type(item, json_type_int))
			return lv_err_set(err, -EINVAL, FIELD_PREFIX "%s[%zu]: not an integer",
					  name, i);
		v = json_object_get_int64(item);
		if (v < 0 || v >= limit)
			return lv_err_set(err, -EINVAL,
					  FIELD_PREFIX "%s[%zu]: %lld is out of range 0-%d", name,
					  i, (long long)v, limit - 1);
		if (seen & (uint64_t)1 << v)
			return lv_err_set(err, -EINVAL, FIELD_PREFIX "%s: %lld is listed twice",
					  name, (long long)v);
		seen |= (uint64_t)1 << v;
		out[i] = (int)v;
	}
	*count = n;
	return 0;
}

/* A string field; *text NULL when absent (required says whether that is
 * an error). */
static int read_string(struct json_object *user, const char *name, int required, const char **text,
		       struct lv_err *err)
{
	struct json_object *value;

	*text = NULL;
	if (!json_object_object_get_ex(user, name, &value)) {
		if (required)
			return lv_err_set(err, -EINVAL, FIELD_PREFIX "%s: missing", name);
		return 0;
	}
	if (!json_object_is_type(value, json_type_string))
		return lv_err_set(err, -EINVAL, FIELD_PREFIX "%s: not a string", name);
	*text = json_object_get_string(value);
	if (strlen(*text) != (size_t)json_object_get_string_len(value))
		return lv_err_set(err, -EINVAL, FIELD_PREFIX "%s: holds a NUL character", name);
	return 0;
}

/* A required base64 field ([]byte in Go) into out. */
static int read_base64(struct json_object *user, const char *name, uint8_t *out, size_t max,
		       size_t *len, struct lv_err *err)
{
	const char *text;
	int r = read_string(user, name, 1, &text, err);

	*len = 0;
	if (r < 0)
		return r;
	r = lv_base64_decode(text, out, max, len);
	if (r == -E2BIG)
		return lv_err_set(err, -EINVAL, FIELD_PREFIX "%s: longer than %zu bytes", name,
				  max);
	if (r < 0)
		return lv_err_set(err, -EINVAL, FIELD_PREFIX "%s: not padded standard base64",
				  name);
	return 0;
}

static int read_blobs(struct json_object *user, struct lv_talos_tpm2_token *t, struct lv_err *err)
{
	size_t hash_len = 0;
	int r = read_base64(user, "sealed_blob_private", t->sealed_private,
			    sizeof(t->sealed_private), &t->sealed_private_len, err);

	if (r == 0)
		r = read_base64(user, "sealed_blob_public", t->sealed_public,
				sizeof(t->sealed_public), &t->sealed_public_len, err);
	if (r == 0)
		r = read_base64(user, "policy_hash", t->policy_hash, sizeof(t->policy_hash),
				&hash_len, err);
	if (r == 0 && hash_len != sizeof(t->policy_hash))
		r = lv_err_set(err, -EINVAL, FIELD_PREFIX "policy_hash: %zu bytes, not 32",
			       hash_len);
	if (r == 0)
		r = read_base64(user, "key_name", t->key_name, sizeof(t->key_name),
				&t->key_name_len, err);
	return r;
}

static int read_strings(struct json_object *user, struct lv_talos_tpm2_token *t, struct lv_err *err)
{
	const char *alg, *version, *policy;
	int r = read_string(user, "alg", 0, &alg, err);

	if (r == 0 && alg && strcmp(alg, "sha256") != 0)
		r = lv_err_set(err, -EINVAL, FIELD_PREFIX "alg: \"%.32s\", only sha256 is known",
			       alg);
	if (r == 0)
		r = read_string(user, "encryption_version", 0, &version, err);
	if (r == 0 && version && version[0] && strcmp(version, LV_TALOS_ENCRYPTION_VERSION) != 0)
		r = lv_err_set(err, -EINVAL,
			       FIELD_PREFIX
			       "encryption_version: \"%.16s\" is unknown (Talos writes \"1\")",
			       version);
	if (r == 0 && version)
		snprintf(t->encryption_version, sizeof(t->encryption_version), "%s", version);
	if (r == 0)
		r = read_string(user, "luksvol_policy", 0, &policy, err);
	if (r == 0 && policy && strcmp(policy, LV_TALOS_PCR_ONLY) != 0)
		r = lv_err_set(err, -EINVAL, FIELD_PREFIX "luksvol_policy: \"%.32s\" is unknown",
			       policy);
	if (r == 0)
		t->policy = policy ? LV_TALOS_POLICY_PCR_ONLY : LV_TALOS_POLICY_SIGNED;
	return r;
}

/* What the blobs must be: a SHA-256 KEYEDHASH sealed object, an SRK Name,
 * and the PCR-only mode's own rules. */
static int check_token(const struct lv_talos_tpm2_token *t, struct lv_err *err)
{
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	TPM2B_NAME name;
	int r = lv_tpm2b_public_from_bytes(t->sealed_public, t->sealed_public_len, &pub,
					   FIELD_PREFIX "sealed_blob_public", err);

	if (r == 0 && (pub.publicArea.type != TPM2_ALG_KEYEDHASH ||
		       pub.publicArea.nameAlg != TPM2_ALG_SHA256 ||
		       pub.publicArea.authPolicy.size != TPM2_SHA256_DIGEST_SIZE))
		r = lv_err_set(err, -EINVAL,
			       FIELD_PREFIX "sealed_blob_public: not a SHA-256 sealed data object "
					    "with a policy");
	if (r == 0)
		r = lv_tpm2b_private_from_bytes(t->sealed_private, t->sealed_private_len, &priv,
						FIELD_PREFIX "sealed_blob_private", err);
	if (r == 0)
		r = lv_tpm2b_name_from_bytes(t->key_name, t->key_name_len, &name,
					     FIELD_PREFIX "key_name", err);
	if (r == 0 && (name.size != LV_TPM_NAME_BYTES || name.name[0] != TPM2_ALG_SHA256 >> 8 ||
		       name.name[1] != (TPM2_ALG_SHA256 & 0xff)))
		r = lv_err_set(err, -EINVAL, FIELD_PREFIX "key_name: not a SHA-256 Name");
	if (r == 0 && t->policy == LV_TALOS_POLICY_PCR_ONLY &&
	    (t->pcr_count == 0 || t->pubkey_pcr_count != 0))
		r = lv_err_set(err, -EINVAL,
			       FIELD_PREFIX
			       "luksvol_policy: pcr-only needs pcrs and no pubkey_pcrs");
	return r;
}

static int read_user_data(struct json_object *user, struct lv_talos_tpm2_token *t,
			  struct lv_err *err)
{
	int r = read_int_list(user, "keyslots", t->keyslots, LV_TALOS_KEYSLOTS_MAX,
			      LV_TALOS_KEYSLOTS_MAX, &t->keyslot_count, err);

	if (r == 0)
		r = read_int_list(user, "pcrs", t->pcrs, LV_TALOS_PCR_MAX, LV_TALOS_PCR_MAX,
				  &t->pcr_count, err);
	if (r == 0)
		r = read_int_list(user, "pubkey_pcrs", t->pubkey_pcrs, LV_TALOS_PCR_MAX,
				  LV_TALOS_PCR_MAX, &t->pubkey_pcr_count, err);
	if (r == 0)
		r = read_blobs(user, t, err);
	if (r == 0)
		r = read_strings(user, t, err);
	if (r == 0)
		r = check_token(t, err);
	return r;
}

static int parse_object(const char *json, size_t len, struct json_object **root, struct lv_err *err)
{
	struct json_tokener *tok;
	size_t end;

	*root = NULL;
	if (len > INT_MAX)
		return lv_err_set(err, -EINVAL, "talos-tpm2 token: %zu bytes of JSON", len);
	tok = json_tokener_new();
	if (!tok)
		return lv_err_set(err, -ENOMEM, "talos-tpm2 token: out of memory");
	*root = json_tokener_parse_ex(tok, json, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (*root && end < len && json[end] && strchr(" \t\r\n", json[end]))
		end++;
	if (!*root || end != len || !json_object_is_type(*root, json_type_object)) {
		json_object_put(*root);
		*root = NULL;
		return lv_err_set(err, -EINVAL, "talos-tpm2 token: not one JSON object");
	}
	return 0;
}

int lv_talos_tpm2_token_parse(const char *json, size_t len, struct lv_talos_tpm2_token *token,
			      struct lv_err *err)
{
	struct json_object *root, *type, *user;
	int r;

	memset(token, 0, sizeof(*token));
	r = parse_object(json, len, &root, err);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(root, "type", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    json_object_get_string_len(type) != strlen(LV_TALOS_TPM2_TOKEN_TYPE) ||
	    strcmp(json_object_get_string(type), LV_TALOS_TPM2_TOKEN_TYPE) != 0)
		r = lv_err_set(err, -EINVAL, "talos-tpm2 token: type is not \"talos-tpm2\"");
	else if (!json_object_object_get_ex(root, "UserData", &user) ||
		 !json_object_is_type(user, json_type_object))
		r = lv_err_set(err, -EINVAL,
			       "talos-tpm2 token: UserData: missing or not an object");
	else
		r = read_user_data(user, token, err);
	json_object_put(root);
	if (r < 0)
		memset(token, 0, sizeof(*token));
	return r;
}

/* ---- writing ---- */

static int add(struct json_object *obj, const char *name, struct json_object *value)
{
	if (!value)
		return -ENOMEM;
	if (json_object_object_add(obj, name, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

static struct json_object *int_list(const int *values, size_t count)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; list && i < count; i++) {
		struct json_object *v = json_object_new_int(values[i]);

		if (!v || json_object_array_add(list, v) < 0) {
			json_object_put(v);
			json_object_put(list);
			return NULL;
		}
	}
	return list;
}

static struct json_object *base64_string(const uint8_t *bytes, size_t len)
{
	char *text = malloc(lv_base64_encoded_len(len) + 1);
	struct json_object *s;

	if (!text)
		return NULL;
	lv_base64_encode(bytes, len, text);
	s = json_object_new_string(text);
	free(text);
	return s;
}

/* Talos's field order (Go encodes struct fields in declaration order). */
static int add_user_fields(struct json_object *user, const struct lv_talos_tpm2_token *t)
{
	int r = add(user, "keyslots", int_list(t->keyslots, t->keyslot_count));

	if (r == 0)
		r = add(user, "sealed_blob_private",
			base64_string(t->sealed_private, t->sealed_private_len));
	if (r == 0)
		r = add(user, "sealed_blob_public",
			base64_string(t->sealed_public, t->sealed_public_len));
	if (r == 0 && t->pcr_count > 0) /* omitempty */
		r = add(user, "pcrs", int_list(t->pcrs, t->pcr_count));
	if (r == 0)
		r = add(user, "pubkey_pcrs", int_list(t->pubkey_pcrs, t->pubkey_pcr_count));
	if (r == 0)
		r = add(user, "alg", json_object_new_string("sha256"));
	if (r == 0 && t->encryption_version[0]) /* omitempty */
		r = add(user, "encryption_version", json_object_new_string(t->encryption_version));
	if (r == 0)
		r = add(user, "policy_hash", base64_string(t->policy_hash, sizeof(t->policy_hash)));
	if (r == 0)
		r = add(user, "key_name", base64_string(t->key_name, t->key_name_len));
	if (r == 0 && t->policy == LV_TALOS_POLICY_PCR_ONLY)
		r = add(user, "luksvol_policy", json_object_new_string(LV_TALOS_PCR_ONLY));
	return r;
}

int lv_talos_tpm2_token_format(const struct lv_talos_tpm2_token *token, char **json,
			       struct lv_err *err)
{
	struct json_object *root = json_object_new_object(), *user = json_object_new_object();
	int r = root && user ? 0 : -ENOMEM;

	*json = NULL;
	if (r == 0)
		r = add_user_fields(user, token);
	if (r == 0) {
		r = add(root, "UserData", user);
		user = NULL;
	}
	if (r == 0)
		r = add(root, "type", json_object_new_string(LV_TALOS_TPM2_TOKEN_TYPE));
	if (r == 0)
		r = add(root, "keyslots", json_object_new_array());
	if (r == 0) {
		*json = strdup(json_object_to_json_string_ext(
			root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		if (!*json)
			r = -ENOMEM;
	}
	json_object_put(user);
	json_object_put(root);
	return r < 0 ? lv_err_set(err, r, "talos-tpm2 token: out of memory") : 0;
}

/* ---- dump ---- */

static void dump_list(FILE *out, const char *indent, const char *label, const int *v, size_t n)
{
	fprintf(out, "%s%-20s", indent, label);
	if (n == 0)
		fprintf(out, "(none)");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%d", i ? "," : "", v[i]);
	fputc('\n', out);
}

static void dump_hex(FILE *out, const char *indent, const char *label, const uint8_t *b, size_t n)
{
	fprintf(out, "%s%-20s", indent, label);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", b[i]);
	fputc('\n', out);
}

void lv_talos_tpm2_token_dump(const struct lv_talos_tpm2_token *t, const char *indent, FILE *out)
{
	const char *policy = t->policy == LV_TALOS_POLICY_PCR_ONLY
				     ? "PolicyPCR only (luksvol pcr-only)"
				     : "PolicyAuthorize (signed PCR 11 policy)";

	fprintf(out, "%s%-20s%s\n", indent, "Policy:", policy);
	dump_list(out, indent, "PCRs (sha256):", t->pcrs, t->pcr_count);
	dump_list(out, indent, "Public key PCRs:", t->pubkey_pcrs, t->pubkey_pcr_count);
	fprintf(out, "%s%-20s%s\n", indent, "Encryption version:",
		t->encryption_version[0] ? t->encryption_version : "(none: before Talos 1.12)");
	dump_hex(out, indent, "Policy hash:", t->policy_hash, sizeof(t->policy_hash));
	/* The Name without its TPM2B size and algorithm: the SRK's digest. */
	if (t->key_name_len == 2 + LV_TPM_NAME_BYTES)
		dump_hex(out, indent, "SRK name (sha256):", t->key_name + 4, t->key_name_len - 4);
	fprintf(out, "%s%-20s%zu + %zu bytes\n", indent, "Sealed blobs:", t->sealed_private_len,
		t->sealed_public_len);
}
