/* SPDX-License-Identifier: ISC */
/*
 * talos_pcrsig.c: systemd-stub's .pcrsig JSON, the signed PCR 11 policies a
 * UKI carries (talos:internal/pkg/secureboot/tpm2/signature.go):
 *   {"sha256":[{"pcrs":[11],"pkfp":"<hex>","pol":"<hex>","sig":"<base64>"},...],
 *    "sha1":[...],...}
 * Only the sha256 bank is read, as Talos does; its entries must all be
 * well-formed (Talos's decoder refuses the file otherwise).
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <string.h>

#include "luks2/metadata.h"
#include "tpm/talos_tpm2.h"
#include "tpm/tpm_blob.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lv_tpm_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t max, size_t *len)
{
	if (text_len % 2 || text_len / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < text_len; i += 2) {
		int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = text_len / 2;
	return 0;
}

/* The string member name of entry, NUL-free; NULL when missing or not a
 * string. */
static const char *member_string(struct json_object *entry, const char *name, size_t *len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(entry, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return strlen(json_object_get_string(v)) == *len ? json_object_get_string(v) : NULL;
}

static int pcrs_valid(struct json_object *entry)
{
	struct json_object *pcrs;

	if (!json_object_object_get_ex(entry, "pcrs", &pcrs) ||
	    json_object_is_type(pcrs, json_type_null))
		return 1;
	if (!json_object_is_type(pcrs, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(pcrs); i++)
		if (!json_object_is_type(json_object_array_get_idx(pcrs, i), json_type_int))
			return 0;
	return 1;
}

/* Checks one entry; *match when its pol is policy (then entry is filled). */
static int read_entry(struct json_object *item, size_t index,
		      const uint8_t policy[TPM2_SHA256_DIGEST_SIZE], struct lv_pcrsig_entry *entry,
		      int *match, const char *what, struct lv_err *err)
{
	uint8_t pol[64];
	size_t pol_len = 0, pkfp_len, sig_len, len;
	const char *pol_hex, *pkfp, *sig;

	*match = 0;
	if (!json_object_is_type(item, json_type_object) || !pcrs_valid(item))
		return lv_err_set(err, -EINVAL, "%s: sha256[%zu]: not a signature entry", what,
				  index);
	pol_hex = member_string(item, "pol", &len);
	if (!pol_hex || lv_tpm_hex_decode(pol_hex, len, pol, sizeof(pol), &pol_len) < 0)
		return lv_err_set(err, -EINVAL, "%s: sha256[%zu].pol: missing or not hex", what,
				  index);
	pkfp = member_string(item, "pkfp", &pkfp_len);
	sig = member_string(item, "sig", &sig_len);
	if (!pkfp || !sig)
		return lv_err_set(err, -EINVAL, "%s: sha256[%zu]: pkfp or sig missing", what,
				  index);
	if (pol_len != TPM2_SHA256_DIGEST_SIZE || memcmp(pol, policy, pol_len) != 0)
		return 0;
	if (pkfp_len >= sizeof(entry->pkfp))
		return lv_err_set(err, -EINVAL, "%s: sha256[%zu].pkfp: longer than a SHA-256", what,
				  index);
	memcpy(entry->pkfp, pkfp, pkfp_len + 1);
	if (lv_base64_decode(sig, entry->sig, sizeof(entry->sig), &entry->sig_len) < 0)
		return lv_err_set(err, -EINVAL,
				  "%s: sha256[%zu].sig: not base64 of at most %d bytes", what,
				  index, LV_PCRSIG_SIG_MAX);
	*match = 1;
	return 0;
}

static int find_in_bank(struct json_object *bank, const uint8_t policy[TPM2_SHA256_DIGEST_SIZE],
			struct lv_pcrsig_entry *entry, const char *what, struct lv_err *err)
{
	int found = 0, match, r;

	if (!json_object_is_type(bank, json_type_array))
		return lv_err_set(err, -EINVAL, "%s: sha256: not an array", what);
	for (size_t i = 0; i < json_object_array_length(bank); i++) {
		struct lv_pcrsig_entry candidate;

		r = read_entry(json_object_array_get_idx(bank, i), i, policy, &candidate, &match,
			       what, err);
		if (r < 0)
			return r;
		if (match && !found) {
			*entry = candidate;
			found = 1;
		}
	}
	return found ? 0 : -ENOENT;
}

int lv_pcrsig_find(const char *json, size_t len, const uint8_t policy[TPM2_SHA256_DIGEST_SIZE],
		   struct lv_pcrsig_entry *entry, const char *what, struct lv_err *err)
{
	struct json_tokener *tok;
	struct json_object *root, *bank;
	size_t end;
	int r;

	memset(entry, 0, sizeof(*entry));
	if (len > INT_MAX || !(tok = json_tokener_new()))
		return lv_err_set(err, -ENOMEM, "%s: cannot parse", what);
	root = json_tokener_parse_ex(tok, json, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (root && end < len && json[end] && strchr(" \t\r\n", json[end]))
		end++;
	if (!root || end != len || !json_object_is_type(root, json_type_object))
		r = lv_err_set(err, -EINVAL, "%s: not one JSON object", what);
	else if (!json_object_object_get_ex(root, "sha256", &bank) ||
		 json_object_is_type(bank, json_type_null))
		r = -ENOENT;
	else
		r = find_in_bank(bank, policy, entry, what, err);
	json_object_put(root);
	return r;
}
