/* SPDX-License-Identifier: ISC */
/*
 * report.h: what `luksvol apply` did (or would do) to each volume: one
 * step per action, the volume's outcome, the whole run's report.
 */
#ifndef LV_TALOS_REPORT_H
#define LV_TALOS_REPORT_H

#include "config/config.h"
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
	LV_STEP_READ_META,	/* what was taken from META */
	LV_STEP_WRITE_META,	/* STATE's config stored in META */
	LV_STEP_WARN,		/* a warning: about a keyslot (what its key source said,
				 * keysrc.h), the volume or META */
	LV_STEP_ACTION_COUNT,
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
	int mapping_created;		/* this run made it (it was not already active) */
	int error_code;
	char error[LV_ERR_MSG_MAX];
	struct lv_apply_step steps[LV_APPLY_STEPS_MAX];
	unsigned step_count;
};

struct lv_apply_report {
	int dry_run;
	struct lv_apply_volume *volumes;
	size_t volume_count;
	/* META's part (src/talos/meta_io.c): its device and steps, config
	 * NULL when no META was used.  Its failures are reported, as key
	 * sync failures are; a volume that needed META fails itself. */
	struct lv_apply_volume meta;
	struct lv_config_file *meta_config;	/* STATE's config from tag 9 */
};

/* Appends a step; detail is printf-formatted (never a secret). */
void lv_apply_step(struct lv_apply_volume *vol, enum lv_step_action action,
		   enum lv_step_status status, int slot, const struct lv_config_key *key,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void lv_apply_volume_fail(struct lv_apply_volume *vol, const struct lv_err *err, int code);

#endif
