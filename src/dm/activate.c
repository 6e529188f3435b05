/* SPDX-License-Identifier: ISC */
/*
 * activate.c: open, close and status of dm-crypt mappings of LUKS2
 * devices, as cryptsetup makes them: the same table line, the key in the
 * kernel keyring, DM UUID CRYPT-LUKS2-<uuid without dashes>-<name>.
 *
 * udev: when udev runs (/run/udev/control exists) it creates
 * /dev/mapper/<name>, and luksvol waits for the node with a timeout.
 * Without udev (initramfs, embedded), luksvol makes and removes the node.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "dm/crypt_table.h"
#include "dm/dm_ioctl.h"
#include "dm/keyring.h"
#include "dm/loop.h"
#include "dm/mapping.h"

#define MAPPER_DIR "/dev/mapper"
#define UDEV_CONTROL "/run/udev/control"
#define UDEV_DEFAULT_TIMEOUT_MS 10000

struct backing {
	dev_t dev;
	int loop_fd;		/* held until dm has opened the loop device */
	uint64_t size_bytes;
};

static int udev_running(void)
{
	return access(UDEV_CONTROL, F_OK) == 0;
}

/* A block device is used as is; an image file gets a loop device. */
static int resolve_backing(const char *path, int readonly, struct backing *b,
			   struct lv_err *err)
{
	struct stat sb;
	int fd, r = 0;

	b->loop_fd = -1;
	if (stat(path, &sb) < 0)
		return lv_err_set(err, -ENODEV, "%s: %s", path, strerror(errno));
	if (S_ISREG(sb.st_mode)) {
		r = lv_loop_attach(path, readonly, &b->dev, &b->loop_fd, err);
		fd = b->loop_fd;
	} else if (S_ISBLK(sb.st_mode)) {
		b->dev = sb.st_rdev;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return lv_err_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	} else {
		return lv_err_set(err, -ENOTBLK, "%s: not a block device or a file", path);
	}
	if (r < 0)
		return r;
	if (ioctl(fd, BLKGETSIZE64, &b->size_bytes) < 0)
		r = lv_err_set(err, -EIO, "%s: cannot get the size: %s", path, strerror(errno));
	if (fd != b->loop_fd)
		close(fd);
	return r;
}

static int make_node(const char *name, const struct lv_dm_info *info, struct lv_err *err)
{
	char path[PATH_MAX];

	if (mkdir(MAPPER_DIR, 0755) < 0 && errno != EEXIST)
		return lv_err_set(err, -errno, MAPPER_DIR ": cannot create: %s", strerror(errno));
	snprintf(path, sizeof(path), MAPPER_DIR "/%s", name);
	unlink(path);
	if (mknod(path, S_IFBLK | 0600, makedev(info->major, info->minor)) < 0)
		return lv_err_set(err, -errno, "%s: cannot create the node: %s", path,
				  strerror(errno));
	return 0;
}

static int wait_for_node(const char *name, unsigned timeout_ms, struct lv_err *err)
{
	char path[PATH_MAX];
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	snprintf(path, sizeof(path), MAPPER_DIR "/%s", name);
	for (unsigned waited = 0; waited <= timeout_ms; waited += 20) {
		if (access(path, F_OK) == 0)
			return 0;
		nanosleep(&pause, NULL);
	}
	/* Not -ETIMEDOUT: that is a key server's silence (exit 2); a missing
	 * node is the system's failure, exit 1 as before. */
	return lv_err_set(err, -EIO, "%s: udev did not create the node within %u ms",
			  path, timeout_ms);
}

static int publish_node(const char *name, const struct lv_dm_info *info, unsigned timeout_ms,
			struct lv_err *err)
{
	if (udev_running())
		return wait_for_node(name, timeout_ms ? timeout_ms : UDEV_DEFAULT_TIMEOUT_MS, err);
	return make_node(name, info, err);
}

