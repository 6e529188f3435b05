/* SPDX-License-Identifier: ISC */
/*
 * keysrc.c: the table of key sources, one line per key kind, and what
 * every derivation goes through: the source's state, the time bound, the
 * token type check, and the lockToState salt (§2.5) over any source.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys/keysrc.h"
#include "lv_features.h"

struct keysrc_entry {
	const struct lv_keysrc_ops *ops;	/* NULL: no source in this build */
	const char *why;			/* then: why not */
};

#define NOT_WRITTEN "not supported by this build"

/* LV_KEYSRC_BUILT(LV_WITH_KMS, "WITH_KMS", &ops): the source, or, in a
 * build without the flag, none and the flag's name; ops is not even
 * named then (its file is not compiled). */
#define LV_KEYSRC_BUILT(with, flag, ops) LV_KEYSRC_BUILT_(with, flag, ops)
#define LV_KEYSRC_BUILT_(with, flag, ops) LV_KEYSRC_BUILT_##with(flag, ops)
#define LV_KEYSRC_BUILT_1(flag, ops) { (ops), NOT_WRITTEN }
#define LV_KEYSRC_BUILT_0(flag, ops) { NULL, NOT_WRITTEN " (built with " flag "=0)" }
#define LV_KEYSRC_ALWAYS(ops) { (ops), NULL }

extern const struct lv_keysrc_ops lv_keysrc_static, lv_keysrc_nodeID, lv_keysrc_kms,
	lv_keysrc_tpm, lv_keysrc_tang;

static const struct keysrc_entry sources[LV_KEY_KIND_COUNT] = {
	[LV_KEY_STATIC] = LV_KEYSRC_ALWAYS(&lv_keysrc_static),
	[LV_KEY_NODEID] = LV_KEYSRC_ALWAYS(&lv_keysrc_nodeID),
	[LV_KEY_KMS] = LV_KEYSRC_BUILT(LV_WITH_KMS, "WITH_KMS", &lv_keysrc_kms),
	[LV_KEY_TPM] = LV_KEYSRC_BUILT(LV_WITH_TPM, "WITH_TPM", &lv_keysrc_tpm),
	[LV_KEY_TANG] = LV_KEYSRC_BUILT(LV_WITH_CLEVIS, "WITH_CLEVIS", &lv_keysrc_tang),
};

const struct lv_keysrc_ops *lv_keysrc_of(enum lv_key_kind kind, const char **why)
{
	const struct keysrc_entry *entry = (unsigned)kind < LV_KEY_KIND_COUNT ? &sources[kind] : NULL;

	if (entry && entry->ops)
		return entry->ops;
	if (why)
		*why = entry && entry->why ? entry->why : NOT_WRITTEN;
	return NULL;
}

