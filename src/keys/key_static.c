/* SPDX-License-Identifier: ISC */
/* key_static.c: a static key is its passphrase bytes as written (§2.1). */
#include <errno.h>

#include "keys/handlers.h"

static int static_passphrase(const struct lv_config_key *key, struct lv_secret **passphrase,
			     struct lv_err *err)
{
	const struct lv_secret *configured = key->static_passphrase;

	if (!configured || configured->len == 0)
		return lv_err_set(err, -EINVAL, "slot %d: static key must have key data defined",
				  key->slot);
	*passphrase = lv_secret_dup(configured->bytes, configured->len);
	return *passphrase ? 0 : -ENOMEM;
}

int lv_key_static_new(const struct lv_config_key *key, struct lv_key_context *ctx,
		      struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	(void)ctx;
	*token_json = NULL;
	return static_passphrase(key, passphrase, err);
}

int lv_key_static_existing(const struct lv_config_key *key, struct lv_key_context *ctx,
			   const char *token_json, struct lv_secret **passphrase,
			   struct lv_err *err)
{
	(void)ctx;
	(void)token_json;
	return static_passphrase(key, passphrase, err);
}
