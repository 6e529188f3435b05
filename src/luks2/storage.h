/* SPDX-License-Identifier: ISC */
/*
 * storage.h: byte-addressed I/O under the LUKS2 code.
 *
 * The format layer never calls read(2) or write(2) itself; it goes through
 * an lv_storage, which is a file, a block device or an in-memory buffer.
 * Tests and fuzzers use the memory backend and touch no disk.
 */
#ifndef LV_STORAGE_H
#define LV_STORAGE_H

#include <stddef.h>
#include <stdint.h>

struct lv_storage;

struct lv_storage_ops {
	/* Read or write exactly len bytes at offset, or fail: -EIO for an
	 * I/O error, -ENOSPC (write) or -ENODATA (read) past the end. */
	int (*read)(struct lv_storage *st, uint64_t offset, void *buf, size_t len);
	int (*write)(struct lv_storage *st, uint64_t offset, const void *buf, size_t len);
	int (*sync)(struct lv_storage *st);
	int (*size)(struct lv_storage *st, uint64_t *size_bytes);
	void (*close)(struct lv_storage *st);
};

struct lv_storage {
	const struct lv_storage_ops *ops;
	void *priv;
	int fd;		  /* -1 unless backed by a file descriptor */
	int writable;
	char name[256];	  /* path or "<memory>", for messages */
};

/* Opens a regular file or block device (-ENOTBLK for anything else).
 * writable: O_RDWR instead of O_RDONLY. */
int lv_storage_open_path(struct lv_storage **st, const char *path, int writable);

/* Wraps an open descriptor, which the storage then owns (closed on
 * failure too).  name is for messages. */
int lv_storage_open_fd(struct lv_storage **st, int fd, const char *name, int writable);

/* The reason an open failed with r, for "cannot open" messages. */
const char *lv_storage_strerror(int r);

/* Wraps a caller-owned buffer; the storage never frees or resizes it. */
int lv_storage_open_mem(struct lv_storage **st, uint8_t *buf, size_t len, int writable);

/* Installs caller-provided ops (the fault-injecting test backend). */
int lv_storage_open_ops(struct lv_storage **st, const struct lv_storage_ops *ops,
			void *priv, const char *name, int writable);

int lv_storage_read(struct lv_storage *st, uint64_t offset, void *buf, size_t len);
int lv_storage_write(struct lv_storage *st, uint64_t offset, const void *buf, size_t len);
int lv_storage_sync(struct lv_storage *st);
int lv_storage_size(struct lv_storage *st, uint64_t *size_bytes);
void lv_storage_close(struct lv_storage **st);

#endif
