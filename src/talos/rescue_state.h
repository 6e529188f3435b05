/* SPDX-License-Identifier: ISC */
/* rescue_state.h: META read, STATE opened and mounted read-only, and the
 * machine config read from it. */
#ifndef LV_TALOS_RESCUE_STATE_H
#define LV_TALOS_RESCUE_STATE_H

#include "talos/meta_io.h"
#include "talos/rescue_disk.h"

/* META (--meta, or the partition named META) read: STATE's config from
 * tag 9 taken into d, the other inputs left in *in. */
int rescue_read_meta(struct lv_talos_disk *d, const struct lv_talos_open_params *params,
		     struct lv_meta_inputs *in, struct lv_err *err);

/* STATE opened and mapped read-only with tag 9's config; an unencrypted
 * STATE (no tag 9, or "null") is mounted through a read-only loop device
 * over its partition, so that XFS sees a read-only device either way. */
int rescue_open_state(struct lv_talos_disk *d, const struct lv_key_settings *keys,
		      struct lv_err *err);
/* STATE's opening, or NULL when it is not encrypted. */
const struct lv_apply_volume *rescue_state_volume(const struct lv_talos_disk *d);

/* STATE mounted read-only at LV_TALOS_STATE_MOUNT (MOUNT_NAME in dir_fd). */
int rescue_mount_state(struct lv_talos_disk *d, int dir_fd, struct lv_err *err);

/* config.yaml: a regular file on STATE, never followed through a link
 * (the disk may come from anyone); d->machine, else d->config_error. */
void rescue_read_machine_config(struct lv_talos_disk *d);

#endif
