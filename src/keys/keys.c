/* SPDX-License-Identifier: ISC */
/*
 * keys.c: the key handler table and the lockToState wrapper.  kms and tpm
 * have entries without derivations until their issues land, so a config
 * naming them is parsed, planned and reported, but never guessed at.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys/handlers.h"

static const struct lv_key_handler key_handlers[] = {
	{ LV_KEY_STATIC, "static", lv_key_static_new, lv_key_static_existing },
	{ LV_KEY_NODEID, "nodeID", lv_key_nodeid_new, lv_key_nodeid_existing },
	{ LV_KEY_KMS, "kms", NULL, NULL },
	{ LV_KEY_TPM, "tpm", NULL, NULL },
};

const struct lv_key_handler *lv_key_handler(enum lv_key_kind kind)
{
	for (size_t i = 0; i < sizeof(key_handlers) / sizeof(key_handlers[0]); i++)
		if (key_handlers[i].kind == kind)
			return &key_handlers[i];
	return NULL;
}

const char *lv_key_kind_name(enum lv_key_kind kind)
{
	const struct lv_key_handler *handler = lv_key_handler(kind);

	return handler ? handler->name : "unknown";
}

static int handler_missing(const struct lv_config_key *key, struct lv_err *err)
{
	return lv_err_set(err, -ENOTSUP, "slot %d: %s keys are not supported by this build",
			  key->slot, lv_key_kind_name(key->kind));
}

static int load_salt(struct lv_key_context *ctx, int create, struct lv_err *err)
{
	int created = 0, r;

	if (ctx->salt)
		return 0;
	if (!ctx->state_dir)
		return lv_err_set(err, -EINVAL,
				  "lockToState needs the STATE mount: pass --state-dir");
	r = lv_state_salt_load(ctx->state_dir, create, &ctx->salt, &created, err);
	ctx->salt_created |= created;
	return r;
}

/* §2.5: passphrase ‖ salt, a plain concatenation. */
static int append_salt(struct lv_secret **passphrase, const struct lv_secret *salt)
{
	struct lv_secret *salted = lv_secret_new((*passphrase)->len + salt->len);

	if (!salted)
		return -ENOMEM;
	memcpy(salted->bytes, (*passphrase)->bytes, (*passphrase)->len);
	memcpy(salted->bytes + (*passphrase)->len, salt->bytes, salt->len);
	lv_secret_free(passphrase);
	*passphrase = salted;
	return 0;
}

static int finish_derivation(const struct lv_config_key *key, struct lv_key_context *ctx,
			     int create_salt, struct lv_secret **passphrase, struct lv_err *err)
{
	int r;

	if (!key->lock_to_state)
		return 0;
	r = load_salt(ctx, create_salt, err);
	if (r == 0)
		r = append_salt(passphrase, ctx->salt);
	if (r < 0)
		lv_secret_free(passphrase);
	return r;
}

int lv_key_derive_new(const struct lv_config_key *key, struct lv_key_context *ctx,
		      struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	const struct lv_key_handler *handler = lv_key_handler(key->kind);
	int r;

	*passphrase = NULL;
	*token_json = NULL;
	if (!handler || !handler->derive_new)
		return handler_missing(key, err);
	r = handler->derive_new(key, ctx, passphrase, token_json, err);
	if (r == 0)
		r = finish_derivation(key, ctx, ctx->may_create_salt, passphrase, err);
	if (r < 0) {
		free(*token_json);
		*token_json = NULL;
	}
	return r;
}

int lv_key_derive_existing(const struct lv_config_key *key, struct lv_key_context *ctx,
			   const char *token_json, struct lv_secret **passphrase,
			   struct lv_err *err)
{
	const struct lv_key_handler *handler = lv_key_handler(key->kind);
	int r;

	*passphrase = NULL;
	if (!handler || !handler->derive_existing)
		return handler_missing(key, err);
	r = handler->derive_existing(key, ctx, token_json, passphrase, err);
	/* An existing slot never creates the salt: a new salt could not
	 * open it anyway, and sync must leave it alone (§4 step 2.4). */
	if (r == 0)
		r = finish_derivation(key, ctx, 0, passphrase, err);
	return r;
}

void lv_key_context_release(struct lv_key_context *ctx)
{
	lv_secret_free(&ctx->salt);
}
