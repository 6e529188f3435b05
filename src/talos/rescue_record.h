/* SPDX-License-Identifier: ISC */
/* rescue_record.h: the record of what `talos open` made, in
 * LV_TALOS_RUN_DIR, which talos close undoes. */
#ifndef LV_TALOS_RESCUE_RECORD_H
#define LV_TALOS_RESCUE_RECORD_H

#include "talos/rescue_disk.h"

/* LV_TALOS_RUN_DIR, created when asked: a directory of this user that no
 * one else may write, whose entries therefore no one else can swap. */
int rescue_open_run_dir(int create, int *dir_fd, struct lv_err *err);

/* The record's existence is the claim: one Talos disk open at a time.
 * -EBUSY when another is open; rescue_unclaim gives it up. */
int rescue_claim(int dir_fd, struct lv_err *err);
void rescue_unclaim(int dir_fd);

/* What talos close undoes, in its order: the mount, then the mappings
 * made last first.  Replaced whole (written beside it, renamed over). */
int rescue_record_write(const struct lv_talos_disk *d, int dir_fd);
/* The same, in LV_TALOS_RUN_DIR opened again; best effort. */
void rescue_record_final(const struct lv_talos_disk *d);

#endif
