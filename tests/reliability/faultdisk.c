/* SPDX-License-Identifier: ISC */
/* faultdisk.c: the power-cutting storage of faultdisk.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "faultdisk.h"

static int event_cuts_power(struct fault_disk *disk)
{
	if (disk->dead)
		return 1;
	disk->events++;
	if (disk->cut_at && disk->events == disk->cut_at)
		disk->dead = 1;
	return disk->dead;
}

static int fd_read(struct lv_storage *st, uint64_t offset, void *buf, size_t len)
{
	struct fault_disk *disk = st->priv;

	if (disk->dead)
		return -EIO;
	if (offset > disk->len || len > disk->len - offset)
		return -ENODATA;
	memcpy(buf, disk->current + offset, len);
	return 0;
}

static int fd_write(struct lv_storage *st, uint64_t offset, const void *buf, size_t len)
{
	struct fault_disk *disk = st->priv;

	if (offset > disk->len || len > disk->len - offset)
		return -ENOSPC;
	if (event_cuts_power(disk)) {
		/* A torn write: the first 512-byte units reached the platter. */
		if (disk->tear && disk->events == disk->cut_at)
			memcpy(disk->durable + offset, buf, len / 2 / 512 * 512);
		return -EIO;
	}
	memcpy(disk->current + offset, buf, len);
	return 0;
}

static int fd_sync(struct lv_storage *st)
{
	struct fault_disk *disk = st->priv;

	if (event_cuts_power(disk))
		return -EIO;
	memcpy(disk->durable, disk->current, disk->len);
	return 0;
}

static int fd_size(struct lv_storage *st, uint64_t *size_bytes)
{
	*size_bytes = ((struct fault_disk *)st->priv)->len;
	return 0;
}

static const struct lv_storage_ops fault_ops = {
	.read = fd_read,
	.write = fd_write,
	.sync = fd_sync,
	.size = fd_size,
	.close = NULL,
};

int fault_disk_init(struct fault_disk *disk, const uint8_t *image, size_t len)
{
	memset(disk, 0, sizeof(*disk));
	disk->current = malloc(len);
	disk->durable = malloc(len);
	if (!disk->current || !disk->durable) {
		fault_disk_destroy(disk);
		return -ENOMEM;
	}
	memcpy(disk->current, image, len);
	memcpy(disk->durable, image, len);
	disk->len = len;
	return 0;
}

void fault_disk_destroy(struct fault_disk *disk)
{
	free(disk->current);
	free(disk->durable);
	memset(disk, 0, sizeof(*disk));
}

struct lv_storage *fault_disk_storage(struct fault_disk *disk)
{
	struct lv_storage *st;

	return lv_storage_open_ops(&st, &fault_ops, disk, "<faultdisk>", 1) == 0 ? st : NULL;
}
