/* SPDX-License-Identifier: ISC */
/*
 * export.c: validated documents into the public struct lv_config_file,
 * with Talos's effective values filled in: the key kind that wins
 * (static, nodeID, kms, tpm), PCRs [7] when tpm.options is absent, the
 * cipher and its key size, perf options as LV_FLAG_* bits.  Each volume
 * keeps its private document in unused_fields for `config show`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

#define TPM_DEFAULT_PCR 7

static const char *const volume_prefixes[] = {
	[LV_VOLUME_SYSTEM] = "", [LV_VOLUME_USER] = "u-", [LV_VOLUME_RAW] = "r-",
	[LV_VOLUME_SWAP] = "s-",
};

const struct cfg_doc *cfg_volume_doc(const struct lv_config_volume *vol)
{
	return vol->unused_fields;
}

static void export_tpm(const struct cfg_tpm *tpm, struct lv_config_key *out)
{
	if (!tpm->options.present) {
		out->tpm.pcrs[0] = TPM_DEFAULT_PCR;
		out->tpm.pcr_count = 1;
	} else {
		/* Validation kept every PCR in 0..23 and at most 24 of them. */
		for (size_t i = 0; i < tpm->pcr_count && i < LV_TPM_PCR_MAX; i++)
			out->tpm.pcrs[i] = (int)tpm->pcrs[i];
		out->tpm.pcr_count = tpm->pcr_count < LV_TPM_PCR_MAX ? tpm->pcr_count : LV_TPM_PCR_MAX;
	}
	out->tpm.check_secureboot = tpm->check_secureboot.set && tpm->check_secureboot.value;
}

/* Moves the passphrase out of key. */
static int export_key(struct cfg_key *key, struct lv_config_key *out)
{
	out->slot = (int)key->slot.value;
	out->kind = (enum lv_key_kind)cfg_key_kind(key);
	out->lock_to_state = key->lock_to_state.set && key->lock_to_state.value;
	out->line = key->mark.line;
	out->column = key->mark.column;
	switch (out->kind) {
	case LV_KEY_STATIC:
		out->static_key.passphrase = key->passphrase;
		key->passphrase = NULL;
		return 0;
	case LV_KEY_KMS:
		out->kms.endpoint = strdup(key->kms_endpoint.value ? key->kms_endpoint.value : "");
		return out->kms.endpoint ? 0 : -ENOMEM;
	case LV_KEY_TPM:
		export_tpm(&key->tpm, out);
		return 0;
	case LV_KEY_TANG:
		out->tang.url = strdup(key->tang_url.value ? key->tang_url.value : "");
		out->tang.thumbprint = strdup(key->tang_thumbprint.value ?
					      key->tang_thumbprint.value : "");
		return out->tang.url && out->tang.thumbprint ? 0 : -ENOMEM;
	default:
		return 0;
	}
}

static unsigned perf_flags(const struct cfg_encryption *enc)
{
	unsigned flags = 0;

	for (size_t i = 0; i < enc->option_count; i++)
		flags |= cfg_perf_flag(enc->options[i].value ? enc->options[i].value : "");
	return flags;
}

static int export_encryption(struct cfg_encryption *enc, struct lv_config_encryption *out)
{
	out->enabled = !cfg_encryption_zero(enc);
	if (!out->enabled)
		return 0;
	out->cipher = strdup(cfg_effective_cipher(enc));
	out->keys = calloc(enc->key_count ? enc->key_count : 1, sizeof(*out->keys));
	if (!out->cipher || !out->keys)
		return -ENOMEM;
	out->key_bits = enc->key_size.set && enc->key_size.value ? (uint32_t)enc->key_size.value :
								    cfg_default_key_bits(out->cipher);
	out->block_size = (uint32_t)enc->block_size.value;
	out->perf_flags = perf_flags(enc);
	out->allow_discards = enc->allow_discards.set && enc->allow_discards.value;
	for (size_t i = 0; i < enc->key_count; i++) {
		out->key_count = i + 1;
		if (export_key(&enc->keys[i], &out->keys[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int export_volume(struct cfg_doc *doc, struct lv_config_volume *out)
{
	const char *name = doc->name.value ? doc->name.value : "";

	out->kind = doc->kind;
	out->line = doc->mark.line;
	out->column = doc->mark.column;
	out->name = strdup(name);
	if (asprintf(&out->volume_id, "%s%s", volume_prefixes[doc->kind], name) < 0)
		out->volume_id = NULL;
	out->unused_fields = malloc(sizeof(*doc));
	if (!out->name || !out->volume_id || !out->unused_fields) {
		free(out->unused_fields);
		out->unused_fields = NULL;
		return -ENOMEM;
	}
	memcpy(out->unused_fields, doc, sizeof(*doc));
	memset(doc, 0, sizeof(*doc));
	return export_encryption(&((struct cfg_doc *)out->unused_fields)->encryption,
				 &out->encryption);
}

int cfg_export(struct cfg_stream *stream, struct lv_config_file *cfg)
{
	cfg->volumes = calloc(stream->doc_count ? stream->doc_count : 1, sizeof(*cfg->volumes));
	if (!cfg->volumes)
		return -ENOMEM;
	for (size_t i = 0; i < stream->doc_count; i++) {
		cfg->volume_count = i + 1;
		if (export_volume(&stream->docs[i], &cfg->volumes[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}
