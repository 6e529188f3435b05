/* SPDX-License-Identifier: ISC */
/* lock.c: flock-based metadata locking, compatible with cryptsetup. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "luks2/lock.h"

static int open_block_lock_file(dev_t rdev, int *fd)
{
	char path[64];

	if (mkdir(LV_LOCK_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), LV_LOCK_DIR "/L_%u:%u", major(rdev), minor(rdev));
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	return *fd < 0 ? -errno : 0;
}

static int flock_retry(int fd, int operation)
{
	while (flock(fd, operation) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int lv_lock_acquire(struct lv_lock *lock, struct lv_storage *st, int exclusive, int wait,
		    struct lv_err *err)
{
	struct stat sb;
	int r;

	lock->fd = -1;
	lock->owns_fd = 0;
	if (st->fd < 0)
		return 0;	/* memory storage: nothing to share */
	if (fstat(st->fd, &sb) < 0)
		return lv_err_set(err, -errno, "%s: cannot stat: %s", st->name, strerror(errno));
	if (S_ISBLK(sb.st_mode)) {
		r = open_block_lock_file(sb.st_rdev, &lock->fd);
		if (r < 0 && !exclusive)
			return 0;
		if (r < 0)
			return lv_err_set(err, r, "%s: cannot create the lock file in " LV_LOCK_DIR
					  ": %s", st->name, strerror(-r));
		lock->owns_fd = 1;
	} else {
		lock->fd = st->fd;
	}
	r = flock_retry(lock->fd, (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB));
	if (r == -EWOULDBLOCK) {
		lv_lock_release(lock);
		return lv_err_set(err, -EBUSY, "%s: the metadata is locked by another process", st->name);
	}
	if (r < 0) {
		lv_lock_release(lock);
		/* Busy, as cryptsetup's "Failed to acquire read lock" (exit 5):
		 * the device may be fine, it just cannot be used safely now. */
		return lv_err_set(err, -EBUSY, "%s: cannot lock the metadata: %s", st->name,
				  strerror(-r));
	}
	return 0;
}

void lv_lock_release(struct lv_lock *lock)
{
	if (lock->fd < 0)
		return;
	flock(lock->fd, LOCK_UN);
	if (lock->owns_fd)
		close(lock->fd);
	lock->fd = -1;
	lock->owns_fd = 0;
}
