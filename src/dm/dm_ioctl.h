/* SPDX-License-Identifier: ISC */
/*
 * dm_ioctl.h: device-mapper through /dev/mapper/control, without
 * libdevmapper (<linux/dm-ioctl.h>, v4).  One buffer builder and one reply
 * walker; every call that may carry a key sets DM_SECURE_DATA_FLAG.
 */
#ifndef LV_DM_IOCTL_H
#define LV_DM_IOCTL_H

#include <stdint.h>

#include "luksvol.h"

#define LV_DM_NAME_MAX 128
#define LV_DM_UUID_MAX 129

struct lv_dm_info {
	int exists;
	uint32_t major;
	uint32_t minor;
	int32_t open_count;
	uint32_t target_count;
	int readonly;
	int suspended;
	int live_table;
	char name[LV_DM_NAME_MAX];
	char uuid[LV_DM_UUID_MAX];
};

/* A device addressed by its DM UUID when uuid is set, else by name (which
 * names it in errors either way).  Calls that act on a mapping a check has
 * looked at use the UUID: a mapping made under the same name in between
 * has another one. */
struct lv_dm_ref {
	const char *name;
	const char *uuid;
};

/* The kernel's dm ioctl interface version. */
int lv_dm_version(uint32_t version[3], struct lv_err *err);

/* Creates, loads one target and resumes; on any failure the half-made
 * device is removed again.  params may hold a key: it is sent secure. */
int lv_dm_create_single(const char *name, const char *uuid, uint64_t length_sectors,
			const char *target_type, const char *params, int readonly,
			struct lv_dm_info *info, struct lv_err *err);

/* TABLE_LOAD of one target into the inactive slot of the device (secure). */
int lv_dm_load(const struct lv_dm_ref *ref, uint64_t length_sectors, const char *target_type,
	       const char *params, int readonly, struct lv_err *err);

/* TABLE_LOAD, then resume, which makes the new table live: the kernel
 * suspends the device (flushing it), swaps the tables and resumes it.
 * That is cryptsetup's dm_reload_device (2.6.1): no suspend of its own.
 * A table that cannot be resumed is cleared again. */
int lv_dm_reload(const struct lv_dm_ref *ref, uint64_t length_sectors, const char *target_type,
		 const char *params, int readonly, struct lv_dm_info *info, struct lv_err *err);

/* DEV_SUSPEND with DM_SUSPEND_FLAG and neither noflush nor skip-lockfs:
 * queued I/O is flushed and a mounted filesystem frozen first. */
int lv_dm_suspend(const struct lv_dm_ref *ref, struct lv_err *err);

/* DEV_SUSPEND without the suspend flag; info (may be NULL) gets the
 * state after it. */
int lv_dm_resume(const struct lv_dm_ref *ref, struct lv_dm_info *info, struct lv_err *err);

/* TABLE_CLEAR: drops an inactive table. */
int lv_dm_clear(const struct lv_dm_ref *ref, struct lv_err *err);

/* TARGET_MSG to sector 0, secure (a "key set" message carries a key). */
int lv_dm_message(const struct lv_dm_ref *ref, const char *message, struct lv_err *err);

/* DEV_REMOVE; deferred leaves it to the kernel when the last user closes.
 * -EBUSY when the device is open. */
int lv_dm_remove(const char *name, int deferred, struct lv_err *err);

/* DEV_STATUS: info->exists is 0 (and 0 returned) when name is unknown. */
int lv_dm_info(const char *name, struct lv_dm_info *info, struct lv_err *err);

/* TABLE_STATUS of the first target: its type, length and parameter line.
 * params may hold a hex key: it is returned in a secret. */
int lv_dm_table(const char *name, char target_type[16], uint64_t *length_sectors,
		struct lv_secret **params, struct lv_err *err);

/* LIST_DEVICES: calls visit for every mapping name. */
int lv_dm_list(void (*visit)(const char *name, void *ctx), void *ctx, struct lv_err *err);

#endif
