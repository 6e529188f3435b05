/* SPDX-License-Identifier: ISC */
/*
 * reload.c: resize and refresh of a live LUKS2 mapping, as cryptsetup
 * 2.6.1 does them (lib/setup.c crypt_resize, _reload_device;
 * lib/libdevmapper.c dm_reload_device): the new table is loaded into the
 * inactive slot, then the device is resumed, which makes the kernel
 * suspend it (flushing, with the filesystem frozen), swap the tables and
 * resume.  A keyring key is added to the thread keyring for the load and
 * dropped after it, as at activation.
 *
 * Where luksvol is stricter than cryptsetup: the mapping must be of the
 * header's own device (cryptsetup compares only the UUID and, for keyring
 * keys, the key description); a fixed-size segment is never mapped past
 * its end; and a suspended mapping is not resized, because its table then
 * holds the wiped (all-zero) key, which a reload would make live.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>

#include "dm/dm_ioctl.h"
#include "dm/keyring.h"
#include "dm/loop.h"
#include "dm/mapping.h"

struct device_size {
	char node[PATH_MAX];
	uint64_t bytes;
	uint32_t logical_block_bytes;
};

static int is_loop(dev_t dev_no)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop", major(dev_no), minor(dev_no));
	return access(path, F_OK) == 0;
}

/* The size of the live mapping's device; with grow_loop, a loop device
 * first re-reads its backing file's size (crypt_loop_resize). */
static int device_size(const struct lv_live_crypt *live, int grow_loop, struct device_size *size,
		       struct lv_err *err)
{
	int fd, block = 0, r = 0;

	if (lv_dm_device_node(live->device, size->node, sizeof(size->node)) < 0)
		return lv_err_set(err, -ENODEV, "%s: no /dev node for its device %u:%u",
				  live->info.name, major(live->device), minor(live->device));
	fd = open(size->node, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lv_err_set(err, -errno, "%s: cannot open: %s", size->node, strerror(errno));
	if (grow_loop && is_loop(live->device) && lv_loop_set_capacity(fd) < 0)
		r = lv_err_set(err, -EIO, "%s: cannot resize the loop device: %s", size->node,
			       strerror(errno));
	if (r == 0 && (ioctl(fd, BLKGETSIZE64, &size->bytes) < 0 || ioctl(fd, BLKSSZGET, &block) < 0))
		r = lv_err_set(err, -EIO, "%s: cannot get the size: %s", size->node, strerror(errno));
	close(fd);
	size->logical_block_bytes = block > 0 ? (uint32_t)block : 512;
	return r;
}

/* The new length in 512-byte sectors; requested 0 is the whole device
 * after the data offset (device_block_adjust). */
static int resize_length(const struct lv_live_crypt *live, const struct lv_dm_volume *vol,
			 const struct device_size *size, uint64_t requested, uint64_t *length,
			 struct lv_err *err)
{
	const char *name = live->info.name;
	uint64_t offset = vol->seg.offset_bytes / 512, device_sectors = size->bytes / 512;

	if (offset >= device_sectors)
		return lv_err_set(err, -EINVAL, "%s: the data offset is beyond the size of %s", name,
				  size->node);
	*length = requested ? requested : device_sectors - offset;
	if (*length > device_sectors - offset)
		return lv_err_set(err, -EINVAL, "%s: %s is too small for %llu sectors after offset %llu",
				  name, size->node, (unsigned long long)*length,
				  (unsigned long long)offset);
	if (!vol->seg.dynamic && *length > vol->seg.size_bytes / 512)
		return lv_err_set(err, -EINVAL, "%s: the data segment has a fixed size of %llu sectors",
				  name, (unsigned long long)(vol->seg.size_bytes / 512));
	if (*length % (vol->seg.sector_size / 512))
		return lv_err_set(err, -EINVAL, "%s: device size is not aligned to the sector size %u",
				  name, vol->seg.sector_size);
	if (*length % (size->logical_block_bytes / 512))
		return lv_err_set(err, -EINVAL, "%s: device size is not aligned to the logical block size %u of %s",
				  name, size->logical_block_bytes, size->node);
	return 0;
}

/* A keyring table names cryptsetup:<uuid>-d<digest>: the key must be the
 * caller's, and the description the header's. */
static int check_live_key(const struct lv_live_crypt *live, const struct lv_dm_volume *vol,
			  const struct lv_secret *volume_key, char *description, size_t size,
			  struct lv_err *err)
{
	char expected[128];

