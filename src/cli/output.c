/* SPDX-License-Identifier: ISC */
/*
 * output.c: files the command writes (token export --json-file, the
 * header file of format --header).
 *
 * The text goes to a new file (mode 0600, O_EXCL) beside the target, is
 * synced, and only then renamed over it: a full disk or an interrupted run
 * leaves the target as it was, never truncated.  A symbolic link, FIFO,
 * directory or device where a file is expected is refused; the rename
 * replaces whatever a racing user puts there, never writes through it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static int write_stdout(const char *text, struct lv_err *err)
{
	if (fputs(text, stdout) == EOF || putchar('\n') == EOF || fflush(stdout) == EOF)
		return lv_err_set(err, -EIO, "standard output: cannot write: %s", strerror(errno));
	return 0;
}

static int refuse_special(const char *path, struct lv_err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : lv_err_set(err, -EINVAL, "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return lv_err_set(err, -EINVAL, "%s: is a symbolic link; refusing to write through it",
				  path);
	if (!S_ISREG(st.st_mode))
		return lv_err_set(err, -EINVAL, "%s: is not a regular file; refusing to write it", path);
	return 0;
}

static int write_all(int fd, const char *bytes, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, bytes, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		bytes += n;
		len -= (size_t)n;
	}
	return 0;
}

/* "dir/.name.XXXXXX" for path "dir/name". */
static int temp_name(const char *path, char *temp, size_t temp_size)
{
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	int n = snprintf(temp, temp_size, "%.*s.%s.XXXXXX", dir_len, path, path + dir_len);

	return n < 0 || (size_t)n >= temp_size ? -ENAMETOOLONG : 0;
}

static int write_temp(const char *temp, int fd, const char *text, struct lv_err *err)
{
	int r = write_all(fd, text, strlen(text));

	if (r == 0)
		r = write_all(fd, "\n", 1);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		lv_err_set(err, -EIO, "%s: cannot write: %s", temp, strerror(-r));
	return r < 0 ? -EIO : 0;
}

static int write_file(const char *path, const char *text, struct lv_err *err)
{
	char temp[PATH_MAX];
	int fd, r;

	if ((r = refuse_special(path, err)) < 0)
		return r;
	if (temp_name(path, temp, sizeof(temp)) < 0)
		return lv_err_set(err, -EINVAL, "%s: the name is too long", path);
	/* mkostemp: O_CREAT | O_EXCL, mode 0600. */
	fd = mkostemp(temp, O_CLOEXEC);
	if (fd < 0)
		return lv_err_set(err, -EINVAL, "%s: cannot create: %s", temp, strerror(errno));
	r = write_temp(temp, fd, text, err);
	if (r == 0 && rename(temp, path) < 0)
		r = lv_err_set(err, -EINVAL, "%s: cannot replace: %s", path, strerror(errno));
	if (r < 0)
		unlink(temp);
	return r;
}

int cli_write_output(const char *path, const char *text, struct lv_err *err)
{
	if (!path || strcmp(path, "-") == 0)
		return write_stdout(text, err);
	return write_file(path, text, err);
}

/* cryptsetup refuses an existing header file smaller than a sector. */
#define HEADER_FILE_MIN_BYTES 512

/* A symbolic link at the header path is followed only when it is the
 * caller's or root's (/dev/disk/by-* names a header partition): one that
 * another user planted in a shared directory could aim the format at any
 * file root can write. */
static int open_through_link(const char *header, struct lv_err *err)
{
	struct stat link, target, opened;
	int fd;

	if (lstat(header, &link) < 0)
		return lv_err_set(err, -EINVAL, "%s: %s", header, strerror(errno));
	if (!S_ISLNK(link.st_mode))
		return lv_err_set(err, -EINVAL, "%s: changed while being opened", header);
	if (link.st_uid != 0 && link.st_uid != geteuid())
		return lv_err_set(err, -ELOOP, "%s: a symbolic link owned by another user (uid %u): "
				  "refusing to follow it", header, (unsigned)link.st_uid);
	if (stat(header, &target) < 0)
		return lv_err_set(err, -EINVAL, "%s: cannot create the header file: the symbolic "
				  "link points to nothing", header);
	fd = open(header, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return lv_err_set(err, errno == EISDIR ? -ENOTBLK : -EINVAL, "%s: cannot open: %s",
				  header, strerror(errno));
	/* The name may have been swapped between the checks and the open. */
	if (fstat(fd, &opened) < 0 || opened.st_dev != target.st_dev ||
	    opened.st_ino != target.st_ino || lstat(header, &link) < 0 || !S_ISLNK(link.st_mode) ||
	    (link.st_uid != 0 && link.st_uid != geteuid())) {
		close(fd);
		return lv_err_set(err, -ELOOP, "%s: changed while being opened", header);
	}
	return fd;
}

/* An existing header: a regular file of at least a sector, or a block
 * device; never waits on a FIFO. */
static int open_existing(const char *header, struct lv_err *err)
{
	struct stat sb;
	int fd = open(header, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 && errno == ELOOP)
		fd = open_through_link(header, err);
	else if (fd < 0)
		return lv_err_set(err, errno == EISDIR ? -ENOTBLK : -EINVAL, "%s: cannot open: %s",
				  header, strerror(errno));
	if (fd < 0)
		return fd;
	if (fstat(fd, &sb) < 0 || (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode))) {
		close(fd);
		return lv_err_set(err, -ENOTBLK, "%s: not a block device or a regular file", header);
	}
	if (S_ISREG(sb.st_mode) && sb.st_size < HEADER_FILE_MIN_BYTES) {
		close(fd);
		return lv_err_set(err, -ENOSPC, "%s: an existing header file of %lld bytes is too "
				  "small (at least %d; a missing one is made)", header,
				  (long long)sb.st_size, HEADER_FILE_MIN_BYTES);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		close(fd);
		return lv_err_set(err, -EIO, "%s: %s", header, strerror(errno));
	}
	return fd;
}

int cli_header_file_open(const char *header, const char *data_device, struct cli_header_file *h,
			 struct lv_err *err)
{
	struct stat sb;

	h->fd = -1;
	h->name = header;
	h->created = 0;
	if (stat(data_device, &sb) < 0)
		return lv_err_set(err, -ENODEV, "%s: %s", data_device, strerror(errno));
	h->fd = open(header, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (h->fd >= 0) {
		h->created = 1;
		return 0;
	}
	if (errno != EEXIST)
		return lv_err_set(err, -EINVAL, "%s: cannot create the header file: %s", header,
				  strerror(errno));
	h->fd = open_existing(header, err);
	return h->fd < 0 ? h->fd : 0;
}

int cli_header_file_format(const struct cli_header_file *h, const struct lv_format_params *params,
			   const struct lv_secret *passphrase, struct lv_err *err)
{
	return lv_format_fd(h->fd, h->name, params, passphrase, NULL, err);
}

void cli_header_file_close(struct cli_header_file *h, int failed)
{
	struct stat made, named;

	if (h->fd < 0)
		return;
	/* Only a file made here goes, and only if the name still is it. */
	if (failed && h->created && fstat(h->fd, &made) == 0 && lstat(h->name, &named) == 0 &&
	    made.st_dev == named.st_dev && made.st_ino == named.st_ino)
		unlink(h->name);
	close(h->fd);
	h->fd = -1;
}
