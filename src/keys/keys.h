/* SPDX-License-Identifier: ISC */
/*
 * keys.h: how a configured key becomes LUKS passphrase bytes, exactly as
 * Talos derives them (talos-encryption.md §2), for the Talos engine.  Each
 * key kind is a key source (keysrc.h: one ops table per kind);
 * lockToState wraps any of them by appending the STATE salt (§2.5).
 */
#ifndef LV_KEYS_H
#define LV_KEYS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "base/constants.h"
#include "config/config.h"
#include "luksvol-talos.h"

#define LV_NODE_UUID_MAX 128	/* a META UUIDOverride may be any string */
#define LV_STATE_SALT_LEN 32	/* Talos's DiskEncryptionSaltSize */
#define LV_STATE_SALT_FILE "encryption-salt.yaml"
#define LV_KEY_TIMEOUT_MS 20000	/* Talos's per key handler timeout */
#define LV_KEY_NOTICES_MAX 4	/* per derivation */

struct lv_keysrc_ops;

/* What the derivations of one volume share, loaded on first use, and
 * each configured slot's source state (keysrc.h). */
struct lv_key_context {
	const struct lv_key_settings *settings;	/* never NULL when deriving */
	const char *volume_id;		/* "STATE", "u-data", ... */
	int may_create_salt;		/* 0 in --dry-run */
	char node_uuid[LV_NODE_UUID_MAX + 1];
	int node_uuid_loaded;
	struct lv_secret *salt;
	int salt_created;		/* this run wrote encryption-salt.yaml */
	int salt_planned;		/* --dry-run: it would */
	uint64_t deadline_ms;		/* of the derivation under way (CLOCK_MONOTONIC) */
	/* What the last derivation's source had to tell the user besides
	 * its result (lv_keysrc_notice), for the engine to report. */
	char notices[LV_KEY_NOTICES_MAX][LV_ERR_MSG_MAX];
	unsigned notice_count;
	void *states[LV_KEYSLOT_COUNT];	/* each slot's source state, made on first use */
	const struct lv_keysrc_ops *state_ops[LV_KEYSLOT_COUNT];	/* whose state it is */
};

/* A source's result when a slot's token is missing or of another type:
 * the slot cannot be checked, so sync replaces it (§4 ErrTokenInvalid). */
#define LV_KEY_TOKEN_INVALID (-EBADMSG)

/* The passphrase for a new keyslot, and the token JSON to import at the
 * slot's id (*token_json NULL when the kind writes none); with the salt
 * appended for lockToState keys.  -ENOTSUP when this build has no source
 * for the kind, -ETIMEDOUT past the settings' key_timeout_ms. */
int lv_key_derive_new(const struct lv_config_key *key, struct lv_key_context *ctx,
		      struct lv_secret **passphrase, char **token_json, struct lv_err *err);
/* The passphrase of an existing keyslot, from its token (NULL when the
 * slot has none): LV_KEY_TOKEN_INVALID when the kind needs a token and
 * the slot has none, or one of another type. */
int lv_key_derive_existing(const struct lv_config_key *key, struct lv_key_context *ctx,
			   const char *token_json, struct lv_secret **passphrase,
			   struct lv_err *err);

/* Every built key source's check of the settings (a file an option
 * names, ...), before any device is touched. */
int lv_key_settings_check(const struct lv_key_settings *settings, struct lv_err *err);

/* Finishes every source state and wipes the salt. */
void lv_key_context_release(struct lv_key_context *ctx);

/* Node UUID (§2.2): the settings' node_uuid, else
 * /sys/class/dmi/id/product_uuid, lowercased, into ctx->node_uuid.
 * lv_node_uuid_get adds Talos's entropy check, which Talos runs for nodeID
 * keys only (a kms key sends the UUID as it is: keys/kms.go). */
int lv_node_uuid_load(struct lv_key_context *ctx, struct lv_err *err);
int lv_node_uuid_get(struct lv_key_context *ctx, struct lv_err *err);
int lv_node_uuid_check(const char *uuid, struct lv_err *err);

/* The 32-byte salt of encryption-salt.yaml (§2.5): its text is Talos's
 * YAML, "diskSalt:" then one "    - N" line per byte. */
int lv_state_salt_parse(const char *text, size_t text_len, uint8_t salt[LV_STATE_SALT_LEN],
			struct lv_err *err);
/* Returns a malloc'ed NUL-terminated string. */
char *lv_state_salt_format(const uint8_t salt[LV_STATE_SALT_LEN]);
/* Reads dir/encryption-salt.yaml (a regular file only); when absent and
 * create is set, writes a new random salt (mode 0600, synced). */
int lv_state_salt_load(const char *dir, int create, struct lv_secret **salt, int *created,
		       struct lv_err *err);
/* Talos's log fingerprint: hex HMAC-SHA256(salt, "encryption salt checksum"). */
int lv_state_salt_fingerprint(const struct lv_secret *salt, char hex[65]);

#endif
