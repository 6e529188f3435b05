/* SPDX-License-Identifier: ISC */
/*
 * validate_encryption.c: EncryptionSpec.Validate (talos-encryption.md
 * §1.1) with Talos's exact messages, the checks Talos makes only when it
 * opens the volume (cipher, perf options, an empty static key), and
 * luksvol's own: slot range 0-31, key and sector sizes cryptsetup accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "base/constants.h"
#include "config/cfg_internal.h"

#define TPM_PCR_LAST 23

static const char *const kind_names[LV_KEY_KIND_COUNT] = {
	[LV_KEY_STATIC] = "static", [LV_KEY_NODEID] = "nodeID", [LV_KEY_KMS] = "kms",
	[LV_KEY_TPM] = "tpm", [LV_KEY_TANG] = "tang",
};

const char *lv_key_kind_name(enum lv_key_kind kind)
{
	return (unsigned)kind < LV_KEY_KIND_COUNT && kind_names[kind] ? kind_names[kind] : "unknown";
}

int cfg_encryption_zero(const struct cfg_encryption *enc)
{
	int provider = enc->provider.set ? enc->provider.value : CFG_PROVIDER_NONE;

	return provider == CFG_PROVIDER_NONE && enc->key_count == 0;
}

int cfg_key_kind(const struct cfg_key *key)
{
	for (int kind = 0; kind < LV_KEY_KIND_COUNT; kind++)
		if (key->kinds & (1u << kind))
			return kind;
	return -1;
}

const char *cfg_effective_cipher(const struct cfg_encryption *enc)
{
	return enc->cipher.value && enc->cipher.value[0] ? enc->cipher.value : lv_talos_ciphers[0];
}

uint32_t cfg_default_key_bits(const char *cipher)
{
	return strcmp(cipher, lv_talos_ciphers[0]) == 0 ? 512 : 256;
}

/* Talos's perf options are the dm-crypt names of three flags. */
unsigned cfg_perf_flag(const char *name)
{
	for (const struct lv_flag_names *f = lv_flag_names; f->flag; f++)
		if (f->talos && strcmp(name, f->dm) == 0)
			return f->flag;
	return 0;
}

const char *cfg_perf_name(unsigned flag)
{
	for (const struct lv_flag_names *f = lv_flag_names; f->flag; f++)
		if (f->talos && f->flag == flag)
			return f->dm;
	return NULL;
}

static struct cfg_mark slot_mark(const struct cfg_key *key)
{
	return key->slot.set ? key->slot.mark : key->mark;
}

struct slot_ref {
	int64_t slot;
	size_t index;
};