	lv_live_key_description(live, description, size);
	if (!live->status.key_in_keyring)
		return 0;
	if (!volume_key)
		return lv_err_set(err, -EPERM, "%s: the volume key is in the kernel keyring; a passphrase is needed",
				  live->info.name);
	lv_dm_key_description(vol, expected, sizeof(expected));
	if (strcmp(description, expected) != 0)
		return lv_err_set(err, -EINVAL, "%s: the table's key \"%s\" is not this header's %s",
				  live->info.name, description, expected);
	if (volume_key->len * 8 != live->status.key_bits)
		return lv_err_set(err, -EINVAL, "%s: a %zu-bit volume key for a %u-bit table",
				  live->info.name, volume_key->len * 8, live->status.key_bits);
	return 0;
}

/* Reloads params with length; a keyring description gets its key first. */
static int reload(const struct lv_live_crypt *live, const char *params, uint64_t length,
		  const char *description, const struct lv_secret *volume_key, struct lv_err *err)
{
	int32_t serial = -1;
	int r;

	if (description[0]) {
		serial = lv_keyring_add_logon(description, volume_key);
		if (serial < 0)
			return lv_err_set(err, serial, "%s: cannot add the volume key to the kernel keyring: %s",
					  live->info.name, strerror(-serial));
	}
	r = lv_dm_reload(&(struct lv_dm_ref){ live->info.name, live->info.uuid }, length, "crypt",
			 params, live->info.readonly, NULL, err);
	lv_keyring_drop(serial);
	return r;
}

struct resize_ctx {
	const struct lv_secret *volume_key;
	uint64_t size_sectors;
};

static int resize_live(struct lv_device *dev, const struct lv_dm_volume *vol,
		       const struct lv_live_crypt *live, void *ctx, struct lv_err *err)
{
	const struct resize_ctx *c = ctx;
	const struct lv_secret *volume_key = c->volume_key;
	struct device_size size;
	char description[128];
	uint64_t length = 0;
	int r;

	if (live->info.suspended)
		return lv_err_set(err, -EINVAL, "%s: the mapping is suspended (its key is wiped); resume it first",
				  live->info.name);
	if ((r = lv_live_matches(live, dev, vol, err)) < 0 ||
	    (r = check_live_key(live, vol, volume_key, description, sizeof(description), err)) < 0 ||
	    (r = device_size(live, 1, &size, err)) < 0 ||
	    (r = resize_length(live, vol, &size, c->size_sectors, &length, err)) < 0)
		return r;
	if (length == live->status.size_sectors)
		return 0;
	if (vol->hdr.unknown_requirements)
		return lv_err_set(err, -ETXTBSY, "%s: unmet LUKS2 requirements forbid the resize",
				  lv_device_path(dev));
	/* The live line itself, checked above against the header, with the
	 * new length: hex key, flags and options all stay as they are. */
	return reload(live, (const char *)live->params->bytes, length, description, volume_key, err);
}

int lv_mapping_resize(struct lv_device *dev, const struct lv_secret *volume_key,
		      const char *name, uint64_t size_sectors, struct lv_err *err)
{
	struct resize_ctx ctx = { volume_key, size_sectors };

	return lv_live_run(dev, name, resize_live, &ctx, err);
}

struct refresh_ctx {
	const struct lv_secret *volume_key;
	const struct lv_activate_params *params;
};

static int refresh_live(struct lv_device *dev, const struct lv_dm_volume *vol,
			const struct lv_live_crypt *live, void *ctx, struct lv_err *err)
{
	const struct refresh_ctx *c = ctx;
	const struct lv_secret *volume_key = c->volume_key;
	const struct lv_activate_params *p = c->params;
	struct lv_secret *params = NULL;
	struct device_size size;
	uint64_t length = 0;
	int32_t serial;
	int r;

	if (!volume_key)
		return lv_err_set(err, -EINVAL, "%s: a refresh needs the volume key", p->name);
	if ((r = lv_dm_check_segment(dev, vol, err)) < 0 ||
	    (r = lv_live_matches(live, dev, vol, err)) < 0 ||
	    (r = device_size(live, 0, &size, err)) < 0 ||
	    (r = lv_dm_data_length(vol, size.bytes, size.node, &length, err)) < 0)
		return r;
	r = lv_dm_crypt_params(vol, volume_key, live->device, p->flags, p->disable_keyring, &params,
			       &serial);
	if (r < 0)
		return lv_err_set(err, r, "%s: cannot build the table", p->name);
	r = lv_dm_reload(&(struct lv_dm_ref){ p->name, live->info.uuid }, length, "crypt",
			 (const char *)params->bytes, live->info.readonly, NULL, err);
	lv_secret_free(&params);
	lv_keyring_drop(serial);
	return r;
}

int lv_mapping_refresh(struct lv_device *dev, const struct lv_secret *volume_key,
		       const struct lv_activate_params *params, struct lv_err *err)
{
	struct refresh_ctx ctx = { volume_key, params };

	return lv_live_run(dev, params->name, refresh_live, &ctx, err);
}
