/* SPDX-License-Identifier: ISC */
/* mapping.c: the pieces activation, reload and suspend/resume share. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dm/crypt_table.h"
#include "dm/keyring.h"
#include "dm/mapping.h"

int lv_dm_check_name(const char *name, struct lv_err *err)
{
	if (!*name || strlen(name) >= LV_DM_NAME_MAX || strchr(name, '/') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return lv_err_set(err, -EINVAL, "\"%s\" is not a valid mapping name", name);
	return 0;
}

int lv_dm_volume_read(const struct lv_device *dev, struct lv_dm_volume *vol,
		      struct lv_err *err)
{
	int r;

	lv_header_info(dev, &vol->hdr);
	if ((r = lv_segment_info(dev, &vol->seg, err)) < 0)
		return r;
	if (vol->seg.segment_count != 1)
		return lv_err_set(err, -ENOTSUP, "%s: %u segments (an unfinished reencryption?) are not supported",
				  lv_device_path(dev), vol->seg.segment_count);
	return 0;
}

int lv_dm_check_segment(const struct lv_device *dev, const struct lv_dm_volume *vol,
			struct lv_err *err)
{
	const char *path = lv_device_path(dev);

	if (vol->hdr.unknown_requirements)
		return lv_err_set(err, -ETXTBSY, "%s: unmet LUKS2 requirements forbid activation",
				  path);
	if (strncmp(vol->seg.cipher, "cipher_null", 11) == 0)
		return lv_err_set(err, -EINVAL, "%s: segment cipher \"%s\" does not encrypt; refusing",
				  path, vol->seg.cipher);
	if (!lv_crypt_cipher_parsable(vol->seg.cipher))
		return lv_err_set(err, -EINVAL, "%s: segment cipher \"%s\" is not a cipher-mode-iv specification",
				  path, vol->seg.cipher);
	if (vol->seg.has_integrity)
		return lv_err_set(err, -ENOTSUP, "%s: authenticated encryption (dm-integrity) is not supported",
				  path);
	if (vol->seg.sector_size < 512 || vol->seg.sector_size > 4096 ||
	    (vol->seg.sector_size & (vol->seg.sector_size - 1)))
		return lv_err_set(err, -EINVAL, "%s: sector_size %u is not supported", path,
				  vol->seg.sector_size);
	return 0;
}

/* The UUID without dashes, as the DM UUID carries it. */
static void uuid_hex(const char *luks_uuid, char out[40])
{
	size_t n = 0;

	for (const char *p = luks_uuid; *p && n < 39; p++)
		if (*p != '-')
			out[n++] = *p;
	out[n] = '\0';
}

void lv_dm_crypt_uuid(const char *luks_uuid, const char *name, char out[LV_DM_UUID_MAX])
{
	char hex[40];

	uuid_hex(luks_uuid, hex);
	snprintf(out, LV_DM_UUID_MAX, "CRYPT-LUKS2-%s-%s", hex, name);
}

void lv_dm_key_description(const struct lv_dm_volume *vol, char *out, size_t size)
{
	snprintf(out, size, "cryptsetup:%s-d%u", vol->hdr.uuid, vol->seg.digest_id);
}

int lv_dm_data_length(const struct lv_dm_volume *vol, uint64_t device_bytes,
		      const char *path, uint64_t *length_sectors, struct lv_err *err)
{
	uint64_t bytes;

	if (vol->seg.dynamic) {
		if (device_bytes <= vol->seg.offset_bytes)
			return lv_err_set(err, -EINVAL, "%s: no data area after the header", path);
		bytes = device_bytes - vol->seg.offset_bytes;
	} else {
		bytes = vol->seg.size_bytes;
		if (bytes > device_bytes || vol->seg.offset_bytes > device_bytes - bytes)
			return lv_err_set(err, -EINVAL, "%s: data segment ends past the device", path);
	}
	bytes -= bytes % vol->seg.sector_size;
	if (bytes == 0)
		return lv_err_set(err, -EINVAL, "%s: data area smaller than one sector", path);
	*length_sectors = bytes / 512;
	return 0;
}

