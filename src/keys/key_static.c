/* SPDX-License-Identifier: ISC */
/* key_static.c: a static key is its passphrase bytes as written (§2.1). */
#include "keys/keysrc.h"

static int static_passphrase(const struct lv_config_key *key, struct lv_secret **passphrase,
			     struct lv_err *err)
{
	const struct lv_secret *configured = key->static_key.passphrase;

	if (!configured || configured->len == 0)
		return lv_err_set(err, -EINVAL, "slot %d: static key must have key data defined",
				  key->slot);
	*passphrase = lv_secret_dup(configured->bytes, configured->len);
	return *passphrase ? 0 : -ENOMEM;
}

static int static_new_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			  struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	(void)state;
	(void)ctx;
	(void)token_json;
	return static_passphrase(key, passphrase, err);
}

static int static_get_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			  const char *token_json, struct lv_secret **passphrase, struct lv_err *err)
{
	(void)state;
	(void)ctx;
	(void)token_json;
	return static_passphrase(key, passphrase, err);
}

const struct lv_keysrc_ops lv_keysrc_static = {
	.name = "static",
	.new_key = static_new_key,
	.get_key = static_get_key,
};
