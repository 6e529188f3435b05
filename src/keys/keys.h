/* SPDX-License-Identifier: ISC */
/*
 * keys.h: how a configured key becomes LUKS passphrase bytes, exactly as
 * Talos derives them (talos-encryption.md §2).  One handler per key kind;
 * lockToState wraps any of them by appending the STATE salt (§2.5).
 */
#ifndef LV_KEYS_H
#define LV_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "luksvol.h"

#define LV_NODE_UUID_MAX 128	/* a META UUIDOverride may be any string */
#define LV_STATE_SALT_LEN 32
#define LV_STATE_SALT_FILE "encryption-salt.yaml"

/* What the derivations of one volume need, loaded on first use. */
struct lv_key_context {
	const char *volume_id;		/* "STATE", "u-data", ... */
	const char *node_uuid_override;	/* --node-uuid, or NULL */
	const char *state_dir;		/* mounted STATE, or NULL */
	int may_create_salt;		/* 0 in --dry-run */
	char node_uuid[LV_NODE_UUID_MAX + 1];
	int node_uuid_loaded;
	struct lv_secret *salt;
	int salt_created;		/* this run wrote encryption-salt.yaml */
	int salt_planned;		/* --dry-run: it would */
};

/* A handler's result when a slot's token is missing or of another type:
 * the slot cannot be checked, so sync replaces it (§4 ErrTokenInvalid). */
#define LV_KEY_TOKEN_INVALID (-EBADMSG)

struct lv_key_handler {
	enum lv_key_kind kind;
	const char *name;		/* as in the YAML: "static", "nodeID", ... */
	/* The passphrase for a new keyslot, and the token JSON to import
	 * at the slot's id (*token_json NULL when the kind has none). */
	int (*derive_new)(const struct lv_config_key *key, struct lv_key_context *ctx,
			  struct lv_secret **passphrase, char **token_json, struct lv_err *err);
	/* The passphrase of an existing keyslot, from its token (NULL when
	 * the slot has none). */
	int (*derive_existing)(const struct lv_config_key *key, struct lv_key_context *ctx,
			       const char *token_json, struct lv_secret **passphrase,
			       struct lv_err *err);
};

const struct lv_key_handler *lv_key_handler(enum lv_key_kind kind);
const char *lv_key_kind_name(enum lv_key_kind kind);

/* The handler's derivation, with the salt appended for lockToState keys. */
int lv_key_derive_new(const struct lv_config_key *key, struct lv_key_context *ctx,
		      struct lv_secret **passphrase, char **token_json, struct lv_err *err);
int lv_key_derive_existing(const struct lv_config_key *key, struct lv_key_context *ctx,
			   const char *token_json, struct lv_secret **passphrase,
			   struct lv_err *err);

void lv_key_context_release(struct lv_key_context *ctx);

/* Node UUID (§2.2): the override, else /sys/class/dmi/id/product_uuid,
 * lowercased; then Talos's entropy check. */
int lv_node_uuid_get(struct lv_key_context *ctx, struct lv_err *err);
int lv_node_uuid_check(const char *uuid, struct lv_err *err);

/* The 32-byte salt of encryption-salt.yaml (§2.5): its text is Talos's
 * YAML, "diskSalt:" then one "    - N" line per byte. */
int lv_state_salt_parse(const char *text, size_t text_len, uint8_t salt[LV_STATE_SALT_LEN],
			struct lv_err *err);
/* Returns a malloc'ed NUL-terminated string. */
char *lv_state_salt_format(const uint8_t salt[LV_STATE_SALT_LEN]);
/* Reads dir/encryption-salt.yaml; when absent and create is set, writes
 * a new random salt (mode 0600, synced). */
int lv_state_salt_load(const char *dir, int create, struct lv_secret **salt, int *created,
		       struct lv_err *err);
/* Talos's log fingerprint: hex HMAC-SHA256(salt, "encryption salt checksum"). */
int lv_state_salt_fingerprint(const struct lv_secret *salt, char hex[65]);

#endif
