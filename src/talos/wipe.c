/* SPDX-License-Identifier: ISC */
/*
 * wipe.c: `luksvol wipe`, what `talosctl reset --system-labels-to-wipe`
 * does to an encrypted volume: the LUKS header copies and every keyslot
 * are zeroed (without them the data is unreadable), then libblkid erases
 * every other signature, so the next apply finds the device empty.
 */
#include "lv_features.h"
#if LV_WITH_BLKID
#include <blkid.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luksvol-talos.h"
#include "talos/device_edges.h"

/* A LUKS2 header whose metadata can't be read: cryptsetup's default
 * header area (16 MiB: both copies and the keyslots). */
#define LUKS2_DEFAULT_HEADER_BYTES (16u << 20)
#define LUKS1_PAYLOAD_OFFSET_FIELD 104	/* big-endian sectors, LUKS1 spec */

static int open_exclusive(const char *path, int *fd, struct lv_err *err)
{
	struct stat st;

	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return lv_err_set(err, errno == ENOENT ? -ENODEV : -errno, "%s: cannot open: %s", path,
				  strerror(errno));
	if (fstat(*fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		/* O_EXCL on a block device fails while a mapping or mount holds it. */
		int excl = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
		if (excl < 0) {
			close(*fd);
			return lv_err_set(err, -EBUSY, "%s: in use (mapped or mounted): close it first", path);
		}
		close(*fd);
		*fd = excl;
	}
	return 0;
}

static uint64_t device_bytes(int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);

	return end > 0 ? (uint64_t)end : 0;
}

static uint64_t luks1_header_bytes(int fd)
{
	uint8_t field[4];

	if (pread(fd, field, sizeof(field), LUKS1_PAYLOAD_OFFSET_FIELD) != (ssize_t)sizeof(field))
		return 0;
	return 512ull * ((uint64_t)field[0] << 24 | (uint64_t)field[1] << 16 |
			 (uint64_t)field[2] << 8 | field[3]);
}

/*
 * What keeps the metadata lock while the device is wiped: the hold, or
 * the device loaded through it (a load takes the hold over).  wipe is a
 * writer like any other: it waits for the lock cryptsetup and luksvol
 * take, so it never zeroes a header another writer is rewriting.
 */
struct wipe_lock {
	struct lv_device_hold *hold;
	struct lv_device *dev;
};

static void wipe_unlock(struct wipe_lock *lock)
{
	lv_device_free(&lock->dev);
	lv_device_hold_release(&lock->hold);
}

/* The LUKS2 header's bytes from 0 (both copies and every keyslot), read
 * through the hold.  A header that does not load is measured at
 * cryptsetup's default; its failed load let the hold go, so the lock is
 * taken again before anything is written. */
static int measure_luks2(const char *path, struct wipe_lock *lock, uint64_t *bytes,
			 struct lv_err *err)
{
	struct lv_header_info header;

	*bytes = LUKS2_DEFAULT_HEADER_BYTES;
	if (lv_device_load_held(&lock->hold, 0, &lock->dev, NULL) < 0)
		return lv_device_hold(path, 1, &lock->hold, err);
	lv_header_info(lock->dev, &header);
	if (header.data_offset_bytes > 0)
		*bytes = header.data_offset_bytes;
	return 0;
}

/* Takes the metadata lock (waiting for it, as every writer does), then
 * reads what is to be zeroed: *header_bytes 0 when the device is no LUKS. */
static int lock_and_measure(const char *path, struct wipe_lock *lock, uint64_t *header_bytes,
			    struct lv_err *err)
{
	enum lv_luks_version version;
	int r = lv_device_hold(path, 1, &lock->hold, err);

	*header_bytes = 0;
	if (r == 0 && lv_device_hold_probe(lock->hold, &version) < 0)
		r = lv_err_set(err, -EIO, "%s: cannot read its header", path);
	if (r < 0)
		return r;
	if (version == LV_LUKS1) {
		*header_bytes = luks1_header_bytes(lv_device_hold_fd(lock->hold));
		if (*header_bytes == 0)
			*header_bytes = 2u << 20;
	} else if (version == LV_LUKS2) {
		r = measure_luks2(path, lock, header_bytes, err);
	}
	return r;
}

static int zero_range(int fd, uint64_t length)
{
	/* Not const: in .bss rather than .rodata, the 64 KiB cost no file
	 * space in the static binary. */
	static uint8_t zeros[1 << 16];
	uint64_t done = 0;

	while (done < length) {
		size_t chunk = length - done < sizeof(zeros) ? (size_t)(length - done) : sizeof(zeros);
		ssize_t n = pwrite(fd, zeros, chunk, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (uint64_t)n;
	}
	return fsync(fd) < 0 ? -errno : 0;
}

#if LV_WITH_BLKID
static int wipe_signatures(int fd)
{
	blkid_probe probe = blkid_new_probe();
	int r = -ENOMEM;

	if (!probe)
		return r;
	r = blkid_probe_set_device(probe, fd, 0, 0) == 0 ? 0 : -EIO;
	if (r == 0) {
		blkid_probe_enable_superblocks(probe, 1);
		blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
		blkid_probe_enable_partitions(probe, 1);
		blkid_probe_set_partitions_flags(probe, BLKID_PARTS_MAGIC);
		while (r == 0 && blkid_do_probe(probe) == 0)
			r = blkid_do_wipe(probe, 0) == 0 ? 0 : -EIO;
	}
	blkid_free_probe(probe);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}
#else
/* Without libblkid: zero the edges, where every signature lies
 * (device_edges.h). */
static int wipe_signatures(int fd)
{
	return lv_device_zero_edges(fd);
}
#endif

int lv_wipe_device(const char *path, struct lv_err *err)
{
	struct wipe_lock lock = { 0 };
	uint64_t size, header_bytes;
	int fd = -1, r = lock_and_measure(path, &lock, &header_bytes, err);

	if (r == 0)
		r = open_exclusive(path, &fd, err);
	if (r < 0) {
		wipe_unlock(&lock);
		return r;
	}
	size = device_bytes(fd);
	if (header_bytes)
		r = zero_range(fd, header_bytes < size ? header_bytes : size);
	if (r == 0)
		r = wipe_signatures(fd);
	close(fd);
	wipe_unlock(&lock);
	if (r < 0)
		return lv_err_set(err, r, "%s: wipe failed: %s", path, strerror(-r));
	return 0;
}
