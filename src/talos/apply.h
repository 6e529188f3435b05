/* SPDX-License-Identifier: ISC */
/*
 * apply.h: what `luksvol apply` did (or would do) to each volume, and the
 * steps apply.c and sync.c share.
 */
#ifndef LV_TALOS_APPLY_H
#define LV_TALOS_APPLY_H

#include "config/config.h"
#include "keys/keys.h"
#include "luksvol.h"

enum lv_step_action {
	LV_STEP_LOCATE,		/* the device a volume lives on */
	LV_STEP_SALT,		/* the lockToState salt was created */
	LV_STEP_FORMAT,
	LV_STEP_OPEN,		/* a keyslot's key was tried */
	LV_STEP_MAP,
	LV_STEP_KEEP,		/* a configured keyslot that checks out */
	LV_STEP_ADD,
	LV_STEP_REPLACE,
	LV_STEP_REMOVE,
	LV_STEP_CHECK,		/* a keyslot that could not be checked */
	LV_STEP_REFUSE,		/* the device holds something else */
};

enum lv_step_status {
	LV_STEP_DONE,
	LV_STEP_FAILED,
	LV_STEP_PLANNED,	/* --dry-run */
};

struct lv_apply_step {
	enum lv_step_action action;
	enum lv_step_status status;
	int slot;			/* -1 when no keyslot is involved */
	const struct lv_config_key *key;	/* NULL for unconfigured slots */
	char detail[LV_ERR_MSG_MAX];	/* device, mapping, or the error */
};

enum lv_volume_outcome {
	LV_VOLUME_SKIPPED,		/* no encryption configured */
	LV_VOLUME_FORMATTED,
	LV_VOLUME_OPENED,
	LV_VOLUME_FAILED,
};

#define LV_APPLY_STEPS_MAX 128

struct lv_apply_volume {
	const struct lv_config_volume *config;
	char device[4096];
	enum lv_volume_outcome outcome;
	int opened_slot;
	char mapping[128];		/* "luks2-<volume ID>", "" when not mapped */
	int error_code;
	char error[LV_ERR_MSG_MAX];
	struct lv_apply_step steps[LV_APPLY_STEPS_MAX];
	unsigned step_count;
};

struct lv_apply_report {
	int dry_run;
	struct lv_apply_volume *volumes;
	size_t volume_count;
};

/* Appends a step; detail is printf-formatted (never a secret). */
void lv_apply_step(struct lv_apply_volume *vol, enum lv_step_action action,
		   enum lv_step_status status, int slot, const struct lv_config_key *key,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void lv_apply_volume_fail(struct lv_apply_volume *vol, const struct lv_err *err, int code);

/* One volume's run: the device, its keys sorted by slot, what opened it. */
struct lv_volume_run {
	const struct lv_apply_params *params;
	struct lv_apply_volume *report;
	struct lv_key_context keys;
	const struct lv_config_key *sorted_keys[32];
	size_t key_count;
	struct lv_device *dev;
	struct lv_secret *volume_key;
	int opened_slot;
};

/* Opens and syncs an already loaded (writable) device, without mapping
 * it: apply's open path over any storage, for the power-cut tests. */
int lv_apply_loaded(struct lv_device *dev, const struct lv_config_volume *config,
		    const struct lv_apply_params *params, struct lv_apply_volume *vol);

/* Derives key's passphrase from its keyslot's token and unlocks that
 * keyslot; *derive_failed tells a derivation error from an unlock error. */
int lv_slot_unlock(struct lv_volume_run *run, const struct lv_config_key *key,
		   struct lv_secret **volume_key, int *derive_failed, struct lv_err *err);
/* Whether the device has a token with this id. */
int lv_token_present(struct lv_device *dev, int token_id);

/* sync.c: §4, after the volume opened with run->opened_slot. */
void lv_sync_keys(struct lv_volume_run *run);
/* Adds a configured key at its slot (token first, then keyslot). */
int lv_sync_add_key(struct lv_volume_run *run, const struct lv_config_key *key,
		    enum lv_step_action action);
/* Derives a key, treating "the salt file would be created" as fine in
 * --dry-run.  Returns 0, or a negative errno with err set. */
int lv_plan_derive_new(struct lv_volume_run *run, const struct lv_config_key *key,
		       struct lv_secret **passphrase, char **token_json, struct lv_err *err);

/* rules.c: Talos's header rules before an open (§5). */
int lv_talos_header_check(const struct lv_device *dev, struct lv_err *err);

/* volume_device.c */
enum lv_device_content {
	LV_CONTENT_EMPTY,
	LV_CONTENT_LUKS2,
	LV_CONTENT_OTHER,		/* what is in *other_type */
};
/* What the held device (at path, for messages) holds: probed through the
 * hold, so under its lock. */
int lv_device_content(struct lv_device_hold *hold, const char *path,
		      enum lv_device_content *content, char *other_type, size_t other_type_size,
		      struct lv_err *err);

#endif
