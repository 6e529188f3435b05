/* SPDX-License-Identifier: ISC */
/* storage.c: file, block device and memory backends of lv_storage. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luks2/storage.h"

struct mem_priv {
	uint8_t *buf;
	size_t len;
};

static int fd_read(struct lv_storage *st, uint64_t offset, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(st->fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EIO;
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int fd_write(struct lv_storage *st, uint64_t offset, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(st->fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ENOSPC ? -ENOSPC : -EIO;
		if (n == 0)
			return -ENOSPC;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int fd_sync(struct lv_storage *st)
{
	return fsync(st->fd) == 0 ? 0 : -EIO;
}

static int fd_size(struct lv_storage *st, uint64_t *size_bytes)
{
	struct stat sb;

	if (fstat(st->fd, &sb) < 0)
		return -EIO;
	if (S_ISBLK(sb.st_mode))
		return ioctl(st->fd, BLKGETSIZE64, size_bytes) == 0 ? 0 : -EIO;
	if (!S_ISREG(sb.st_mode))
		return -ENOTBLK;
	*size_bytes = (uint64_t)sb.st_size;
	return 0;
}

static void fd_close(struct lv_storage *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

static const struct lv_storage_ops fd_ops = {
	.read = fd_read,
	.write = fd_write,
	.sync = fd_sync,
	.size = fd_size,
	.close = fd_close,
};

static int mem_read(struct lv_storage *st, uint64_t offset, void *buf, size_t len)
{
	struct mem_priv *mem = st->priv;

	if (offset > mem->len || len > mem->len - offset)
		return -ENODATA;
	memcpy(buf, mem->buf + offset, len);
	return 0;
}

static int mem_write(struct lv_storage *st, uint64_t offset, const void *buf, size_t len)
{
	struct mem_priv *mem = st->priv;

	if (offset > mem->len || len > mem->len - offset)
		return -ENOSPC;
	memcpy(mem->buf + offset, buf, len);
	return 0;
}

static int mem_sync(struct lv_storage *st)
{
	(void)st;
	return 0;
}

static int mem_size(struct lv_storage *st, uint64_t *size_bytes)
{
	*size_bytes = ((struct mem_priv *)st->priv)->len;
	return 0;
}

static void mem_close(struct lv_storage *st)
{
	free(st->priv);
	st->priv = NULL;
}

static const struct lv_storage_ops mem_ops = {
	.read = mem_read,
	.write = mem_write,
	.sync = mem_sync,
	.size = mem_size,
	.close = mem_close,
};

static struct lv_storage *storage_alloc(const struct lv_storage_ops *ops, void *priv,
					const char *name, int writable)
{
	struct lv_storage *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->ops = ops;
	st->priv = priv;
	st->fd = -1;
	st->writable = writable;
	/* Cut to fit, for messages; st->name is zeroed, so ends with a NUL. */
	memcpy(st->name, name, strnlen(name, sizeof(st->name) - 1));
	return st;
}

/* Only a regular file or a block device holds a LUKS device: a
 * directory, a FIFO or a character device (/dev/null, /dev/zero) is the
 * wrong device (cryptsetup: "not compatible", exit 4).  O_NONBLOCK keeps
 * the open of a FIFO from waiting for a writer; it is cleared again. */
static int open_device_fd(const char *path, int writable)
{
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
	struct stat sb;
	int flags;

	if (fd < 0)
		return errno == EISDIR ? -ENOTBLK : -errno;
	if (fstat(fd, &sb) < 0 || (flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode)) {
		close(fd);
		return -ENOTBLK;
	}
	return fd;
}

int lv_storage_open_path(struct lv_storage **st, const char *path, int writable)
{
	int fd = open_device_fd(path, writable);

	*st = NULL;
	if (fd < 0)
		return fd;
	return lv_storage_open_fd(st, fd, path, writable);
}

int lv_storage_open_fd(struct lv_storage **st, int fd, const char *name, int writable)
{
	*st = storage_alloc(&fd_ops, NULL, name, writable);
	if (!*st) {
		close(fd);
		return -ENOMEM;
	}
	(*st)->fd = fd;
	return 0;
}

const char *lv_storage_strerror(int r)
{
	return r == -ENOTBLK ? "not a block device or a regular file" : strerror(-r);
}

int lv_storage_open_mem(struct lv_storage **st, uint8_t *buf, size_t len, int writable)
{
	struct mem_priv *mem = calloc(1, sizeof(*mem));

	*st = NULL;
	if (!mem)
		return -ENOMEM;
	mem->buf = buf;
	mem->len = len;
	*st = storage_alloc(&mem_ops, mem, "<memory>", writable);
	if (!*st) {
		free(mem);
		return -ENOMEM;
	}
	return 0;
}

int lv_storage_open_ops(struct lv_storage **st, const struct lv_storage_ops *ops,
			void *priv, const char *name, int writable)
{
	*st = storage_alloc(ops, priv, name, writable);
	return *st ? 0 : -ENOMEM;
}

int lv_storage_read(struct lv_storage *st, uint64_t offset, void *buf, size_t len)
{
	return st->ops->read(st, offset, buf, len);
}

int lv_storage_write(struct lv_storage *st, uint64_t offset, const void *buf, size_t len)
{
	if (!st->writable)
		return -EROFS;
	return st->ops->write(st, offset, buf, len);
}

int lv_storage_sync(struct lv_storage *st)
{
	return st->ops->sync(st);
}

int lv_storage_size(struct lv_storage *st, uint64_t *size_bytes)
{
	return st->ops->size(st, size_bytes);
}

void lv_storage_close(struct lv_storage **st)
{
	if (!st || !*st)
		return;
	if ((*st)->ops->close)
		(*st)->ops->close(*st);
	free(*st);
	*st = NULL;
}
