/* SPDX-License-Identifier: ISC */
/*
 * key_clevis_tang.c: the tang key, luksvol's extension to Talos's kinds
 * (Talos refuses it): a keyslot bound to a tang server as `clevis luks
 * bind tang` binds it.  A new key is a random passphrase like clevis's,
 * kept in a LUKS2 "clevis" token at the slot's id, encrypted to the
 * server's key; the keyslot's key is recovered from the server.  Only the
 * configured thumbprint's signing key is trusted: there is no one to ask.
 * Built with WITH_CLEVIS.
 */
#include <stdio.h>
#include <stdlib.h>

#include "clevis/clevis.h"
#include "keys/keysrc.h"

static struct lv_clevis_opts tang_opts(const struct lv_key_context *ctx)
{
	unsigned left = lv_keysrc_remaining_ms(ctx);

	return (struct lv_clevis_opts){
		.timeout_ms = left && left < LV_CLEVIS_TIMEOUT_MS ? left : LV_CLEVIS_TIMEOUT_MS,
	};
}

/* The server's answer names the slot: "slot 3: tang server ...". */
static int slot_error(const struct lv_config_key *key, int r, struct lv_err *err)
{
	char reason[sizeof(err->msg)];

	snprintf(reason, sizeof(reason), "%s", err->msg);
	return lv_err_set(err, r, "slot %d: %s", key->slot, reason);
}

static int tang_new_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	const struct lv_clevis_opts opts = tang_opts(ctx);
	char *config = NULL, *jwe = NULL;
	int r;

	(void)state;
	r = lv_clevis_tang_config(key->tang.url, key->tang.thumbprint, &config, err);
	if (r == 0 && (r = lv_clevis_passphrase_new(passphrase, err)) < 0)
		slot_error(key, r, err);
	if (r == 0 && (r = lv_clevis_encrypt("tang", config, *passphrase, &opts, &jwe, err)) < 0)
		slot_error(key, r, err);
	if (r == 0)
		r = lv_clevis_token_encode(key->slot, jwe, token_json, err);
	if (r < 0)
		lv_secret_free(passphrase);
	free(jwe);
	free(config);
	return r;
}

static int tang_get_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			const char *token_json, struct lv_secret **passphrase, struct lv_err *err)
{
	const struct lv_clevis_opts opts = tang_opts(ctx);
	int keyslot = -1;
	int r;

	(void)state;
	r = lv_clevis_token_passphrase(token_json, &opts, passphrase, &keyslot, err);
	if (r == -EINVAL)
		return LV_KEY_TOKEN_INVALID;
	if (r < 0)
		return slot_error(key, r, err);
	if (keyslot != key->slot) {
		lv_secret_free(passphrase);
		return LV_KEY_TOKEN_INVALID;
	}
	return 0;
}

const struct lv_keysrc_ops lv_keysrc_tang = {
	.name = "tang",
	.token_type = "clevis",
	.new_key = tang_new_key,
	.get_key = tang_get_key,
};
