/* SPDX-License-Identifier: ISC */
/*
 * token_systemd_tpm2.c: systemd-cryptenroll's "systemd-tpm2" token
 * (tokens-clevis-systemd.md §2).  validate refuses what systemd 252's
 * token plugin refuses (cryptsetup_token_validate: tpm2-pcrs, tpm2-pcr-bank,
 * tpm2-primary-alg, tpm2-blob, tpm2-policy-hash, tpm2-pin); dump prints
 * what cryptsetup 2.6 prints with that plugin installed
 * (cryptsetup_token_dump), and nothing for a token the plugin cannot
 * parse.  systemd 252 names the signed policy's fields tpm2_pubkey and
 * tpm2_pubkey_pcrs (underscores), the others with dashes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/token.h"

#define P "systemd-tpm2 token: "
#define SYSTEMD_PCRS_MAX 24

static const char *const pcr_banks[] = { "sha1", "sha256", "sha384", "sha512" };
static const char *const primary_algs[] = { "ecc", "rsa" };

static bool known(const char *text, const char *const *names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(text, names[i]) == 0)
			return true;
	return false;
}

static int need_name(const struct lv_json *json, const char *key, const char *const *names,
		     size_t count, struct lv_err *err)
{
	const char *text;
	char path[64];
	int r;

	snprintf(path, sizeof(path), P "%s", key);
	r = lv_token_need_string(json, key, path, true, &text, err);
	if (r == 0 && text && !known(text, names, count))
		r = lv_err_set(err, -EINVAL, "%s: unknown or unsupported", path);
	return r;
}

static int systemd_tpm2_validate(const struct lv_token *token, struct lv_err *err)
{
	const struct lv_json *json = token->json, *pin = lv_json_member(json, "tpm2-pin");
	const char *hash;
	uint8_t *scratch = NULL;
	size_t len;
	int r;

	if (lv_json_type_of(lv_json_member(json, "tpm2-pcrs")) != LV_JSON_ARRAY)
		return lv_err_set(err, -EINVAL, P "tpm2-pcrs: missing or not an array");
	r = lv_token_need_int_list(json, "tpm2-pcrs", P "tpm2-pcrs", SIZE_MAX, SYSTEMD_PCRS_MAX,
				   false, err);
	if (r == 0)
		r = need_name(json, "tpm2-pcr-bank", pcr_banks, 4, err);
	if (r == 0)
		r = need_name(json, "tpm2-primary-alg", primary_algs, 2, err);
	if (r == 0)
		r = lv_token_need_base64(json, "tpm2-blob", P "tpm2-blob", 0, SIZE_MAX, NULL, err);
	if (r == 0)
		r = lv_token_need_string(json, "tpm2-policy-hash", P "tpm2-policy-hash", false,
					 &hash, err);
	if (r == 0 && !(scratch = malloc(strlen(hash) / 2 + 1)))
		r = lv_err_set(err, -ENOMEM, "out of memory");
	if (r == 0 && lv_hex_decode(hash, strlen(hash), scratch, strlen(hash) / 2, &len) < 0)
		r = lv_err_set(err, -EINVAL, P "tpm2-policy-hash: not hex");
	if (r == 0 && pin && lv_json_type_of(pin) != LV_JSON_BOOL)
		r = lv_err_set(err, -EINVAL, P "tpm2-pin: not a boolean");
	free(scratch);
	return r;
}

/* ---- luksDump ---- */

/* A decoded byte field (base64 or hex); bytes NULL when absent. */
struct field_bytes {
	uint8_t *bytes;
	size_t len;
};

static int decode_base64(const struct lv_json *json, const char *key, bool optional,
			 struct field_bytes *out)
{
	const struct lv_json *value = lv_json_member(json, key);
	const char *text = lv_json_text(value);
	size_t max;

	if (!value && optional)
		return 0;
	if (!text)
		return -EINVAL;
	max = strlen(text) / 4 * 3;
	if (!(out->bytes = malloc(max + 1)))
		return -ENOMEM;
	return lv_base64_decode(text, out->bytes, max, &out->len);
}

static int decode_hex(const struct lv_json *json, const char *key, struct field_bytes *out)
{
	const char *text = lv_json_text(lv_json_member(json, key));

	if (!text)
		return -EINVAL;
	if (!(out->bytes = malloc(strlen(text) / 2 + 1)))
		return -ENOMEM;
	return lv_hex_decode(text, strlen(text), out->bytes, strlen(text) / 2, &out->len);
}