static int by_slot(const void *a, const void *b)
{
	const struct slot_ref *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Every key whose slot an earlier key already has, as Talos's map check
 * reports them; sorted rather than compared pairwise. */
static void check_duplicate_slots(struct cfg_ctx *ctx, const struct cfg_encryption *enc)
{
	struct slot_ref *refs = calloc(enc->key_count, sizeof(*refs));

	if (!refs) {
		ctx->oom = 1;
		return;
	}
	size_t count = 0;

	for (size_t i = 0; i < enc->key_count; i++)
		if (!enc->keys[i].decode_errors)
			refs[count++] = (struct slot_ref){ enc->keys[i].slot.value, i };
	qsort(refs, count, sizeof(*refs), by_slot);
	for (size_t i = 1; i < count; i++)
		if (refs[i].slot == refs[i - 1].slot)
			cfg_error(ctx, slot_mark(&enc->keys[refs[i].index]), "duplicate key slot %lld",
				  (long long)refs[i].slot);
	free(refs);
}

static void check_tpm(struct cfg_ctx *ctx, const struct cfg_key *key)
{
	if (!(key->kinds & (1u << LV_KEY_TPM)) || !key->tpm.options.present)
		return;
	for (size_t i = 0; i < key->tpm.pcr_count; i++)
		if (key->tpm.pcrs[i] < 0 || key->tpm.pcrs[i] > TPM_PCR_LAST)
			cfg_error(ctx, key->tpm.pcr_marks[i], "TPM PCR %lld is out of range (0-23)",
				  (long long)key->tpm.pcrs[i]);
	if (key->tpm.pcr_count > LV_TPM_PCR_MAX)
		cfg_error(ctx, key->tpm.options.mark, "TPM options.pcrs has %zu entries; at most %d",
			  key->tpm.pcr_count, LV_TPM_PCR_MAX);
}

/* A thumbprint is required: `apply` has no one to ask whether to trust a
 * server's keys. */
static void check_tang(struct cfg_ctx *ctx, const struct cfg_key *key)
{
	const char *url = key->tang_url.value, *thp = key->tang_thumbprint.value, *problem;
	struct cfg_mark mark = key->kind_marks[LV_KEY_TANG];
	char why[100];

	if (!(key->kinds & (1u << LV_KEY_TANG)))
		return;
	cfg_notice(ctx, mark, "tang (slot %lld) is a luksvol extension: Talos refuses this config",
		   (long long)key->slot.value);
	if (!url)
		cfg_error(ctx, mark, "tang key at slot %lld must have a url, http:// or https://",
			  (long long)key->slot.value);
	else if ((problem = lv_tang_url_problem(url, why, sizeof(why))))
		cfg_error(ctx, key->tang_url.mark, "tang key at slot %lld: url %s",
			  (long long)key->slot.value, problem);
	if (!thp)
		cfg_error(ctx, mark, "tang key at slot %lld must have a thumbprint (base64url, as "
			  "`tang-show-keys` prints it)", (long long)key->slot.value);
	else if ((problem = lv_tang_thumbprint_problem(thp, why, sizeof(why))))
		cfg_error(ctx, key->tang_thumbprint.mark, "tang key at slot %lld: thumbprint %s",
			  (long long)key->slot.value, problem);
}

static void note_kinds(struct cfg_ctx *ctx, const struct cfg_key *key)
{
	int kind = cfg_key_kind(key);

	if (kind < 0 || key->kinds == (1u << kind))
		return;
	for (int other = kind + 1; other < LV_KEY_KIND_COUNT; other++)
		if (key->kinds & (1u << other))
			cfg_notice(ctx, key->kind_marks[other],
				   "key at slot %lld sets both %s and %s; %s is used, as in Talos",
				   (long long)key->slot.value, kind_names[kind], kind_names[other],
				   kind_names[kind]);
}

static void check_static(struct cfg_ctx *ctx, const struct cfg_key *key)
{
	static const char redacted[] = "REDACTED";

	if (cfg_key_kind(key) != LV_KEY_STATIC)
		return;
	if (!key->passphrase) {
		cfg_error(ctx, key->kind_marks[LV_KEY_STATIC], "static key must have key data defined");
		return;
	}
	if (key->passphrase->len == sizeof(redacted) - 1 &&
	    memcmp(key->passphrase->bytes, redacted, sizeof(redacted) - 1) == 0)
		cfg_notice(ctx, key->passphrase_mark,
			   "the static passphrase of slot %lld is \"REDACTED\", the placeholder "
			   "`config show` prints", (long long)key->slot.value);
}

/* A key that did not decode is not checked further: Talos would have
 * stopped at the decoding error. */
static void check_key(struct cfg_ctx *ctx, const struct cfg_key *key)
{
	if (key->decode_errors)
		return;
	if (key->slot.value < 0 || key->slot.value >= LV_KEYSLOT_COUNT)
		cfg_error(ctx, slot_mark(key), "key slot %lld is out of range (0-31)",
			  (long long)key->slot.value);
	if (!key->kinds)
		cfg_error(ctx, key->mark,
			  "at least one encryption key type must be specified for slot %lld",
			  (long long)key->slot.value);
	check_tpm(ctx, key);
	check_tang(ctx, key);
	check_static(ctx, key);
	note_kinds(ctx, key);
	if (key->lock_alias_used)
		cfg_notice(ctx, key->lock_alias_mark,
			   "\"lockToSTATE\" is read as \"lockToState\", the name Talos uses");
}

/* Talos passes keySize and blockSize to cryptsetup unchecked; luksvol
 * rejects what cryptsetup would (README "Volume config"). */
static void check_sizes(struct cfg_ctx *ctx, const struct cfg_encryption *enc, const char *cipher)
{
	uint64_t bits = enc->key_size.value, sector = enc->block_size.value;
	int xts = strcmp(cipher, lv_talos_ciphers[0]) == 0;

	if (enc->key_size.set && bits && (xts ? bits != 256 && bits != 384 && bits != 512 : bits != 256))
		cfg_error(ctx, enc->key_size.mark, "keySize %llu is not valid for %s (%s)",
			  (unsigned long long)bits, cipher, xts ? "256, 384 or 512" : "256");
	if (enc->block_size.set && sector && sector != 512 && sector != 1024 && sector != 2048 &&
	    sector != 4096)
		cfg_error(ctx, enc->block_size.mark,
			  "blockSize %llu is not a sector size (512, 1024, 2048 or 4096)",
			  (unsigned long long)sector);
}

static void check_cipher_and_options(struct cfg_ctx *ctx, const struct cfg_encryption *enc)
{
	const char *cipher = cfg_effective_cipher(enc);

	if (!lv_talos_cipher(cipher))
		cfg_error(ctx, enc->cipher.mark, "failed to parse cipher kind: unknown cipher kind %s",
			  cipher);
	else
		check_sizes(ctx, enc, cipher);
	for (size_t i = 0; i < enc->option_count; i++) {
		const char *name = enc->options[i].value ? enc->options[i].value : "";

		if (!cfg_perf_flag(name))
			cfg_error(ctx, enc->options[i].mark,
				  "invalid luks performance options: invalid perf option %s", name);
	}
}

static void check_provider(struct cfg_ctx *ctx, struct cfg_encryption *enc)
{
	if (!enc->provider.set) {
		enc->provider_defaulted = 1;
		cfg_notice(ctx, enc->section.mark,
			   "encryption.provider is not set; luks2 is used (Talos requires "
			   "provider: luks2)");
		return;
	}
	if (enc->provider.value != CFG_PROVIDER_LUKS2)
		cfg_error(ctx, enc->provider.mark, "unsupported encryption provider: %s",
			  cfg_provider_names[enc->provider.value]);
}

void cfg_validate_encryption(struct cfg_ctx *ctx, struct cfg_encryption *enc)
{
	if (cfg_encryption_zero(enc)) {
		if (enc->section.present)
			cfg_notice(ctx, enc->section.mark,
				   "encryption has no provider and no keys; the volume is not encrypted");
		return;
	}
	check_provider(ctx, enc);
	if (enc->key_count == 0 && !enc->keys_section.decode_errors)
		cfg_error(ctx, enc->keys_section.present ? enc->keys_section.mark : enc->section.mark,
			  "encryption keys are required");
	check_duplicate_slots(ctx, enc);
	for (size_t i = 0; i < enc->key_count; i++)
		check_key(ctx, &enc->keys[i]);
	check_cipher_and_options(ctx, enc);
}