/* Builds the table and creates the mapping; the key never outlives it. */
static int create_mapping(const struct lv_activate_params *p, const struct lv_dm_volume *vol,
			  const struct lv_secret *key, const struct backing *b,
			  uint64_t length_sectors, struct lv_dm_info *info, struct lv_err *err)
{
	char uuid[LV_DM_UUID_MAX];
	struct lv_secret *params = NULL;
	int32_t serial;
	int r = lv_dm_crypt_params(vol, key, b->dev, p->flags, p->disable_keyring, &params, &serial);

	if (r < 0)
		return lv_err_set(err, r, "%s: cannot build the table", p->name);
	lv_dm_crypt_uuid(vol->hdr.uuid, p->name, uuid);
	r = lv_dm_create_single(p->name, uuid, length_sectors, "crypt", (char *)params->bytes,
				p->readonly, info, err);
	lv_secret_free(&params);
	lv_keyring_drop(serial);
	return r;
}

int lv_activate(struct lv_device *dev, const struct lv_secret *volume_key,
		const struct lv_activate_params *p, struct lv_err *err)
{
	const char *data_path = p->data_device ? p->data_device : lv_device_path(dev);
	struct lv_dm_volume vol;
	struct lv_dm_info info;
	struct backing b = { .loop_fd = -1 };
	uint64_t length_sectors = 0;
	int r;

	if ((r = lv_dm_check_name(p->name, err)) < 0 || (r = lv_dm_volume_read(dev, &vol, err)) < 0 ||
	    (r = lv_dm_check_segment(dev, &vol, err)) < 0 || (r = lv_dm_info(p->name, &info, err)) < 0)
		return r;
	if (info.exists)
		return lv_err_set(err, -EEXIST, "%s: a mapping with this name already exists", p->name);
	r = resolve_backing(data_path, p->readonly, &b, err);
	if (r == 0)
		r = lv_dm_data_length(&vol, b.size_bytes, data_path, &length_sectors, err);
	if (r == 0)
		r = create_mapping(p, &vol, volume_key, &b, length_sectors, &info, err);
	if (b.loop_fd >= 0)
		close(b.loop_fd);
	if (r == 0 && (r = publish_node(p->name, &info, p->udev_timeout_ms, err)) < 0) {
		struct lv_err ignored;
		lv_dm_remove(p->name, 0, &ignored);
	}
	return r;
}

int lv_deactivate(const char *name, int deferred, struct lv_err *err)
{
	struct lv_dm_info info;
	char path[PATH_MAX];
	int r;

	if ((r = lv_dm_check_name(name, err)) < 0 || (r = lv_dm_info(name, &info, err)) < 0)
		return r;
	if (!info.exists)
		return lv_err_set(err, -ENODEV, "%s: no such mapping", name);
	if (!deferred && info.open_count > 0)
		return lv_err_set(err, -EBUSY, "%s: device is still in use", name);
	r = lv_dm_remove(name, deferred, err);
	if (r == 0 && !deferred && !udev_running()) {
		snprintf(path, sizeof(path), MAPPER_DIR "/%s", name);
		unlink(path);
	}
	return r;
}

int lv_mapping_status(const char *name, struct lv_mapping_status *st, struct lv_err *err)
{
	struct lv_live_crypt live;
	int r = lv_live_crypt_read(name, &live, err);

	if (r < 0) {
		memset(st, 0, sizeof(*st));
		return r;
	}
	*st = live.status;
	lv_live_crypt_free(&live);
	if (strncmp(st->dm_uuid, "CRYPT-", 6) == 0) {
		/* The type is what precedes the next '-' ("LUKS2"); no sscanf,
		 * which would pull every float parser into a static binary. */
		size_t type_len = strcspn(st->dm_uuid + 6, "-");

		if (type_len >= sizeof(st->type))
			type_len = sizeof(st->type) - 1;
		memcpy(st->type, st->dm_uuid + 6, type_len);
		st->type[type_len] = '\0';
	}
	lv_dm_describe_device(st);
	return 0;
}

int lv_mapping_list(void (*visit)(const char *name, void *ctx), void *ctx, struct lv_err *err)
{
	return lv_dm_list(visit, ctx, err);
}
