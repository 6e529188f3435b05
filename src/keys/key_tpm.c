/* SPDX-License-Identifier: ISC */
/*
 * key_tpm.c: tpm keys (talos-encryption.md §2.4, §3): 32 random bytes
 * sealed in the TPM as Talos seals them (src/tpm), the passphrase their
 * base64, the sealed blobs in a talos-tpm2 token at the slot's id.  The
 * machine's side (TCTI, PCR public key and signature, efivars) comes from
 * the settings; the PCRs and the Secure Boot check from the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keysrc.h"
#include "tpm/talos_tpm2.h"

/* What a slot's source remembers for the rest of the volume's run: a TPM
 * that did not answer in time is not asked again (the sync's check of the
 * slot, right after the open attempt, would wait as long again). */
struct tpm_state {
	int timed_out;
	char why[LV_ERR_MSG_MAX];
};

static int tpm_init(struct lv_key_context *ctx, const struct lv_config_key *key, void **state,
		    struct lv_err *err)
{
	(void)ctx;
	*state = calloc(1, sizeof(struct tpm_state));
	return *state ? 0 : lv_err_set(err, -ENOMEM, "slot %d: out of memory", key->slot);
}

static void tpm_fini(void *state)
{
	free(state);
}

static int not_again(const struct tpm_state *st, struct lv_err *err)
{
	return lv_err_set(err, -ETIMEDOUT, "%s (earlier in this run: not asked again)", st->why);
}

static int remember(struct tpm_state *st, int r, const struct lv_err *err)
{
	if (r == -ETIMEDOUT && !st->timed_out) {
		st->timed_out = 1;
		snprintf(st->why, sizeof(st->why), "%s", err->msg);
	}
	return r;
}

/* What Talos's TPM key handler is given, and the key's time left: the
 * TPM must answer within it (tpm2-tss alone would wait for ever). */
static int tpm_params(const struct lv_key_context *ctx, const struct lv_config_key *key,
		      struct lv_talos_tpm2_params *params, struct lv_err *err)
{
	const struct lv_key_settings *settings = ctx->settings;

	*params = (struct lv_talos_tpm2_params){
		.tcti = settings->tpm_tcti,
		.pcr_public_key = settings->tpm_pcr_public_key,
		.pcr_signature = settings->tpm_pcr_signature,
		.efivars_dir = settings->efivars_dir,
		.pcrs = key->tpm.pcrs,
		.pcr_count = key->tpm.pcr_count,
		.check_secureboot = key->tpm.check_secureboot,
		.keyslot = key->slot,
		.timeout_ms = lv_keysrc_remaining_ms(ctx),
	};
	if (params->timeout_ms == 0)
		return lv_err_set(err, -ETIMEDOUT, "tpm key: no time left for the TPM");
	return 0;
}

static int tpm_new_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
		       struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	struct lv_talos_tpm2_params params;
	struct lv_talos_tpm2_token token;
	struct tpm_state *st = state;
	char warning[LV_TALOS_WARNING_MAX] = "";
	int r;

	if (st->timed_out)
		return not_again(st, err);
	r = tpm_params(ctx, key, &params, err);
	if (r == 0)
		r = remember(st, lv_talos_tpm2_enrol(&params, &token, passphrase, warning, err), err);
	if (r == 0 && warning[0])
		lv_keysrc_notice(ctx, "%s", warning);
	if (r == 0)
		r = lv_talos_tpm2_token_format(&token, token_json, err);
	return r;
}

/* A talos-tpm2 token that does not decode is an error that leaves the
 * slot alone, as in Talos (its readToken fails, not ErrTokenInvalid):
 * it may be a newer Talos's. */
static int tpm_get_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
		       const char *token_json, struct lv_secret **passphrase, struct lv_err *err)
{
	struct lv_talos_tpm2_params params;
	struct lv_talos_tpm2_token token;
	struct tpm_state *st = state;
	int r;

	if (st->timed_out)
		return not_again(st, err);
	r = lv_talos_tpm2_token_parse(token_json, strlen(token_json), &token, err);
	if (r == 0)
		r = tpm_params(ctx, key, &params, err);
	if (r == 0)
		r = remember(st, lv_talos_tpm2_unseal(&params, &token, passphrase, err), err);
	return r;
}

const struct lv_keysrc_ops lv_keysrc_tpm = {
	.name = "tpm",
	.token_type = LV_TALOS_TPM2_TOKEN_TYPE,
	.init = tpm_init,
	.new_key = tpm_new_key,
	.get_key = tpm_get_key,
	.fini = tpm_fini,
};
