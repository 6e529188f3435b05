/* SPDX-License-Identifier: ISC */
/*
 * slot.c: the keyslot steps format, open and sync share: derive a
 * configured key and unlock its keyslot; add a configured key at its slot
 * (its token first, then the keyslot, as Talos's addKey, §4).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "talos/run.h"

struct lv_pbkdf_params lv_slot_pbkdf(const struct lv_apply_params *params)
{
	struct lv_pbkdf_params pbkdf = params->pbkdf;

	if (!pbkdf.type)
		pbkdf.type = "argon2id";
	return pbkdf;
}

/* Reports the notices of key's last derivation (keysrc.h) as warnings
 * of its slot, and forgets them. */
static void report_notices(struct lv_volume_run *run, const struct lv_config_key *key)
{
	for (unsigned i = 0; i < run->keys.notice_count; i++)
		lv_apply_step(run->report, LV_STEP_WARN, LV_STEP_DONE, key->slot, key, "%s",
			      run->keys.notices[i]);
	run->keys.notice_count = 0;
}

/* Derives a new key and reports what its source had to say. */
static int derive_new(struct lv_volume_run *run, const struct lv_config_key *key,
		      struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	int r = lv_key_derive_new(key, &run->keys, passphrase, token_json, err);

	report_notices(run, key);
	return r;
}

int lv_plan_derive_new(struct lv_volume_run *run, const struct lv_config_key *key,
		       struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	const char *state_dir = run->params->keys.state_dir;
	int r = derive_new(run, key, passphrase, token_json, err);

	/* Planning only: a missing salt is one apply would create. */
	if (r == -ENOENT && run->params->dry_run && key->lock_to_state && state_dir &&
	    access(state_dir, W_OK) == 0) {
		run->keys.salt_planned = 1;
		return 0;
	}
	return r;
}

int lv_slot_import_token(struct lv_volume_run *run, const struct lv_config_key *key,
			 const char *token_json, struct lv_err *err)
{
	int r = 0;

	if (!token_json)
		return 0;
	/* Token id = keyslot number, replacing what is there (§3). */
	if (lv_token_present(run->dev, key->slot))
		r = lv_token_remove(run->dev, key->slot, err);
	return r < 0 ? r : lv_token_import(run->dev, key->slot, token_json, NULL, err);
}

int lv_slot_add_key(struct lv_volume_run *run, const struct lv_config_key *key,
		    enum lv_step_action action)
{
	struct lv_pbkdf_params pbkdf = lv_slot_pbkdf(run->params);
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	char *token_json = NULL;
	int r;

	if (run->params->dry_run) {
		r = lv_plan_derive_new(run, key, &passphrase, &token_json, &err);
	} else {
		r = derive_new(run, key, &passphrase, &token_json, &err);
		if (r == 0)
			r = lv_slot_import_token(run, key, token_json, &err);
		if (r == 0)
			r = lv_keyslot_add(run->dev, key->slot, run->volume_key, passphrase, &pbkdf,
					   NULL, &err);
	}
	lv_secret_free(&passphrase);
	free(token_json);
	if (r < 0)
		lv_apply_step(run->report, action, LV_STEP_FAILED, key->slot, key, "%s", err.msg);
	else
		lv_apply_step(run->report, action, run->params->dry_run ? LV_STEP_PLANNED : LV_STEP_DONE,
			      key->slot, key, "%s", "");
	return r;
}

int lv_token_present(struct lv_device *dev, int token_id)
{
	char *json_text = NULL;
	int r = lv_token_export(dev, token_id, &json_text, NULL);

	free(json_text);
	return r == 0;
}

int lv_slot_unlock(struct lv_volume_run *run, const struct lv_config_key *key,
		   struct lv_secret **volume_key, int *derive_failed, struct lv_err *err)
{
	struct lv_secret *passphrase = NULL;
	char *token_json = NULL;
	int r;

	*derive_failed = 0;
	if (lv_token_export(run->dev, key->slot, &token_json, NULL) < 0)
		token_json = NULL;
	r = lv_key_derive_existing(key, &run->keys, token_json, &passphrase, err);
	report_notices(run, key);
	free(token_json);
	if (r < 0) {
		*derive_failed = 1;
		return r;
	}
	r = lv_unlock(run->dev, key->slot, passphrase, volume_key, NULL, err);
	lv_secret_free(&passphrase);
	return r;
}
