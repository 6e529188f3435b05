/* SPDX-License-Identifier: ISC */
/*
 * parse_encryption.c: the `encryption:` mapping (EncryptionSpec,
 * talos-encryption.md §1.1) into struct cfg_encryption.
 *
 *   encryption: {provider, keys: [{slot, static: {passphrase}, nodeID: {},
 *                kms: {endpoint}, tpm: {options: {pcrs: [int]},
 *                checkSecurebootStatusOnEnroll}, tang: {url, thumbprint},
 *                lockToState}],
 *                cipher, keySize, blockSize, options: [string], allowDiscards}
 *
 * A key kind counts as set when its value is a mapping: go-yaml leaves the
 * pointer nil for `nodeID:` with no value, so Talos sees no kind there.
 */
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

const char *const cfg_provider_names[2] = { "none", "luks2" };

#define FIELDS(table) table, sizeof(table) / sizeof(table[0])

static void set_kind(const struct cfg_node *key, const struct cfg_node *value, struct cfg_key *k,
		     enum lv_key_kind kind)
{
	if (value->type == CFG_NODE_MAPPING) {
		k->kinds |= 1u << kind;
		k->kind_marks[kind] = key->mark;
	}
}

static void key_slot(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		     void *target)
{
	(void)key;
	cfg_get_int(ctx, value, &((struct cfg_key *)target)->slot);
}

static void static_passphrase(struct cfg_ctx *ctx, const struct cfg_node *key,
			      const struct cfg_node *value, void *target)
{
	struct cfg_key *k = target;

	(void)key;
	cfg_get_secret(ctx, value, &k->passphrase, &k->passphrase_mark);
}

static const struct cfg_field static_fields[] = { { "passphrase", static_passphrase } };

static void key_static(struct cfg_ctx *ctx, const struct cfg_node *key,
		       const struct cfg_node *value, void *target)
{
	/* `static: hunter2` would be quoted in the message: not a passphrase. */
	if (value->type == CFG_NODE_SCALAR && !cfg_is_null(value)) {
		cfg_type_error_hidden(ctx, value, "map");
		return;
	}
	set_kind(key, value, target, LV_KEY_STATIC);
	cfg_walk_mapping(ctx, value, FIELDS(static_fields), target);
}

static void key_nodeid(struct cfg_ctx *ctx, const struct cfg_node *key,
		       const struct cfg_node *value, void *target)
{
	set_kind(key, value, target, LV_KEY_NODEID);
	cfg_walk_mapping(ctx, value, NULL, 0, target);
}

static void kms_endpoint(struct cfg_ctx *ctx, const struct cfg_node *key,
			 const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_string(ctx, value, &((struct cfg_key *)target)->kms_endpoint);
}

static const struct cfg_field kms_fields[] = { { "endpoint", kms_endpoint } };

static void key_kms(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		    void *target)
{
	set_kind(key, value, target, LV_KEY_KMS);
	cfg_walk_mapping(ctx, value, FIELDS(kms_fields), target);
}

static void pcr_item(struct cfg_ctx *ctx, size_t index, const struct cfg_node *item, void *target)
{
	struct cfg_tpm *tpm = target;
	struct cfg_int pcr = { 0 };

	cfg_get_int(ctx, item, &pcr);
	tpm->pcrs[index] = pcr.value;
	tpm->pcr_marks[index] = item->mark;
	tpm->pcr_count = index + 1;
}

static void tpm_pcrs(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		     void *target)
{
	struct cfg_tpm *tpm = target;
	size_t count = value->type == CFG_NODE_SEQUENCE ? value->count : 0;

	(void)key;
	free(tpm->pcrs);
	free(tpm->pcr_marks);
	tpm->pcr_count = 0;
	tpm->pcrs_listed = value->type == CFG_NODE_SEQUENCE;
	tpm->pcrs = calloc(count ? count : 1, sizeof(*tpm->pcrs));
	tpm->pcr_marks = calloc(count ? count : 1, sizeof(*tpm->pcr_marks));
	if (!tpm->pcrs || !tpm->pcr_marks) {
		ctx->oom = 1;
		return;
	}
	cfg_walk_sequence(ctx, value, "[]int", pcr_item, tpm);
}

static const struct cfg_field tpm_option_fields[] = { { "pcrs", tpm_pcrs } };

static void tpm_options(struct cfg_ctx *ctx, const struct cfg_node *key,
			const struct cfg_node *value, void *target)
{
	struct cfg_tpm *tpm = target;

	cfg_walk_section(ctx, key, value, &tpm->options, FIELDS(tpm_option_fields), tpm);
}

static void tpm_secureboot(struct cfg_ctx *ctx, const struct cfg_node *key,
			   const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_bool(ctx, value, &((struct cfg_tpm *)target)->check_secureboot);
}

static const struct cfg_field tpm_fields[] = {
	{ "options", tpm_options },
	{ "checkSecurebootStatusOnEnroll", tpm_secureboot },
};

static void key_tpm(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		    void *target)
{
	struct cfg_key *k = target;

	set_kind(key, value, k, LV_KEY_TPM);
	cfg_walk_mapping(ctx, value, FIELDS(tpm_fields), &k->tpm);
}

static void tang_url(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		     void *target)
{
	(void)key;
	cfg_get_string(ctx, value, &((struct cfg_key *)target)->tang_url);
}

static void tang_thumbprint(struct cfg_ctx *ctx, const struct cfg_node *key,
			    const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_string(ctx, value, &((struct cfg_key *)target)->tang_thumbprint);
}