int lv_key_settings_check(const struct lv_key_settings *settings, struct lv_err *err)
{
	for (size_t kind = 0; kind < LV_KEY_KIND_COUNT; kind++) {
		const struct lv_keysrc_ops *ops = sources[kind].ops;
		int r = ops && ops->check_settings ? ops->check_settings(settings, err) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

uint64_t lv_keysrc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned lv_keysrc_remaining_ms(const struct lv_key_context *ctx)
{
	uint64_t now = lv_keysrc_now_ms();

	return now >= ctx->deadline_ms ? 0 : (unsigned)(ctx->deadline_ms - now);
}

void lv_keysrc_notice(struct lv_key_context *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->notice_count >= LV_KEY_NOTICES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(ctx->notices[ctx->notice_count++], sizeof(ctx->notices[0]), fmt, ap);
	va_end(ap);
}

static unsigned key_timeout_ms(const struct lv_key_context *ctx)
{
	return ctx->settings && ctx->settings->key_timeout_ms ? ctx->settings->key_timeout_ms :
	       LV_KEY_TIMEOUT_MS;
}

/* A derivation starts: its deadline, and no notices yet. */
static void derivation_start(struct lv_key_context *ctx)
{
	ctx->deadline_ms = lv_keysrc_now_ms() + key_timeout_ms(ctx);
	ctx->notice_count = 0;
}

static int too_late(const struct lv_key_context *ctx, const struct lv_config_key *key,
		    const struct lv_keysrc_ops *ops, struct lv_err *err)
{
	return lv_err_set(err, -ETIMEDOUT, "slot %d: the %s key took longer than %u ms", key->slot,
			  ops->name, key_timeout_ms(ctx));
}

/* The source state of key's slot, made by ops->init on first use. */
static int slot_state(const struct lv_keysrc_ops *ops, const struct lv_config_key *key,
		      struct lv_key_context *ctx, void **state, struct lv_err *err)
{
	int slot = key->slot, r = 0;

	*state = NULL;
	if (slot < 0 || slot >= LV_KEYSLOT_COUNT)
		return lv_err_set(err, -EINVAL, "slot %d: out of range (0-31)", slot);
	if (ctx->state_ops[slot] == ops) {
		*state = ctx->states[slot];
		return 0;
	}
	if (ctx->state_ops[slot] && ctx->state_ops[slot]->fini)
		ctx->state_ops[slot]->fini(ctx->states[slot]);
	ctx->state_ops[slot] = NULL;
	ctx->states[slot] = NULL;
	if (ops->init)
		r = ops->init(ctx, key, state, err);
	if (r == 0) {
		ctx->states[slot] = *state;
		ctx->state_ops[slot] = ops;
	}
	return r;
}

/* The "type" of a token, "" when it has none; -EINVAL when not JSON. */
static int token_type(const char *token_json, char *type, size_t type_size)
{
	struct json_object *root = json_tokener_parse(token_json), *value;
	int r = root && json_object_is_type(root, json_type_object) ? 0 : -EINVAL;

	type[0] = '\0';
	if (r == 0 && json_object_object_get_ex(root, "type", &value) &&
	    json_object_is_type(value, json_type_string))
		snprintf(type, type_size, "%s", json_object_get_string(value));
	json_object_put(root);
	return r;
}

/* What new_key returned must be a token of the source's type, or none. */
static int check_new_token(const struct lv_keysrc_ops *ops, const struct lv_config_key *key,
			   const char *token_json, struct lv_err *err)
{
	char type[256];

	if (!ops->token_type != !token_json)
		return lv_err_set(err, -EINVAL, "slot %d: the %s source %s a token", key->slot,
				  ops->name, token_json ? "returned" : "did not return");
	if (token_json && (token_type(token_json, type, sizeof(type)) < 0 ||
			   strcmp(type, ops->token_type) != 0))
		return lv_err_set(err, -EINVAL, "slot %d: the %s source returned a token not of type %s",
				  key->slot, ops->name, ops->token_type);
	return 0;
}

int lv_keysrc_new_key(const struct lv_keysrc_ops *ops, const struct lv_config_key *key,
		      struct lv_key_context *ctx, struct lv_secret **passphrase, char **token_json,
		      struct lv_err *err)
{
	void *state;
	int r;

	*passphrase = NULL;
	*token_json = NULL;
	derivation_start(ctx);
	r = slot_state(ops, key, ctx, &state, err);
	if (r == 0)
		r = ops->new_key(state, ctx, key, passphrase, token_json, err);
	if (r == 0 && lv_keysrc_now_ms() > ctx->deadline_ms)
		r = too_late(ctx, key, ops, err);
	if (r == 0)
		r = check_new_token(ops, key, *token_json, err);
	if (r < 0) {
		lv_secret_free(passphrase);
		free(*token_json);
		*token_json = NULL;
	}
	return r;
}

/* Talos's readToken: a kind with a token needs one of its type. */
static int check_slot_token(const struct lv_keysrc_ops *ops, const struct lv_config_key *key,
			    const char *token_json, struct lv_err *err)
{
	char type[256];

	if (!ops->token_type)
		return 0;
	if (!token_json)
		return lv_err_set(err, LV_KEY_TOKEN_INVALID, "slot %d: no token", key->slot);
	if (token_type(token_json, type, sizeof(type)) < 0 || strcmp(type, ops->token_type) != 0)
		return lv_err_set(err, LV_KEY_TOKEN_INVALID, "slot %d: its token is not of type %s",
				  key->slot, ops->token_type);
	return 0;
}

int lv_keysrc_get_key(const struct lv_keysrc_ops *ops, const struct lv_config_key *key,
		      struct lv_key_context *ctx, const char *token_json,
		      struct lv_secret **passphrase, struct lv_err *err)
{
	void *state;
	int r;

	*passphrase = NULL;
	derivation_start(ctx);
	r = check_slot_token(ops, key, token_json, err);
	if (r < 0)
		return r;
	r = slot_state(ops, key, ctx, &state, err);
	if (r == 0)
		r = ops->get_key(state, ctx, key, ops->token_type ? token_json : NULL, passphrase, err);
	if (r == 0 && lv_keysrc_now_ms() > ctx->deadline_ms)
		r = too_late(ctx, key, ops, err);
	if (r < 0)
		lv_secret_free(passphrase);
	return r;
}

static const struct lv_keysrc_ops *source_or_fail(const struct lv_config_key *key,
						  struct lv_err *err)
{
	const char *why = NULL;
	const struct lv_keysrc_ops *ops = lv_keysrc_of(key->kind, &why);

	if (!ops)
		lv_err_set(err, -ENOTSUP, "slot %d: %s keys are %s", key->slot,
			   lv_key_kind_name(key->kind), why);
	return ops;
}

static int load_salt(struct lv_key_context *ctx, int create, struct lv_err *err)
{
	int created = 0, r;

	if (ctx->salt)
		return 0;
	if (!ctx->settings || !ctx->settings->state_dir)
		return lv_err_set(err, -EINVAL,
				  "lockToState needs the STATE mount: pass --state-dir");
	r = lv_state_salt_load(ctx->settings->state_dir, create, &ctx->salt, &created, err);
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

static int lock_to_state(const struct lv_config_key *key, struct lv_key_context *ctx,
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
	const struct lv_keysrc_ops *ops = source_or_fail(key, err);
	int r;

	*passphrase = NULL;
	*token_json = NULL;
	ctx->notice_count = 0;
	if (!ops)
		return -ENOTSUP;
	r = lv_keysrc_new_key(ops, key, ctx, passphrase, token_json, err);
	if (r == 0)
		r = lock_to_state(key, ctx, ctx->may_create_salt, passphrase, err);
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
	const struct lv_keysrc_ops *ops = source_or_fail(key, err);
	int r;

	*passphrase = NULL;
	ctx->notice_count = 0;
	if (!ops)
		return -ENOTSUP;
	r = lv_keysrc_get_key(ops, key, ctx, token_json, passphrase, err);
	/* An existing slot never creates the salt: a new salt could not
	 * open it anyway, and sync must leave it alone (§4 step 2.4). */
	if (r == 0)
		r = lock_to_state(key, ctx, 0, passphrase, err);
	return r;
}

void lv_key_context_release(struct lv_key_context *ctx)
{
	for (int slot = 0; slot < LV_KEYSLOT_COUNT; slot++) {
		if (ctx->state_ops[slot] && ctx->state_ops[slot]->fini)
			ctx->state_ops[slot]->fini(ctx->states[slot]);
		ctx->state_ops[slot] = NULL;
		ctx->states[slot] = NULL;
	}
	lv_secret_free(&ctx->salt);
}
