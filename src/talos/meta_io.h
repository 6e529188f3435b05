/* SPDX-License-Identifier: ISC */
/*
 * meta_io.h: what apply reads from the META partition and writes to it
 * (talos-encryption.md §6): the node UUID's override (tag 15), STATE's
 * encryption config (tag 9), read as Talos reads them at boot, and tag 9
 * written back as Talos's VolumeConfig controller does.
 */
#ifndef LV_TALOS_META_IO_H
#define LV_TALOS_META_IO_H

#include "config/config.h"
#include "keys/keys.h"
#include "luksvol-talos.h"
#include "talos/report.h"

struct lv_meta_inputs {
	/* Tag 15 (UUIDOverride), when META has a non-empty one. */
	char node_uuid[LV_NODE_UUID_MAX + 1];
	int has_node_uuid;
	/* Set when a META was there but could not be read: whether tag 15
	 * replaces the SMBIOS UUID is then unknown (the reason). */
	struct lv_err node_uuid_unknown;	/* msg "" when known */
	/* Tag 9 decoded, when asked for: a config holding STATE alone
	 * (without encryption for "null"); NULL when META has no tag 9,
	 * which Talos reads as an unencrypted STATE. */
	struct lv_config_file *state_cfg;
	/* Tag 9 was asked for but could not be had (META unreadable, tag 9
	 * not a STATE config): why, with its code. */
	struct lv_err state_error;		/* code 0 when none */
};

/*
 * Reads the META at given (NULL: the partition named META, if there is
 * one; none is no error) into *in, with its steps in *report (its config
 * set when a META was used).  With want_state, tag 9 too.  Never writes.
 */
void lv_meta_inputs_read(const char *given, int want_state, struct lv_apply_volume *report,
			 struct lv_meta_inputs *in);
void lv_meta_inputs_release(struct lv_meta_inputs *in);

/* Key settings with META's node UUID: the caller's node_uuid when set,
 * else tag 15, else (META unreadable) unknown, else the caller's. */
struct lv_key_settings lv_meta_key_settings(const struct lv_key_settings *given,
					    const struct lv_meta_inputs *in);

/*
 * Stores STATE's encryption config (an encrypted STATE document of the
 * machine config) in tag 9 of the META report names, in Talos's Go JSON,
 * when tag 9 does not hold those very bytes already; planned only with
 * dry_run or no_sync.  A META neither of whose copies is valid is written
 * over only with force_meta.  Outcomes are steps of report.
 */
void lv_meta_store_state(const struct lv_config_volume *state, const struct lv_apply_params *params,
			 struct lv_apply_volume *report);

/* Whether cfg has a volume with this ID. */
int lv_config_has_volume(const struct lv_config_file *cfg, const char *volume_id);

#endif