static const struct cfg_field tang_fields[] = {
	{ "url", tang_url },
	{ "thumbprint", tang_thumbprint },
};

static void key_tang(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		     void *target)
{
	set_kind(key, value, target, LV_KEY_TANG);
	cfg_walk_mapping(ctx, value, FIELDS(tang_fields), target);
}

/* lockToState and its alias lockToSTATE are one field: the second one
 * written is a duplicate. */
static int lock_written_twice(struct cfg_ctx *ctx, const struct cfg_node *key, struct cfg_key *k)
{
	if (!k->lock_to_state.mark.line)
		return 0;
	cfg_error(ctx, key->mark, "mapping key \"lockToState\" already defined at line %u",
		  k->lock_to_state.mark.line);
	return 1;
}

static void key_lock(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		     void *target)
{
	struct cfg_key *k = target;

	if (!lock_written_twice(ctx, key, k))
		cfg_get_bool(ctx, value, &k->lock_to_state);
}

static void key_lock_alias(struct cfg_ctx *ctx, const struct cfg_node *key,
			   const struct cfg_node *value, void *target)
{
	struct cfg_key *k = target;

	if (lock_written_twice(ctx, key, k))
		return;
	k->lock_alias_used = 1;
	k->lock_alias_mark = key->mark;
	cfg_get_bool(ctx, value, &k->lock_to_state);
}

static const struct cfg_field key_fields[] = {
	{ "slot", key_slot },
	{ "static", key_static },
	{ "nodeID", key_nodeid },
	{ "kms", key_kms },
	{ "tpm", key_tpm },
	{ "tang", key_tang },
	{ "lockToState", key_lock },
	{ "lockToSTATE", key_lock_alias },
};

static void key_item(struct cfg_ctx *ctx, size_t index, const struct cfg_node *item, void *target)
{
	struct cfg_encryption *enc = target;
	struct cfg_key *k = &enc->keys[index];
	size_t errors = ctx->errors.count;

	k->mark = item->mark;
	k->slot.mark = item->mark;
	enc->key_count = index + 1;
	if (item->type == CFG_NODE_SCALAR && !cfg_is_null(item))
		cfg_type_error_hidden(ctx, item, "map");
	else
		cfg_walk_mapping(ctx, item, FIELDS(key_fields), k);
	k->decode_errors = ctx->errors.count != errors;
}

static void enc_keys(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		     void *target)
{
	struct cfg_encryption *enc = target;
	size_t count = value->type == CFG_NODE_SEQUENCE ? value->count : 0;

	enc->keys_section.mark = key->mark;
	enc->keys_section.present = value->type == CFG_NODE_SEQUENCE;
	enc->keys = calloc(count ? count : 1, sizeof(*enc->keys));
	if (!enc->keys) {
		ctx->oom = 1;
		return;
	}
	if (cfg_walk_sequence(ctx, value, "[]EncryptionKey", key_item, enc) < 0)
		enc->keys_section.decode_errors = 1;
}

static void enc_provider(struct cfg_ctx *ctx, const struct cfg_node *key,
			 const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_enum(ctx, value, cfg_provider_names, 2, "EncryptionProviderType",
		     &((struct cfg_encryption *)target)->provider);
}

static void enc_cipher(struct cfg_ctx *ctx, const struct cfg_node *key,
		       const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_string(ctx, value, &((struct cfg_encryption *)target)->cipher);
}

static void enc_key_size(struct cfg_ctx *ctx, const struct cfg_node *key,
			 const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_uint(ctx, value, &((struct cfg_encryption *)target)->key_size);
}

static void enc_block_size(struct cfg_ctx *ctx, const struct cfg_node *key,
			   const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_uint(ctx, value, &((struct cfg_encryption *)target)->block_size);
}

static void option_item(struct cfg_ctx *ctx, size_t index, const struct cfg_node *item,
			void *target)
{
	struct cfg_encryption *enc = target;

	enc->options[index].mark = item->mark;
	enc->option_count = index + 1;
	cfg_get_string(ctx, item, &enc->options[index]);
}

static void enc_options(struct cfg_ctx *ctx, const struct cfg_node *key,
			const struct cfg_node *value, void *target)
{
	struct cfg_encryption *enc = target;
	size_t count = value->type == CFG_NODE_SEQUENCE ? value->count : 0;

	(void)key;
	enc->options_listed = value->type == CFG_NODE_SEQUENCE;
	enc->options = calloc(count ? count : 1, sizeof(*enc->options));
	if (!enc->options) {
		ctx->oom = 1;
		return;
	}
	cfg_walk_sequence(ctx, value, "[]string", option_item, enc);
}

static void enc_allow_discards(struct cfg_ctx *ctx, const struct cfg_node *key,
			       const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_bool(ctx, value, &((struct cfg_encryption *)target)->allow_discards);
}

static const struct cfg_field encryption_fields[] = {
	{ "provider", enc_provider },
	{ "keys", enc_keys },
	{ "cipher", enc_cipher },
	{ "keySize", enc_key_size },
	{ "blockSize", enc_block_size },
	{ "options", enc_options },
	{ "allowDiscards", enc_allow_discards },
};

/* A cfg_field: target is the document's struct cfg_encryption. */
void cfg_parse_encryption(struct cfg_ctx *ctx, const struct cfg_node *key,
			  const struct cfg_node *value, void *target)
{
	struct cfg_encryption *enc = target;

	cfg_walk_section(ctx, key, value, &enc->section, FIELDS(encryption_fields), enc);
}