int lv_dm_crypt_params(const struct lv_dm_volume *vol, const struct lv_secret *key,
		       dev_t dev_no, unsigned flags, int disable_keyring,
		       struct lv_secret **params, int32_t *serial)
{
	struct lv_crypt_table table = {
		.cipher = vol->seg.cipher, .key = key, .device_major = major(dev_no),
		.device_minor = minor(dev_no), .offset_sectors = vol->seg.offset_bytes / 512,
		.sector_size = vol->seg.sector_size, .flags = flags | vol->hdr.persistent_flags,
	};
	char description[128];
	int r;

	*serial = -1;
	lv_dm_key_description(vol, description, sizeof(description));
	if (!disable_keyring && (*serial = lv_keyring_add_logon(description, key)) > 0)
		table.key_description = description;
	r = lv_crypt_table_build(&table, params);
	if (r < 0) {
		lv_keyring_drop(*serial);
		*serial = -1;
	}
	return r;
}

/* "major:minor" as a dev_t; 0 when the text is not that. */
static dev_t parse_dev_no(const char *text)
{
	char *end;
	unsigned long maj, min;

	if (*text < '0' || *text > '9')
		return 0;
	maj = strtoul(text, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	min = strtoul(end + 1, &end, 10);
	if (*end || maj > 0xfff || min > 0xfffff)
		return 0;
	return makedev(maj, min);
}

int lv_live_crypt_read(const char *name, struct lv_live_crypt *live, struct lv_err *err)
{
	struct lv_secret *copy;
	char target_type[16];
	int r;

	memset(live, 0, sizeof(*live));
	if ((r = lv_dm_check_name(name, err)) < 0 || (r = lv_dm_info(name, &live->info, err)) < 0)
		return r;
	if (!live->info.exists)
		return lv_err_set(err, -ENODEV, "%s: no such mapping", name);
	r = lv_dm_table(name, target_type, &live->status.size_sectors, &live->params, err);
	if (r < 0)
		return r;
	if (strcmp(target_type, "crypt") != 0 || live->info.target_count != 1) {
		lv_live_crypt_free(live);
		return lv_err_set(err, -EINVAL, "%s: a %s mapping, not one crypt target", name,
				  target_type);
	}
	/* The parser cuts its input up; the line itself is kept for reuse. */
	copy = lv_secret_dup(live->params->bytes, live->params->len);
	if (!copy) {
		lv_live_crypt_free(live);
		return lv_err_set(err, -ENOMEM, "out of memory");
	}
	r = lv_crypt_table_parse((char *)copy->bytes, &live->status);
	lv_secret_free(&copy);
	live->device = parse_dev_no(live->status.device);
	if (r < 0 || live->device == 0) {
		lv_live_crypt_free(live);
		return lv_err_set(err, -EINVAL, "%s: cannot parse the crypt table", name);
	}
	snprintf(live->status.name, sizeof(live->status.name), "%s", name);
	snprintf(live->status.dm_uuid, sizeof(live->status.dm_uuid), "%s", live->info.uuid);
	live->status.readonly = live->info.readonly;
	live->status.open_count = live->info.open_count;
	live->status.suspended = live->info.suspended;
	return 0;
}

void lv_live_crypt_free(struct lv_live_crypt *live)
{
	lv_secret_free(&live->params);
}

int lv_live_run(struct lv_device *dev, const char *name, lv_live_op op, void *ctx,
		struct lv_err *err)
{
	struct lv_dm_volume vol;
	struct lv_live_crypt live;
	int r;

	if ((r = lv_dm_volume_read(dev, &vol, err)) < 0 ||
	    (r = lv_live_crypt_read(name, &live, err)) < 0)
		return r;
	r = op(dev, &vol, &live, ctx, err);
	lv_live_crypt_free(&live);
	return r;
}

/* The key field is the second of the line: ":<size>:logon:<description>". */
void lv_live_key_description(const struct lv_live_crypt *live, char *out, size_t size)
{
	const char *key = strchr((const char *)live->params->bytes, ' ');
	const char *description;
	size_t len;

	out[0] = '\0';
	if (!key || key[1] != ':')
		return;
	description = strstr(key + 2, ":logon:");
	if (!description)
		return;
	description += strlen(":logon:");
	len = strcspn(description, " ");
	if (len < size)
		snprintf(out, size, "%.*s", (int)len, description);
}

static int sysfs_read_line(const char *path, char *out, size_t size)
{
	FILE *in = fopen(path, "r");
	int r = -1;

	if (!in)
		return -1;
	if (fgets(out, (int)size, in)) {
		out[strcspn(out, "\n")] = '\0';
		r = 0;
	}
	fclose(in);
	return r;
}

/* The kernel name of a block device ("loop0", "vda"), from sysfs. */
static int kernel_name(dev_t dev_no, char *out, size_t size)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev_no), minor(dev_no));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -ENODEV;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return -ENAMETOOLONG;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

