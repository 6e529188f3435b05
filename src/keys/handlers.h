/* SPDX-License-Identifier: ISC */
/* handlers.h: the derivations behind keys.c's handler table. */
#ifndef LV_KEYS_HANDLERS_H
#define LV_KEYS_HANDLERS_H

#include "keys/keys.h"

int lv_key_static_new(const struct lv_config_key *key, struct lv_key_context *ctx,
		      struct lv_secret **passphrase, char **token_json, struct lv_err *err);
int lv_key_static_existing(const struct lv_config_key *key, struct lv_key_context *ctx,
			   const char *token_json, struct lv_secret **passphrase,
			   struct lv_err *err);
int lv_key_nodeid_new(const struct lv_config_key *key, struct lv_key_context *ctx,
		      struct lv_secret **passphrase, char **token_json, struct lv_err *err);
int lv_key_nodeid_existing(const struct lv_config_key *key, struct lv_key_context *ctx,
			   const char *token_json, struct lv_secret **passphrase,
			   struct lv_err *err);

#endif
