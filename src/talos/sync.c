/* SPDX-License-Identifier: ISC */
/*
 * sync.c: keeps a volume's keyslots equal to its configured keys after it
 * opened (talos-encryption.md §4): a configured keyslot whose key no
 * longer opens it is replaced, a missing one is added, and every keyslot
 * the config does not name is removed.  The keyslot that just opened the
 * volume is never touched, so the volume always keeps a working
 * configured key.  Failures are per keyslot and leave it as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "talos/sync.h"

enum slot_check {
	SLOT_VALID,
	SLOT_STALE,		/* token invalid or passphrase rejected: replace */
	SLOT_UNCHECKABLE,	/* KMS down, salt missing, ...: leave alone */
};

static enum slot_check check_slot(struct lv_volume_run *run, const struct lv_config_key *key,
				  struct lv_err *err)
{
	struct lv_secret *volume_key = NULL;
	int derive_failed, r = lv_slot_unlock(run, key, &volume_key, &derive_failed, err);

	lv_secret_free(&volume_key);
	if (r == 0)
		return SLOT_VALID;
	if (derive_failed)
		return r == LV_KEY_TOKEN_INVALID ? SLOT_STALE : SLOT_UNCHECKABLE;
	return r == -EPERM ? SLOT_STALE : SLOT_UNCHECKABLE;
}

/* With a confirmed plan (lv_apply_params.confirmed), a keyslot is
 * destroyed only when the plan the user saw destroyed it the same way:
 * the header may have changed since the question. */
static int destruction_confirmed(const struct lv_volume_run *run, enum lv_step_action action,
				 int slot)
{
	const struct lv_apply_report *plan = run->params->confirmed;

	if (!plan)
		return 1;
	for (size_t i = 0; i < plan->volume_count; i++) {
		const struct lv_apply_volume *vol = &plan->volumes[i];

		if (strcmp(vol->config->volume_id, run->report->config->volume_id) != 0)
			continue;
		for (unsigned j = 0; j < vol->step_count; j++)
			if (vol->steps[j].action == action && vol->steps[j].slot == slot &&
			    vol->steps[j].status == LV_STEP_PLANNED)
				return 1;
	}
	return 0;
}

static const char not_confirmed[] = "not in the plan that was confirmed: left as it is";

/* luksKillSlot, then `token remove` of the same id, as Talos does. */
static int remove_slot(struct lv_volume_run *run, int slot, struct lv_err *err)
{
	int r = lv_keyslot_kill(run->dev, slot, err);

	if (r == 0 && lv_token_present(run->dev, slot))
		r = lv_token_remove(run->dev, slot, err);
	return r;
}

static void replace_slot(struct lv_volume_run *run, const struct lv_config_key *key,
			 const struct lv_err *why)
{
	struct lv_err err = { 0 };
	int r;

	if (run->params->dry_run) {
		lv_apply_step(run->report, LV_STEP_REPLACE, LV_STEP_PLANNED, key->slot, key, "%s",
			      why->msg);
		return;
	}
	if (!destruction_confirmed(run, LV_STEP_REPLACE, key->slot)) {
		lv_apply_step(run->report, LV_STEP_REPLACE, LV_STEP_FAILED, key->slot, key, "%s",
			      not_confirmed);
		return;
	}
	r = remove_slot(run, key->slot, &err);
	if (r < 0) {
		lv_apply_step(run->report, LV_STEP_REPLACE, LV_STEP_FAILED, key->slot, key, "%s",
			      err.msg);
		return;
	}
	lv_slot_add_key(run, key, LV_STEP_REPLACE);
}

static void sync_configured_key(struct lv_volume_run *run, const struct lv_config_key *key)
{
	struct lv_err err = { 0 };

	if (!lv_keyslot_exists(run->dev, key->slot)) {
		lv_slot_add_key(run, key, LV_STEP_ADD);
		return;
	}
	switch (check_slot(run, key, &err)) {
	case SLOT_VALID:
		lv_apply_step(run->report, LV_STEP_KEEP, LV_STEP_DONE, key->slot, key, "%s", "");
		break;
	case SLOT_STALE:
		replace_slot(run, key, &err);
		break;
	case SLOT_UNCHECKABLE:
		lv_apply_step(run->report, LV_STEP_CHECK, LV_STEP_FAILED, key->slot, key,
			      "left as it is: %s", err.msg);
		break;
	}
}

static int slot_configured(const struct lv_volume_run *run, int slot)
{
	for (size_t i = 0; i < run->key_count; i++)
		if (run->sorted_keys[i]->slot == slot)
			return 1;
	return 0;
}

static void remove_unconfigured(struct lv_volume_run *run, int slot)
{
	struct lv_err err = { 0 };
	int r = 0;

	if (!run->params->dry_run && !destruction_confirmed(run, LV_STEP_REMOVE, slot))
		r = lv_err_set(&err, -ECANCELED, "%s", not_confirmed);
	else if (!run->params->dry_run)
		r = remove_slot(run, slot, &err);
	lv_apply_step(run->report, LV_STEP_REMOVE, run->params->dry_run ? LV_STEP_PLANNED :
		      r < 0 ? LV_STEP_FAILED : LV_STEP_DONE, slot, NULL, "%s", err.msg);
}

void lv_sync_keys(struct lv_volume_run *run)
{
	for (size_t i = 0; i < run->key_count; i++)
		if (run->sorted_keys[i]->slot != run->opened_slot)
			sync_configured_key(run, run->sorted_keys[i]);
	for (int slot = 0; slot < LV_KEYSLOT_COUNT; slot++)
		if (slot != run->opened_slot && !slot_configured(run, slot) &&
		    lv_keyslot_exists(run->dev, slot))
			remove_unconfigured(run, slot);
}
