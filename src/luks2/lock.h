/* SPDX-License-Identifier: ISC */
/*
 * lock.h: the metadata lock luksvol shares with cryptsetup
 * (cryptsetup docs/LUKS2-locking.txt): flock on the image file itself, or
 * on /run/cryptsetup/L_<major>:<minor> for a block device, so that the two
 * tools never update one header at the same time.
 */
#ifndef LV_LOCK_H
#define LV_LOCK_H

#include "luksvol.h"
#include "luks2/storage.h"

#define LV_LOCK_DIR "/run/cryptsetup"

struct lv_lock {
	int fd;		/* the flocked descriptor; -1 when not locked */
	int owns_fd;	/* a lock file we opened, not the storage's fd */
};

/* exclusive: LOCK_EX for writers, LOCK_SH for readers.  A reader that
 * cannot create the lock file proceeds unlocked; a writer fails.  Without
 * wait, a lock another process holds is -EBUSY at once; any failing flock
 * is -EBUSY. */
int lv_lock_acquire(struct lv_lock *lock, struct lv_storage *st, int exclusive, int wait,
		    struct lv_err *err);
void lv_lock_release(struct lv_lock *lock);

#endif