/* A PCR list as a mask; -EINVAL for what systemd refuses to parse. */
static int pcr_mask(const struct lv_json *json, const char *key, bool optional, uint32_t *mask)
{
	const struct lv_json *list = lv_json_member(json, key);

	*mask = 0;
	if (!list && optional)
		return 0;
	if (lv_json_type_of(list) != LV_JSON_ARRAY)
		return -EINVAL;
	for (size_t i = 0; i < lv_json_count(list); i++) {
		const struct lv_json *item = lv_json_at(list, i);

		if (lv_json_type_of(item) != LV_JSON_INT || lv_json_int(item) < 0 ||
		    lv_json_int(item) >= SYSTEMD_PCRS_MAX)
			return -EINVAL;
		*mask |= 1u << lv_json_int(item);
	}
	return 0;
}

static const char *name_or(const struct lv_json *json, const char *key, const char *fallback,
			   const char *const *names, size_t count)
{
	const struct lv_json *value = lv_json_member(json, key);
	const char *text = lv_json_text(value);

	if (!value)
		return fallback;
	return text && known(text, names, count) ? text : NULL;
}

/* cryptsetup's crypt_dump_buffer_to_hex_string: 16 bytes a line, the
 * lines after the first indented to the value column. */
static void dump_hex(const struct field_bytes *field, FILE *out)
{
	for (size_t i = 0; i < field->len; i++)
		fprintf(out, "%02x%s", field->bytes[i],
			i + 1 == field->len ? "" : (i + 1) % 16 ? " " : "\n\t            ");
}

/* systemd's tpm2_pcr_mask_to_string: "0+7", or "n/a" for none. */
static void dump_pcrs(uint32_t mask, FILE *out)
{
	const char *separator = "";

	if (!mask)
		fputs("n/a", out);
	for (int pcr = 0; pcr < SYSTEMD_PCRS_MAX; pcr++) {
		if (mask & 1u << pcr) {
			fprintf(out, "%s%d", separator, pcr);
			separator = "+";
		}
	}
}

struct dump_fields {
	uint32_t pcrs, pubkey_pcrs;
	const char *bank, *primary;
	struct field_bytes pubkey, blob, policy_hash;
};

/* systemd 252's tpm2_parse_luks2_json, as far as the dump needs it. */
static int read_dump_fields(const struct lv_json *json, struct dump_fields *f)
{
	const struct lv_json *pin = lv_json_member(json, "tpm2-pin");
	int r = pcr_mask(json, "tpm2-pcrs", false, &f->pcrs);

	if (r == 0)
		r = pcr_mask(json, "tpm2_pubkey_pcrs", true, &f->pubkey_pcrs);
	f->bank = name_or(json, "tpm2-pcr-bank", "sha256", pcr_banks, 4);
	f->primary = name_or(json, "tpm2-primary-alg", "ecc", primary_algs, 2);
	if (r == 0 && (!f->bank || !f->primary || (pin && lv_json_type_of(pin) != LV_JSON_BOOL)))
		r = -EINVAL;
	if (r == 0)
		r = decode_base64(json, "tpm2_pubkey", true, &f->pubkey);
	if (r == 0)
		r = decode_base64(json, "tpm2-blob", false, &f->blob);
	if (r == 0)
		r = decode_hex(json, "tpm2-policy-hash", &f->policy_hash);
	return r;
}

static void systemd_tpm2_dump(const struct lv_token *token, FILE *out)
{
	struct dump_fields f = { 0 };

	if (read_dump_fields(token->json, &f) == 0) {
		fputs("\ttpm2-hash-pcrs:   ", out);
		dump_pcrs(f.pcrs, out);
		fprintf(out, "\n\ttpm2-pcr-bank:    %s\n", f.bank);
		/* systemd 252 prints a missing key through printf's "%s" of NULL. */
		fputs("\ttpm2-pubkey:\n\t            ", out);
		if (f.pubkey.bytes)
			dump_hex(&f.pubkey, out);
		else
			fputs("(null)", out);
		fputs("\n\ttpm2-pubkey-pcrs: ", out);
		dump_pcrs(f.pubkey_pcrs, out);
		fprintf(out, "\n\ttpm2-primary-alg: %s\n", f.primary);
		fputs("\ttpm2-blob:        ", out);
		dump_hex(&f.blob, out);
		fputs("\n\ttpm2-policy-hash:\n\t            ", out);
		dump_hex(&f.policy_hash, out);
		fprintf(out, "\n\ttpm2-pin:         %s\n",
			lv_json_bool(lv_json_member(token->json, "tpm2-pin")) ? "true" : "false");
	}
	free(f.pubkey.bytes);
	free(f.blob.bytes);
	free(f.policy_hash.bytes);
}

const struct lv_token_ops lv_token_systemd_tpm2_ops = {
	.type = "systemd-tpm2",
	.validate = systemd_tpm2_validate,
	.dump = systemd_tpm2_dump,
};
