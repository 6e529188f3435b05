/* SPDX-License-Identifier: ISC */
/*
 * hold.c: a device held for "probe, then format or open": its storage and
 * its metadata lock are taken before anything is read, and handed over to
 * the device that format or load makes of them, so that no other luksvol
 * or cryptsetup writer can format or change it between the decision and
 * the write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/device.h"

int lv_device_hold(const char *path, int writable, struct lv_device_hold **hold,
		   struct lv_err *err)
{
	struct lv_storage *st;
	int r = lv_storage_open_path(&st, path, writable);

	*hold = NULL;
	if (r < 0)
		return lv_err_set(err, r == -ENOENT ? -ENODEV : r, "%s: cannot open: %s", path,
				  lv_storage_strerror(r));
	*hold = calloc(1, sizeof(**hold));
	if (!*hold) {
		lv_storage_close(&st);
		return lv_err_set(err, -ENOMEM, "out of memory");
	}
	(*hold)->storage = st;
	r = lv_lock_acquire(&(*hold)->lock, st, writable, 1, err);
	if (r < 0)
		lv_device_hold_release(hold);
	return r;
}

int lv_device_hold_fd(const struct lv_device_hold *hold)
{
	return hold->storage->fd;
}

int lv_device_hold_probe(struct lv_device_hold *hold, enum lv_luks_version *version)
{
	return lv_probe_storage(hold->storage, version);
}

void lv_device_hold_release(struct lv_device_hold **hold)
{
	if (!hold || !*hold)
		return;
	lv_lock_release(&(*hold)->lock);
	lv_storage_close(&(*hold)->storage);
	free(*hold);
	*hold = NULL;
}
