/* SPDX-License-Identifier: ISC */
/*
 * run.h: one volume's run of apply, and the keyslot steps that format,
 * open and sync share (slot.c): derive and unlock a keyslot, add a
 * configured key at its slot.
 */
#ifndef LV_TALOS_RUN_H
#define LV_TALOS_RUN_H

#include "config/config.h"
#include "keys/keys.h"
#include "luksvol.h"
#include "talos/report.h"

/* One volume's run: the device, its keys sorted by slot, what opened it. */
struct lv_volume_run {
	const struct lv_apply_params *params;
	struct lv_apply_volume *report;
	struct lv_key_context keys;
	const struct lv_config_key *sorted_keys[LV_KEYSLOT_COUNT];
	size_t key_count;
	struct lv_device *dev;
	struct lv_secret *volume_key;
	int opened_slot;
};

/* Derives key's passphrase from its keyslot's token and unlocks that
 * keyslot; *derive_failed tells a derivation error from an unlock error. */
int lv_slot_unlock(struct lv_volume_run *run, const struct lv_config_key *key,
		   struct lv_secret **volume_key, int *derive_failed, struct lv_err *err);
/* Whether the device has a token with this id. */
int lv_token_present(struct lv_device *dev, int token_id);
/* Adds a configured key at its slot (token first, then keyslot), as step
 * action of the report. */
int lv_slot_add_key(struct lv_volume_run *run, const struct lv_config_key *key,
		    enum lv_step_action action);
/* Derives a key, treating "the salt file would be created" as fine in
 * --dry-run.  Returns 0, or a negative errno with err set. */
int lv_plan_derive_new(struct lv_volume_run *run, const struct lv_config_key *key,
		       struct lv_secret **passphrase, char **token_json, struct lv_err *err);
/* The KDF of a new keyslot: the --pbkdf-* overrides, argon2id. */
struct lv_pbkdf_params lv_slot_pbkdf(const struct lv_apply_params *params);
/* Imports the token of a new key at the key's slot, replacing one there
 * (token id = keyslot number, §3); nothing when token_json is NULL. */
int lv_slot_import_token(struct lv_volume_run *run, const struct lv_config_key *key,
			 const char *token_json, struct lv_err *err);

#endif
