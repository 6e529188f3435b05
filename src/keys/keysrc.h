/* SPDX-License-Identifier: ISC */
/*
 * keysrc.h: key sources.  A key source turns one kind of configured key
 * (static, nodeID, kms, tpm, ...) into LUKS passphrase bytes, as Talos's
 * key handlers do (talos-encryption.md §2): a new key for a keyslot about
 * to be added (with the token it needs), or an existing keyslot's key from
 * that token.  The engine (src/talos) reaches the sources only through
 * keys.h, which picks the source by the key's kind, bounds each call in
 * time, checks the token type and appends the lockToState salt.
 *
 * Adding a key kind:
 *  1. One file, src/keys/key_<name>.c, with one const instance named after
 *     its config string, built with designated initializers:
 *        const struct lv_keysrc_ops lv_keysrc_<name> = {
 *                .name = "<name>", .token_type = "<LUKS2 token type>" or NULL,
 *                .check_settings = ..., .init = ..., .new_key = ...,
 *                .get_key = ..., .fini = ...,
 *        };
 *     A kind behind a build flag has "kms" or "tpm" (the flag's word) in
 *     its file name, so the Makefile leaves it out with WITH_KMS=0 or
 *     WITH_TPM=0.
 *  2. One line in the table of keysrc.c (and its name in the extern line
 *     above the table):
 *        [LV_KEY_<NAME>] = LV_KEYSRC_BUILT(LV_WITH_<FLAG>, "WITH_<FLAG>", &lv_keysrc_<name>),
 *     or LV_KEYSRC_ALWAYS(&lv_keysrc_<name>) when no flag leaves it out.
 *  3. Its config parsing: LV_KEY_<NAME> before LV_KEY_KIND_COUNT and its
 *     fields as a member of struct lv_config_key's union (config/config.h);
 *     the kind's name and fields in src/config (parse_encryption.c,
 *     validate_encryption.c, export.c, print.c).
 *  Nothing else changes: planning, format, open, sync, reports and
 *  lockToState work for every kind through this table.
 *
 * A kind the config knows but whose source is not written yet has NULL
 * in the table: it is parsed, planned and reported ("slot 2: kms keys
 * are not supported by this build"), never guessed; format takes the next
 * key, open skips it and sync leaves its keyslot alone.  A kind a build
 * flag left out says so ("... (built with WITH_KMS=0)").
 */
#ifndef LV_KEYSRC_H
#define LV_KEYSRC_H

#include <stdint.h>

#include "keys/keys.h"

struct lv_keysrc_ops {
	/* The kind's key in the config: "static", "nodeID", "kms", "tpm". */
	const char *name;
	/* The LUKS2 token type its keys carry at their slot's token id
	 * ("sideroKMS", "talos-tpm2"), or NULL when they carry none.  The
	 * engine checks it both ways: new_key must return a token of this
	 * type (or none when NULL), and get_key only ever sees one. */
	const char *token_type;
	/* Checks what it would read of the settings (apply's options, such
	 * as a file they name), once, before any device is touched, whether
	 * or not the config has a key of this kind: a bad option is refused
	 * up front, not taken for a key that fails.  May be NULL. */
	int (*check_settings)(const struct lv_key_settings *settings, struct lv_err *err);
	/* Prepares the source of one configured key in *state (left NULL
	 * when it keeps none): what it needs from key and ctx->settings,
	 * checked.  Called once per slot and volume, before its first key,
	 * within that key's time bound.  May be NULL. */
	int (*init)(struct lv_key_context *ctx, const struct lv_config_key *key, void **state,
		    struct lv_err *err);
	/* Talos's NewKey: a new key, *passphrase (an lv_secret), and when
	 * token_type is set *token_json, the token to import at key->slot
	 * (malloc'ed JSON). */
	int (*new_key)(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
		       struct lv_secret **passphrase, char **token_json, struct lv_err *err);
	/* Talos's GetKey: the passphrase of key->slot's keyslot; token_json is
	 * the slot's token (always of token_type; NULL when token_type is
	 * NULL).  A token it cannot use: LV_KEY_TOKEN_INVALID. */
	int (*get_key)(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
		       const char *token_json, struct lv_secret **passphrase, struct lv_err *err);
	/* Releases state (wiping what is secret in it).  May be NULL. */
	void (*fini)(void *state);
};

/*
 * Time: init, new_key and get_key of one key must return by
 * ctx->deadline_ms (settings.key_timeout_ms after the call began; Talos
 * gives each handler 20 s).  A source that blocks (a network call, a TPM
 * command) gives every blocking step at most lv_keysrc_remaining_ms(ctx).
 * A result that comes later is wiped and the key fails with -ETIMEDOUT.
 */
uint64_t lv_keysrc_now_ms(void);
unsigned lv_keysrc_remaining_ms(const struct lv_key_context *ctx);

/*
 * Notices: what a source has to tell the user about a key it made or
 * read that is neither its result nor an error ("sealed to PCRs alone:
 * weaker than a signed policy").  Any source may call this from init,
 * new_key or get_key; the dispatcher keeps the notices of the derivation
 * under way in ctx->notices (up to LV_KEY_NOTICES_MAX, the rest dropped)
 * and the engine reports each one as a warning of the key's slot.  Never
 * a secret.
 */
void lv_keysrc_notice(struct lv_key_context *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The source of kind, or NULL with *why (when non-NULL) set to the
 * reason: "not supported by this build", or "... (built with WITH_KMS=0)". */
const struct lv_keysrc_ops *lv_keysrc_of(enum lv_key_kind kind, const char **why);

/* The bounded, checked calls the dispatcher makes, over any ops (the
 * unit tests give their own sources). */
int lv_keysrc_new_key(const struct lv_keysrc_ops *ops, const struct lv_config_key *key,
		      struct lv_key_context *ctx, struct lv_secret **passphrase, char **token_json,
		      struct lv_err *err);
int lv_keysrc_get_key(const struct lv_keysrc_ops *ops, const struct lv_config_key *key,
		      struct lv_key_context *ctx, const char *token_json,
		      struct lv_secret **passphrase, struct lv_err *err);

#endif
