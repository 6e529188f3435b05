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

static int check_name(const char *name, struct lv_err *err)
{
	if (!*name || strlen(name) >= LV_DM_NAME_MAX || strchr(name, '/') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return lv_err_set(err, -EINVAL, "\"%s\" is not a valid mapping name", name);
	return 0;
}

static int check_segment(const struct lv_device *dev, const struct lv_header_info *hdr,
			 const struct lv_segment_info *seg, struct lv_err *err)
{
	const char *path = lv_device_path(dev);

	if (hdr->unknown_requirements)
		return lv_err_set(err, -ETXTBSY, "%s: unmet LUKS2 requirements forbid activation",
				  path);
	if (seg->segment_count != 1)
		return lv_err_set(err, -ENOTSUP, "%s: %u segments (an unfinished reencryption?) are not supported",
				  path, seg->segment_count);
	if (strncmp(seg->cipher, "cipher_null", 11) == 0)
		return lv_err_set(err, -EINVAL, "%s: segment cipher \"%s\" does not encrypt; refusing",
				  path, seg->cipher);
	if (!lv_crypt_cipher_parsable(seg->cipher))
		return lv_err_set(err, -EINVAL, "%s: segment cipher \"%s\" is not a cipher-mode-iv specification",
				  path, seg->cipher);
	if (seg->has_integrity)
		return lv_err_set(err, -ENOTSUP, "%s: authenticated encryption (dm-integrity) is not supported",
				  path);
	if (seg->sector_size < 512 || seg->sector_size > 4096 ||
	    (seg->sector_size & (seg->sector_size - 1)))
		return lv_err_set(err, -EINVAL, "%s: sector_size %u is not supported", path,
				  seg->sector_size);
	return 0;
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

static int data_length(const struct lv_segment_info *seg, const struct backing *b,
		       const char *path, uint64_t *length_sectors, struct lv_err *err)
{
	uint64_t bytes;

	if (seg->dynamic) {
		if (b->size_bytes <= seg->offset_bytes)
			return lv_err_set(err, -EINVAL, "%s: no data area after the header", path);
		bytes = b->size_bytes - seg->offset_bytes;
	} else {
		bytes = seg->size_bytes;
		if (bytes > b->size_bytes || seg->offset_bytes > b->size_bytes - bytes)
			return lv_err_set(err, -EINVAL, "%s: data segment ends past the device", path);
	}
	bytes -= bytes % seg->sector_size;
	if (bytes == 0)
		return lv_err_set(err, -EINVAL, "%s: data area smaller than one sector", path);
	*length_sectors = bytes / 512;
	return 0;
}

static void dm_uuid(const char *luks_uuid, const char *name, char out[LV_DM_UUID_MAX])
{
	char hex[40];
	size_t n = 0;

	for (const char *p = luks_uuid; *p && n < sizeof(hex) - 1; p++)
		if (*p != '-')
			hex[n++] = *p;
	hex[n] = '\0';
	snprintf(out, LV_DM_UUID_MAX, "CRYPT-LUKS2-%s-%s", hex, name);
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
	return lv_err_set(err, -ETIMEDOUT, "%s: udev did not create the node within %u ms",
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
static int create_mapping(const struct lv_activate_params *p, const struct lv_header_info *hdr,
			  const struct lv_segment_info *seg, const struct lv_secret *key,
			  const struct backing *b, uint64_t length_sectors, struct lv_dm_info *info,
			  struct lv_err *err)
{
	struct lv_crypt_table table = {
		.cipher = seg->cipher, .key = key, .device_major = major(b->dev),
		.device_minor = minor(b->dev), .offset_sectors = seg->offset_bytes / 512,
		.sector_size = seg->sector_size, .flags = p->flags | hdr->persistent_flags,
	};
	char description[128], uuid[LV_DM_UUID_MAX];
	struct lv_secret *params = NULL;
	int32_t serial = -1;
	int r;

	snprintf(description, sizeof(description), "cryptsetup:%s-d%u", hdr->uuid, seg->digest_id);
	if (!p->disable_keyring && (serial = lv_keyring_add_logon(description, key)) > 0)
		table.key_description = description;
	r = lv_crypt_table_build(&table, &params);
	if (r < 0) {
		lv_keyring_drop(serial);
		return lv_err_set(err, r, "%s: cannot build the table", p->name);
	}
	dm_uuid(hdr->uuid, p->name, uuid);
	r = lv_dm_create_single(p->name, uuid, length_sectors, "crypt", (char *)params->bytes,
				p->readonly, info, err);
	lv_secret_free(&params);
	lv_keyring_drop(serial);
	return r;
}

int lv_activate(struct lv_device *dev, const struct lv_secret *volume_key,
		const struct lv_activate_params *p, struct lv_err *err)
{
	struct lv_header_info hdr;
	struct lv_segment_info seg;
	struct lv_dm_info info;
	struct backing b = { .loop_fd = -1 };
	uint64_t length_sectors = 0;
	int r;

	lv_header_info(dev, &hdr);
	if ((r = check_name(p->name, err)) < 0 || (r = lv_segment_info(dev, &seg, err)) < 0 ||
	    (r = check_segment(dev, &hdr, &seg, err)) < 0 || (r = lv_dm_info(p->name, &info, err)) < 0)
		return r;
	if (info.exists)
		return lv_err_set(err, -EEXIST, "%s: a mapping with this name already exists", p->name);
	r = resolve_backing(lv_device_path(dev), p->readonly, &b, err);
	if (r == 0)
		r = data_length(&seg, &b, lv_device_path(dev), &length_sectors, err);
	if (r == 0)
		r = create_mapping(p, &hdr, &seg, volume_key, &b, length_sectors, &info, err);
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

	if ((r = check_name(name, err)) < 0 || (r = lv_dm_info(name, &info, err)) < 0)
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

/* /dev/<name> of major:minor, and a loop device's backing file. */
static void describe_device(struct lv_mapping_status *st)
{
	char link[PATH_MAX], target[PATH_MAX], file[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/block/%s", st->device);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	snprintf(file, sizeof(file), "/sys/block/%.64s/loop/backing_file", base);
	FILE *in = fopen(file, "r");
	if (in) {
		if (fgets(st->loop_file, sizeof(st->loop_file), in))
			st->loop_file[strcspn(st->loop_file, "\n")] = '\0';
		fclose(in);
	}
	snprintf(st->device, sizeof(st->device), "/dev/%.58s", base);
}

int lv_mapping_status(const char *name, struct lv_mapping_status *st, struct lv_err *err)
{
	struct lv_secret *params = NULL;
	struct lv_dm_info info;
	char target_type[16];
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = check_name(name, err)) < 0 || (r = lv_dm_info(name, &info, err)) < 0)
		return r;
	if (!info.exists)
		return lv_err_set(err, -ENODEV, "%s: no such mapping", name);
	snprintf(st->name, sizeof(st->name), "%s", name);
	snprintf(st->dm_uuid, sizeof(st->dm_uuid), "%s", info.uuid);
	if (strncmp(info.uuid, "CRYPT-", 6) == 0) {
		/* The type is what precedes the next '-' ("LUKS2"); no sscanf,
		 * which would pull every float parser into a static binary. */
		size_t type_len = strcspn(info.uuid + 6, "-");

		if (type_len >= sizeof(st->type))
			type_len = sizeof(st->type) - 1;
		memcpy(st->type, info.uuid + 6, type_len);
		st->type[type_len] = '\0';
	}
	st->readonly = info.readonly;
	st->open_count = info.open_count;
	r = lv_dm_table(name, target_type, &st->size_sectors, &params, err);
	if (r < 0)
		return r;
	if (strcmp(target_type, "crypt") != 0)
		r = lv_err_set(err, -EINVAL, "%s: a %s mapping, not crypt", name, target_type);
	else if (lv_crypt_table_parse((char *)params->bytes, st) < 0)
		r = lv_err_set(err, -EINVAL, "%s: cannot parse the crypt table", name);
	lv_secret_free(&params);
	if (r == 0)
		describe_device(st);
	return r;
}

int lv_mapping_list(void (*visit)(const char *name, void *ctx), void *ctx, struct lv_err *err)
{
	return lv_dm_list(visit, ctx, err);
}
