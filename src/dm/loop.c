/* SPDX-License-Identifier: ISC */
/* loop.c: LOOP_CTL_GET_FREE + LOOP_CONFIGURE (LOOP_SET_FD before 5.8). */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dm/loop.h"

#define LOOP_ATTACH_TRIES 8

static void describe(struct loop_info64 *info, const char *path, int readonly)
{
	memset(info, 0, sizeof(*info));
	info->lo_flags = LO_FLAGS_AUTOCLEAR | (readonly ? LO_FLAGS_READ_ONLY : 0);
	snprintf((char *)info->lo_file_name, sizeof(info->lo_file_name), "%s", path);
}

static int configure(int loop_fd, int backing_fd, const char *path, int readonly)
{
	struct loop_config config;

	memset(&config, 0, sizeof(config));
	config.fd = (uint32_t)backing_fd;
	describe(&config.info, path, readonly);
	if (ioctl(loop_fd, LOOP_CONFIGURE, &config) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -errno;
	/* Kernels before 5.8: set the fd, then the status. */
	if (ioctl(loop_fd, LOOP_SET_FD, backing_fd) < 0)
		return -errno;
	if (ioctl(loop_fd, LOOP_SET_STATUS64, &config.info) < 0) {
		int r = -errno;
		ioctl(loop_fd, LOOP_CLR_FD, 0);
		return r;
	}
	return 0;
}

/* One attempt: a free loop device may be taken by someone else between
 * GET_FREE and CONFIGURE (-EBUSY), which the caller retries. */
static int attach_once(int control_fd, int backing_fd, const char *path, int readonly,
		       int *loop_fd)
{
	char loop_path[32];
	int number = ioctl(control_fd, LOOP_CTL_GET_FREE);
	int r;

	if (number < 0)
		return -errno;
	snprintf(loop_path, sizeof(loop_path), "/dev/loop%d", number);
	*loop_fd = open(loop_path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (*loop_fd < 0)
		return -errno;
	r = configure(*loop_fd, backing_fd, path, readonly);
	if (r < 0) {
		close(*loop_fd);
		*loop_fd = -1;
	}
	return r;
}

int lv_loop_attach(const char *path, int readonly, dev_t *loop_dev, int *loop_fd,
		   struct lv_err *err)
{
	int backing_fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	int control_fd, r = -EBUSY;
	struct stat sb;

	*loop_fd = -1;
	if (backing_fd < 0)
		return lv_err_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	control_fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (control_fd < 0) {
		r = -errno;
		close(backing_fd);
		return lv_err_set(err, r == -ENOENT ? -ENODEV : r,
				  "/dev/loop-control: cannot open (is the loop module loaded?): %s",
				  strerror(-r));
	}
	for (int i = 0; i < LOOP_ATTACH_TRIES && r == -EBUSY; i++)
		r = attach_once(control_fd, backing_fd, path, readonly, loop_fd);
	close(control_fd);
	close(backing_fd);
	if (r < 0)
		return lv_err_set(err, r, "%s: cannot attach a loop device: %s", path, strerror(-r));
	if (fstat(*loop_fd, &sb) < 0) {
		close(*loop_fd);
		*loop_fd = -1;
		return lv_err_set(err, -EIO, "%s: cannot stat its loop device", path);
	}
	*loop_dev = sb.st_rdev;
	return 0;
}

int lv_loop_open(const char *path, int readonly, char *loop_path, size_t loop_path_size,
		 int *loop_fd, struct lv_err *err)
{
	char link[64], target[PATH_MAX];
	const char *name;
	dev_t dev;
	ssize_t n;
	int r = lv_loop_attach(path, readonly, &dev, loop_fd, err);

	if (r < 0)
		return r;
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		name = strrchr(target, '/');
		name = name ? name + 1 : target;
		if ((size_t)snprintf(loop_path, loop_path_size, "/dev/%s", name) < loop_path_size)
			return 0;
	}
	close(*loop_fd);
	*loop_fd = -1;
	return lv_err_set(err, -ENODEV, "%s: its loop device %u:%u is not in /sys/dev/block", path,
			  major(dev), minor(dev));
}

int lv_loop_set_capacity(int loop_fd)
{
	return ioctl(loop_fd, LOOP_SET_CAPACITY, 0) < 0 ? -errno : 0;
}