int lv_dm_device_node(dev_t dev_no, char *path, size_t size)
{
	char name[NAME_MAX + 1];
	struct stat sb;

	if (kernel_name(dev_no, name, sizeof(name)) < 0)
		return -ENODEV;
	snprintf(path, size, "/dev/%s", name);
	if (stat(path, &sb) < 0 || !S_ISBLK(sb.st_mode) || sb.st_rdev != dev_no)
		return -ENODEV;
	return 0;
}

/* Whether the loop device dev_no is backed by the file file_sb is of. */
static int loop_backed_by(dev_t dev_no, const struct stat *file_sb)
{
	char path[96], backing[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop/backing_file", major(dev_no),
		 minor(dev_no));
	if (sysfs_read_line(path, backing, sizeof(backing)) < 0 || stat(backing, &sb) < 0)
		return 0;
	return sb.st_dev == file_sb->st_dev && sb.st_ino == file_sb->st_ino;
}

static int same_device(const char *path, dev_t dev_no)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return 0;
	if (S_ISBLK(sb.st_mode))
		return sb.st_rdev == dev_no;
	return S_ISREG(sb.st_mode) && loop_backed_by(dev_no, &sb);
}

int lv_live_matches(const struct lv_live_crypt *live, const struct lv_device *dev,
		    const struct lv_dm_volume *vol, struct lv_err *err)
{
	const struct lv_mapping_status *st = &live->status;
	const char *path = lv_device_path(dev);
	char hex[40], expected[LV_DM_UUID_MAX];

	uuid_hex(vol->hdr.uuid, hex);
	snprintf(expected, sizeof(expected), "CRYPT-LUKS2-%s-", hex);
	if (strncmp(live->info.uuid, expected, strlen(expected)) != 0)
		return lv_err_set(err, -EINVAL, "%s: DM UUID %s is not that of the LUKS2 header of %s",
				  live->info.name, live->info.uuid, path);
	if (strcmp(st->cipher, vol->seg.cipher) != 0 || st->iv_offset != 0 ||
	    st->offset_sectors != vol->seg.offset_bytes / 512 || st->sector_size != vol->seg.sector_size)
		return lv_err_set(err, -EINVAL, "%s: cipher, offset or sector size of the live table differ from the header of %s",
				  live->info.name, path);
	if (!same_device(path, live->device))
		return lv_err_set(err, -EINVAL, "%s: the mapping is of device %u:%u, not of %s",
				  live->info.name, major(live->device), minor(live->device), path);
	return 0;
}

void lv_dm_describe_device(struct lv_mapping_status *st)
{
	char name[NAME_MAX + 1], file[96];
	dev_t dev_no = parse_dev_no(st->device);

	if (!dev_no || kernel_name(dev_no, name, sizeof(name)) < 0)
		return;
	snprintf(file, sizeof(file), "/sys/block/%.64s/loop/backing_file", name);
	if (sysfs_read_line(file, st->loop_file, sizeof(st->loop_file)) < 0)
		st->loop_file[0] = '\0';
	snprintf(st->device, sizeof(st->device), "/dev/%.58s", name);
}
